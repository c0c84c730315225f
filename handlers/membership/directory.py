"""The members' directory (/members, its pages and cards) and the owner's profile (/profile,
editing a field) (PRODUCT.md §2).
"""

from __future__ import annotations

from aiogram.filters import CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.runtime.context import Ctx
from bot.services import alliances
from bot.services.errors import DomainError
from bot.services.membership import directory, lookups
from bot.views.errors import error_text
from bot.views.membership import directory as views
from bot.views.membership.directory import CardCb, PageCb, ProfileCb
from handlers.membership.common import alliance_of
from handlers.membership.joining import Edit


async def members(message: Message, command: CommandObject, ctx: Ctx) -> None:
    query = (command.args or "").strip()
    private = message.chat.type == "private"
    alliance = await alliances.alliance_in_context(
        ctx.session, ctx.place, ctx.speaker_id, private=private,
        coordinating=False)
    found = await directory.directory(ctx.session, alliance.id, query)
    text, keyboard = views.directory(alliance, found, 0, query, private=private)
    await message.answer(text, reply_markup=keyboard)


async def members_page(query: CallbackQuery, callback_data: PageCb, ctx: Ctx) -> None:
    private = query.message is not None and query.message.chat.type == "private"
    alliance = await directory.may_browse(
        ctx.session, callback_data.alliance_id, ctx.speaker_id,
        None if private else ctx.alliance_id)
    found = await directory.directory(ctx.session, alliance.id, callback_data.query)
    await query.answer()
    if query.message is not None:
        text, keyboard = views.directory(alliance, found, callback_data.page, callback_data.query,
                                         private=private)
        await query.message.edit_text(text, reply_markup=keyboard)


async def member_card(query: CallbackQuery, callback_data: CardCb, ctx: Ctx) -> None:
    card = await directory.member_card(ctx.session, callback_data.member_id,
                                       ctx.speaker_id, ctx.now)
    await query.answer()
    if query.message is not None:
        await query.message.answer(views.member_card(card.member, card.alliance, card.show_contact,
                                                     card.sponsor, card.stats))


async def profile(message: Message, ctx: Ctx) -> None:
    alliance = await alliance_of(message, ctx, coordinating=False)
    member = await lookups.own_member(ctx.session, alliance.id, ctx.person_id)
    text, keyboard = views.profile(member, alliance)
    await message.answer(text, reply_markup=keyboard)


async def profile_field(query: CallbackQuery, callback_data: ProfileCb, state: FSMContext,
                        ctx: Ctx) -> None:
    await lookups.own_member(ctx.session, callback_data.alliance_id, ctx.person_id)
    if callback_data.field not in directory.PROFILE_FIELDS:
        raise DomainError("unknown_field")
    await state.set_state(Edit.profile_field)
    await state.set_data({"alliance_id": callback_data.alliance_id, "field": callback_data.field})
    await query.answer()
    if query.message is not None:
        await query.message.answer(views.ask_field(callback_data.field))


async def profile_value(message: Message, state: FSMContext, ctx: Ctx) -> None:
    data = await state.get_data()
    try:
        member = await directory.update_profile(ctx.session, data["alliance_id"], ctx.person_id,
                                                data["field"], message.text or "", ctx.now)
        alliance = await alliances.get_alliance(ctx.session, data["alliance_id"])
    except DomainError as error:
        if error.code in ("members_only", "unknown_field"):
            await state.clear()
        await message.answer(error_text(error))
        return
    await state.clear()
    text, keyboard = views.profile(member, alliance)
    await message.answer(views.saved() + "\n\n" + text, reply_markup=keyboard)

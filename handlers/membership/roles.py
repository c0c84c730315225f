"""Roles (PRODUCT.md §2): coordinators promote and demote coordinators (/promote, /demote, by
@username, id or a reply); a member's owner invites and removes colleagues (/team, the
``team-`` link).
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.filters import CommandObject
from aiogram.types import CallbackQuery, Message

from bot.runtime import me
from bot.runtime.context import Ctx
from bot.services import alliances
from bot.services.membership import lookups, roles
from bot.views.membership import roles as views
from bot.views.membership.roles import TeamCb
from handlers.membership.common import alliance_of, target_and_rest

# -- coordinators -----------------------------------------------------------------------------


async def _person_target(message: Message, command: CommandObject, ctx: Ctx) -> tuple[Any, int]:
    alliance = await alliance_of(message, ctx, coordinating=True)
    user_id, reference, _rest = target_and_rest(message, command)
    if user_id is None:
        user_id = (await roles.person_by_reference(ctx.session, alliance.id, reference)).id
    return alliance, user_id


async def promote(message: Message, command: CommandObject, ctx: Ctx) -> None:
    alliance, person_id = await _person_target(message, command, ctx)
    person = await roles.promote(ctx.session, alliance.id, ctx.person_id, person_id, ctx.now)
    await message.reply(views.promoted(lookups.display_name(person)))


async def demote(message: Message, command: CommandObject, ctx: Ctx) -> None:
    alliance, person_id = await _person_target(message, command, ctx)
    person = await roles.demote(ctx.session, alliance.id, ctx.person_id, person_id, ctx.now)
    await message.reply(views.demoted(lookups.display_name(person)))


# -- team: colleagues acting for the same member ----------------------------------------------


async def team(message: Message, ctx: Ctx) -> None:
    alliance = await alliance_of(message, ctx, coordinating=False)
    member, people_ = await roles.team(ctx.session, alliance.id, ctx.person_id)
    text, keyboard = views.team_card(alliance.id, member, people_, ctx.person_id)
    await message.answer(text, reply_markup=keyboard)


async def team_button(query: CallbackQuery, callback_data: TeamCb, bot: Bot, ctx: Ctx) -> None:
    person_id = ctx.person_id
    if callback_data.person_id == 0:
        code = await roles.team_code(ctx.session, callback_data.alliance_id, person_id, ctx.now)
        text, keyboard = views.team_link(await me.deep_link(bot, f"team-{code}")), None
    else:
        removed = await roles.remove_colleague(ctx.session, callback_data.alliance_id,
                                               person_id, callback_data.person_id, ctx.now)
        member, people_ = await roles.team(ctx.session, callback_data.alliance_id, person_id)
        text = views.colleague_removed(lookups.display_name(removed))
        card, keyboard = views.team_card(callback_data.alliance_id, member, people_, person_id)
        text = f"{text}\n\n{card}"
    await query.answer()
    if query.message is not None:
        await query.message.answer(text, reply_markup=keyboard)


async def team_deep_link(message: Message, command: CommandObject, ctx: Ctx) -> None:
    code = (command.args or "").partition("-")[2]
    member = await roles.join_team(ctx.session, code, ctx.person_id, ctx.now)
    alliance = await alliances.get_alliance(ctx.session, member.alliance_id)
    await message.answer(views.team_joined(member.name, alliance.name))

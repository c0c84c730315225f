"""The roster (PRODUCT.md §2): a member leaves (/leave); a coordinator suspends, reinstates or
removes one (/suspend, /reinstate, /remove, by #id, name or a reply). The member's people are
told through ``bot.effects.membership.tell_people`` (a removal through ``member_removed``, which
also has the other features withdraw what the member held).
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.filters import CommandObject
from aiogram.types import CallbackQuery, Message

from bot.effects.membership import member_removed, quietly, tell_people
from bot.runtime.context import Ctx
from bot.services import alliances
from bot.services.errors import DomainError
from bot.services.membership import lookups, roster
from bot.views.membership import roster as views
from bot.views.membership.roster import LeaveCb
from handlers.membership.common import alliance_of, target_and_rest


async def leave(message: Message, ctx: Ctx) -> None:
    alliance = await alliance_of(message, ctx, coordinating=False)
    member = await lookups.own_member(ctx.session, alliance.id, ctx.person_id)
    text, keyboard = views.leave_confirm(alliance.id, member.name, alliance.name)
    await message.answer(text, reply_markup=keyboard)


async def leave_chosen(query: CallbackQuery, callback_data: LeaveCb, ctx: Ctx) -> None:
    if not callback_data.confirm:
        await lookups.own_member(ctx.session, callback_data.alliance_id, ctx.person_id)
        text = views.stayed()
    else:
        member = await roster.leave(ctx.session, callback_data.alliance_id, ctx.person_id, ctx.now)
        text = views.left(member.name)
    await query.answer()
    if query.message is not None:
        await query.message.edit_text(text)


async def _member_target(message: Message, command: CommandObject, ctx: Ctx) -> tuple[Any, Any, str]:
    alliance = await alliance_of(message, ctx, coordinating=True)
    await alliances.require_coordinator(ctx.session, alliance.id, ctx.person_id)
    user_id, reference, rest = target_and_rest(message, command)
    if user_id is not None:
        member = await lookups.own_member_or_none(ctx.session, alliance.id, user_id)
        if member is None:
            raise DomainError("unknown_member")
    else:
        member = await roster.find_member(ctx.session, alliance.id, reference)
    return alliance, member, rest


async def suspend(message: Message, command: CommandObject, ctx: Ctx) -> None:
    alliance, member, reason = await _member_target(message, command, ctx)
    member = await roster.suspend(ctx.session, alliance.id, ctx.person_id, member.id, reason, ctx.now)
    await tell_people(ctx.session, alliance, member, ctx.now)
    await message.reply(views.suspended(member))


async def reinstate(message: Message, command: CommandObject, ctx: Ctx) -> None:
    alliance, member, _rest = await _member_target(message, command, ctx)
    member = await roster.reinstate(ctx.session, alliance.id, ctx.person_id, member.id, ctx.now)
    await tell_people(ctx.session, alliance, member, ctx.now)
    await message.reply(views.reinstated(member))


async def remove(message: Message, command: CommandObject, bot: Bot, ctx: Ctx) -> None:
    alliance, member, rest = await _member_target(message, command, ctx)
    words = rest.split(maxsplit=1)
    ban = bool(words) and words[0].lower() in ("ban", "--ban")
    reason = words[1] if ban and len(words) > 1 else (None if ban else rest)
    removal = await roster.remove(ctx.session, alliance.id, ctx.person_id, member.id, reason,
                                  ban, ctx.now)
    await member_removed(ctx.session, alliance, removal.member, ctx.now)
    banned = failed = 0
    for chat_id in removal.chats:
        for person_id in removal.people:
            if await quietly(bot.ban_chat_member(chat_id, person_id)) is None:
                failed += 1
            else:
                banned += 1
    failed_chats = min(failed, len(removal.chats))
    await message.reply(views.removed(removal.member, banned, failed_chats))

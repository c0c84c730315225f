"""/announce (PRODUCT.md §7): a coordinator's message to every chat of the alliance and, if
asked, to every active member privately; a preview first, a delivery report at the end.

``/announce <text>``, or ``/announce`` as a reply to the message to announce (its text or
caption, formatting kept), in the home group or in private. Every press names the draft; the
service checks that the presser wrote it and still coordinates the alliance.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.effects import announcements as effects
from bot.runtime.context import Ctx
from bot.runtime.wizard import deliver
from bot.services import announcements, settings
from bot.views import announcements as views
from bot.views.announcements import AnnounceCb
from bot.views.html import esc


def _text(message: Message, command: CommandObject) -> str | None:
    """The text to announce, as HTML: the command's words, or the replied-to message."""
    if command.args:
        return esc(command.args)
    replied = message.reply_to_message
    if replied is not None and (replied.text or replied.caption):
        return replied.html_text
    return None


async def announce(message: Message, command: CommandObject, ctx: Ctx) -> None:
    draft, choices = await announcements.draft(
        ctx.session, ctx.person_id, _text(message, command), ctx.now,
        group_alliance_id=ctx.alliance_id, private=message.chat.type == "private")
    if choices:
        text, keyboard = views.pick_alliance(draft, choices)
    else:
        text, keyboard = await _preview(ctx, draft.id)
    await message.reply(text, reply_markup=keyboard)


async def _preview(ctx: Ctx, announcement_id: int) -> tuple[str, InlineKeyboardMarkup]:
    draft, alliance = await announcements.opened(ctx.session, announcement_id, ctx.speaker_id)
    everyone = await announcements.audience(ctx.session, alliance.id, privately=True)
    return views.preview(draft, alliance, len(everyone.chats), len(everyone.people))


async def picked(query: CallbackQuery, callback_data: AnnounceCb, ctx: Ctx) -> None:
    await announcements.choose(ctx.session, callback_data.id, ctx.speaker_id, callback_data.a)
    await deliver(query, *await _preview(ctx, callback_data.id))


async def toggled(query: CallbackQuery, callback_data: AnnounceCb, ctx: Ctx) -> None:
    await announcements.toggle_private(ctx.session, callback_data.id, ctx.speaker_id)
    await deliver(query, *await _preview(ctx, callback_data.id))


async def cancelled(query: CallbackQuery, callback_data: AnnounceCb, ctx: Ctx) -> None:
    await announcements.cancel(ctx.session, callback_data.id, ctx.speaker_id)
    await deliver(query, views.cancelled(), None)


async def sent(query: CallbackQuery, callback_data: AnnounceCb, ctx: Ctx) -> None:
    announcement, alliance, where = await announcements.send(ctx.session, callback_data.id,
                                                             ctx.speaker_id, ctx.now)
    await effects.dispatch(ctx.session, announcement, alliance, where, ctx.now)
    await deliver(query, views.on_its_way(
        len(where.chats), len(where.people), held_until=settings.quiet_end(alliance, ctx.now),
        timezone=alliance.timezone), None)


def setup_router() -> Router:
    """A fresh Router each time: a router can belong to one dispatcher only."""
    router = Router(name="announcements")
    router.message.register(announce, Command("announce"))
    button = AnnounceCb.filter
    router.callback_query.register(picked, button(F.op == "pick"))
    router.callback_query.register(toggled, button(F.op == "priv"))
    router.callback_query.register(cancelled, button(F.op == "cancel"))
    router.callback_query.register(sent, button(F.op == "send"))
    return router

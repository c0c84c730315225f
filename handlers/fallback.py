"""Last in line: a button nobody handles still gets an answer, an unknown command a pointer.

Without this, a stale or forged button leaves the user's client spinning, and a mistyped
command in private gets silence.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

from bot.views import common
from handlers.replies import plain


async def stale_button(query: CallbackQuery) -> None:
    await query.answer(plain(common.stale_button()), show_alert=True)


async def unknown_command(message: Message) -> None:
    await message.reply(common.unknown_command())


def setup_router() -> Router:
    router = Router(name="fallback")
    router.callback_query.register(stale_button)
    router.message.register(unknown_command, F.chat.type == "private", F.text.startswith("/"))
    return router

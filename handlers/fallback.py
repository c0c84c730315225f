"""Last in line: a button nobody handles still gets an answer, a command of ours sent where it
does not work says where it does, an unknown command in private gets a pointer.

Without this, a stale or forged button leaves the user's client spinning, /applications in a
group or /here in private gets silence, and a mistyped command in private gets silence too.
An unknown command in a group stays unanswered (a group has other bots), and so does any
command addressed to another bot (``/members@other_bot``).
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.runtime import me
from bot.runtime.replies import plain
from bot.views import commands, common


async def stale_button(query: CallbackQuery) -> None:
    await query.answer(plain(common.stale_button()), show_alert=True)


async def elsewhere(message: Message, command: CommandObject, bot: Bot) -> None:
    text, keyboard = commands.elsewhere(command.command, private=message.chat.type == "private",
                                        bot_username=await me.username(bot))
    await message.reply(text, reply_markup=keyboard)


async def unknown_command(message: Message) -> None:
    await message.reply(common.unknown_command())


async def for_us(message: Message, bot: Bot) -> bool:
    """``/word@name``: only when ``name`` is this bot."""
    words = (message.text or "").split(maxsplit=1)
    _command, at, mention = (words[0] if words else "").partition("@")
    return not at or mention.lower() == (await me.username(bot)).lower()


def setup_router() -> Router:
    router = Router(name="fallback")
    router.callback_query.register(stale_button)
    router.message.register(elsewhere, Command(*commands.NAMES))
    router.message.register(unknown_command, F.chat.type == "private", F.text.startswith("/"),
                            for_us)
    return router

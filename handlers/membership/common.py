"""What several membership handlers need from an update: the alliance a command is about, whom a
coordinator's command names, and the bot's deep links.
"""

from __future__ import annotations

from typing import Any

from aiogram.filters import CommandObject
from aiogram.types import Message

from bot.runtime.context import Ctx
from bot.services import alliances


async def alliance_of(message: Message, ctx: Ctx, *, coordinating: bool) -> Any:
    return await alliances.alliance_in_context(
        ctx.session, ctx.place, ctx.person_id, private=message.chat.type == "private",
        coordinating=coordinating)


def target_and_rest(message: Message, command: CommandObject) -> tuple[int | None, str, str]:
    """(replied-to user id or None, member reference, the rest) of ``/cmd #12 the reason``."""
    args = (command.args or "").strip()
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and not replied.from_user.is_bot:
        return replied.from_user.id, "", args
    reference, _, rest = args.partition(" ")
    return None, reference, rest.strip()

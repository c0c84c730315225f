"""The bot's own @username, for the deep links that take a person from a group to a private chat.

``bot.me()`` is cached by aiogram after start-up, so asking costs no request; one helper keeps the
"no username" fallback the same everywhere.
"""

from __future__ import annotations

from aiogram import Bot


async def username(bot: Bot) -> str:
    return (await bot.me()).username or ""


async def deep_link(bot: Bot, payload: str) -> str:
    """``https://t.me/<bot>?start=<payload>``: the payload is what /start receives."""
    return f"https://t.me/{await username(bot)}?start={payload}"

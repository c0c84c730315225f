"""Turning a DomainError into the right kind of answer for the update at hand."""

from __future__ import annotations

import html

from aiogram.types import CallbackQuery, Message

from bot.services.errors import DomainError
from bot.views.errors import error_text


async def refuse(event: Message | CallbackQuery, error: DomainError) -> None:
    """A message gets a reply; a button press gets a short alert, never a new message."""
    text = error_text(error)
    if isinstance(event, CallbackQuery):
        await event.answer(plain(text), show_alert=True)
    else:
        await event.reply(text)


def plain(html_text: str) -> str:
    """Alerts are plain text (at most 200 characters): undo our escaping."""
    return html.unescape(html_text)[:200]

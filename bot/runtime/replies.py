"""Turning a DomainError into the right kind of answer for the update at hand.

The update middleware does it for every handler (a DomainError that leaves a handler is a
refusal, not a failure); handlers call ``refuse`` themselves only where they go on afterwards.
"""

from __future__ import annotations

import html
import logging

from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Message, Update

from bot.services.errors import DomainError
from bot.views.errors import error_text

log = logging.getLogger(__name__)


async def refuse_update(update: Update, error: DomainError) -> None:
    """``refuse`` for whatever the update carries (a message or a button press). The refusal is
    already recorded (nothing of the action stays): if Telegram will not take the answer — the
    person blocked the bot, the press is too old — there is nothing left to do but note it."""
    event = update.callback_query or update.message
    if event is None:
        return
    try:
        await refuse(event, error)
    except TelegramAPIError as failure:
        log.info("refusal of update %s not delivered: %s", update.update_id,
                 type(failure).__name__)


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

"""Private notices: one message per person, each in that person's own language, through the
outbox, at most once per person and key.

Every feature tells people things privately (an offer to accept, a share to pay, a loan that is
overdue); one helper makes each of them skip forgotten people, render in the reader's locale
and deduplicate the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import NamedTuple

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import use_locale
from bot.runtime.cards import keyboard_json
from bot.services import people
from bot.services.outgoing import Outgoing, enqueue
from storage.models import Person

Render = Callable[[], tuple[str, InlineKeyboardMarkup | None]]


class Attachment(NamedTuple):
    """A file sent with the notice (its caption is the text), rendered in the reader's language."""

    name: str
    render: Callable[[], bytes]


async def tell(session: AsyncSession, person_ids: Iterable[int], render: Render, *, now: datetime,
               alliance_id: int, key: str, attachment: Attachment | None = None,
               purpose: str | None = None) -> None:
    """Queue ``render()`` (with ``attachment``, if any) for each person, in their language.

    A notice waits out the alliance's quiet hours (``bot.services.outgoing``): news of someone
    else's move or a reminder can wait for the morning. What cannot goes through
    :func:`tell_now`.
    """
    for person_id, message in await _rendered(session, person_ids, render, attachment):
        await enqueue(session, message, now=now, alliance_id=alliance_id,
                      dedup_key=f"{key}:{person_id}", purpose=purpose, hold_in_quiet_hours=True)


async def tell_now(session: AsyncSession, person_ids: Iterable[int], render: Render, *,
                   now: datetime, alliance_id: int, key: str) -> None:
    """Like :func:`tell`, but never held for quiet hours: the answer to the person's own action
    (they are awake, they just pressed the button), queued behind nothing held for them."""
    for person_id, message in await _rendered(session, person_ids, render, None):
        await enqueue(session, message, now=now, alliance_id=alliance_id,
                      dedup_key=f"{key}:{person_id}", hold_in_quiet_hours=False)


async def _rendered(session: AsyncSession, person_ids: Iterable[int], render: Render,
                    attachment: Attachment | None) -> list[tuple[int, Outgoing]]:
    """Each person's message in their own language; forgotten people are skipped."""
    messages: list[tuple[int, Outgoing]] = []
    for person_id in dict.fromkeys(person_ids):
        person = await session.get(Person, person_id)
        if person is None or person.forgotten_at is not None:
            continue
        with use_locale(people.locale_of(person)):
            text, markup = render()
            data = attachment.render() if attachment is not None else None
        messages.append((person_id, Outgoing(
            chat_id=person_id, text=text, reply_markup=keyboard_json(markup), document=data,
            document_name=attachment.name if attachment else None)))
    return messages

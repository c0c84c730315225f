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
    """Queue ``render()`` (with ``attachment``, if any) for each person, in their language."""
    for person_id in dict.fromkeys(person_ids):
        person = await session.get(Person, person_id)
        if person is None or person.forgotten_at is not None:
            continue
        with use_locale(people.locale_of(person)):
            text, markup = render()
            data = attachment.render() if attachment is not None else None
        await enqueue(session, Outgoing(chat_id=person_id, text=text,
                                        reply_markup=keyboard_json(markup), document=data,
                                        document_name=attachment.name if attachment else None),
                      now=now, alliance_id=alliance_id, dedup_key=f"{key}:{person_id}",
                      purpose=purpose)

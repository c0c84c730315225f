"""Persons: who is speaking, in which language, and whether the bot may write to them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import LOCALES, resolve_locale
from bot.services.errors import DomainError
from storage.models import Person


@dataclass(frozen=True, slots=True)
class Speaker:
    """The plain facts a front end knows about a user; no messenger types cross into services."""

    id: int
    first_name: str | None
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


async def touch(session: AsyncSession, speaker: Speaker, now: datetime,
                *, private: bool = False) -> Person:
    """Create or refresh the person; a private message means the bot may now write to them."""
    person = await session.get(Person, speaker.id)
    if person is None:
        person = Person(id=speaker.id, created_at=now, updated_at=now, started=False)
        session.add(person)
    wanted: dict[str, object] = {"language_code": speaker.language_code}
    if person.forgotten_at is None:
        wanted |= {"first_name": speaker.first_name, "last_name": speaker.last_name,
                   "username": speaker.username}
    if private:
        wanted |= {"started": True, "blocked_at": None}
    # Most updates change nothing: writing only on change keeps them read-only here.
    changed = {name: value for name, value in wanted.items() if getattr(person, name) != value}
    if changed:
        for name, value in changed.items():
            setattr(person, name, value)
        person.updated_at = now
    return person


def locale_of(person: Person | None) -> str:
    """A stored /lang choice wins; otherwise Telegram's language_code decides."""
    if person is None:
        return resolve_locale(None)
    return person.locale or resolve_locale(person.language_code)


async def set_locale(session: AsyncSession, person_id: int, locale: str, now: datetime) -> Person:
    if locale not in LOCALES:
        raise DomainError("unknown_locale")
    person = await session.get(Person, person_id)
    if person is None:
        raise DomainError("unknown_person")
    person.locale = locale
    person.updated_at = now
    return person


async def mark_blocked(session: AsyncSession, person_id: int, now: datetime) -> None:
    person = await session.get(Person, person_id)
    if person is not None:
        person.blocked_at = now
        person.started = False


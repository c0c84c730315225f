"""What the other membership modules look up: the alliance, a person and their name, one's own
member, and who reads a notice (each in their language).

Kept apart so that joining, the directory, the roster and roles each depend on this small core
rather than on one another.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.errors import DomainError
from bot.services.members import LEFT, REMOVED, member_of
from bot.services.people import locale_of
from storage.models import Member, Person, Role


async def person(session: AsyncSession, person_id: int) -> Person | None:
    return await session.get(Person, person_id)


@dataclass(frozen=True, slots=True)
class Reader:
    person_id: int
    locale: str


async def coordinators(session: AsyncSession, alliance_id: int) -> list[Reader]:
    """Coordinators not known to have blocked the bot, each with their language.

    Someone who never wrote to the bot privately may still have pressed Start long ago: trying
    costs one refused request, not trying could leave an application without a reader."""
    rows = await session.execute(
        select(Person).join(Role, Role.person_id == Person.id)
        .where(Role.alliance_id == alliance_id, Role.role == "coordinator").order_by(Role.id))
    return [Reader(person.id, locale_of(person)) for (person,) in rows
            if person.blocked_at is None]


async def member_readers(session: AsyncSession, member_id: int) -> list[Reader]:
    """The people acting for a member, each with their language."""
    rows = await session.execute(select(Person).join(Role, Role.person_id == Person.id)
                                 .where(Role.member_id == member_id).order_by(Role.id))
    return [Reader(person.id, locale_of(person)) for (person,) in rows
            if person.blocked_at is None]


def display_name(person: Person | None) -> str | None:
    """A person's name as others see it; None for someone who asked to be forgotten (or is
    unknown), which views show as "a former member" in the reader's language
    (``bot.views.common.person_name``)."""
    if person is None or person.forgotten_at is not None:
        return None
    name = " ".join(part for part in (person.first_name, person.last_name) if part)
    return name or (f"@{person.username}" if person.username else str(person.id))


async def own_member_or_none(session: AsyncSession, alliance_id: int, person_id: int) -> Member | None:
    member = await member_of(session, alliance_id, person_id)
    return None if member is None or member.status in (LEFT, REMOVED) else member


async def own_member(session: AsyncSession, alliance_id: int, person_id: int) -> Member:
    member = await own_member_or_none(session, alliance_id, person_id)
    if member is None:
        raise DomainError("members_only")
    return member

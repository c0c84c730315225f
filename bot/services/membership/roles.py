"""Roles: who acts for the alliance and for a member. Coordinators are promoted and demoted
(never the last one); a member's owner lets colleagues act for the business (``team-`` links)
and removes them (PRODUCT.md §2: /promote, /demote, /team).

Both are rows of ``Role``: its ``role`` says coordinator or member, its ``member_id`` the business
a person acts for.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import alliances, audit
from bot.services.errors import DomainError
from bot.services.inputs import PERSON_ID_MAX, capped, row_id
from bot.services.members import ACTIVE, SUSPENDED, member_of, require_active_member
from bot.services.membership.fields import cleaned
from bot.services.membership.lookups import display_name, own_member
from storage.models import JoinCode, Member, Person, Role

USERNAME_LIMIT = 32  # Telegram's longest @username


# -- coordinators -----------------------------------------------------------------------------


async def person_by_reference(session: AsyncSession, alliance_id: int, reference: str) -> Person:
    """@username or a numeric id of someone with a role in the alliance."""
    text = cleaned(capped(reference, 4 * USERNAME_LIMIT, "unknown_person_in_alliance"))
    query = select(Person).join(Role, Role.person_id == Person.id).where(Role.alliance_id == alliance_id)
    if text.startswith("@") and len(text) > 1:
        if len(text) > USERNAME_LIMIT + 1:
            raise DomainError("unknown_person_in_alliance")
        query = query.where(func.lower(Person.username) == text[1:].lower())
    elif text.isascii() and text.isdigit():
        person_id = row_id(text, most=PERSON_ID_MAX)
        if person_id is None:
            raise DomainError("unknown_person_in_alliance")
        query = query.where(Person.id == person_id)
    else:
        raise DomainError("person_reference_needed")
    person = await session.scalar(query)
    if person is None:
        raise DomainError("unknown_person_in_alliance")
    return person


async def promote(session: AsyncSession, alliance_id: int, coordinator_id: int, person_id: int,
                  now: datetime) -> Person:
    await alliances.require_coordinator(session, alliance_id, coordinator_id)
    person = await session.get(Person, person_id)
    role = await alliances.role_of(session, alliance_id, person_id)
    if person is None or role is None:
        raise DomainError("unknown_person_in_alliance")
    if role.role == "coordinator":
        raise DomainError("already_coordinator", name=display_name(person))
    role.role = "coordinator"
    audit.record(session, alliance_id=alliance_id, actor_id=coordinator_id,
                 action="coordinator.promoted", subject=str(person_id), now=now)
    return person


async def demote(session: AsyncSession, alliance_id: int, coordinator_id: int, person_id: int,
                 now: datetime) -> Person:
    """Never the last coordinator: an alliance always has one."""
    await alliances.require_coordinator(session, alliance_id, coordinator_id)
    person = await session.get(Person, person_id)
    role = await alliances.role_of(session, alliance_id, person_id)
    if person is None or role is None or role.role != "coordinator":
        raise DomainError("not_a_coordinator")
    if await alliances.coordinator_count(session, alliance_id) <= 1:
        raise DomainError("last_coordinator")
    role.role = "member"
    audit.record(session, alliance_id=alliance_id, actor_id=coordinator_id,
                 action="coordinator.demoted", subject=str(person_id), now=now)
    return person


# -- team: colleagues acting for the same member ----------------------------------------------


async def require_owner(session: AsyncSession, alliance_id: int, person_id: int) -> Member:
    member = await own_member(session, alliance_id, person_id)
    if member.owner_person_id != person_id:
        raise DomainError("owner_only", member=member.name)
    return member


async def team(session: AsyncSession, alliance_id: int, person_id: int) -> tuple[Member, list[Person]]:
    member = await require_owner(session, alliance_id, person_id)
    rows = await session.scalars(select(Person).join(Role, Role.person_id == Person.id)
                                 .where(Role.member_id == member.id).order_by(Role.id))
    return member, list(rows)


async def team_code(session: AsyncSession, alliance_id: int, person_id: int, now: datetime) -> str:
    """A fresh ``team-<code>`` link for a colleague; each works once. Not while suspended."""
    member = await require_owner(session, alliance_id, person_id)
    await require_active_member(session, alliance_id, person_id)
    record = JoinCode(code=secrets.token_urlsafe(9), kind="team", alliance_id=alliance_id,
                      member_id=member.id, created_by=person_id, created_at=now)
    session.add(record)
    return record.code


async def join_team(session: AsyncSession, code: str, person_id: int, now: datetime) -> Member:
    record = await session.scalar(select(JoinCode).where(JoinCode.code == code[:32],
                                                         JoinCode.kind == "team",
                                                         JoinCode.revoked_at.is_(None)))
    if record is None or record.member_id is None:
        raise DomainError("bad_link")
    member = await session.get(Member, record.member_id)
    if member is None or member.status != ACTIVE:
        raise DomainError("bad_link")
    current = await member_of(session, record.alliance_id, person_id)
    if current is not None and current.id == member.id:
        raise DomainError("already_in_team", member=member.name)
    if current is not None and current.status in (ACTIVE, SUSPENDED):
        raise DomainError("acts_for_other_member", member=current.name)
    role = await alliances.role_of(session, record.alliance_id, person_id)
    if role is None:
        session.add(Role(alliance_id=record.alliance_id, person_id=person_id, role="member",
                         member_id=member.id, created_at=now))
    else:
        role.member_id = member.id
    record.revoked_at = now
    audit.record(session, alliance_id=record.alliance_id, actor_id=person_id,
                 action="team.joined", subject=str(member.id), now=now)
    return member


async def remove_colleague(session: AsyncSession, alliance_id: int, owner_id: int, person_id: int,
                           now: datetime) -> Person:
    member = await require_owner(session, alliance_id, owner_id)
    if person_id == owner_id:
        raise DomainError("owner_stays")
    role = await alliances.role_of(session, alliance_id, person_id)
    if role is None or role.member_id != member.id:
        raise DomainError("unknown_person_in_alliance")
    role.member_id = None
    if role.role != "coordinator":
        await session.delete(role)
    audit.record(session, alliance_id=alliance_id, actor_id=owner_id, action="team.removed",
                 subject=str(person_id), now=now)
    person = await session.get(Person, person_id)
    assert person is not None
    return person

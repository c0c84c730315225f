"""Who acts for which business, and whether that business may act now.

Every feature asks the same questions — is this person acting for an active member of this
alliance, which people act for a member — so they are answered here once. A person acts for at
most one member per alliance (``Role.member_id``); one member is one vote, however many people
act for it.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.errors import DomainError
from storage.models import Member, Role

ACTIVE, SUSPENDED, LEFT, REMOVED = "active", "suspended", "left", "removed"
STATUSES = (ACTIVE, SUSPENDED, LEFT, REMOVED)


async def member_of(session: AsyncSession, alliance_id: int, person_id: int) -> Member | None:
    """The business this person acts for in the alliance, whatever its status."""
    return await session.scalar(
        select(Member).join(Role, Role.member_id == Member.id)
        .where(Role.alliance_id == alliance_id, Role.person_id == person_id)
    )


async def require_active_member(session: AsyncSession, alliance_id: int, person_id: int) -> Member:
    """For anything only a member in good standing may do: vote, refer, pledge, answer polls."""
    member = await member_of(session, alliance_id, person_id)
    refusal = refusal_for(member)
    if refusal is not None:
        raise refusal
    assert member is not None
    return member


def refusal_for(member: Member | None) -> DomainError | None:
    """Why this member (or nobody) may not act as a member in good standing now, if so."""
    return refusal_for_status(member.status if member is not None else None)


def refusal_for_status(status: str | None) -> DomainError | None:
    """``refusal_for`` from the member's status alone (``None``: no member)."""
    if status is None or status in (LEFT, REMOVED):
        return DomainError("members_only")
    if status == SUSPENDED:
        return DomainError("member_suspended")
    return None


async def active_members(session: AsyncSession, alliance_id: int) -> list[Member]:
    rows = await session.scalars(
        select(Member).where(Member.alliance_id == alliance_id, Member.status == ACTIVE)
        .order_by(Member.name, Member.id)
    )
    return list(rows)


async def active_count(session: AsyncSession, alliance_id: int) -> int:
    """How many members are active: ``len(active_members(...))`` without loading them."""
    return await session.scalar(
        select(func.count()).select_from(Member)
        .where(Member.alliance_id == alliance_id, Member.status == ACTIVE)
    ) or 0


async def member_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    """Businesses' names by id, in one query, for cards and lists that name several."""
    if not ids:
        return {}
    rows = await session.execute(select(Member.id, Member.name).where(Member.id.in_(ids)))
    return {member_id: name for member_id, name in rows}


async def people_of(session: AsyncSession, member_id: int) -> list[int]:
    """Person ids acting for a member: who gets its private messages."""
    rows = await session.scalars(
        select(Role.person_id).where(Role.member_id == member_id).order_by(Role.id)
    )
    return list(rows)

"""The members' directory and each member's own card: search, the card others see, and the
profile its owner edits (PRODUCT.md §2: /members, /profile).

Read-mostly: who is listed and what a viewer may see. Changes of standing are the roster's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import alliances, ledger, settings
from bot.services.alliances import get_alliance
from bot.services.errors import DomainError
from bot.services.members import ACTIVE, LEFT, REMOVED, SUSPENDED, member_of
from bot.services.membership.fields import (
    cleaned,
    valid_category,
    valid_contact,
    valid_name,
    valid_region,
    valid_services,
)
from bot.services.membership.lookups import own_member
from storage.models import Alliance, Member

QUERY_LIMIT = 200  # directory search words: longer matches no member
PAGE_SIZE = 15
PROFILE_FIELDS = ("name", "category", "region", "services", "contact")


def _matches(member: Member, words: list[str]) -> bool:
    haystack = " ".join(filter(None, (member.name, member.category, member.region,
                                      member.services))).casefold()
    return all(word in haystack for word in words)


async def directory(session: AsyncSession, alliance_id: int, query: str | None) -> list[Member]:
    """Active and suspended members, by category then name; every word of ``query`` must match
    the name, category, region or services."""
    if len(query or "") > QUERY_LIMIT:
        return []  # longer than anything a member's card holds, but its services
    rows = await session.scalars(
        select(Member).where(Member.alliance_id == alliance_id,
                             Member.status.in_((ACTIVE, SUSPENDED))))
    words = cleaned(query).casefold().split()
    found = [m for m in rows if _matches(m, words)]
    found.sort(key=lambda m: ((m.category or "~").casefold(), m.name.casefold(), m.id))
    return found


async def may_browse(session: AsyncSession, alliance_id: int, person_id: int | None,
                     chat_alliance_id: int | None) -> Alliance:
    """The directory is for the alliance's own people, or anyone in one of its groups."""
    alliance = await get_alliance(session, alliance_id)
    if chat_alliance_id == alliance_id:
        return alliance
    if person_id is None or await alliances.role_of(session, alliance_id, person_id) is None:
        raise DomainError("members_only")
    return alliance


@dataclass(frozen=True, slots=True)
class MemberCard:
    """A directory card: the member, whether the viewer may see its contact, its sponsor's name
    and its referral figures (PRODUCT.md §3: stats and rating on the member's card)."""

    member: Member
    alliance: Alliance
    show_contact: bool
    sponsor: str | None
    stats: ledger.MemberStats


async def member_card(session: AsyncSession, member_id: int, viewer_id: int | None,
                      now: datetime) -> MemberCard:
    member = await session.get(Member, member_id)
    if member is None or member.status in (LEFT, REMOVED):
        raise DomainError("unknown_member")
    alliance = await get_alliance(session, member.alliance_id)
    role = await alliances.role_of(session, alliance.id, viewer_id) if viewer_id is not None else None
    if viewer_id is None or role is None:
        raise DomainError("members_only")
    show_contact = role.role == "coordinator"
    if not show_contact:  # contacts are for coordinators and members in good standing
        own = await member_of(session, alliance.id, viewer_id)
        show_contact = own is not None and own.status == ACTIVE
    sponsor = await session.get(Member, member.sponsor_member_id) if member.sponsor_member_id else None
    return MemberCard(member=member, alliance=alliance, show_contact=show_contact,
                      sponsor=sponsor.name if sponsor is not None else None,
                      stats=await ledger.referral_stats(session, member.id, now))


# -- profile ----------------------------------------------------------------------------------


async def update_profile(session: AsyncSession, alliance_id: int, person_id: int, field_name: str,
                         value: str, now: datetime) -> Member:
    if field_name not in PROFILE_FIELDS:
        raise DomainError("unknown_field")
    member = await own_member(session, alliance_id, person_id)
    alliance = await get_alliance(session, alliance_id)
    if field_name == "name":
        member.name = valid_name(value)
    elif field_name == "category":
        member.category = valid_category(value)
    elif field_name == "region":
        member.region = valid_region(value)
    elif field_name == "services":
        member.services = valid_services(value)
    else:
        member.contact_kind, member.contact = valid_contact(value, settings.read(alliance).country)
    member.updated_at = now
    return member

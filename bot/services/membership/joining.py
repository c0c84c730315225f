"""Joining an alliance (PRODUCT.md §2): the alliance's join link, the questionnaire's
application, the one-time decision on it, join requests to the home group and newcomers who
skipped onboarding, and the settings that shape them (approval mode, categories, country).

No messenger types here: the Telegram side of a decision (join request approved, invite link,
welcome card, private messages) is ``bot.effects.membership.carry_out``, which works from the
plain :class:`Decision` that :func:`decide_application` returns, so a membership vote closed by
a scheduled job reaches the same outcome as a coordinator's press.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import alliances, audit, settings
from bot.services.alliances import get_alliance, is_coordinator
from bot.services.errors import DomainError
from bot.services.inputs import capped
from bot.services.members import ACTIVE, SUSPENDED, member_of, require_active_member
from bot.services.membership.fields import (
    NAME_LIMIT,
    cleaned,
    valid_category,
    valid_contact,
    valid_name,
    valid_reason,
    valid_region,
    valid_services,
)
from bot.services.membership.lookups import display_name
from bot.services.people import locale_of
from bot.services.settings import APPROVAL_MODES, MODE_VOTE
from storage.models import Alliance, Application, JoinCode, Member, Person, Role

SUBMITTED, APPROVED, REJECTED = "submitted", "approved", "rejected"
VIA_REQUEST, VIA_LINK, VIA_COMMAND = "request", "link", "command"

CATEGORIES_TEXT_LIMIT = 1000  # a whole /categories list


# -- settings (declared in bot.services.settings) -----------------------------------------------


async def set_approval_mode(session: AsyncSession, alliance_id: int, person_id: int, mode: str,
                            now: datetime) -> Alliance:
    await alliances.require_coordinator(session, alliance_id, person_id)
    if mode not in APPROVAL_MODES:
        raise DomainError("unknown_approval_mode")
    alliance = await get_alliance(session, alliance_id)
    settings.change(alliance, "approval_mode", mode, now)
    audit.record(session, alliance_id=alliance_id, actor_id=person_id,
                 action="settings.approval_mode", subject=mode, now=now)
    return alliance


async def set_country(session: AsyncSession, alliance_id: int, person_id: int, code: str | None,
                      now: datetime) -> Alliance:
    """The default country for phone numbers (ISO 3166 alpha-2); None: follow the time zone."""
    await alliances.require_coordinator(session, alliance_id, person_id)
    alliance = await get_alliance(session, alliance_id)
    value = settings.change(alliance, "country", code, now)
    audit.record(session, alliance_id=alliance_id, actor_id=person_id, action="settings.country",
                 subject=value, now=now)
    return alliance


async def set_categories(session: AsyncSession, alliance_id: int, person_id: int, text: str,
                         now: datetime) -> Alliance:
    """Categories from a comma- or line-separated list; duplicates and blanks dropped (their
    length and count are the setting's rules, checked by ``settings.change``)."""
    await alliances.require_coordinator(session, alliance_id, person_id)
    text = capped(text, CATEGORIES_TEXT_LIMIT, "answer_too_long", length=len(text or ""),
                  limit=CATEGORIES_TEXT_LIMIT)
    items: list[str] = []
    for raw in re.split(r"[,\n，、;；]", text):
        item = cleaned(raw)
        if item and item.casefold() not in {known.casefold() for known in items}:
            items.append(item)
    alliance = await get_alliance(session, alliance_id)
    items = settings.change(alliance, "categories", items, now)
    audit.record(session, alliance_id=alliance_id, actor_id=person_id, action="settings.categories",
                 subject=", ".join(items)[:255], now=now)
    return alliance


# -- join codes -------------------------------------------------------------------------------


async def join_code(session: AsyncSession, alliance_id: int, now: datetime) -> str:
    """The alliance's current ``join-<code>``; made on first use."""
    code = await session.scalar(
        select(JoinCode.code).where(JoinCode.alliance_id == alliance_id, JoinCode.kind == "join",
                                    JoinCode.revoked_at.is_(None)).order_by(JoinCode.id.desc()))
    if code is not None:
        return code
    record = JoinCode(code=secrets.token_urlsafe(9), kind="join", alliance_id=alliance_id,
                      created_at=now)
    session.add(record)
    await session.flush()
    return record.code


async def sharable_join_code(session: AsyncSession, alliance_id: int, person_id: int,
                             now: datetime) -> str:
    """Coordinators and members in good standing share the alliance's link."""
    if not await is_coordinator(session, alliance_id, person_id):
        await require_active_member(session, alliance_id, person_id)
    return await join_code(session, alliance_id, now)


async def rotate_join_code(session: AsyncSession, alliance_id: int, person_id: int,
                           now: datetime) -> str:
    """Old links stop working at once; members share the new one."""
    await alliances.require_coordinator(session, alliance_id, person_id)
    await session.execute(
        update(JoinCode).where(JoinCode.alliance_id == alliance_id, JoinCode.kind == "join",
                               JoinCode.revoked_at.is_(None)).values(revoked_at=now))
    record = JoinCode(code=secrets.token_urlsafe(9), kind="join", alliance_id=alliance_id,
                      created_by=person_id, created_at=now)
    session.add(record)
    audit.record(session, alliance_id=alliance_id, actor_id=person_id, action="join_code.rotated",
                 now=now)
    return record.code


async def alliance_by_code(session: AsyncSession, code: str) -> Alliance:
    record = await session.scalar(
        select(JoinCode).where(JoinCode.code == code[:32], JoinCode.kind == "join",
                               JoinCode.revoked_at.is_(None)))
    if record is None:
        raise DomainError("bad_link")
    return await get_alliance(session, record.alliance_id)


# -- applying ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Standing:
    """Why someone may not start a questionnaire now (or None: they may)."""

    alliance: Alliance
    member: Member | None
    open_application: Application | None


async def standing(session: AsyncSession, alliance_id: int, person_id: int) -> Standing:
    alliance = await get_alliance(session, alliance_id)
    member = await member_of(session, alliance_id, person_id)
    if member is not None and member.status not in (ACTIVE, SUSPENDED):
        member = None  # left or removed: may apply again
    open_application = await session.scalar(
        select(Application).where(Application.alliance_id == alliance_id,
                                  Application.person_id == person_id,
                                  Application.status == SUBMITTED))
    return Standing(alliance=alliance, member=member, open_application=open_application)


async def may_apply(session: AsyncSession, alliance_id: int, person_id: int) -> Alliance:
    """The alliance, or a DomainError saying why this person should not apply again."""
    found = await standing(session, alliance_id, person_id)
    if found.member is not None and found.member.status == SUSPENDED:
        raise DomainError("member_suspended")
    if found.member is not None:
        raise DomainError("already_member", alliance=found.alliance.name, member=found.member.name)
    if found.open_application is not None:
        raise DomainError("application_open", alliance=found.alliance.name)
    return found.alliance


async def sponsor_candidates(session: AsyncSession, alliance_id: int, text: str) -> list[Member]:
    """Active members whose name contains the text (case-insensitive), best matches first."""
    wanted = cleaned(text).casefold() if len(text or "") <= 4 * NAME_LIMIT else ""
    if not wanted or len(wanted) > NAME_LIMIT:
        return []
    rows = await session.scalars(select(Member).where(Member.alliance_id == alliance_id,
                                                      Member.status == ACTIVE))
    found = [m for m in rows if wanted in m.name.casefold()]
    found.sort(key=lambda m: (m.name.casefold() != wanted, not m.name.casefold().startswith(wanted),
                              m.name.casefold(), m.id))
    return found[:8]


async def active_member(session: AsyncSession, alliance_id: int, member_id: int) -> Member:
    member = await session.get(Member, member_id)
    if member is None or member.alliance_id != alliance_id or member.status != ACTIVE:
        raise DomainError("unknown_member")
    return member


@dataclass(frozen=True, slots=True)
class Submitted:
    """``vote_wanted``: the alliance decides by vote, so the caller opens a membership vote
    (``bot.effects.membership.open_vote``) in the same transaction."""

    application: Application
    vote_wanted: bool


async def submit_application(session: AsyncSession, *, alliance_id: int, person_id: int,
                             answers: dict[str, Any], via: str, join_chat_id: int | None,
                             join_user_chat_id: int | None, now: datetime) -> Submitted:
    alliance = await may_apply(session, alliance_id, person_id)
    clean = _checked_answers(alliance, answers)
    if clean.get("sponsor_id") is not None:
        sponsor = await session.get(Member, clean["sponsor_id"])
        if sponsor is None or sponsor.alliance_id != alliance_id or sponsor.status != ACTIVE:
            clean["sponsor_id"], clean["sponsor_name"] = None, None
    mode = settings.read(alliance).approval_mode
    application = Application(alliance_id=alliance_id, person_id=person_id, status=SUBMITTED,
                              answers=clean, via=via, approval_mode=mode,
                              join_chat_id=join_chat_id, join_user_chat_id=join_user_chat_id,
                              cards={}, created_at=now)
    session.add(application)
    await session.flush()
    return Submitted(application=application, vote_wanted=mode == MODE_VOTE)


def _checked_answers(alliance: Alliance, answers: dict[str, Any]) -> dict[str, Any]:
    """Answers are re-validated at submission: the wizard's stored data is not trusted."""
    if not answers.get("charter"):
        raise DomainError("charter_not_accepted")
    kind, contact = valid_contact(answers.get("contact"), settings.read(alliance).country)
    return {
        "name": valid_name(answers.get("name")),
        "category": valid_category(answers.get("category")),
        "region": valid_region(answers.get("region")),
        "services": valid_services(answers.get("services")),
        "contact": contact,
        "contact_kind": kind,
        "sponsor_id": answers.get("sponsor_id") if isinstance(answers.get("sponsor_id"), int) else None,
        "sponsor_name": answers.get("sponsor_name"),
        "charter": True,
    }


async def attach_join_request(session: AsyncSession, application_id: int, chat_id: int,
                              user_chat_id: int) -> None:
    """A later join request by someone already waiting: the approval should answer it."""
    await session.execute(update(Application).where(Application.id == application_id)
                          .values(join_chat_id=chat_id, join_user_chat_id=user_chat_id))


async def remember_cards(session: AsyncSession, application_id: int,
                         cards: list[tuple[int, int, str]]) -> None:
    """Where each coordinator's card is (chat, message, language), to edit after the decision."""
    application = await session.get(Application, application_id)
    if application is not None:
        known = list((application.cards or {}).get("messages", []))
        application.cards = {"messages": known + [list(card) for card in cards]}


async def application_for(session: AsyncSession, application_id: int) -> tuple[Application, Alliance]:
    application = await session.get(Application, application_id)
    if application is None:
        raise DomainError("unknown_application")
    return application, await get_alliance(session, application.alliance_id)


async def check_decider(session: AsyncSession, application_id: int, person_id: int) -> Application:
    """A press on Approve/Reject: the presser must coordinate, the application be open."""
    application, _alliance = await application_for(session, application_id)
    await alliances.require_coordinator(session, application.alliance_id, person_id)
    if application.status != SUBMITTED:
        raise DomainError("application_decided", status=application.status)
    return application


async def pending_applications(session: AsyncSession, person_id: int) -> list[tuple[Application, Alliance]]:
    rows = await session.execute(
        select(Application, Alliance).join(Alliance, Alliance.id == Application.alliance_id)
        .join(Role, Role.alliance_id == Application.alliance_id)
        .where(Role.person_id == person_id, Role.role == "coordinator",
               Application.status == SUBMITTED).order_by(Application.id).limit(20))
    return [(application, alliance) for application, alliance in rows]


@dataclass(frozen=True, slots=True)
class Decision:
    """Everything the messenger side needs to carry a decision out, as plain values."""

    application_id: int
    alliance_id: int
    alliance_name: str
    alliance_locale: str
    charter: str
    approved: bool
    person_id: int
    person_name: str | None  # None: forgotten
    person_locale: str
    member_id: int | None
    answers: dict[str, Any]
    reason: str | None
    decided_by: int | None
    decided_by_name: str | None  # None: a vote decided, or the coordinator is forgotten
    join_chat_id: int | None
    join_user_chat_id: int | None
    home_chat_id: int | None
    home_thread_id: int | None
    cards: list[tuple[int, int, str]] = field(default_factory=list)


async def decide_application(session: AsyncSession, application_id: int, *, approve: bool,
                             actor_id: int | None, reason: str | None, now: datetime) -> Decision:
    """Approve or reject once. ``actor_id`` None means a vote decided it.

    Nothing is committed here: a coordinator's press commits with its update, a vote's outcome
    with the transaction that closed the vote (ballots, claims and all).

    The status changes in one conditional UPDATE: of two coordinators pressing at once, one
    changes the row and the other learns it was already decided — one decision, one member.
    """
    application, alliance = await application_for(session, application_id)
    if actor_id is not None:
        await alliances.require_coordinator(session, alliance.id, actor_id)
    clean_reason = valid_reason(reason) if not approve else None
    result = await session.execute(
        update(Application)
        .where(Application.id == application_id, Application.status == SUBMITTED)
        .values(status=APPROVED if approve else REJECTED, decided_by=actor_id,
                reason=clean_reason, decided_at=now))
    if not result.rowcount:
        await session.refresh(application)  # who decided it meanwhile, as committed
        raise DomainError("application_decided", status=application.status)
    await session.refresh(application)
    answers = dict(application.answers or {})
    member_id = None
    if approve:
        member_id = await _make_member(session, application, answers, now)
        application.member_id = member_id
    audit.record(session, alliance_id=alliance.id, actor_id=actor_id,
                 action="application.approved" if approve else "application.rejected",
                 subject=str(application.id),
                 details={"person_id": application.person_id, "member_id": member_id,
                          **({"reason": clean_reason} if clean_reason else {})}, now=now)
    person = await session.get(Person, application.person_id)
    decider = await session.get(Person, actor_id) if actor_id is not None else None
    home = await alliances.home_chat(session, alliance.id)
    return Decision(
        application_id=application.id, alliance_id=alliance.id, alliance_name=alliance.name,
        alliance_locale=alliance.locale, charter=alliance.charter or "", approved=approve,
        person_id=application.person_id, person_name=display_name(person),
        person_locale=locale_of(person), member_id=member_id, answers=answers,
        reason=clean_reason, decided_by=actor_id,
        decided_by_name=display_name(decider) if decider is not None else None,
        join_chat_id=application.join_chat_id, join_user_chat_id=application.join_user_chat_id,
        home_chat_id=home.tg_chat_id if home is not None and home.active else None,
        home_thread_id=home.thread_id if home is not None else None,
        cards=[(int(c[0]), int(c[1]), str(c[2])) for c in (application.cards or {}).get("messages", [])],
    )


async def _make_member(session: AsyncSession, application: Application, answers: dict[str, Any],
                       now: datetime) -> int:
    member = Member(alliance_id=application.alliance_id, name=answers["name"],
                    category=answers.get("category"), region=answers.get("region"),
                    services=answers.get("services"), contact=answers.get("contact"),
                    contact_kind=answers.get("contact_kind"), status=ACTIVE,
                    owner_person_id=application.person_id,
                    sponsor_member_id=answers.get("sponsor_id"), joined_at=now,
                    created_at=now, updated_at=now)
    session.add(member)
    await session.flush()
    role = await alliances.role_of(session, application.alliance_id, application.person_id)
    if role is None:
        session.add(Role(alliance_id=application.alliance_id, person_id=application.person_id,
                         role="member", member_id=member.id, created_at=now))
    else:
        role.member_id = member.id  # a coordinator registering their own business keeps the role
    await session.flush()
    return member.id


# -- join requests and newcomers --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JoinRequestOutcome:
    kind: str  # ignore | active | suspended | open | questionnaire
    alliance: Alliance | None = None
    member_name: str | None = None


async def join_request(session: AsyncSession, tg_chat_id: int, person_id: int) -> JoinRequestOutcome:
    place = await alliances.place_of(session, tg_chat_id)
    if place is None or place.alliance is None or place.chat.role != "home":
        return JoinRequestOutcome("ignore")
    found = await standing(session, place.alliance.id, person_id)
    if found.member is not None and found.member.status == ACTIVE:
        return JoinRequestOutcome("active", place.alliance, found.member.name)
    if found.member is not None:  # suspended: a coordinator decides, not the bot
        return JoinRequestOutcome("suspended", place.alliance, found.member.name)
    if found.open_application is not None:
        await attach_join_request(session, found.open_application.id, tg_chat_id, person_id)
        return JoinRequestOutcome("open", place.alliance)
    return JoinRequestOutcome("questionnaire", place.alliance)


async def newcomer_needs_nudge(session: AsyncSession, tg_chat_id: int,
                               person_id: int) -> Alliance | None:
    """Someone joined the home group: the alliance if they have not been onboarded."""
    place = await alliances.place_of(session, tg_chat_id)
    if place is None or place.alliance is None or place.chat.role != "home":
        return None
    if await alliances.is_coordinator(session, place.alliance.id, person_id):
        return None
    found = await standing(session, place.alliance.id, person_id)
    if found.member is not None or found.open_application is not None:
        return None
    return place.alliance

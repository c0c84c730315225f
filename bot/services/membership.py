"""Onboarding and membership (PRODUCT.md §2): applications, decisions, the directory, lifecycle.

No messenger types here: the Telegram side of a decision (join request approved, invite link,
welcome card, private messages) lives in ``handlers/membership.py`` and works from the plain
:class:`Decision` that :func:`decide_application` returns, so a scheduler job closing a
membership vote can call the same two functions.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import phonenumbers
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import alliances, audit, ledger, settings
from bot.services.errors import DomainError
from bot.services.inputs import PERSON_ID_MAX, capped, row_id
from bot.services.members import (
    ACTIVE,
    LEFT,
    REMOVED,
    SUSPENDED,
    member_of,
    people_of,
    require_active_member,
)
from bot.services.people import locale_of
from bot.services.settings import (
    APPROVAL_MODES,
    CATEGORY_LIMIT,
    MODE_VOTE,
)
from storage.models import Alliance, Application, JoinCode, Member, Person, Role

SUBMITTED, APPROVED, REJECTED = "submitted", "approved", "rejected"
VIA_REQUEST, VIA_LINK, VIA_COMMAND = "request", "link", "command"

NAME_LIMIT, REGION_LIMIT, SERVICES_LIMIT, CONTACT_LIMIT = 100, 100, 1000, 200
REASON_LIMIT = 500
CATEGORIES_TEXT_LIMIT = 1000  # a whole /categories list
QUERY_LIMIT = 200  # directory search words: longer matches no member
USERNAME_LIMIT = 32  # Telegram's longest @username
PAGE_SIZE = 15
PROFILE_FIELDS = ("name", "category", "region", "services", "contact")


# -- settings (declared in bot.services.settings) -----------------------------------------------


async def set_approval_mode(session: AsyncSession, alliance_id: int, person_id: int, mode: str,
                            now: datetime) -> Alliance:
    await alliances.require_coordinator(session, alliance_id, person_id)
    if mode not in APPROVAL_MODES:
        raise DomainError("unknown_approval_mode")
    alliance = await _alliance(session, alliance_id)
    settings.change(alliance, "approval_mode", mode, now)
    audit.record(session, alliance_id=alliance_id, actor_id=person_id,
                 action="settings.approval_mode", subject=mode, now=now)
    return alliance


async def set_country(session: AsyncSession, alliance_id: int, person_id: int, code: str | None,
                      now: datetime) -> Alliance:
    """The default country for phone numbers (ISO 3166 alpha-2); None: follow the time zone."""
    await alliances.require_coordinator(session, alliance_id, person_id)
    alliance = await _alliance(session, alliance_id)
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
        item = _clean(raw)
        if item and item.casefold() not in {known.casefold() for known in items}:
            items.append(item)
    alliance = await _alliance(session, alliance_id)
    items = settings.change(alliance, "categories", items, now)
    audit.record(session, alliance_id=alliance_id, actor_id=person_id, action="settings.categories",
                 subject=", ".join(items)[:255], now=now)
    return alliance


async def _alliance(session: AsyncSession, alliance_id: int) -> Alliance:
    alliance = await session.get(Alliance, alliance_id)
    if alliance is None:
        raise DomainError("unknown_alliance")
    return alliance


get_alliance = _alliance


async def person(session: AsyncSession, person_id: int) -> Person | None:
    return await session.get(Person, person_id)


async def is_coordinator(session: AsyncSession, alliance_id: int, person_id: int) -> bool:
    role = await alliances.role_of(session, alliance_id, person_id)
    return role is not None and role.role == "coordinator"


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
    return await _alliance(session, record.alliance_id)


# -- answers: cleaning and validation ---------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_HOST = re.compile(r"^([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
_PHONE_CHARS = re.compile(r"^[+()\d\s.\-/]+$")


def _clean(text: str | None) -> str:
    """Control and invisible characters out, runs of spaces collapsed, ends trimmed."""
    text = _CONTROL.sub("", text or "")
    return re.sub(r"[ \t]+", " ", text).strip()


def _too_long(text: str | None, limit: int) -> str:
    """Bounded before cleaning: invisible characters and spaces may go, but not four times the
    limit's worth of them."""
    return capped(text, 4 * limit, "answer_too_long", length=len(text or ""), limit=limit)


def _required(text: str | None, limit: int, *, multiline: bool = False) -> str:
    value = _clean(_too_long(text, limit))
    if not multiline:
        value = " ".join(value.split())
    if not value:
        raise DomainError("answer_empty")
    if len(value) > limit:
        raise DomainError("answer_too_long", length=len(value), limit=limit)
    return value


def valid_name(text: str | None) -> str:
    return _required(text, NAME_LIMIT)


def valid_region(text: str | None) -> str:
    return _required(text, REGION_LIMIT)


def valid_services(text: str | None) -> str:
    return _required(text, SERVICES_LIMIT, multiline=True)


def valid_category(text: str | None) -> str:
    return _required(text, CATEGORY_LIMIT)


def valid_reason(text: str | None) -> str:
    return _required(text, REASON_LIMIT, multiline=True)


def valid_contact(text: str | None, default_country: str | None) -> tuple[str, str]:
    """(kind, value): a phone number in E.164, an e-mail address, or a website URL."""
    value = _clean(_too_long(text, CONTACT_LIMIT))
    if not value:
        raise DomainError("answer_empty")
    if len(value) > CONTACT_LIMIT:
        raise DomainError("answer_too_long", length=len(value), limit=CONTACT_LIMIT)
    if "@" in value and "/" not in value:
        if _EMAIL.match(value) and len(value) <= 254:
            return "email", value
        raise DomainError("bad_email")
    if _PHONE_CHARS.match(value) and sum(ch.isdigit() for ch in value) >= 3:
        if not value.startswith("+") and default_country is None:
            raise DomainError("phone_needs_country")
        try:
            number = phonenumbers.parse(value, None if value.startswith("+") else default_country)
        except phonenumbers.NumberParseException as error:
            raise DomainError("bad_phone") from error
        if not phonenumbers.is_valid_number(number):
            raise DomainError("bad_phone")
        return "phone", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    url = value
    if not re.match(r"^https?://", url, re.IGNORECASE):
        url = "https://" + url
    rest = url.split("://", 1)[1]
    host = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if " " in url or not _HOST.match(host.split(":")[0]):
        raise DomainError("bad_contact")
    return "website", url


# -- applying ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Standing:
    """Why someone may not start a questionnaire now (or None: they may)."""

    alliance: Alliance
    member: Member | None
    open_application: Application | None


async def standing(session: AsyncSession, alliance_id: int, person_id: int) -> Standing:
    alliance = await _alliance(session, alliance_id)
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
    wanted = _clean(text).casefold() if len(text or "") <= 4 * NAME_LIMIT else ""
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
    return application, await _alliance(session, application.alliance_id)


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
    person_name: str
    person_locale: str
    member_id: int | None
    answers: dict[str, Any]
    reason: str | None
    decided_by: int | None
    decided_by_name: str | None
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


def display_name(person: Person | None) -> str:
    if person is None or person.forgotten_at is not None:
        return "—"
    name = " ".join(part for part in (person.first_name, person.last_name) if part)
    return name or (f"@{person.username}" if person.username else str(person.id))


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
    role = await alliances.role_of(session, place.alliance.id, person_id)
    if role is not None and role.role == "coordinator":
        return None
    found = await standing(session, place.alliance.id, person_id)
    if found.member is not None or found.open_application is not None:
        return None
    return place.alliance


# -- directory --------------------------------------------------------------------------------


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
    words = _clean(query).casefold().split()
    found = [m for m in rows if _matches(m, words)]
    found.sort(key=lambda m: ((m.category or "~").casefold(), m.name.casefold(), m.id))
    return found


async def may_browse(session: AsyncSession, alliance_id: int, person_id: int | None,
                     chat_alliance_id: int | None) -> Alliance:
    """The directory is for the alliance's own people, or anyone in one of its groups."""
    alliance = await _alliance(session, alliance_id)
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
    alliance = await _alliance(session, member.alliance_id)
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


async def own_member_or_none(session: AsyncSession, alliance_id: int, person_id: int) -> Member | None:
    member = await member_of(session, alliance_id, person_id)
    return None if member is None or member.status in (LEFT, REMOVED) else member


async def own_member(session: AsyncSession, alliance_id: int, person_id: int) -> Member:
    member = await own_member_or_none(session, alliance_id, person_id)
    if member is None:
        raise DomainError("members_only")
    return member


async def update_profile(session: AsyncSession, alliance_id: int, person_id: int, field_name: str,
                         value: str, now: datetime) -> Member:
    if field_name not in PROFILE_FIELDS:
        raise DomainError("unknown_field")
    member = await own_member(session, alliance_id, person_id)
    alliance = await _alliance(session, alliance_id)
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


# -- lifecycle --------------------------------------------------------------------------------


async def leave(session: AsyncSession, alliance_id: int, person_id: int, now: datetime) -> Member:
    """The member leaves; its rows (referrals, votes, history) stay."""
    member = await own_member(session, alliance_id, person_id)
    member.status, member.status_changed_at, member.updated_at = LEFT, now, now
    member.status_reason = None
    audit.record(session, alliance_id=alliance_id, actor_id=person_id, action="member.left",
                 subject=str(member.id), now=now)
    return member


async def find_member(session: AsyncSession, alliance_id: int, reference: str) -> Member:
    """A member named by ``#id``, id, or a (unique) part of its name."""
    text = _clean(capped(reference, 4 * NAME_LIMIT, "unknown_member")).lstrip("#")
    if text.isascii() and text.isdigit():
        member_id = row_id(text)
        member = await session.get(Member, member_id) if member_id is not None else None
        if member is not None and member.alliance_id == alliance_id:
            return member
        raise DomainError("unknown_member")
    wanted = text.casefold()
    if not wanted:
        raise DomainError("member_reference_needed")
    if len(wanted) > NAME_LIMIT:
        raise DomainError("unknown_member")
    rows = list(await session.scalars(select(Member).where(Member.alliance_id == alliance_id)))
    exact = [m for m in rows if m.name.casefold() == wanted]
    found = exact or [m for m in rows if wanted in m.name.casefold()]
    if not found:
        raise DomainError("unknown_member")
    if len(found) > 1:
        raise DomainError("ambiguous_member", names=", ".join(f"#{m.id} {m.name}" for m in found[:5]))
    return found[0]


async def _coordinated_member(session: AsyncSession, alliance_id: int, coordinator_id: int,
                              member_id: int) -> Member:
    await alliances.require_coordinator(session, alliance_id, coordinator_id)
    member = await session.get(Member, member_id)
    if member is None or member.alliance_id != alliance_id:
        raise DomainError("unknown_member")
    return member


async def suspend(session: AsyncSession, alliance_id: int, coordinator_id: int, member_id: int,
                  reason: str | None, now: datetime) -> Member:
    member = await _coordinated_member(session, alliance_id, coordinator_id, member_id)
    if not reason or not _clean(reason):
        raise DomainError("reason_needed")
    clean = valid_reason(reason)
    if member.status != ACTIVE:
        raise DomainError("member_not_active", name=member.name)
    member.status, member.status_reason = SUSPENDED, clean
    member.status_changed_at = member.updated_at = now
    audit.record(session, alliance_id=alliance_id, actor_id=coordinator_id,
                 action="member.suspended", subject=str(member.id), details={"reason": clean},
                 now=now)
    return member


async def reinstate(session: AsyncSession, alliance_id: int, coordinator_id: int, member_id: int,
                    now: datetime) -> Member:
    member = await _coordinated_member(session, alliance_id, coordinator_id, member_id)
    if member.status != SUSPENDED:
        raise DomainError("member_not_suspended", name=member.name)
    member.status, member.status_reason = ACTIVE, None
    member.status_changed_at = member.updated_at = now
    audit.record(session, alliance_id=alliance_id, actor_id=coordinator_id,
                 action="member.reinstated", subject=str(member.id), now=now)
    return member


@dataclass(frozen=True, slots=True)
class Removal:
    member: Member
    people: list[int]
    chats: list[int]  # Telegram chat ids to ban the people from (empty unless asked)


async def remove(session: AsyncSession, alliance_id: int, coordinator_id: int, member_id: int,
                 reason: str | None, ban: bool, now: datetime) -> Removal:
    member = await _coordinated_member(session, alliance_id, coordinator_id, member_id)
    if member.status == REMOVED:
        raise DomainError("member_not_active", name=member.name)
    member.status = REMOVED
    member.status_reason = valid_reason(reason) if reason and _clean(reason) else None
    member.status_changed_at = member.updated_at = now
    people = [p for p in await people_of(session, member.id) if p != coordinator_id]
    chats: list[int] = []
    if ban:
        home = await alliances.home_chat(session, alliance_id)
        chats = [c.tg_chat_id for c in [home, *await alliances.linked_chats(session, alliance_id)]
                 if c is not None and c.active]
    audit.record(session, alliance_id=alliance_id, actor_id=coordinator_id, action="member.removed",
                 subject=str(member.id), details={"ban": ban, "reason": member.status_reason},
                 now=now)
    return Removal(member=member, people=people, chats=chats)


async def person_by_reference(session: AsyncSession, alliance_id: int, reference: str) -> Person:
    """@username or a numeric id of someone with a role in the alliance."""
    text = _clean(capped(reference, 4 * USERNAME_LIMIT, "unknown_person_in_alliance"))
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

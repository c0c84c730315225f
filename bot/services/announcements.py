"""/announce (PRODUCT.md §7): a coordinator's message to the home group, every linked chat and,
if asked, every active member privately — and the delivery report once it is all done.

An announcement is stored as a draft first (the preview's buttons name it), so a restart between
the preview and *Send* loses nothing and a press names an id the service checks again: only the
author acts on it, and only while they still coordinate the alliance. *Send* moves it from draft
to sending in one conditional update, so a double press (or two replicas) sends it once.

Delivery is the outbox's (purpose ``announce:<id>``, one dedup key per announcement and chat).
When no item of it is pending or being sent any more, ``finish_if_done`` moves it to done — again
one conditional update, so whichever outcome (or the start-up check) sees it first reports it and
no other does — and returns what the report says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import alliances, audit
from bot.services.errors import DomainError
from bot.services.outgoing import PENDING, SENDING, SENT
from storage.models import Alliance, Announcement, Chat, Member, OutboxItem, Person, Role

DRAFT, CANCELLED, SENDING_STATE, DONE = "draft", "cancelled", "sending", "done"
MAX_LENGTH = 3500  # room under Telegram's 4096 for the header, in any language
PURPOSE = "announce"

# Why an item failed, from Telegram's description, in the report's plain words.
BLOCKED, NOT_STARTED, CHAT_GONE, OTHER = "blocked", "not_started", "chat_gone", "other"
_REASONS: tuple[tuple[str, str], ...] = (
    ("blocked by the user", BLOCKED),
    ("user is deactivated", BLOCKED),
    ("can't initiate conversation", NOT_STARTED),
    ("chat not found", CHAT_GONE),
    ("kicked", CHAT_GONE),
    ("not a member", CHAT_GONE),
    ("chat was deleted", CHAT_GONE),
    ("upgraded to a supergroup", CHAT_GONE),
    ("not enough rights", CHAT_GONE),
    ("have no rights", CHAT_GONE),
)


def purpose(announcement_id: int) -> str:
    return f"{PURPOSE}:{announcement_id}"


@dataclass(frozen=True, slots=True)
class Audience:
    """Where an announcement goes: the chats (home first) and, if asked, the people."""

    chats: list[Chat]
    people: list[int]


@dataclass(frozen=True, slots=True)
class Failure:
    name: str | None  # None: a former member (forgotten) or a chat without a title
    group: bool
    reason: str
    business: str | None = None  # the member a person acts for


@dataclass(frozen=True, slots=True)
class Report:
    announcement: Announcement
    alliance: Alliance
    chats: int
    members: int
    failures: list[Failure] = field(default_factory=list)


def clean_text(text: str | None) -> str:
    """The announcement's text (already HTML), refused when empty or too long."""
    text = (text or "").strip()
    if not text:
        raise DomainError("announce_empty")
    if len(text) > MAX_LENGTH:
        raise DomainError("announce_too_long", length=len(text), limit=MAX_LENGTH)
    return text


async def draft(session: AsyncSession, person_id: int | None, text: str | None, now: datetime,
                *, group_alliance_id: int | None, private: bool) -> tuple[Announcement,
                                                                         list[Alliance]]:
    """A draft, and the alliances to choose from when the author coordinates several (in
    private); in a group it is the group's alliance. Refused for anyone but a coordinator."""
    if person_id is None:
        raise DomainError("coordinators_only")
    if private:
        mine = await alliances.coordinated_alliances(session, person_id)
        if not mine:
            raise DomainError("coordinators_only")
        chosen = mine[0].id if len(mine) == 1 else None
    else:
        if group_alliance_id is None:
            raise DomainError("not_home_chat")
        await alliances.require_coordinator(session, group_alliance_id, person_id)
        chosen, mine = group_alliance_id, []
    announcement = Announcement(alliance_id=chosen, author_id=person_id, text=clean_text(text),
                                privately=False, state=DRAFT, created_at=now)
    session.add(announcement)
    await session.flush()
    return announcement, mine if chosen is None else []


async def _own_draft(session: AsyncSession, announcement_id: int,
                     person_id: int | None) -> Announcement:
    announcement = await session.get(Announcement, announcement_id)
    if announcement is None:
        raise DomainError("announce_gone")
    if announcement.author_id != person_id:
        raise DomainError("announce_not_yours")
    if announcement.state == SENDING_STATE or announcement.state == DONE:
        raise DomainError("announce_already_sent")
    if announcement.state != DRAFT:
        raise DomainError("announce_gone")
    return announcement


async def _checked(session: AsyncSession, announcement_id: int,
                   person_id: int | None) -> tuple[Announcement, Alliance]:
    """The author's draft and its alliance, while they still coordinate it."""
    announcement = await _own_draft(session, announcement_id, person_id)
    if announcement.alliance_id is None:
        raise DomainError("announce_gone")
    alliance = await session.get(Alliance, announcement.alliance_id)
    if alliance is None:
        raise DomainError("unknown_alliance")
    await alliances.require_coordinator(session, alliance.id, announcement.author_id)
    return announcement, alliance


async def choose(session: AsyncSession, announcement_id: int, person_id: int | None,
                 alliance_id: int) -> tuple[Announcement, Alliance]:
    """The author of a draft written in private picks the alliance it is for."""
    announcement = await _own_draft(session, announcement_id, person_id)
    await alliances.require_coordinator(session, alliance_id, announcement.author_id)
    announcement.alliance_id = alliance_id
    return await _checked(session, announcement_id, person_id)


async def opened(session: AsyncSession, announcement_id: int,
                 person_id: int | None) -> tuple[Announcement, Alliance]:
    return await _checked(session, announcement_id, person_id)


async def toggle_private(session: AsyncSession, announcement_id: int,
                         person_id: int | None) -> tuple[Announcement, Alliance]:
    announcement, alliance = await _checked(session, announcement_id, person_id)
    announcement.privately = not announcement.privately
    return announcement, alliance


async def cancel(session: AsyncSession, announcement_id: int, person_id: int | None) -> None:
    announcement = await _own_draft(session, announcement_id, person_id)
    announcement.state = CANCELLED


async def audience(session: AsyncSession, alliance_id: int, *, privately: bool) -> Audience:
    """The home group and every active linked chat; the people of every active member."""
    home = await alliances.home_chat(session, alliance_id)
    chats = [chat for chat in [home] if chat is not None and chat.active]
    chats += await alliances.linked_chats(session, alliance_id)
    return Audience(chats, await recipients(session, alliance_id) if privately else [])


async def recipients(session: AsyncSession, alliance_id: int) -> list[int]:
    """Everyone acting for an active member (forgotten people have nothing left to reach)."""
    rows = await session.scalars(
        select(Role.person_id).join(Member, Member.id == Role.member_id)
        .join(Person, Person.id == Role.person_id)
        .where(Role.alliance_id == alliance_id, Member.status == "active",
               Person.forgotten_at.is_(None))
        .order_by(Role.id))
    return list(dict.fromkeys(rows))


async def send(session: AsyncSession, announcement_id: int, person_id: int | None,
               now: datetime) -> tuple[Announcement, Alliance, Audience]:
    """Draft → sending, once: a second press (or a replica) finds it sent and is refused."""
    announcement, alliance = await _checked(session, announcement_id, person_id)
    moved = await session.execute(
        update(Announcement).where(Announcement.id == announcement_id,
                                   Announcement.state == DRAFT)
        .values(state=SENDING_STATE, sent_at=now)
        .execution_options(synchronize_session=False))
    if not moved.rowcount:
        raise DomainError("announce_already_sent")
    await session.refresh(announcement)
    where = await audience(session, alliance.id, privately=announcement.privately)
    audit.record(session, alliance_id=alliance.id, actor_id=announcement.author_id,
                           action="announcement.sent", now=now, subject=f"announcement:{announcement.id}",
                           details={"chats": len(where.chats), "members": len(where.people)})
    return announcement, alliance, where


async def unfinished(session: AsyncSession) -> list[Announcement]:
    """Announcements being delivered (the start-up check looks whether they are done)."""
    return list(await session.scalars(
        select(Announcement).where(Announcement.state == SENDING_STATE)))


def reason_of(error: str | None) -> str:
    text = (error or "").lower()
    return next((code for needle, code in _REASONS if needle in text), OTHER)


async def finish_if_done(session: AsyncSession, announcement_id: int,
                         now: datetime) -> Report | None:
    """The report, the first time every item of the announcement is sent or failed."""
    waiting = await session.scalar(
        select(func.count()).select_from(OutboxItem)
        .where(OutboxItem.purpose == purpose(announcement_id),
               OutboxItem.status.in_((PENDING, SENDING))))
    if waiting:
        return None
    moved = await session.execute(
        update(Announcement).where(Announcement.id == announcement_id,
                                   Announcement.state == SENDING_STATE)
        .values(state=DONE, finished_at=now).execution_options(synchronize_session=False))
    if not moved.rowcount:
        return None
    announcement = await session.get(Announcement, announcement_id)
    assert announcement is not None and announcement.alliance_id is not None
    await session.refresh(announcement)
    alliance = await session.get(Alliance, announcement.alliance_id)
    assert alliance is not None
    items = (await session.execute(
        select(OutboxItem.chat_id, OutboxItem.status, OutboxItem.last_error)
        .where(OutboxItem.purpose == purpose(announcement_id)).order_by(OutboxItem.id))).all()
    sent = [chat_id for chat_id, status, _ in items if status == SENT]
    failures = []
    for chat_id, status, error in items:
        if status != SENT:
            name, business = await _name(session, alliance.id, chat_id)
            failures.append(Failure(name, chat_id < 0, reason_of(error), business))
    return Report(announcement, alliance, chats=sum(1 for c in sent if c < 0),
                  members=sum(1 for c in sent if c > 0), failures=failures)


async def _name(session: AsyncSession, alliance_id: int,
                chat_id: int) -> tuple[str | None, str | None]:
    """A group's title; a person's name and their business's (never an id)."""
    if chat_id < 0:
        return await session.scalar(select(Chat.title).where(Chat.tg_chat_id == chat_id)), None
    person = await session.get(Person, chat_id)
    if person is None or person.forgotten_at is not None:
        return None, None
    business = await session.scalar(
        select(Member.name).join(Role, Role.member_id == Member.id)
        .where(Role.alliance_id == alliance_id, Role.person_id == chat_id))
    who = " ".join(part for part in (person.first_name, person.last_name) if part) or None
    return (who, business) if who else (business, None)

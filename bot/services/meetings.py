"""Meetings (PRODUCT.md §6): availability polls, the winning slot, recurring series.

One answer per *member* and slot — one member, one voice, as for votes — set by any of the
member's people (the last one to press wins). Reminders go to every person of the members that
answered Yes or If need be for the winning slot.

The winner: most Yes, then most If need be, then the earliest slot. A poll where nobody said Yes
or If need be to any slot (no answers at all, or only No) schedules nothing; the coordinators
are told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import zone
from bot.services import alliances, audit, members
from bot.services.errors import DomainError
from bot.services.inputs import capped
from bot.services.recurrence import KINDS, Plan, build_rule, check_poll_fits
from bot.services.slots import parse_length
from storage.models import Alliance, Availability, Meeting, MeetingSeries, MeetingSlot, Member, Role

YES, MAYBE, NO = "yes", "maybe", "no"
ANSWERS = (YES, MAYBE, NO)
OPEN, SCHEDULED, NOTHING, CANCELLED = "open", "scheduled", "nothing", "cancelled"
ACTIVE, PAUSED, DELETED = "active", "paused", "deleted"

MIN_SLOTS, MAX_SLOTS = 2, 10
TITLE_LIMIT, PLACE_LIMIT = 200, 500
DURATION_TEXT_LIMIT = 32  # "1 h 30 min" and the like
MIN_DURATION, MAX_DURATION = 5, 24 * 60
DEFAULT_DURATION = 60
REMINDERS = {"24h": timedelta(hours=24), "1h": timedelta(hours=1)}


# -- the winner rule (pure) ----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class SlotTally:
    slot_id: int
    starts_at: datetime
    yes: int = 0
    maybe: int = 0
    no: int = 0


def best_slot(tallies: list[SlotTally]) -> SlotTally | None:
    """Most Yes, then most If need be, then earliest; None when nobody can come to any slot."""
    if not any(t.yes or t.maybe for t in tallies):
        return None
    return min(tallies, key=lambda t: (-t.yes, -t.maybe, t.starts_at, t.slot_id))


# -- checks ----------------------------------------------------------------------------------------

def clean_title(text: str) -> str:
    title = " ".join(capped(text, 4 * TITLE_LIMIT, "meeting_title_too_long",
                            limit=TITLE_LIMIT).split())
    if not title or title.startswith("/"):
        raise DomainError("meeting_title_empty")
    if len(title) > TITLE_LIMIT:
        raise DomainError("meeting_title_too_long", limit=TITLE_LIMIT)
    return title


def clean_place(text: str | None) -> str | None:
    place = " ".join(capped(text, 4 * PLACE_LIMIT, "meeting_place_too_long",
                            limit=PLACE_LIMIT).split())
    if len(place) > PLACE_LIMIT:
        raise DomainError("meeting_place_too_long", limit=PLACE_LIMIT)
    return place or None


def parse_duration(text: str) -> int:
    """``90``, ``90 min``, ``1.5h``, ``1h30``, ``1 h 30 min``, ``90分钟`` / ``1小時30分`` → minutes
    (``slots.parse_length``, which the proposal deadline reads with too)."""
    minutes = parse_length(capped(text, DURATION_TEXT_LIMIT, "meeting_bad_duration"))
    if minutes is None or not MIN_DURATION <= minutes <= MAX_DURATION:
        raise DomainError("meeting_bad_duration")
    return minutes


def check_slots(slots: list[datetime], now: datetime) -> list[datetime]:
    chosen = sorted(set(slots))
    if len(chosen) < MIN_SLOTS:
        raise DomainError("meeting_too_few_slots", minimum=MIN_SLOTS)
    if len(chosen) > MAX_SLOTS:
        raise DomainError("meeting_too_many_slots", maximum=MAX_SLOTS)
    if chosen[0] <= now:
        raise DomainError("slot_in_past", text="")
    return chosen


def check_deadline(deadline: datetime, slots: list[datetime], now: datetime) -> datetime:
    if deadline <= now:
        raise DomainError("deadline_in_past")
    if slots and deadline > min(slots):
        raise DomainError("deadline_after_slot")
    return deadline


async def may_call_meeting(session: AsyncSession, alliance_id: int, person_id: int) -> Alliance:
    """Active members and coordinators may call a meeting; coordinators also without a member."""
    if not await alliances.is_coordinator(session, alliance_id, person_id):
        await members.require_active_member(session, alliance_id, person_id)
    return await alliances.get_alliance(session, alliance_id)


# -- one-off polls ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class NewPoll:
    """What a poll is made of, whether a person called it or a series opened it."""

    alliance_id: int
    title: str
    slots: list[datetime]
    deadline: datetime
    duration_min: int = DEFAULT_DURATION
    place: str | None = None
    series_id: int | None = None
    occurrence_at: datetime | None = None


async def create_meeting(session: AsyncSession, poll: NewPoll, *, person_id: int | None,
                         now: datetime) -> Meeting:
    """An open poll with its slots. Permission is checked by the caller (a person) or implied (a
    series)."""
    chosen = check_slots(poll.slots, now)
    check_deadline(poll.deadline, chosen, now)
    home = await alliances.home_chat(session, poll.alliance_id)
    if home is None:
        raise DomainError("not_home_chat")
    meeting = Meeting(
        alliance_id=poll.alliance_id, series_id=poll.series_id, occurrence_at=poll.occurrence_at,
        title=clean_title(poll.title), place=clean_place(poll.place),
        duration_min=poll.duration_min, deadline=poll.deadline, status=OPEN,
        chat_id=home.tg_chat_id, thread_id=home.thread_id, created_by=person_id, created_at=now)
    session.add(meeting)
    await session.flush()
    session.add_all(MeetingSlot(meeting_id=meeting.id, starts_at=at) for at in chosen)
    await session.flush()
    audit.record(session, alliance_id=poll.alliance_id, actor_id=person_id, action="meeting.create",
                 subject=f"meeting:{meeting.id}", now=now,
                 details={"slots": len(chosen), "series": poll.series_id})
    return meeting


async def alliance_for_series(session: AsyncSession, alliance_id: int, person_id: int) -> Alliance:
    await alliances.require_coordinator(session, alliance_id, person_id)
    return await alliances.get_alliance(session, alliance_id)


async def cancel_unposted(session: AsyncSession, meeting_id: int) -> None:
    """The card could not be posted: a poll nobody can see is no poll."""
    meeting = await session.get(Meeting, meeting_id)
    if meeting is not None and meeting.status == OPEN:
        meeting.status = CANCELLED


async def set_card(session: AsyncSession, meeting_id: int, chat_id: int, message_id: int) -> None:
    meeting = await session.get(Meeting, meeting_id)
    if meeting is not None:
        meeting.chat_id, meeting.message_id = chat_id, message_id


async def slots_of(session: AsyncSession, meeting_id: int) -> list[MeetingSlot]:
    rows = await session.scalars(select(MeetingSlot).where(MeetingSlot.meeting_id == meeting_id)
                                 .order_by(MeetingSlot.starts_at, MeetingSlot.id))
    return list(rows)


@dataclass(frozen=True, slots=True)
class Answered:
    meeting: Meeting
    slot: MeetingSlot
    timezone: str


async def answer(session: AsyncSession, *, slot_id: int, person_id: int, choice: str,
                 now: datetime) -> Answered:
    """Set the person's member's answer for one slot (again: replaces it)."""
    if choice not in ANSWERS:
        raise DomainError("meeting_closed")
    slot = await session.get(MeetingSlot, slot_id)
    meeting = await session.get(Meeting, slot.meeting_id) if slot is not None else None
    if slot is None or meeting is None:
        raise DomainError("meeting_closed")
    if meeting.status != OPEN or now >= meeting.deadline:
        raise DomainError("meeting_closed")
    member = await members.require_active_member(session, meeting.alliance_id, person_id)
    current = await session.scalar(select(Availability).where(
        Availability.slot_id == slot.id, Availability.member_id == member.id))
    if current is None:
        session.add(Availability(meeting_id=meeting.id, slot_id=slot.id, member_id=member.id,
                                 person_id=person_id, answer=choice, updated_at=now))
    else:
        current.answer, current.person_id, current.updated_at = choice, person_id, now
    await session.flush()
    alliance = await session.get(Alliance, meeting.alliance_id)
    return Answered(meeting=meeting, slot=slot, timezone=alliance.timezone if alliance else "UTC")


async def tallies(session: AsyncSession, meeting_id: int) -> list[SlotTally]:
    counts: dict[tuple[int, str], int] = {
        (slot_id, choice): count for slot_id, choice, count in await session.execute(
            select(Availability.slot_id, Availability.answer, func.count())
            .where(Availability.meeting_id == meeting_id)
            .group_by(Availability.slot_id, Availability.answer))}
    return [SlotTally(slot_id=slot.id, starts_at=slot.starts_at, yes=counts.get((slot.id, YES), 0),
                      maybe=counts.get((slot.id, MAYBE), 0), no=counts.get((slot.id, NO), 0))
            for slot in await slots_of(session, meeting_id)]


async def answered_members(session: AsyncSession, meeting_id: int) -> int:
    return await session.scalar(select(func.count(func.distinct(Availability.member_id)))
                                .where(Availability.meeting_id == meeting_id)) or 0


@dataclass(frozen=True, slots=True)
class CardState:
    meeting: Meeting
    tallies: list[SlotTally]
    answered: int
    eligible: int
    alliance: Alliance


async def card_state(session: AsyncSession, meeting_id: int) -> CardState | None:
    meeting = await session.get(Meeting, meeting_id)
    alliance = await session.get(Alliance, meeting.alliance_id) if meeting is not None else None
    if meeting is None or alliance is None:
        return None
    return CardState(meeting=meeting, tallies=await tallies(session, meeting_id),
                     answered=await answered_members(session, meeting_id),
                     eligible=await members.active_count(session, meeting.alliance_id),
                     alliance=alliance)


@dataclass(frozen=True, slots=True)
class Outcome:
    meeting: Meeting
    winner: SlotTally | None
    answered: int


async def close(session: AsyncSession, meeting_id: int, now: datetime) -> Outcome | None:
    """Decide an open poll (idempotent: None when it is not open any more)."""
    meeting = await session.get(Meeting, meeting_id)
    if meeting is None or meeting.status != OPEN:
        return None
    counted = await tallies(session, meeting_id)
    winner = best_slot(counted)
    meeting.closed_at = now
    if winner is None:
        meeting.status = NOTHING
    else:
        meeting.status = SCHEDULED
        meeting.winner_slot_id = winner.slot_id
        meeting.starts_at = winner.starts_at
    await session.flush()
    return Outcome(meeting=meeting, winner=winner, answered=await answered_members(session, meeting_id))


async def attendees(session: AsyncSession, meeting: Meeting) -> list[int]:
    """Persons of the active members that said Yes or If need be to the winning slot."""
    if meeting.winner_slot_id is None:
        return []
    # No duplicates to drop: a person has one role per alliance (roles: unique alliance_id,
    # person_id) and a member one answer per slot (unique slot_id, member_id).
    rows = await session.scalars(
        select(Role.person_id).join(Availability, Availability.member_id == Role.member_id)
        .join(Member, Member.id == Role.member_id)
        .where(Availability.slot_id == meeting.winner_slot_id,
               Availability.answer.in_((YES, MAYBE)), Role.alliance_id == meeting.alliance_id,
               Member.alliance_id == meeting.alliance_id, Member.status == members.ACTIVE)
        .order_by(Role.id))
    return list(rows)


async def coordinators(session: AsyncSession, alliance_id: int) -> list[int]:
    rows = await session.scalars(select(Role.person_id).where(
        Role.alliance_id == alliance_id, Role.role == "coordinator").order_by(Role.id))
    return list(rows)


async def open_polls(session: AsyncSession, alliance_id: int | None = None,
                     until: datetime | None = None) -> list[Meeting]:
    """Open polls, soonest deadline first (with ``until``: those closing before it)."""
    query = select(Meeting).where(Meeting.status == OPEN).order_by(Meeting.deadline, Meeting.id)
    if alliance_id is not None:
        query = query.where(Meeting.alliance_id == alliance_id)
    if until is not None:
        query = query.where(Meeting.deadline < until)
    return list(await session.scalars(query))


async def upcoming(session: AsyncSession, alliance_id: int | None, now: datetime,
                   starts_before: datetime | None = None) -> list[Meeting]:
    """Decided meetings that have not ended yet, soonest first (all alliances when None;
    with ``starts_before``, only those starting before it)."""
    query = (select(Meeting).where(Meeting.status == SCHEDULED, Meeting.starts_at > now - timedelta(days=1))
             .order_by(Meeting.starts_at, Meeting.id))
    if alliance_id is not None:
        query = query.where(Meeting.alliance_id == alliance_id)
    if starts_before is not None:
        query = query.where(Meeting.starts_at < starts_before)
    rows = list(await session.scalars(query))
    return [m for m in rows if m.starts_at + timedelta(minutes=m.duration_min) > now]


# -- recurring series ----------------------------------------------------------------------------

OFFSET_PRESETS: dict[str, tuple[int, ...]] = {
    "days": (-1440, 0, 1440),  # the day before, the day, the day after
    "hours": (-60, 0, 60),  # an hour earlier, on time, an hour later
    "week": (0, 1440, 2880),  # the day and the next two days
}


def plan_of(series: MeetingSeries) -> Plan:
    hour, minute = (int(part) for part in series.local_time.split(":"))
    return Plan(rule=series.rule, anchor=series.anchor, at=time(hour, minute),
                zone=zone(series.timezone), offsets=tuple(series.offsets),
                open_days=series.open_days, poll_hours=series.poll_hours)


@dataclass(frozen=True, slots=True)
class NewSeries:
    """A recurring meeting as the series wizard gathers it."""

    alliance_id: int
    title: str
    kind: str
    at: time
    offsets: tuple[int, ...]
    open_days: int
    poll_hours: int
    weekday: int | None = None
    nth: int | None = None
    day: int | None = None
    place: str | None = None
    duration_min: int = DEFAULT_DURATION


async def create_series(session: AsyncSession, new: NewSeries, *, person_id: int,
                        now: datetime) -> MeetingSeries:
    alliance = await alliance_for_series(session, new.alliance_id, person_id)
    if new.kind not in KINDS:
        raise DomainError("series_bad_rule")
    rule = build_rule(new.kind, weekday=new.weekday, nth=new.nth, day=new.day, at=new.at)
    offsets, open_days, poll_hours = new.offsets, new.open_days, new.poll_hours
    if len(set(offsets)) < MIN_SLOTS or not 1 <= open_days <= 60 or not 1 <= poll_hours <= 24 * 30:
        raise DomainError("series_bad_rule")
    check_poll_fits(open_days, poll_hours, offsets)
    series = MeetingSeries(
        alliance_id=alliance.id, title=clean_title(new.title), place=clean_place(new.place),
        rule=rule, anchor=now.astimezone(zone(alliance.timezone)).date(),
        local_time=new.at.strftime("%H:%M"), timezone=alliance.timezone,
        offsets=sorted(set(offsets)), duration_min=new.duration_min, open_days=open_days,
        poll_hours=poll_hours, status=ACTIVE, created_by=person_id, created_at=now, updated_at=now)
    session.add(series)
    await session.flush()
    audit.record(session, alliance_id=alliance.id, actor_id=person_id, action="meeting_series.create",
                 subject=f"meeting_series:{series.id}", now=now, details={"rule": rule})
    return series


async def set_series_status(session: AsyncSession, series_id: int, person_id: int, status: str,
                            now: datetime) -> MeetingSeries:
    series = await session.get(MeetingSeries, series_id)
    if series is None or series.status == DELETED:
        raise DomainError("series_gone")
    await alliances.require_coordinator(session, series.alliance_id, person_id)
    if status not in (ACTIVE, PAUSED, DELETED):
        raise DomainError("series_gone")
    if series.status != status:
        series.status = status
        series.updated_at = now
        audit.record(session, alliance_id=series.alliance_id, actor_id=person_id,
                     action=f"meeting_series.{status}", subject=f"meeting_series:{series.id}", now=now)
    await session.flush()
    return series


async def series_of(session: AsyncSession, alliance_id: int | None = None,
                    statuses: tuple[str, ...] = (ACTIVE, PAUSED)) -> list[MeetingSeries]:
    query = select(MeetingSeries).where(MeetingSeries.status.in_(statuses)).order_by(MeetingSeries.id)
    if alliance_id is not None:
        query = query.where(MeetingSeries.alliance_id == alliance_id)
    return list(await session.scalars(query))


async def polls_due(session: AsyncSession, series: MeetingSeries, now: datetime,
                    limit: int = 2, until: datetime | None = None) -> list[tuple[datetime, datetime]]:
    """(occurrence, opening) of the series' next polls not opened yet, whose time still makes
    sense: an opening missed while the bot was down is still due. With ``until``, only those
    opening before it (computed first, so a series with nothing to open soon costs no read)."""
    candidates = list(plan_of(series).pending(now, limit=limit + 2))
    if until is not None:
        candidates = [occurrence for occurrence in candidates if occurrence.opens_at < until]
        if not candidates:
            return []
    opened = set(await session.scalars(select(Meeting.occurrence_at).where(
        Meeting.series_id == series.id,
        Meeting.occurrence_at.in_([occurrence.at for occurrence in candidates]))))
    due = []
    for occurrence in candidates:
        if occurrence.at not in opened:
            due.append((occurrence.at, occurrence.opens_at))
        if len(due) >= limit:
            break
    return due


async def open_series_poll(session: AsyncSession, series_id: int, occurrence_at: datetime,
                           now: datetime) -> Meeting | None:
    """The poll for one occurrence, once; None when the series stopped or the moment passed."""
    series = await session.get(MeetingSeries, series_id)
    if series is None or series.status != ACTIVE:
        return None
    exists = await session.scalar(select(Meeting.id).where(
        Meeting.series_id == series.id, Meeting.occurrence_at == occurrence_at))
    if exists is not None:
        return None
    plan = plan_of(series)
    local = occurrence_at.astimezone(plan.zone).replace(tzinfo=None)
    occurrence = plan.occurrence(local)
    if occurrence.at != occurrence_at or occurrence.slots[0] <= now:
        return None
    deadline = occurrence.closes_at
    if deadline <= now:  # opened late (the bot was down): a shortened poll, still before the slots
        window = min(now + timedelta(hours=series.poll_hours), occurrence.slots[0] - timedelta(hours=1))
        deadline = min(max(window, now + timedelta(minutes=1)), occurrence.slots[0])
    try:
        return await create_meeting(session, NewPoll(
            alliance_id=series.alliance_id, title=series.title, slots=list(occurrence.slots),
            deadline=deadline, duration_min=series.duration_min, place=series.place,
            series_id=series.id, occurrence_at=occurrence_at), person_id=None, now=now)
    except DomainError:
        return None  # no home group any more: nowhere to post


@dataclass(frozen=True, slots=True)
class Overview:
    alliance: Alliance
    polls: list[Meeting]
    upcoming: list[Meeting]
    series: list[MeetingSeries]
    coordinator: bool


async def overview(session: AsyncSession, alliance_id: int, person_id: int, now: datetime) -> Overview:
    """What /meetings shows: upcoming meetings, open polls, and the series."""
    alliance = await session.get(Alliance, alliance_id)
    role = await alliances.role_of(session, alliance_id, person_id)
    if alliance is None or role is None:
        raise DomainError("not_in_alliance")
    return Overview(alliance=alliance, polls=await open_polls(session, alliance_id),
                    upcoming=await upcoming(session, alliance_id, now),
                    series=await series_of(session, alliance_id),
                    coordinator=role.role == "coordinator")

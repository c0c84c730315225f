"""Meetings' scheduled work: a series' poll opens, a poll closes, reminders go out.

Every job follows from stored state — open polls (their close), decided meetings (two reminders),
active series (the next polls not opened yet) — and each runner re-checks that state, so a job
armed twice, or run late after a restart, does only what still makes sense:
- a series poll whose opening was missed opens (with a shortened poll if its deadline passed too);
- a poll past its deadline closes;
- a reminder for a meeting already begun is dropped, and so is the 24-hour one once the 1-hour
  one is due, or one whose moment came before the result was announced.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import use_locale
from bot.runtime.cards import CardEdit, Renderer, keyboard_json
from bot.runtime.scheduler import JobContext, JobSpec
from bot.services import meetings, people, settings
from bot.services.calendar_file import ics_bytes, ics_name
from bot.services.outgoing import Outgoing, enqueue
from bot.views import meetings as views
from storage.models import Alliance, Meeting, MeetingSeries, Person

if TYPE_CHECKING:
    from bot.runtime.app import AllianceApp

CLOSE, REMIND, SERIES_OPEN = "meeting.close", "meeting.remind", "meeting.series_open"


def jobs_for(meeting: Meeting) -> list[JobSpec]:
    """What a poll or a decided meeting needs from the scheduler."""
    if meeting.status == meetings.OPEN:
        return [JobSpec(id=f"{CLOSE}:{meeting.id}", at=meeting.deadline, kind=CLOSE,
                        args={"meeting_id": meeting.id})]
    if meeting.status == meetings.SCHEDULED and meeting.starts_at is not None:
        return [JobSpec(id=f"{REMIND}:{meeting.id}:{lead}", at=meeting.starts_at - before, kind=REMIND,
                        args={"meeting_id": meeting.id, "lead": lead})
                for lead, before in meetings.REMINDERS.items()]
    return []


def series_job_id(series_id: int, occurrence: datetime) -> str:
    return f"{SERIES_OPEN}:{series_id}:{occurrence:%Y%m%dT%H%MZ}"


async def series_jobs(session: AsyncSession, series: MeetingSeries, now: datetime,
                      until: datetime | None = None) -> list[JobSpec]:
    if series.status != meetings.ACTIVE:
        return []
    return [JobSpec(id=series_job_id(series.id, occurrence), at=opens, kind=SERIES_OPEN,
                    args={"series_id": series.id, "occurrence": occurrence.isoformat()})
            for occurrence, opens in await meetings.polls_due(session, series, now, until=until)]


async def jobs(session: AsyncSession, now: datetime, until: datetime) -> list[JobSpec]:
    """The window's jobs: polls closing, reminders of meetings starting soon (the earliest a
    day ahead), series polls opening."""
    specs: list[JobSpec] = []
    for meeting in await meetings.open_polls(session, until=until):
        specs += jobs_for(meeting)
    earliest_reminder = max(meetings.REMINDERS.values())
    for meeting in await meetings.upcoming(session, None, now, until + earliest_reminder):
        specs += jobs_for(meeting)
    for series in await meetings.series_of(session, None, (meetings.ACTIVE,)):
        specs += await series_jobs(session, series, now, until)
    return [spec for spec in specs if spec.at < until]


def card_renderer(meeting_id: int) -> Renderer:
    """The poll's card as the database has it now, in the alliance's language."""

    async def render(session: AsyncSession) -> CardEdit | None:
        state = await meetings.card_state(session, meeting_id)
        if state is None or state.meeting.message_id is None or state.meeting.chat_id is None:
            return None
        with use_locale(state.alliance.locale):
            text, keyboard = views.card(state.meeting, state.tallies, state.answered, state.eligible,
                                        state.alliance.timezone)
        return CardEdit(chat_id=state.meeting.chat_id, message_id=state.meeting.message_id,
                        text=text, reply_markup=keyboard)

    return render


async def render_new_card(session: AsyncSession, meeting_id: int) -> tuple[str, object]:
    state = await meetings.card_state(session, meeting_id)
    assert state is not None
    with use_locale(state.alliance.locale):
        return views.card(state.meeting, state.tallies, state.answered, state.eligible,
                          state.alliance.timezone)


async def poll_posted(session: AsyncSession, argument: str, chat_id: int, message_id: int) -> None:
    await meetings.set_card(session, int(argument), chat_id, message_id)


async def open_poll(job: JobContext, series_id: int, occurrence: str) -> None:
    meeting = await meetings.open_series_poll(job.session, series_id,
                                              datetime.fromisoformat(occurrence), job.now)
    if meeting is None or meeting.chat_id is None:
        return
    text, keyboard = await render_new_card(job.session, meeting.id)
    await enqueue(job.session, Outgoing(chat_id=meeting.chat_id, thread_id=meeting.thread_id, text=text,
                                        reply_markup=keyboard_json(keyboard)),  # type: ignore[arg-type]
                  now=job.now, alliance_id=meeting.alliance_id, dedup_key=f"meeting:{meeting.id}:poll",
                  purpose=f"meeting_poll:{meeting.id}")
    job.scheduler.arm(job.session, jobs_for(meeting))


async def close_poll(job: JobContext, meeting_id: int) -> None:
    outcome = await meetings.close(job.session, meeting_id, job.now)
    if outcome is None:
        return
    meeting = outcome.meeting
    alliance = await job.session.get(Alliance, meeting.alliance_id)
    assert alliance is not None
    job.cards.touch(job.session, f"meeting:{meeting.id}", card_renderer(meeting.id))
    if outcome.winner is None:
        for person_id in await meetings.coordinators(job.session, meeting.alliance_id):
            person = await job.session.get(Person, person_id)
            with use_locale(people.locale_of(person)):
                text = views.nothing_scheduled(meeting, outcome.answered)
            await enqueue(job.session, Outgoing(chat_id=person_id, text=text), now=job.now,
                          alliance_id=meeting.alliance_id,
                          dedup_key=f"meeting:{meeting.id}:nothing:{person_id}",
                          hold_in_quiet_hours=True)
        return
    assert meeting.starts_at is not None and meeting.chat_id is not None
    with use_locale(alliance.locale):
        caption = views.announcement(meeting, outcome.winner, alliance.timezone)
    calendar = ics_bytes(meeting_id=meeting.id, title=meeting.title, starts_at=meeting.starts_at,
                         duration_min=meeting.duration_min, place=meeting.place,
                         timezone=alliance.timezone, now=job.now)
    await enqueue(job.session, Outgoing(chat_id=meeting.chat_id, thread_id=meeting.thread_id,
                                        text=caption, document=calendar,
                                        document_name=ics_name(meeting.title), pin=True),
                  now=job.now, alliance_id=meeting.alliance_id,
                  dedup_key=f"meeting:{meeting.id}:result", purpose=f"meeting_result:{meeting.id}")
    job.scheduler.arm(job.session, jobs_for(meeting))


async def remind(job: JobContext, meeting_id: int, lead: str) -> None:
    meeting = await job.session.get(Meeting, meeting_id)
    if meeting is None or meeting.status != meetings.SCHEDULED or meeting.starts_at is None:
        return
    if job.now >= meeting.starts_at:
        return  # the meeting has begun: too late to remind
    if lead == "24h" and job.now >= meeting.starts_at - meetings.REMINDERS["1h"]:
        return  # the 1-hour reminder is due: one is enough
    if meeting.closed_at is not None and job.due_at < meeting.closed_at:
        return  # decided after this moment: the announcement said it all
    alliance = await job.session.get(Alliance, meeting.alliance_id)
    assert alliance is not None
    if meeting.chat_id is not None:
        with use_locale(alliance.locale):
            text = views.reminder(meeting, lead, alliance.timezone)
        await enqueue(job.session, Outgoing(chat_id=meeting.chat_id, thread_id=meeting.thread_id,
                                            text=text), now=job.now, alliance_id=alliance.id,
                      dedup_key=f"meeting:{meeting.id}:remind:{lead}:group")
    # A reminder held past the meeting's start would be useless: then it goes in quiet hours too.
    quiet_end = settings.quiet_end(alliance, job.now)
    may_wait = quiet_end is None or quiet_end < meeting.starts_at
    for person_id in await meetings.attendees(job.session, meeting):
        person = await job.session.get(Person, person_id)
        if person is None or person.blocked_at is not None:
            continue
        with use_locale(people.locale_of(person)):
            text = views.reminder(meeting, lead, alliance.timezone)
        await enqueue(job.session, Outgoing(chat_id=person_id, text=text), now=job.now,
                      alliance_id=alliance.id, dedup_key=f"meeting:{meeting.id}:remind:{lead}:{person_id}",
                      hold_in_quiet_hours=may_wait)


def install(app: AllianceApp) -> None:
    """Plug meetings into the runtime: the jobs its state implies and its cards' message ids."""
    app.scheduler.add_armer(jobs)
    app.outbox.on_sent("meeting_poll", poll_posted)
    app.scheduler.add_runner(SERIES_OPEN, open_poll)
    app.scheduler.add_runner(CLOSE, close_poll)
    app.scheduler.add_runner(REMIND, remind)

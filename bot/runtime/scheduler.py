"""Every scheduled action is derived from stored state, so nothing is lost across a restart.

Features describe their jobs as data: an *armer* reads the database and returns the jobs that
its state implies (a proposal's close and reminder, a meeting's reminders…), each with a
deterministic id; a *runner* carries one out. At start-up, and whenever a feature changes state,
jobs are (re)armed in APScheduler's in-memory store with ``replace_existing``: the tables are the
schedule, APScheduler only the alarm clock. A job due while the bot was down runs once when it
is back; its runner decides whether it still makes sense (a late poll still closes, a reminder
for a meeting already past is dropped).

Runs happen once: each run inserts a claim row (job id + due instant) in the same transaction as
its effects, and scheduled messages go through the outbox in that transaction too. With several
replicas on PostgreSQL only the holder of an advisory lock runs the scheduler (see ``Leader``);
a replica that does not lead tells the leader what to arm or forget by a ``NOTIFY`` in the
state change's own transaction (delivered on its commit only), so a job born on any replica
rings on time, not at the leader's next refresh.

Only a window is held in memory: a refresh asks each armer for the jobs due before its
*horizon* (the next refresh, plus a margin), so start-up and a refresh cost what is due soon,
not what the alliances' whole history implies. A job further out is armed by a later refresh
(the refresh before it is due always sees it, since the horizon reaches past the next refresh);
an overdue one (due while the bot was down) is always before the horizon, so it runs once.
A state change's own ``arm()`` follows the same rule: a job inside the window is armed at once,
one beyond it is left to the refresh that will reach it (and an earlier alarm of the same id is
dropped), so memory stays bounded by the window however many changes come in between.

A refresh holds the event loop in short steps only (on SQLite its reads run inline): armers
read what is due, not the history; the loop is yielded to between armers and between chunks of
alarms armed. Runs take one of a few slots, so hundreds found overdue at once (back after a long
stop) do not all start in one turn of the loop.

Time is the app's clock, not the wall's: tests and the demo move a fake clock forward and call
``refresh()``, which re-derives everything exactly as a restart would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from bot.runtime.aftercommit import after_commit, before_commit, spawn_after_commit
from bot.runtime.clock import Clock
from bot.services import job_runs, updates

if TYPE_CHECKING:
    from aiogram import Bot

    from bot.runtime.cards import CardEditor

log = logging.getLogger(__name__)

RETRY_DELAYS = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10))
SAFETY_REFRESH = timedelta(minutes=15)  # catches a state change that forgot to arm its jobs
# How far past the next refresh a refresh arms: a refresh that starts late (a busy loop, a slow
# database) still finds its window's jobs already armed.
WINDOW_MARGIN = timedelta(minutes=5)
MAINTENANCE_EVERY = timedelta(hours=1)
# A refresh arms this many alarms, then lets the event loop serve others (see _rearm).
ARM_CHUNK = 50
# At most this many runs at once: more wait their turn, cheaply. A restart after downtime
# finds hundreds overdue (a day's purges, a month's reports), and each run's first steps (a
# session, its claim) used to be taken by all of them in one turn of the event loop.
RUN_SLOTS = 4
NOTICE_CHANNEL = "alliance_jobs"  # PostgreSQL NOTIFY channel: replicas to the leader
NOTICE_MAX_BYTES = 7900  # PostgreSQL refuses a payload of 8000 bytes; a longer one asks a refresh


@dataclass(frozen=True, slots=True)
class JobSpec:
    """One scheduled action: ``kind`` names its runner, ``args`` are plain JSON-able values."""

    id: str
    at: datetime
    kind: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class JobContext:
    """What a runner gets: the run's session (its claim already inserted), the instant it was
    due and the bot-side services it may use. The scheduler commits after the runner returns."""

    session: AsyncSession
    now: datetime
    due_at: datetime
    bot: Bot
    cards: CardEditor
    scheduler: Scheduler


Runner = Callable[..., Awaitable[None]]
# ``derive(session, now, until)``: at least the jobs due before ``until`` (overdue ones included);
# the scheduler drops any it returns beyond ``until``.
Armer = Callable[[AsyncSession, datetime, datetime], Awaitable[Iterable[JobSpec]]]


class Scheduler:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock, *,
                 bot: Bot, cards: CardEditor) -> None:
        self.sessions = sessions
        self.clock = clock
        self.bot = bot
        self.cards = cards
        self._aps = AsyncIOScheduler(timezone=UTC)
        self._running: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(RUN_SLOTS)
        # One refresh at a time (the periodic one, a NOTIFY from another replica, a settings
        # change): one's record of the changes made meanwhile must not be another's.
        self._refreshing = asyncio.Lock()
        self._in_flight: set[str] = set()
        self._failures: dict[str, int] = {}
        self._runners: dict[str, Runner] = {}
        self._armers: list[Armer] = []
        self._horizon: datetime | None = None  # jobs due before it are armed; None: not started
        self._changed_meanwhile: set[str] | None = None  # ids arm() armed during a refresh
        self.active = False
        # PostgreSQL: while another replica leads, state changes here notify it (see arm()).
        self.tell_leader = False
        # APScheduler logs every job it adds or removes at INFO: a line per job per refresh.
        logging.getLogger("apscheduler.scheduler").setLevel(logging.WARNING)

    # -- what features plug in (see bot.features) ------------------------------------------------

    def add_runner(self, kind: str, run: Runner) -> None:
        """``async def run(job: JobContext, **args)`` carries out jobs of ``kind``."""
        self._runners[kind] = run

    def add_armer(self, derive: Armer) -> None:
        """``async def derive(session, now, until) -> Iterable[JobSpec]``: the jobs a feature's
        stored state implies that are due before ``until`` (overdue ones too), re-read at
        start-up and at each refresh. Its reads should be bounded by ``until`` through an index
        on the due-time column, so a refresh costs what is due soon, not the whole history."""
        self._armers.append(derive)

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Become the one that runs jobs: arm everything the state implies, and the chores."""
        if self.active:
            return
        self._aps.start()
        self.active = True
        # The refresh is what arms a job once it comes inside the window: a busy loop at its
        # moment delays it, never skips it (APScheduler's default grace is one second).
        self._aps.add_job(self.refresh, "interval", seconds=SAFETY_REFRESH.total_seconds(),
                          id="scheduler.refresh", replace_existing=True,
                          misfire_grace_time=None, coalesce=True)
        self._aps.add_job(self._maintenance, "interval", seconds=MAINTENANCE_EVERY.total_seconds(),
                          id="scheduler.maintenance", replace_existing=True,
                          next_run_time=datetime.now(UTC))
        await self.refresh()

    async def stop(self) -> None:
        """Stop arming; runs under way finish (their outcome is committed or rolled back)."""
        if self.active:
            self.active = False
            self._horizon = None
            self._aps.shutdown(wait=False)
            self._aps = AsyncIOScheduler(timezone=UTC)
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    def is_idle(self) -> bool:
        return not self._running

    # -- arming ------------------------------------------------------------------------------

    def horizon(self, now: datetime) -> datetime:
        """Until when a refresh at ``now`` arms: past the next refresh, by a margin."""
        return now + SAFETY_REFRESH + WINDOW_MARGIN

    async def refresh(self) -> None:
        """Re-derive the window's jobs from the database, as at start-up; drop alarms nothing
        implies any more (or that moved beyond the window)."""
        async with self._refreshing:
            if self.active:
                await self._refresh()

    async def _refresh(self) -> None:
        now = self.clock.now()
        until = self.horizon(now)
        wanted: dict[str, JobSpec] = {}
        # Raised before the reads, so a change armed meanwhile is measured against the new
        # window; put back if the reads fail, or jobs under it would be armed by nothing.
        before, self._horizon = self._horizon, max(until, self._horizon or until)
        self._changed_meanwhile = set()
        try:
            try:
                async with self.sessions() as session:
                    for derive in self._armers:
                        for spec in await derive(session, now, until):
                            if spec.at < until:
                                wanted[spec.id] = spec
                        # SQLite runs inline (storage.sqlite_inline): without this the whole
                        # refresh is one hold of the event loop (76 ms at 1,000 alliances), not
                        # one armer's at a time
                        await asyncio.sleep(0)
            except BaseException:
                self._horizon = before
                raise
            await self._rearm(wanted)
        finally:
            self._changed_meanwhile = None

    async def _rearm(self, wanted: dict[str, JobSpec]) -> None:
        """Drop the alarms nothing wants, arm the wanted ones: ``ARM_CHUNK`` at a time with a
        yield between (on the 1st, 1,000 alliances' reports enter the window in one refresh).
        A change committed after the reads, or while this yields, armed or dropped its own
        jobs (``_changed_meanwhile``): those are left as it made them."""
        assert self._changed_meanwhile is not None
        for job in self._aps.get_jobs():
            if (not job.id.startswith("scheduler.") and job.id not in wanted
                    and job.id not in self._changed_meanwhile):
                job.remove()
        for index, spec in enumerate(sorted(wanted.values(), key=lambda spec: spec.at)):
            if index and not index % ARM_CHUNK:
                await asyncio.sleep(0)
            if spec.id not in self._changed_meanwhile:
                self._arm_now(spec)

    def armed(self) -> list[str]:
        """The ids of the jobs held in memory now (the scheduler's own chores left out)."""
        return [job.id for job in self._aps.get_jobs() if not job.id.startswith("scheduler.")]

    def arm(self, session: AsyncSession, specs: Iterable[JobSpec]) -> None:
        """Arm jobs for a state change once ``session`` commits it (never on a rollback); on
        a replica that does not lead, the leader arms them."""
        chosen = list(specs)
        if not chosen:
            return
        if self.active:
            after_commit(session, lambda: [self._arm_changed(spec) for spec in chosen])
        elif self.tell_leader:
            self._notify(session, {"arm": [_spec_json(spec) for spec in chosen]})

    def refresh_after_commit(self, session: AsyncSession) -> None:
        """A change moves many jobs at once (an alliance's referral times): derive them all
        again once ``session`` commits; on a replica that does not lead, the leader does."""
        if self.active:
            spawn_after_commit(session, self.refresh)
        elif self.tell_leader:
            self._notify(session, {"refresh": True})

    def _arm_changed(self, spec: JobSpec) -> None:
        if self._changed_meanwhile is not None:
            self._changed_meanwhile.add(spec.id)
        self._arm_now(spec)

    def _disarm_changed(self, job_id: str) -> None:
        if self._changed_meanwhile is not None:
            self._changed_meanwhile.add(job_id)  # a refresh reading meanwhile does not re-arm it
        self._remove(job_id)

    def disarm(self, session: AsyncSession, job_ids: Iterable[str]) -> None:
        """Forget alarms a state change made pointless (runners re-check the state anyway)."""
        chosen = list(job_ids)
        if not chosen:
            return
        if self.active:
            after_commit(session, lambda: [self._disarm_changed(job_id) for job_id in chosen])
        elif self.tell_leader:
            self._notify(session, {"disarm": chosen})

    def _notify(self, session: AsyncSession, message: dict[str, Any]) -> None:
        """A NOTIFY in the state change's transaction: the leader hears of it on the commit."""
        payload = json.dumps(message, separators=(",", ":"))
        if len(payload.encode()) > NOTICE_MAX_BYTES:
            payload = json.dumps({"refresh": True})

        def send(sync_session: Session) -> None:
            sync_session.execute(text("SELECT pg_notify(:channel, :payload)"),
                                 {"channel": NOTICE_CHANNEL, "payload": payload})

        before_commit(session, send)

    def heard(self, payload: str) -> None:
        """The leader hears from another replica: jobs to arm, alarms to forget, or (a notice
        too long to send) a refresh."""
        if not self.active:
            return
        try:
            message = json.loads(payload)
            specs = [JobSpec(id=item["id"], at=datetime.fromisoformat(item["at"]),
                             kind=item["kind"], args=item["args"])
                     for item in message.get("arm", ())]
            forget = [str(job_id) for job_id in message.get("disarm", ())]
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            log.error("scheduler: a notice from another replica is garbled: %s", error)
            return
        for spec in specs:
            self._arm_changed(spec)  # a refresh reading meanwhile keeps it
        for job_id in forget:
            self._disarm_changed(job_id)
        if message.get("refresh"):
            self._aps.add_job(self.refresh, id="scheduler.refresh-now", replace_existing=True,
                              misfire_grace_time=None, coalesce=True)

    def _remove(self, job_id: str) -> None:
        with contextlib.suppress(Exception):
            self._aps.remove_job(job_id)

    def _arm_now(self, spec: JobSpec) -> None:
        if not self.active:
            return
        if spec.kind not in self._runners:
            log.error("scheduler: no runner for job kind %s", spec.kind)
            return
        if self._horizon is not None and spec.at >= self._horizon:
            self._remove(spec.id)  # beyond the window: the refresh that reaches it arms it
            return
        delay = (spec.at - self.clock.now()).total_seconds()
        if delay <= 0:
            self._remove(spec.id)
            self._launch(spec)
            return
        rings = datetime.now(UTC) + timedelta(seconds=delay)
        armed = self._aps.get_job(spec.id)
        if (armed is not None and armed.args == (spec,) and armed.next_run_time is not None
                and abs((armed.next_run_time - rings).total_seconds()) < 1):
            return  # already armed for that moment (most of a refresh's jobs)
        self._aps.add_job(self._fire, DateTrigger(rings), args=[spec], id=spec.id,
                          replace_existing=True, misfire_grace_time=None, coalesce=True)

    async def _fire(self, spec: JobSpec) -> None:
        """What APScheduler calls when an alarm rings. It must be a coroutine function:
        APScheduler 3 runs a plain callable in a worker thread, where there is no event loop
        to start the run on (every alarm used to fail there, unseen by a fake clock)."""
        self._launch(spec)

    def _launch(self, spec: JobSpec) -> None:
        """Start the run as a task of its own, so a slow run never holds up the alarm clock."""
        if spec.id in self._in_flight:
            return  # armed twice in a row: the run under way covers it
        task = asyncio.get_running_loop().create_task(self._run(spec), name=f"job-{spec.id}")
        self._in_flight.add(spec.id)
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    # -- running -----------------------------------------------------------------------------

    async def _run(self, spec: JobSpec) -> None:
        try:
            async with self._slots:
                if self.active:  # stopped meanwhile: the next leader's refresh re-derives it
                    await self._run_once(spec)
        except Exception as error:
            self._retry_later(spec, error)
        else:
            self._failures.pop(spec.id, None)
        finally:
            self._in_flight.discard(spec.id)

    async def _run_once(self, spec: JobSpec) -> None:
        """Claim the run and carry it out in one transaction; what it queued for the outbox
        goes when that commits (``OutboxWorker.wake_on_commit``)."""
        now = self.clock.now()
        async with self.sessions() as session:
            if not await job_runs.claim(session, spec.id, spec.at, now):
                await session.rollback()
                return
            job = JobContext(session=session, now=now, due_at=spec.at, bot=self.bot,
                             cards=self.cards, scheduler=self)
            try:
                await self._runners[spec.kind](job, **spec.args)
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    def _retry_later(self, spec: JobSpec, error: Exception) -> None:
        failures = self._failures.get(spec.id, 0)
        log.error("scheduler: job %s failed (%d): %s", spec.id, failures + 1, type(error).__name__,
                  exc_info=error)
        if failures >= len(RETRY_DELAYS):
            log.error("scheduler: job %s given up; the next refresh or restart tries again", spec.id)
            self._failures.pop(spec.id, None)
            return
        self._failures[spec.id] = failures + 1
        if self.active:
            self._aps.add_job(self._fire, DateTrigger(datetime.now(UTC) + RETRY_DELAYS[failures]),
                              args=[spec], id=spec.id, replace_existing=True,
                              misfire_grace_time=None)

    async def _maintenance(self) -> None:
        try:
            async with self.sessions.begin() as session:
                now = self.clock.now()
                await updates.prune(session, now)
                await job_runs.prune(session, now)
        except Exception as error:
            log.error("maintenance failed: %s", type(error).__name__, exc_info=error)


def _spec_json(spec: JobSpec) -> dict[str, Any]:
    return {"id": spec.id, "at": spec.at.isoformat(), "kind": spec.kind, "args": spec.args}

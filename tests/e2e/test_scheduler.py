"""The scheduler through the real app: jobs derived from state run once, on the app's clock,
across restarts and failures; on PostgreSQL one replica leads."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.runtime.app import AllianceApp
from bot.runtime.scheduler import ARM_CHUNK, RUN_SLOTS, SAFETY_REFRESH, JobContext, JobSpec
from bot.services.outgoing import Outgoing, enqueue
from storage.models import JobRun
from tests.e2e.harness import Harness


class Plan:
    """Stands in for a feature's stored state: which jobs exist and what each run did."""

    def __init__(self) -> None:
        self.specs: list[JobSpec] = []
        self.failures_left = 0
        self.runs: list[str] = []
        self.ran_at: list[datetime] = []  # the app's clock at each run


@pytest.fixture
def plan(harness: Harness) -> Plan:
    """A feature of the test's own, installed in every app the harness starts."""
    plan = Plan()

    async def derive(_session: object, _now: datetime, _until: datetime) -> list[JobSpec]:
        return list(plan.specs)

    async def ping(job: JobContext, chat_id: int, text: str) -> None:
        if plan.failures_left:
            plan.failures_left -= 1
            raise RuntimeError("the database hiccuped")
        plan.runs.append(text)
        plan.ran_at.append(job.now)
        await enqueue(job.session, Outgoing(chat_id=chat_id, text=text), now=job.now)

    def install(app: AllianceApp) -> None:
        app.scheduler.add_runner("test.ping", ping)
        app.scheduler.add_armer(derive)

    harness.installers.append(install)
    if harness.app is not None:
        install(harness.app)
    return plan


async def job_runs(harness: Harness) -> int:
    assert harness.app is not None
    async with harness.app.sessions() as session:
        return await session.scalar(select(func.count()).select_from(JobRun)) or 0


async def test_a_job_runs_when_its_time_comes_and_only_once(harness: Harness, plan: Plan) -> None:
    world = harness.world
    mei = world.user("Mei")
    at = harness.clock.now() + timedelta(hours=5)
    plan.specs.append(JobSpec(id="ping:1", at=at, kind="test.ping",
                              args={"chat_id": mei.id, "text": "five hours later"}))
    assert harness.app is not None
    await harness.app.scheduler.refresh()
    await harness.advance(timedelta(hours=4))
    assert plan.runs == []
    await harness.advance(timedelta(hours=1, seconds=1))
    assert plan.runs == ["five hours later"]
    assert [m.text for m in world.messages_to(mei)] == ["five hours later"]
    # Armed again (a refresh, a restart): the claim row says it ran.
    await harness.app.scheduler.refresh()
    await harness.restart()
    await harness.advance(timedelta(minutes=1))
    assert plan.runs == ["five hours later"]
    assert await job_runs(harness) == 1


async def test_a_job_due_while_the_bot_was_down_runs_once_after_start(harness: Harness,
                                                                      plan: Plan) -> None:
    mei = harness.world.user("Mei")
    await harness.stop_bot()
    plan.specs.append(JobSpec(id="ping:2", at=harness.clock.now() + timedelta(hours=1),
                              kind="test.ping", args={"chat_id": mei.id, "text": "late"}))
    harness.clock.advance(timedelta(hours=3))
    await harness.start_bot()
    await harness.world.settle()
    assert plan.runs == ["late"]
    await harness.restart()
    assert plan.runs == ["late"]
    assert [m.text for m in harness.world.messages_to(mei)] == ["late"]


async def test_a_failing_run_leaves_no_claim_and_is_retried(harness: Harness, plan: Plan) -> None:
    mei = harness.world.user("Mei")
    plan.failures_left = 1
    plan.specs.append(JobSpec(id="ping:3", at=harness.clock.now() - timedelta(minutes=1),
                              kind="test.ping", args={"chat_id": mei.id, "text": "second try"}))
    assert harness.app is not None
    await harness.app.scheduler.refresh()
    await harness.world.settle()
    assert plan.runs == [] and await job_runs(harness) == 0
    assert harness.world.messages_to(mei) == []
    await harness.app.scheduler.refresh()  # the next refresh (or restart) tries again
    await harness.world.settle()
    assert plan.runs == ["second try"]
    assert [m.text for m in harness.world.messages_to(mei)] == ["second try"]


async def test_a_job_no_longer_implied_by_the_state_is_disarmed(harness: Harness, plan: Plan) -> None:
    mei = harness.world.user("Mei")
    spec = JobSpec(id="ping:4", at=harness.clock.now() + timedelta(hours=2), kind="test.ping",
                   args={"chat_id": mei.id, "text": "cancelled"})
    plan.specs.append(spec)
    assert harness.app is not None
    await harness.app.scheduler.refresh()
    plan.specs.clear()
    await harness.app.scheduler.refresh()
    await harness.advance(timedelta(hours=3))
    assert plan.runs == []


async def test_a_job_beyond_the_window_is_armed_by_a_later_refresh_and_rings_on_time(
        harness: Harness, plan: Plan) -> None:
    """Only the window is held in memory: a job due after the next refresh is not armed yet;
    the refresh before it arms it, and the alarm (not a refresh) runs it at its moment."""
    mei = harness.world.user("Mei")
    app = harness.app
    assert app is not None
    at = harness.clock.now() + 2 * SAFETY_REFRESH + timedelta(seconds=1)
    plan.specs.append(JobSpec(id="ping:5", at=at, kind="test.ping",
                              args={"chat_id": mei.id, "text": "on time"}))
    await app.scheduler.refresh()
    assert app.scheduler.armed() == []
    await harness.advance(SAFETY_REFRESH)  # the next refresh reaches it
    assert app.scheduler.armed() == ["ping:5"] and plan.runs == []
    # A second before it is due, one more refresh: armed, not run early.
    harness.clock.set(at - timedelta(seconds=1))
    await app.scheduler.refresh()
    assert plan.runs == []
    for _ in range(50):  # the alarm rings on the real clock, a second from now
        if plan.runs:
            break
        await asyncio.sleep(0.1)
    await harness.world.settle()
    assert plan.runs == ["on time"]
    assert plan.ran_at[0] >= at
    assert [m.text for m in harness.world.messages_to(mei)] == ["on time"]
    assert app.scheduler.armed() == []


async def test_a_state_change_beyond_the_window_is_left_to_the_refresh(harness: Harness,
                                                                       plan: Plan) -> None:
    """``arm()`` arms what falls in the window, and leaves a later job to the refresh that
    reaches it (dropping an earlier alarm of the same id: the job moved out)."""
    mei = harness.world.user("Mei")
    app = harness.app
    assert app is not None
    await app.scheduler.refresh()
    soon = JobSpec(id="ping:6", at=harness.clock.now() + timedelta(minutes=5), kind="test.ping",
                   args={"chat_id": mei.id, "text": "moved"})
    async with app.sessions() as session:
        app.scheduler.arm(session, [soon])
        await session.commit()
    assert app.scheduler.armed() == ["ping:6"]
    later = JobSpec(id="ping:6", at=harness.clock.now() + timedelta(days=3), kind="test.ping",
                    args={"chat_id": mei.id, "text": "moved"})
    plan.specs.append(later)
    async with app.sessions() as session:
        app.scheduler.arm(session, [later])
        await session.commit()
    assert app.scheduler.armed() == []
    await harness.advance(timedelta(days=3) - SAFETY_REFRESH)
    assert app.scheduler.armed() == ["ping:6"] and plan.runs == []
    await harness.advance(SAFETY_REFRESH)
    assert plan.runs == ["moved"]
    assert await job_runs(harness) == 1


async def test_a_job_overdue_by_weeks_runs_once(harness: Harness, plan: Plan) -> None:
    """However long the bot was down, what fell due meanwhile is inside every window: once."""
    mei = harness.world.user("Mei")
    await harness.stop_bot()
    plan.specs.append(JobSpec(id="ping:7", at=harness.clock.now() + timedelta(days=2),
                              kind="test.ping", args={"chat_id": mei.id, "text": "weeks late"}))
    harness.clock.advance(timedelta(days=30))
    await harness.start_bot()
    await harness.world.settle()
    assert harness.app is not None
    await harness.app.scheduler.refresh()
    await harness.world.settle()
    assert plan.runs == ["weeks late"]
    assert [m.text for m in harness.world.messages_to(mei)] == ["weeks late"]


async def test_a_refresh_arming_many_jobs_lets_the_loop_run_between_chunks(
        harness: Harness, plan: Plan) -> None:
    """On the 1st every alliance's report enters the window in one refresh: the alarms are
    armed a chunk at a time, the event loop serving others between chunks; all are armed."""
    mei = harness.world.user("Mei")
    app = harness.app
    assert app is not None
    await app.scheduler.refresh()
    soon = harness.clock.now() + timedelta(minutes=10)
    plan.specs += [JobSpec(id=f"ping:many:{n}", at=soon + timedelta(seconds=n), kind="test.ping",
                           args={"chat_id": mei.id, "text": f"many {n}"})
                   for n in range(5 * ARM_CHUNK)]
    seen: list[int] = []
    refreshing = asyncio.create_task(app.scheduler.refresh())
    while not refreshing.done():
        seen.append(len(app.scheduler.armed()))
        await asyncio.sleep(0)
    await refreshing
    assert any(0 < count < 5 * ARM_CHUNK for count in seen)  # others ran midway
    assert sorted(app.scheduler.armed()) == sorted(spec.id for spec in plan.specs)


async def test_two_refreshes_at_once_take_turns(harness: Harness, plan: Plan) -> None:
    """The periodic refresh, another replica's NOTIFY and a settings change may ask at once:
    they take turns (before, the second's bookkeeping broke the first's midway)."""
    mei = harness.world.user("Mei")
    app = harness.app
    assert app is not None
    soon = harness.clock.now() + timedelta(minutes=10)
    plan.specs += [JobSpec(id=f"ping:many:{n}", at=soon + timedelta(seconds=n), kind="test.ping",
                           args={"chat_id": mei.id, "text": f"many {n}"})
                   for n in range(3 * ARM_CHUNK)]
    await asyncio.gather(app.scheduler.refresh(), app.scheduler.refresh(),
                         app.scheduler.refresh())
    assert sorted(app.scheduler.armed()) == sorted(spec.id for spec in plan.specs)


async def test_a_change_while_a_refresh_arms_stands(harness: Harness, plan: Plan) -> None:
    """A state change armed while the refresh yields between chunks is newer than the refresh's
    reads: the refresh leaves it as the change made it (a job moved, a job dropped)."""
    mei = harness.world.user("Mei")
    app = harness.app
    assert app is not None
    await app.scheduler.refresh()
    soon = harness.clock.now() + timedelta(minutes=10)
    plan.specs += [JobSpec(id=f"ping:many:{n}", at=soon + timedelta(seconds=n), kind="test.ping",
                           args={"chat_id": mei.id, "text": f"many {n}"})
                   for n in range(3 * ARM_CHUNK)]
    moved, dropped = plan.specs[-1], plan.specs[-2]  # the last ones armed
    earlier = JobSpec(id=moved.id, at=soon - timedelta(minutes=5), kind="test.ping",
                      args={"chat_id": mei.id, "text": "moved earlier"})
    refreshing = asyncio.create_task(app.scheduler.refresh())
    while not 0 < len(app.scheduler.armed()) < 3 * ARM_CHUNK:
        assert not refreshing.done()
        await asyncio.sleep(0)
    async with app.sessions() as session:  # the change, committed midway
        app.scheduler.arm(session, [earlier])
        app.scheduler.disarm(session, [dropped.id])
        await session.commit()
    await refreshing
    plan.specs = [earlier] + [spec for spec in plan.specs if spec.id not in (moved.id, dropped.id)]
    assert dropped.id not in app.scheduler.armed()
    await harness.advance(timedelta(minutes=5, seconds=1))
    assert plan.runs == ["moved earlier"]


async def test_many_overdue_jobs_run_a_few_at_a_time_each_once(any_db: Harness) -> None:
    """Back after a long stop, hundreds of jobs are overdue at once (a day's purges, every
    alliance's monthly report): they run ``RUN_SLOTS`` at a time, not all in one turn of the
    event loop, and each once. (On SQLite the one connection serializes runs anyway; on
    PostgreSQL the pool would let many overlap.)"""
    harness = any_db
    specs: list[JobSpec] = []
    running = {"now": 0, "peak": 0, "runs": 0}

    async def derive(_session: object, _now: datetime, _until: datetime) -> list[JobSpec]:
        return list(specs)

    async def slow(job: JobContext, n: int) -> None:
        running["now"] += 1
        running["peak"] = max(running["peak"], running["now"])
        await asyncio.sleep(0.01)
        running["now"] -= 1
        running["runs"] += 1

    def install(app: AllianceApp) -> None:
        app.scheduler.add_runner("test.slow", slow)
        app.scheduler.add_armer(derive)

    harness.installers.append(install)
    await harness.stop_bot()
    due = harness.clock.now() + timedelta(hours=1)
    specs += [JobSpec(id=f"slow:{n}", at=due, kind="test.slow", args={"n": n})
              for n in range(4 * RUN_SLOTS)]
    harness.clock.advance(timedelta(days=1))
    await harness.start_bot()
    await harness.world.settle()
    assert harness.app is not None
    await harness.app.scheduler.refresh()
    await harness.world.settle()
    assert running["runs"] == 4 * RUN_SLOTS and await job_runs(harness) == 4 * RUN_SLOTS
    assert 1 <= running["peak"] <= RUN_SLOTS


async def test_what_a_job_queues_goes_when_its_run_commits(harness: Harness, plan: Plan) -> None:
    """A job's notice goes when the run's transaction commits, not at the outbox's next poll
    (here a minute away): nothing but that commit wakes the outbox."""
    mei = harness.world.user("Mei")
    harness.outbox_poll = 60.0
    app = await harness.restart()
    plan.specs.append(JobSpec(id="ping:soon", at=harness.clock.now() + timedelta(hours=1),
                              kind="test.ping", args={"chat_id": mei.id, "text": "on time"}))
    harness.clock.advance(timedelta(hours=1, seconds=1))
    await app.scheduler.refresh()  # no harness.advance: it would wake the outbox itself
    await harness.world.settle(timeout=20)
    assert plan.runs == ["on time"]
    assert [m.text for m in harness.world.messages_to(mei)] == ["on time"]

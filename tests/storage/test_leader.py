"""One scheduler among replicas: the PostgreSQL advisory lock, held on a dedicated connection."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from bot.runtime.clock import Clock
from bot.runtime.leader import Leader
from bot.runtime.scheduler import NOTICE_CHANNEL, JobSpec, Scheduler
from storage.db import create_engine, session_factory
from storage.migrate import upgrade
from tests.conftest import needs_pg


class Flags:
    def __init__(self) -> None:
        self.gained = 0
        self.lost = 0

    async def gain(self) -> None:
        self.gained += 1

    async def lose(self) -> None:
        self.lost += 1


@needs_pg
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_one_leader_and_a_takeover(database_url: str) -> None:
    engine_a, engine_b = create_engine(database_url), create_engine(database_url)
    a, b = Flags(), Flags()
    first = Leader(engine_a, a.gain, a.lose, retry=0.05, heartbeat=0.05)
    second = Leader(engine_b, b.gain, b.lose, retry=0.05, heartbeat=0.05)
    try:
        await first.start()
        await second.start()
        await asyncio.sleep(0.3)
        assert (first.leading, second.leading) == (True, False)
        assert (a.gained, b.gained) == (1, 0)
        await first.stop()  # a replica going away releases the lock
        assert a.lost == 1
        for _ in range(100):
            if second.leading:
                break
            await asyncio.sleep(0.05)
        assert second.leading and b.gained == 1
    finally:
        await first.stop()
        await second.stop()
        await engine_a.dispose()
        await engine_b.dispose()


async def test_sqlite_always_leads(tmp_path: object) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/one.db")
    flags = Flags()
    leader = Leader(engine, flags.gain, flags.lose)
    await leader.start()
    assert leader.leading and flags.gained == 1
    await leader.stop()
    assert flags.lost == 1
    await engine.dispose()


@needs_pg
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_replica_that_does_not_lead_has_the_leader_arm_its_jobs(database_url: str) -> None:
    """A state change handled on a replica that does not lead implies jobs: the leader arms
    them at once (a NOTIFY in that change's transaction), not at its next refresh — and not at
    all if the change rolls back."""
    await upgrade(database_url)
    engines = [create_engine(database_url), create_engine(database_url)]
    schedulers, leaders = [], []
    for engine in engines:
        scheduler = Scheduler(session_factory(engine), Clock(), bot=None,  # type: ignore[arg-type]
                              cards=None)  # type: ignore[arg-type]
        scheduler.add_runner("test.ring", ring)
        scheduler.tell_leader = True
        schedulers.append(scheduler)
        leaders.append(Leader(engine, scheduler.start, scheduler.stop, retry=0.05, heartbeat=0.05,
                              on_notice=(NOTICE_CHANNEL, scheduler.heard)))
    leading, other = schedulers
    at = datetime.now(UTC) + timedelta(minutes=10)  # within the scheduler's window
    kept, undone = JobSpec("test.kept", at, "test.ring"), JobSpec("test.undone", at, "test.ring")
    try:
        for leader in leaders:
            await leader.start()
        assert (leading.active, other.active) == (True, False)
        async with other.sessions() as session:
            other.arm(session, [undone])
            await session.execute(text("SELECT 1"))
            await session.rollback()
        async with other.sessions() as session:
            other.arm(session, [kept])
            await session.execute(text("SELECT 1"))
            await session.commit()
        for _ in range(100):
            if leading._aps.get_job("test.kept") is not None:
                break
            await asyncio.sleep(0.02)
        assert leading._aps.get_job("test.kept") is not None
        assert leading._aps.get_job("test.undone") is None
        async with other.sessions() as session:
            other.disarm(session, ["test.kept"])
            await session.commit()
        for _ in range(100):
            if leading._aps.get_job("test.kept") is None:
                break
            await asyncio.sleep(0.02)
        assert leading._aps.get_job("test.kept") is None
    finally:
        for leader in leaders:
            await leader.stop()
        for engine in engines:
            await engine.dispose()


@needs_pg
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_change_of_many_jobs_on_a_replica_that_does_not_lead_refreshes_the_leader(
        database_url: str) -> None:
    """An alliance's referral times changed on a replica that does not lead: the leader derives
    every job again on the commit (not at its next refresh, 15 minutes on), never on a
    rollback."""
    await upgrade(database_url)
    engines = [create_engine(database_url), create_engine(database_url)]
    schedulers, leaders, derived = [], [], []

    async def counting(_session: object, now: datetime, _until: datetime) -> list[JobSpec]:
        derived.append(now)
        return []

    for engine in engines:
        scheduler = Scheduler(session_factory(engine), Clock(), bot=None,  # type: ignore[arg-type]
                              cards=None)  # type: ignore[arg-type]
        scheduler.add_armer(counting)
        scheduler.tell_leader = True
        schedulers.append(scheduler)
        leaders.append(Leader(engine, scheduler.start, scheduler.stop, retry=0.05, heartbeat=0.05,
                              on_notice=(NOTICE_CHANNEL, scheduler.heard)))
    _leading, other = schedulers
    try:
        for leader in leaders:
            await leader.start()
        assert len(derived) == 1  # the leader's own start
        async with other.sessions() as session:
            other.refresh_after_commit(session)
            await session.execute(text("SELECT 1"))
            await session.rollback()
        async with other.sessions() as session:
            other.refresh_after_commit(session)
            await session.execute(text("SELECT 1"))
            await session.commit()
        for _ in range(100):
            if len(derived) > 1:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)
        assert len(derived) == 2, derived
    finally:
        for leader in leaders:
            await leader.stop()
        for engine in engines:
            await engine.dispose()


async def ring(job: object) -> None:
    """A job that does nothing: what is tested is where it is armed."""

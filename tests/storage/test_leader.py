"""One scheduler among replicas: the PostgreSQL advisory lock, held on a dedicated connection."""

from __future__ import annotations

import asyncio

import pytest

from bot.runtime.leader import Leader
from storage.db import create_engine
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

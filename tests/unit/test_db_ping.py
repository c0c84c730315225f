"""PostgreSQL connections are pinged only after sitting idle, and a dead one is replaced."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

import storage.db
from storage.db import create_engine
from tests.conftest import needs_pg, pg_url

BACKEND = text("select pg_backend_pid()")


@needs_pg
async def test_a_connection_killed_while_idle_is_replaced_before_use(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage.db, "PING_AFTER_IDLE", 0.05)
    url = pg_url()
    assert url is not None
    engine, killer = create_engine(url), create_engine(url)
    try:
        async with engine.connect() as connection:
            killed = (await connection.execute(BACKEND)).scalar()
        async with killer.connect() as connection:
            await connection.execute(text(f"select pg_terminate_backend({killed})"))
        await asyncio.sleep(0.1)  # past the idle threshold: the pool pings before use
        async with engine.connect() as connection:
            assert (await connection.execute(BACKEND)).scalar() != killed
    finally:
        await engine.dispose()
        await killer.dispose()


@needs_pg
async def test_a_connection_in_use_a_moment_ago_is_not_pinged(
        monkeypatch: pytest.MonkeyPatch) -> None:
    pings: list[object] = []
    url = pg_url()
    assert url is not None
    engine = create_engine(url)
    original = engine.sync_engine.dialect.do_ping
    monkeypatch.setattr(engine.sync_engine.dialect, "do_ping",
                        lambda connection: pings.append(connection) or original(connection))
    try:
        for _ in range(5):
            async with engine.connect() as connection:
                await connection.execute(text("select 1"))
        assert pings == [], "a burst paid a round trip per checkout"
    finally:
        await engine.dispose()

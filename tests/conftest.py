"""Shared fixtures: a migrated database on SQLite, and on PostgreSQL when CI provides one."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from storage.db import create_engine, session_factory
from storage.migrate import upgrade

PG_ENV = "ALLIANCE_TEST_DATABASE_URL"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "realtime: runs `alliance-bot run` as a process on the real clock")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The realtime tests wait on the real clock for a minute or more each. Queued first, xdist
    spreads them over the workers at the start, where they overlap the bulk of the suite, instead
    of running one after another on one worker at its tail."""
    items.sort(key=lambda item: item.get_closest_marker("realtime") is None)


def pg_url() -> str | None:
    return os.environ.get(PG_ENV) or None


needs_pg = pytest.mark.skipif(pg_url() is None,
                              reason=f"{PG_ENV} is not set: no PostgreSQL to test against")


REDIS_ENV = "ALLIANCE_TEST_REDIS_URL"
REDIS_URL = os.environ.get(REDIS_ENV) or "redis://127.0.0.1:6379/0"


def _redis_reachable() -> bool:
    import redis  # the synchronous client: asked once, at collection

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


needs_redis = pytest.mark.skipif(not _redis_reachable(),
                                 reason=f"no Redis answers at {REDIS_URL} (set {REDIS_ENV})")


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A key prefix of the test's own in the test Redis; its keys are deleted afterwards."""
    from redis.asyncio import Redis

    prefix = f"alliance_t_{uuid.uuid4().hex[:12]}"
    yield prefix
    client = Redis.from_url(REDIS_URL)
    try:
        async for key in client.scan_iter(match=f"{prefix}:*"):
            await client.delete(key)
    finally:
        await client.aclose()


async def _fresh_pg_database() -> tuple[str, str]:
    """A new empty database per test: tests never see each other's rows."""
    base = make_url(pg_url())
    name = f"alliance_t_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(base, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False), name


async def _drop_pg_database(name: str) -> None:
    admin = create_async_engine(make_url(pg_url()), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=needs_pg)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    url, name = await _fresh_pg_database()
    try:
        yield url
    finally:
        await _drop_pg_database(name)


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    await upgrade(database_url)
    engine = create_engine(database_url)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


@pytest.fixture
async def session(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessions() as session:
        yield session

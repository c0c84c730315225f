"""Engine and sessions: one code path for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.dialects import postgresql as postgresql_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from storage.sqlite_inline import inline_creator

# Statement parameters are people's data (customer contacts, names): SQLAlchemy leaves them out of
# its log lines and error messages, and aiosqlite's debug lines — which print every call with
# its arguments — are never emitted, whatever level the application logs at.
logging.getLogger("aiosqlite").setLevel(logging.INFO)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """SQLite gets WAL and ``BEGIN IMMEDIATE``.

    In WAL mode a deferred transaction that read first and then writes fails at once with
    SQLITE_BUSY when another writer committed meanwhile; taking the write lock at BEGIN makes
    concurrent updates wait their turn (busy timeout) instead of erroring. Transactions are kept
    short — services commit before the bot talks to Telegram — so the wait is brief.
    """
    kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
    sqlite = is_sqlite(url)
    if sqlite:
        database = make_url(url).database
        if not database or database == ":memory:":
            # One in-memory database must be one connection, or every session sees a new one.
            from sqlalchemy.pool import StaticPool

            kwargs["poolclass"] = StaticPool
            kwargs["connect_args"] = {"check_same_thread": False}
        else:
            # SQLite has one writer at a time. Its busy handler waits by sleeping in growing
            # steps, which under a burst of updates wastes most of the time; one pooled
            # connection makes sessions queue in asyncio instead, first come first served.
            # That connection runs its calls inline (see storage.sqlite_inline): no thread hops.
            kwargs["async_creator"] = inline_creator(database, timeout=30)
            kwargs["pool_size"] = 1
            kwargs["max_overflow"] = 0
            kwargs["pool_timeout"] = 60
    engine = create_async_engine(url, **kwargs)
    if sqlite:
        _sqlite_tuning(engine)
    else:
        _ping_when_idle(engine)
    return engine


# A pooled connection idle this long is pinged before use (seconds); see _ping_when_idle.
PING_AFTER_IDLE = 1.0


def _ping_when_idle(engine: AsyncEngine) -> None:
    """``pool_pre_ping``, only for connections that sat idle: a server restart or a dropped
    connection is noticed before an update uses it, without a round trip per update in a burst.

    ``pool_pre_ping`` pings at every checkout, a ``SELECT 1`` round trip on each update. A
    connection checked in less than a second ago is reused as is: a restart of the server takes
    longer than that, and a connection that failed meanwhile was invalidated by its error."""
    dialect = engine.sync_engine.dialect

    @event.listens_for(engine.sync_engine, "connect")
    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("checked_in", 0.0) < PING_AFTER_IDLE:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:  # of no use whatever the cause: the pool opens another
            raise exc.DisconnectionError() from error


def conflict_insert(dialect: str) -> Any:
    """The dialect's ``insert``, the one with ``on_conflict_do_nothing/update`` (both engines
    speak ``INSERT … ON CONFLICT``)."""
    return postgresql_dialect.insert if dialect == "postgresql" else sqlite_dialect.insert


def create_unpooled_engine(url: str) -> AsyncEngine:
    """For migrations and one-shot commands, which must not keep connections open."""
    return create_async_engine(url, poolclass=NullPool, hide_parameters=True)


def _sqlite_tuning(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so that BEGIN is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)

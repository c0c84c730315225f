"""Exactly one replica runs the scheduler: the one holding a PostgreSQL advisory lock.

Replicas behind a load balancer all handle updates, but a deadline must close once and a
reminder go once. The lock is held on a dedicated connection (never through PgBouncer's
transaction pooling, which would hand it to another client), checked by a heartbeat; when the
connection dies the lock is gone and so is the leadership, and another replica takes over at
its next try. SQLite means one process: it always leads. The per-run claim rows in ``job_runs``
stay as the second guard for the moment two leaders might overlap.

The leader also LISTENs on that connection (``on_notice``): the other replicas tell it there of
the jobs their state changes imply, so a job never waits for the leader's next refresh. It
listens before it starts its scheduler, whose first refresh covers whatever committed earlier.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

LOCK_KEY = 0x616C6C69616E6365 & 0x7FFFFFFFFFFFFFFF  # "alliance", a bigint


class Leader:
    def __init__(self, engine: AsyncEngine, on_gain: Callable[[], Awaitable[None]],
                 on_lose: Callable[[], Awaitable[None]], *, retry: float = 15.0,
                 heartbeat: float = 10.0, key: int = LOCK_KEY,
                 on_notice: tuple[str, Callable[[str], None]] | None = None) -> None:
        self.engine = engine
        self.on_notice = on_notice  # (channel, what to do with a payload heard there)
        self.on_gain = on_gain
        self.on_lose = on_lose
        self.retry = retry
        self.heartbeat = heartbeat
        self.key = key
        self.leading = False
        self._connection: AsyncConnection | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.engine.dialect.name != "postgresql":
            self.leading = True
            await self.on_gain()
            return
        if not await self._try():  # the first try is awaited: a lone replica leads at once
            log.info("scheduler: another replica leads; retrying every %.0fs", self.retry)
        self._task = asyncio.create_task(self._watch(), name="leader")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._lose(release=True)

    async def _try(self) -> bool:
        connection = None
        try:
            connection = await self.engine.connect()
            got = await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key})
            if got and self.on_notice is not None:
                raw = await connection.get_raw_connection()
                await raw.driver_connection.add_listener(self.on_notice[0], self._heard)
            await connection.commit()
        except Exception as error:
            log.warning("scheduler: cannot try the leader lock: %s", type(error).__name__)
            if connection is not None:
                # Discarded, not returned to the pool: a rollback keeps a session-level
                # advisory lock, and a pooled connection holding it would leave every replica
                # unable to lead.
                with contextlib.suppress(Exception):
                    await connection.invalidate()
            return False
        if not got:
            await connection.close()
            return False
        self._connection, self.leading = connection, True
        log.info("scheduler: this replica leads")
        await self.on_gain()
        return True

    def _heard(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        assert self.on_notice is not None
        try:
            self.on_notice[1](payload)
        except Exception as error:  # a notice must not take the lock's connection down
            log.error("scheduler: a notice failed: %s", type(error).__name__, exc_info=error)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat if self.leading else self.retry)
            if not self.leading:
                await self._try()
                continue
            try:
                assert self._connection is not None
                await self._connection.scalar(text("SELECT 1"))
                await self._connection.commit()
            except Exception as error:
                log.error("scheduler: lost the leader connection: %s", type(error).__name__)
                await self._lose(release=False)

    async def _lose(self, *, release: bool) -> None:
        connection, self._connection = self._connection, None
        was_leading, self.leading = self.leading, False
        if was_leading:
            await self.on_lose()
        if connection is not None:
            with contextlib.suppress(Exception):
                if release:
                    await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
                    await connection.commit()
            with contextlib.suppress(Exception):
                # Never back to the pool: it may still hold the lock or the LISTEN.
                await connection.invalidate()

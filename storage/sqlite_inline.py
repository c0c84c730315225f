"""SQLite calls made on the event loop's own thread, not through aiosqlite's worker thread.

aiosqlite runs every call (cursor, execute, fetch, close, commit) in a worker thread and wakes
the event loop with its result. SQLAlchemy makes dozens of such calls per transaction, and each
hop costs far more than the work: on a local file in WAL mode with ``synchronous=NORMAL`` a
statement takes microseconds and a commit does not wait for the disk. Measured on the vote path,
the hops were most of a ballot's time (``benchmarks/votes.py``).

The bot owns its SQLite file through one pooled connection (``storage.db``), so no other writer
in the process can make a call wait on a lock; a call blocks the loop only for the statement
itself. Another *process* holding the write lock (``alliance-bot migrate`` run beside a live
bot) would make it wait up to the busy timeout — run migrations with the bot stopped, as the
README says. aiosqlite's API is kept, so SQLAlchemy's aiosqlite dialect drives it unchanged.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Generator
from functools import partial
from typing import Any

import aiosqlite


class _RunNow:
    """Stands in for aiosqlite's queue to its worker thread: SQLAlchemy's adapter puts work on it
    directly (to set ``isolation_level``); here it is done at once and its future resolved."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as error:
            if future is not None and not future.done():
                future.set_exception(error)
            return
        if future is not None and not future.done():
            future.set_result(result)


class InlineConnection(aiosqlite.Connection):
    """An ``aiosqlite.Connection`` that runs each call at once, in the caller's thread."""

    def __init__(self, connector: Callable[[], sqlite3.Connection], iter_chunk_size: int) -> None:
        super().__init__(connector, iter_chunk_size)
        self._tx = _RunNow()  # type: ignore[assignment]

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self._connection is None:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    async def _connect(self) -> InlineConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    def __await__(self) -> Generator[Any, None, InlineConnection]:
        return self._connect().__await__()  # no worker thread to start

    def stop(self) -> None:  # type: ignore[override]
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def inline_creator(path: str, *, timeout: float) -> Callable[[], Any]:
    """For ``create_async_engine(async_creator=...)``: a new inline connection to ``path``."""

    async def create() -> InlineConnection:
        connector = partial(sqlite3.connect, path, timeout=timeout, check_same_thread=False)
        return await InlineConnection(connector, 64)

    return create

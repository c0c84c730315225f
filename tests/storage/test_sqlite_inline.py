"""The SQLite engine runs its calls inline: no worker thread, and SQL errors still surface."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from storage.db import create_engine
from storage.sqlite_inline import InlineConnection


async def test_inline_connection_without_a_thread(tmp_path: Path) -> None:
    threads_before = threading.active_count()
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'inline.db'}")
    try:
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            assert isinstance(raw.driver_connection, InlineConnection)
            assert await connection.scalar(text("PRAGMA journal_mode")) == "wal"
            await connection.execute(text("CREATE TABLE t (x INTEGER PRIMARY KEY)"))
            await connection.execute(text("INSERT INTO t (x) VALUES (1)"))
            await connection.commit()
            with pytest.raises(OperationalError):
                await connection.execute(text("INSERT INTO missing VALUES (1)"))
            await connection.rollback()
            await connection.execute(text("INSERT INTO t (x) VALUES (2)"))
            await connection.rollback()  # BEGIN IMMEDIATE … ROLLBACK: the 2 is gone
            assert await connection.scalar(text("SELECT count(*) FROM t")) == 1
        assert threading.active_count() == threads_before
    finally:
        await engine.dispose()

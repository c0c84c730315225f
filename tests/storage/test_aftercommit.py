"""Work queued for a commit runs once after it, and never after a rollback — not even on the
same session's next commit (a hook that rolled back must not leave its Telegram calls armed)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.runtime.aftercommit import after_commit


async def test_runs_once_after_commit_and_is_dropped_by_rollback_or_close(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    ran: list[str] = []
    async with sessions() as session:
        await session.execute(text("SELECT 1"))
        after_commit(session, lambda: ran.append("committed"))
        assert ran == []
        await session.commit()
        assert ran == ["committed"]
        await session.execute(text("SELECT 1"))
        after_commit(session, lambda: ran.append("rolled back"))
        await session.rollback()
        await session.execute(text("SELECT 1"))
        await session.commit()  # the next transaction's commit does not run the dropped work
        await session.execute(text("SELECT 1"))
        after_commit(session, lambda: ran.append("closed"))
    async with sessions() as other:
        await other.execute(text("SELECT 1"))
        await other.commit()
    assert ran == ["committed"]

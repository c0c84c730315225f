"""Each Telegram update is processed once, even when Telegram or a load balancer sends it twice."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedUpdate

KEEP_FOR = timedelta(days=7)  # Telegram gives up re-sending an update within a day


async def claim(session: AsyncSession, bot_id: int, update_id: int, now: datetime) -> bool:
    """Insert the claim inside the update's own transaction.

    It commits with the handler's effects, so a crash before the commit leaves the update
    unclaimed and Telegram's re-delivery is processed; a concurrent copy waits on the key and
    then finds it taken.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(ProcessedUpdate)
        .values(bot_id=bot_id, update_id=update_id, processed_at=now)
        .on_conflict_do_nothing(index_elements=["bot_id", "update_id"])
    )
    result = await session.execute(statement)
    return bool(result.rowcount)


async def prune(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(
        delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < now - KEEP_FOR)
    )
    await session.commit()
    return result.rowcount or 0

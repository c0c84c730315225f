"""The scheduler's bookkeeping: a claim per job run, so a run happens once across replicas.

The claim is inserted in the run's own transaction, like an update's: a crash before the commit
leaves the run unclaimed and it runs again after the restart; a second replica (or a second arming
of the same job) finds the key taken and does nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import JobRun

KEEP_FOR = timedelta(days=60)


async def claim(session: AsyncSession, job_id: str, due_at: datetime, now: datetime) -> bool:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(JobRun).values(job_id=job_id, due_at=due_at, ran_at=now)
        .on_conflict_do_nothing(index_elements=["job_id", "due_at"])
    )
    result = await session.execute(statement)
    return bool(result.rowcount)


async def prune(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(delete(JobRun).where(JobRun.ran_at < now - KEEP_FOR))
    await session.commit()
    return result.rowcount or 0

"""The scheduler's bookkeeping: a claim per job run, so a run happens once across replicas.

The claim is inserted in the run's own transaction, like an update's: a crash before the commit
leaves the run unclaimed and it runs again after the restart; a second replica (or a second arming
of the same job) finds the key taken and does nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, delete, or_
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import conflict_insert
from storage.models import JobRun

KEEP_FOR = timedelta(days=60)
# Claims that only pace something (a card's edits across replicas: one per slot of a few
# seconds) matter for moments; they go at the next maintenance.
SLOT_PREFIX = "slot:"
KEEP_SLOTS_FOR = timedelta(hours=1)


@cache
def _claim_statement(dialect: str) -> Any:
    return (conflict_insert(dialect)(JobRun.__table__)
            .values(job_id=bindparam("job_id"), due_at=bindparam("due_at"),
                    ran_at=bindparam("ran_at"))
            .on_conflict_do_nothing(index_elements=["job_id", "due_at"]))


async def claim(session: AsyncSession, job_id: str, due_at: datetime, now: datetime) -> bool:
    connection = await session.connection()
    result = await connection.execute(_claim_statement(connection.dialect.name),
                                      {"job_id": job_id, "due_at": due_at, "ran_at": now})
    return bool(result.rowcount)


async def prune(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(delete(JobRun).where(or_(
        JobRun.ran_at < now - KEEP_FOR,
        and_(JobRun.job_id.startswith(SLOT_PREFIX), JobRun.ran_at < now - KEEP_SLOTS_FOR))))
    return result.rowcount or 0

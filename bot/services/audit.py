"""Every coordinator action is written down: trust in the alliance rests on it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


def record(
    session: AsyncSession,
    *,
    alliance_id: int | None,
    actor_id: int | None,
    action: str,
    now: datetime,
    subject: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(alliance_id=alliance_id, actor_id=actor_id, action=action,
                       subject=subject, details=details or {}, created_at=now)
    session.add(entry)
    return entry


async def recent(session: AsyncSession, alliance_id: int, limit: int = 20) -> list[AuditEntry]:
    rows = await session.scalars(
        select(AuditEntry)
        .where(AuditEntry.alliance_id == alliance_id)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    return list(rows)

"""The outbox's storage side: what is owed to which chat, and each attempt's outcome.

Services enqueue here (plain values, no messenger types); ``bot.runtime.outbox`` delivers. Every state
change is committed before and after the attempt, so a restart neither loses nor repeats a
message that was confirmed sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxItem

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"


@dataclass(frozen=True, slots=True)
class Outgoing:
    chat_id: int
    text: str = ""
    thread_id: int | None = None
    reply_markup: dict[str, Any] | None = None
    document: bytes | None = None
    document_name: str | None = None
    photo: bool = False  # send ``document`` (a PNG or JPEG) as a photo, ``text`` its caption
    pin: bool = False
    disable_notification: bool = False


async def enqueue(
    session: AsyncSession,
    message: Outgoing,
    *,
    now: datetime,
    alliance_id: int | None = None,
    not_before: datetime | None = None,
    dedup_key: str | None = None,
    purpose: str | None = None,
) -> OutboxItem | None:
    """Store a message to be sent. With ``dedup_key``, a second enqueue of the same is ignored."""
    if dedup_key is not None:
        existing = await session.scalar(select(OutboxItem).where(OutboxItem.dedup_key == dedup_key))
        if existing is not None:
            return None
    payload: dict[str, Any] = {}
    if message.reply_markup:
        payload["reply_markup"] = message.reply_markup
    if message.pin:
        payload["pin"] = True
    if message.disable_notification:
        payload["disable_notification"] = True
    item = OutboxItem(
        alliance_id=alliance_id, chat_id=message.chat_id, thread_id=message.thread_id,
        kind=_kind(message), text=message.text,
        payload=payload, document=message.document, document_name=message.document_name,
        dedup_key=dedup_key, purpose=purpose, status=PENDING, attempts=0,
        not_before=not_before or now, created_at=now,
    )
    session.add(item)
    await session.flush()
    return item


def _kind(message: Outgoing) -> str:
    if message.document is None:
        return "message"
    return "photo" if message.photo else "document"


async def due(session: AsyncSession, now: datetime, limit: int, exclude_chats: set[int]) -> list[OutboxItem]:
    """The oldest due item of each chat not already being served, oldest chats first.

    One item per chat keeps every chat's messages in the order they were enqueued.
    """
    oldest = _chat_heads()
    query = (
        select(OutboxItem).join(oldest, OutboxItem.id == oldest.c.id)
        .where(OutboxItem.not_before <= now)
        .order_by(OutboxItem.id).limit(limit)
    )
    if exclude_chats:
        query = query.where(OutboxItem.chat_id.not_in(exclude_chats))
    return list(await session.scalars(query))


async def next_due_at(session: AsyncSession) -> datetime | None:
    """When the next chat's first pending item falls due (later items wait behind it)."""
    oldest = _chat_heads()
    return await session.scalar(
        select(func.min(OutboxItem.not_before)).select_from(OutboxItem)
        .join(oldest, OutboxItem.id == oldest.c.id)
    )


def _chat_heads() -> Any:
    """The oldest pending item of each chat."""
    return (
        select(func.min(OutboxItem.id).label("id"))
        .where(OutboxItem.status == PENDING)
        .group_by(OutboxItem.chat_id)
        .subquery()
    )


async def claim(session: AsyncSession, item_id: int) -> bool:
    """Pending → sending, atomically, so two workers never send the same item."""
    result = await session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == item_id, OutboxItem.status == PENDING)
        .values(status=SENDING, attempts=OutboxItem.attempts + 1)
    )
    return bool(result.rowcount)


async def mark_sent(session: AsyncSession, item_id: int, message_id: int | None, now: datetime) -> None:
    await session.execute(
        update(OutboxItem).where(OutboxItem.id == item_id)
        .values(status=SENT, sent_at=now, message_id=message_id, last_error=None)
    )


async def mark_retry(session: AsyncSession, item_id: int, at: datetime, error: str,
                     *, count_attempt: bool = True) -> None:
    """Back to pending until ``at``. A 429 or a migration is Telegram asking to wait, not a
    failed attempt: the claim's increment is taken back."""
    values: dict[str, Any] = {"status": PENDING, "not_before": at, "last_error": error[:512]}
    if not count_attempt:
        values["attempts"] = OutboxItem.attempts - 1
    await session.execute(update(OutboxItem).where(OutboxItem.id == item_id).values(**values))


async def retarget_chat(session: AsyncSession, old_chat_id: int, new_chat_id: int) -> None:
    """A group became a supergroup: what was owed to the old id goes to the new one."""
    await session.execute(update(OutboxItem).where(OutboxItem.chat_id == old_chat_id,
                                                   OutboxItem.status.in_((PENDING, SENDING)))
                          .values(chat_id=new_chat_id))


async def mark_failed(session: AsyncSession, item_id: int, error: str, now: datetime) -> None:
    await session.execute(
        update(OutboxItem).where(OutboxItem.id == item_id)
        .values(status=FAILED, last_error=error[:512], sent_at=None, not_before=now)
    )


async def recover_interrupted(session: AsyncSession, now: datetime) -> int:
    """Items left 'sending' by a crash go back to pending.

    Telegram has no idempotency key, so an item whose answer was lost is sent again rather than
    lost: an announcement twice is better than none. A graceful stop finishes its attempts first,
    so this only happens after a crash.
    """
    result = await session.execute(
        update(OutboxItem).where(OutboxItem.status == SENDING)
        .values(status=PENDING, not_before=now)
    )
    return result.rowcount or 0


async def counts(session: AsyncSession, *, purpose: str | None = None) -> dict[str, int]:
    query = select(OutboxItem.status, func.count()).group_by(OutboxItem.status)
    if purpose is not None:
        query = query.where(OutboxItem.purpose == purpose)
    return {status: count for status, count in await session.execute(query)}


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff for 5xx and network errors: 2, 4, 8 … seconds, at most 5 minutes."""
    return timedelta(seconds=min(2 ** max(attempts, 1), 300))

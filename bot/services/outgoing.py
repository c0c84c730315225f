"""The outbox's storage side: what is owed to which chat, and each attempt's outcome.

Services enqueue here (plain values, no messenger types); ``bot.runtime.outbox`` delivers. Every state
change is committed before and after the attempt, so a restart neither loses nor repeats a
message that was confirmed sent.

Quiet hours (PRODUCT.md §7): a private notice enqueued with ``hold_in_quiet_hours`` while the
alliance's quiet hours last is stored with ``not_before`` at their end, so the hold is in the
row and survives a restart. Each chat has two queues, the notices that may wait (``quiet``) and
everything else, each in its own order: a held notice never blocks an urgent message to the same
person, while a message waiting on a 429 still blocks the later ones of its queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from bot.services import settings
from storage.models import Alliance, OutboxItem

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
# The session's ``info`` key marking that it enqueued something: on its commit the runtime wakes
# its outbox (``bot.runtime.outbox.wake_on_commit``), so a notice goes out at once rather than at
# the outbox's next poll.
QUEUED = "outbox_queued"


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
    hold_in_quiet_hours: bool = False,
) -> OutboxItem | None:
    """Store a message to be sent. With ``dedup_key``, a second enqueue of the same is ignored.

    ``hold_in_quiet_hours``: a private notice that can wait for the morning (a reminder, news of
    someone else's move). Left False for what cannot wait: an answer to the person's own action,
    anything with a short window. Group posts are never held (a chat id below zero is a group's).
    """
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
    quiet = hold_in_quiet_hours and message.chat_id > 0 and alliance_id is not None
    at = not_before or now
    if quiet:
        at = await _after_quiet_hours(session, alliance_id, at)
    item = OutboxItem(
        alliance_id=alliance_id, chat_id=message.chat_id, thread_id=message.thread_id,
        kind=_kind(message), text=message.text,
        payload=payload, document=message.document, document_name=message.document_name,
        dedup_key=dedup_key, purpose=purpose, status=PENDING, attempts=0, quiet=quiet,
        not_before=at, created_at=now,
    )
    session.add(item)
    await session.flush()
    session.info[QUEUED] = True
    return item


async def enqueue_menu(session: AsyncSession, chat_id: int, scope: str,
                       commands: list[dict[str, str]], *, now: datetime,
                       alliance_id: int | None = None) -> OutboxItem:
    """A chat's own command menu (``scope`` "chat" or "chat_administrators"). It replaces a menu
    for the same chat and scope still waiting: only the latest language matters. The item is
    written with the transaction's commit (its id is not needed before)."""
    purpose = f"menu:{scope}"
    await session.execute(_DROP_WAITING_MENU, {"chat_id": chat_id, "purpose": purpose})
    item = OutboxItem(alliance_id=alliance_id, chat_id=chat_id, kind="menu", text="",
                      payload={"scope": scope, "commands": commands}, purpose=purpose,
                      status=PENDING, attempts=0, not_before=now, created_at=now)
    session.add(item)
    session.info[QUEUED] = True
    return item


# A menu's statement runs for each person first seen with another language: built once.
_DROP_WAITING_MENU = (delete(OutboxItem)
                      .where(OutboxItem.chat_id == bindparam("chat_id"),
                             OutboxItem.purpose == bindparam("purpose"),
                             OutboxItem.status == PENDING)
                      .execution_options(synchronize_session=False))


def _kind(message: Outgoing) -> str:
    if message.document is None:
        return "message"
    return "photo" if message.photo else "document"


async def _after_quiet_hours(session: AsyncSession, alliance_id: int | None,
                             at: datetime) -> datetime:
    alliance = await session.get(Alliance, alliance_id)
    end = settings.quiet_end(alliance, at) if alliance is not None else None
    return end or at


async def rehold(session: AsyncSession, alliance: Alliance, now: datetime) -> int:
    """The alliance's quiet hours or time zone changed: what waits for the old morning waits for
    the new one instead, or goes now if it is not quiet now (quiet hours turned off, or ended
    earlier). Only items never attempted: one waiting on a 429 keeps Telegram's time."""
    end = settings.quiet_end(alliance, now)
    result = await session.execute(
        update(OutboxItem)
        .where(OutboxItem.alliance_id == alliance.id, OutboxItem.quiet.is_(True),
               OutboxItem.status == PENDING, OutboxItem.last_error.is_(None),
               OutboxItem.not_before > now)
        .values(not_before=end or now)
    )
    if result.rowcount:
        session.info[QUEUED] = True  # released or re-timed: the outbox looks again on the commit
    return result.rowcount or 0


def _chat_heads() -> Any:
    """The oldest pending item of each chat's two queues (held notices, everything else)."""
    return (
        select(func.min(OutboxItem.id).label("id"))
        .where(OutboxItem.status == PENDING)
        .group_by(OutboxItem.chat_id, OutboxItem.quiet)
        .subquery()
    )


# The worker's own statements run for every item it sends: built once, with bound parameters,
# since building a statement costs more than SQLAlchemy's compiled cache saves.
_HEADS = _chat_heads()
_DUE = (select(OutboxItem).join(_HEADS, OutboxItem.id == _HEADS.c.id)
        .where(OutboxItem.not_before <= bindparam("now"))
        .order_by(OutboxItem.id).limit(bindparam("limit")))
_DUE_EXCEPT = _DUE.where(OutboxItem.chat_id.not_in(bindparam("busy", expanding=True)))
_NO_MENUS = OutboxItem.kind != "menu"
_DUE_QUERIES = {(False, True): _DUE, (True, True): _DUE_EXCEPT,
                (False, False): _DUE.where(_NO_MENUS), (True, False): _DUE_EXCEPT.where(_NO_MENUS)}
_NEXT_DUE = (select(func.min(OutboxItem.not_before)).select_from(OutboxItem)
             .join(_HEADS, OutboxItem.id == _HEADS.c.id))
_CLAIM = (update(OutboxItem)
          .where(OutboxItem.id == bindparam("item_id"), OutboxItem.status == PENDING)
          .values(status=SENDING, attempts=OutboxItem.attempts + 1))
_SENT = (update(OutboxItem).where(OutboxItem.id == bindparam("item_id"))
         .values(status=SENT, sent_at=bindparam("now"), message_id=bindparam("message_id"),
                 last_error=None))


async def due(session: AsyncSession, now: datetime, limit: int, exclude_chats: set[int],
              *, menus: bool = True) -> list[OutboxItem]:
    """The oldest due item of each chat not already being served, oldest first.

    One item per chat and queue keeps each queue's messages in the order they were enqueued;
    when both queues of a chat are due, the older goes first and the other at the next poll.
    Without ``menus`` no command menu is chosen: the worker has enough of them under way, and a
    burst of them must not fill the slots the messages queued after them need.
    """
    params: dict[str, Any] = {"now": now, "limit": limit}
    if exclude_chats:
        params["busy"] = list(exclude_chats)
    chosen: dict[int, OutboxItem] = {}
    for item in await session.scalars(_DUE_QUERIES[bool(exclude_chats), menus], params):
        chosen.setdefault(item.chat_id, item)
    return list(chosen.values())


async def next_due_at(session: AsyncSession) -> datetime | None:
    """When the next queue's first pending item falls due (later items wait behind it)."""
    return await session.scalar(_NEXT_DUE)


async def claim(session: AsyncSession, item_id: int) -> bool:
    """Pending → sending, atomically, so two workers never send the same item."""
    result = await session.execute(_CLAIM, {"item_id": item_id})
    if result.rowcount and (item := _loaded(session, item_id)) is not None:
        _in_step(item, status=SENDING, attempts=item.attempts + 1)
    return bool(result.rowcount)


async def mark_sent(session: AsyncSession, item_id: int, message_id: int | None, now: datetime) -> None:
    await session.execute(_SENT, {"item_id": item_id, "now": now, "message_id": message_id})
    if (item := _loaded(session, item_id)) is not None:
        _in_step(item, status=SENT, sent_at=now, message_id=message_id, last_error=None)


def _loaded(session: AsyncSession, item_id: int) -> OutboxItem | None:
    """The item, if this session holds it (a prepared statement's parameters are beyond
    SQLAlchemy's in-memory sync)."""
    found = session.identity_map.get(session.identity_key(OutboxItem, item_id))
    return found if isinstance(found, OutboxItem) else None


def _in_step(item: OutboxItem, **values: Any) -> None:
    """What the statement just wrote, as the row's committed state (nothing to flush again)."""
    for name, value in values.items():
        set_committed_value(item, name, value)


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

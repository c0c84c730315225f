"""Each Telegram update is processed once, even when Telegram or a load balancer sends it twice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, delete, exists, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import conflict_insert
from storage.models import FsmRecord, ProcessedUpdate, ReceivedUpdate

KEEP_FOR = timedelta(days=7)  # Telegram gives up re-sending an update within a day
CLAIMS = ProcessedUpdate.__table__
RECEIVED = ReceivedUpdate.__table__
STATES = FsmRecord.__table__


@cache
def _claim_statement(dialect: str, *, returning: bool = False) -> Any:
    """Built once per dialect: every update runs it, and building it cost more than running it."""
    statement = (conflict_insert(dialect)(CLAIMS)
                 .values(bot_id=bindparam("bot_id"), update_id=bindparam("update_id"),
                         processed_at=bindparam("processed_at"))
                 .on_conflict_do_nothing(index_elements=["bot_id", "update_id"]))
    return statement.returning(CLAIMS.c.update_id) if returning else statement


async def claim(session: AsyncSession, bot_id: int, update_id: int, now: datetime) -> bool:
    """Insert the claim inside the update's own transaction.

    It commits with the handler's effects, so a crash before the commit leaves the update
    unclaimed and Telegram's re-delivery is processed; a concurrent copy waits on the key and
    then finds it taken.
    """
    connection = await session.connection()
    result = await connection.execute(
        _claim_statement(connection.dialect.name),
        {"bot_id": bot_id, "update_id": update_id, "processed_at": now})
    return bool(result.rowcount)


@cache
def _claim_reading_state_statement(dialect: str) -> Any:
    state = (select(STATES.c.state).where(STATES.c.key == bindparam("state_key"))
             .scalar_subquery())
    return _claim_statement(dialect).returning(state)


async def claim_reading_state(session: AsyncSession, bot_id: int, update_id: int, now: datetime,
                              state_key: str) -> tuple[bool, str | None]:
    """``claim``, and in the same statement the wizard state stored under ``state_key``.

    Every update is claimed, few are in a wizard: reading the state in the claim's own
    statement (a subquery in its ``RETURNING``) spares a second query per update. A copy already
    claimed returns no row, and its state is not read.
    """
    connection = await session.connection()
    result = await connection.execute(
        _claim_reading_state_statement(connection.dialect.name),
        {"bot_id": bot_id, "update_id": update_id, "processed_at": now, "state_key": state_key})
    row = result.first()
    if row is None:
        return False, None
    state = row[0]
    if state is not None and connection.dialect.name == "postgresql":
        state = await _serialized_state(connection, state_key)
    return True, state


async def _serialized_state(connection: Any, state_key: str) -> str | None:
    """Two updates of one wizard (a press and a typed answer, which Telegram queues apart) can
    reach two replicas at once: each would run the step from the same state. A lock on the
    wizard's key, held until this update's transaction ends, makes the second wait for the
    first's commit; the state is then read again, as the first left it."""
    await connection.execute(_LOCK_STATE, {"state_key": state_key})
    return await connection.scalar(_READ_STATE, {"state_key": state_key})


_LOCK_STATE = text("SELECT pg_advisory_xact_lock(hashtextextended(:state_key, 0))")
_READ_STATE = select(FsmRecord.state).where(FsmRecord.key == bindparam("state_key"))


async def claim_many(session: AsyncSession, bot_id: int, update_ids: Sequence[int],
                     now: datetime) -> set[int]:
    """``claim`` for updates handled together: one statement, and the ids that were not yet
    claimed come back (a re-delivered one, or a copy in the same batch, is not among them)."""
    if not update_ids:
        return set()
    connection = await session.connection()
    rows = [{"bot_id": bot_id, "update_id": update_id, "processed_at": now}
            for update_id in dict.fromkeys(update_ids)]
    result = await connection.execute(
        _claim_statement(connection.dialect.name, returning=True), rows)
    return set(result.scalars())


def _claimed() -> Any:
    return exists().where(and_(CLAIMS.c.bot_id == RECEIVED.c.bot_id,
                               CLAIMS.c.update_id == RECEIVED.c.update_id))


@cache
def _receive_statement(dialect: str) -> Any:
    return (conflict_insert(dialect)(RECEIVED)
            .values(bot_id=bindparam("bot_id"), update_id=bindparam("update_id"),
                    received_at=bindparam("received_at"), payload=bindparam("payload"))
            .on_conflict_do_nothing(index_elements=["bot_id", "update_id"]))


@cache
def _sweep_statement() -> Any:
    return delete(RECEIVED).where(RECEIVED.c.bot_id == bindparam("bot_id"), _claimed())


async def receive(session: AsyncSession, bot_id: int, batch: Sequence[tuple[int, str]],
                  now: datetime, *, sweep: bool = True) -> None:
    """Keep a ``getUpdates`` batch (update id, JSON) before Telegram is told it arrived.

    With ``sweep``, the rows of earlier batches whose handling has committed go in the same
    breath, so the table holds only what is under way — and a customer's words stay in it for
    seconds. (The caller sweeps every second or so rather than on each batch of a burst.)
    """
    connection = await session.connection()
    if sweep:
        await connection.execute(_sweep_statement(), {"bot_id": bot_id})
    if batch:
        await connection.execute(
            _receive_statement(connection.dialect.name),
            [{"bot_id": bot_id, "update_id": update_id, "received_at": now, "payload": payload}
             for update_id, payload in batch])


async def unfinished(session: AsyncSession, bot_id: int) -> list[str]:
    """The updates received but never claimed — a crash cut their handling short — in order."""
    result = await session.execute(
        select(RECEIVED.c.payload)
        .where(RECEIVED.c.bot_id == bot_id, ~_claimed())
        .order_by(RECEIVED.c.update_id))
    return list(result.scalars())


async def prune(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(
        delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < now - KEEP_FOR)
    )
    await session.execute(delete(ReceivedUpdate).where(ReceivedUpdate.received_at < now - KEEP_FOR))
    return result.rowcount or 0

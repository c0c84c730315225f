"""Updates taken from getUpdates are kept until their handling commits (both engines)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import updates
from storage.models import ReceivedUpdate
from tests.conftest import NOW

BOT = 7000001


def payload(update_id: int) -> str:
    return f'{{"update_id":{update_id}}}'


async def test_what_was_received_and_not_claimed_is_unfinished(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        await updates.receive(session, BOT, [(11, payload(11)), (10, payload(10))], NOW)
        await updates.receive(session, BOT, [(10, payload(10))], NOW)  # a re-delivery
        await updates.receive(session, 99, [(10, payload(10))], NOW)  # another bot's
        await session.commit()
    async with sessions() as session:
        assert await updates.unfinished(session, BOT) == [payload(10), payload(11)]
        assert await updates.claim(session, BOT, 10, NOW)
        await session.commit()
    async with sessions() as session:
        assert await updates.unfinished(session, BOT) == [payload(11)]
        # The next batch takes away what has been claimed since; the rest stays.
        await updates.receive(session, BOT, [(12, payload(12))], NOW)
        await session.commit()
        kept = (await session.scalars(select(ReceivedUpdate.update_id)
                                      .where(ReceivedUpdate.bot_id == BOT)
                                      .order_by(ReceivedUpdate.update_id))).all()
        assert kept == [11, 12]
        assert await updates.unfinished(session, 99) == [payload(10)]


async def test_prune_drops_what_nobody_will_ever_finish(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        await updates.receive(session, BOT, [(1, payload(1))], NOW - updates.KEEP_FOR * 2)
        await updates.receive(session, BOT, [(2, payload(2))], NOW)
        await session.commit()
        await updates.prune(session, NOW)
        left = await session.scalar(select(func.count()).select_from(ReceivedUpdate))
        assert left == 1


async def test_a_batch_without_a_sweep_leaves_the_claimed_rows(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    """During a burst the poller stores batch after batch and sweeps only now and then."""
    async with sessions() as session:
        await updates.receive(session, BOT, [(20, payload(20))], NOW)
        assert await updates.claim(session, BOT, 20, NOW)
        await updates.receive(session, BOT, [(21, payload(21))], NOW, sweep=False)
        await session.commit()
        kept = (await session.scalars(select(ReceivedUpdate.update_id)
                                      .where(ReceivedUpdate.bot_id == BOT)
                                      .order_by(ReceivedUpdate.update_id))).all()
        assert kept == [20, 21]
        assert await updates.unfinished(session, BOT) == [payload(21)]
        await updates.receive(session, BOT, [], NOW)
        await session.commit()
        kept = (await session.scalars(select(ReceivedUpdate.update_id)
                                      .where(ReceivedUpdate.bot_id == BOT))).all()
        assert kept == [21]

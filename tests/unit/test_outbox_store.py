"""The outbox's bookkeeping: order per chat, atomic claims, dedup, recovery after a crash."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import outgoing as store
from bot.services import updates
from bot.services.outgoing import Outgoing
from tests.conftest import NOW


async def test_due_gives_oldest_per_chat_in_order(session: AsyncSession) -> None:
    for chat, text in [(-1, "a1"), (-1, "a2"), (5, "b1"), (-1, "a3"), (6, "c1")]:
        await store.enqueue(session, Outgoing(chat_id=chat, text=text), now=NOW)
    await session.commit()
    first = await store.due(session, NOW, 10, set())
    assert [item.text for item in first] == ["a1", "b1", "c1"]
    assert [item.text for item in await store.due(session, NOW, 10, {-1})] == ["b1", "c1"]
    assert await store.claim(session, first[0].id)
    assert not await store.claim(session, first[0].id), "claimed twice"
    await store.mark_sent(session, first[0].id, 77, NOW)
    assert [item.text for item in await store.due(session, NOW, 10, set())] == ["a2", "b1", "c1"]


async def test_a_chat_waiting_for_retry_holds_its_later_messages(session: AsyncSession) -> None:
    a1 = await store.enqueue(session, Outgoing(chat_id=-1, text="a1"), now=NOW)
    await store.enqueue(session, Outgoing(chat_id=-1, text="a2"), now=NOW)
    await session.commit()
    assert a1 is not None
    await store.claim(session, a1.id)
    await store.mark_retry(session, a1.id, NOW + timedelta(seconds=5), "429")
    assert await store.due(session, NOW, 10, set()) == []
    assert await store.next_due_at(session) == NOW + timedelta(seconds=5)
    later = await store.due(session, NOW + timedelta(seconds=5), 10, set())
    assert [item.text for item in later] == ["a1"]


async def test_dedup_key_enqueues_once(session: AsyncSession) -> None:
    assert await store.enqueue(session, Outgoing(chat_id=1, text="x"), now=NOW, dedup_key="k") is not None
    assert await store.enqueue(session, Outgoing(chat_id=1, text="x"), now=NOW, dedup_key="k") is None
    await session.commit()
    assert await store.counts(session) == {"pending": 1}


async def test_interrupted_items_are_recovered(session: AsyncSession) -> None:
    item = await store.enqueue(session, Outgoing(chat_id=1, text="x"), now=NOW)
    await session.commit()
    assert item is not None
    await store.claim(session, item.id)
    assert await store.counts(session) == {"sending": 1}
    assert await store.recover_interrupted(session, NOW) == 1
    assert await store.counts(session) == {"pending": 1}


async def test_update_claim_is_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as first:
        assert await updates.claim(first, 7, 1000, NOW)
        await first.commit()
    async with sessions() as second:
        assert not await updates.claim(second, 7, 1000, NOW)
        assert await updates.claim(second, 8, 1000, NOW), "another bot's update id is its own"
        await second.commit()
    async with sessions() as third:
        assert await updates.prune(third, NOW + timedelta(days=8)) == 2
        assert await updates.claim(third, 7, 1000, NOW + timedelta(days=8))


async def test_rolled_back_claim_can_be_taken_again(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as first:
        assert await updates.claim(first, 7, 5, NOW)
        await first.rollback()  # the handler crashed before committing
    async with sessions() as second:
        assert await updates.claim(second, 7, 5, NOW)

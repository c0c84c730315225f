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


async def test_due_without_menus_leaves_them_and_what_waits_behind_them(
    session: AsyncSession,
) -> None:
    commands = [{"command": "lang", "description": "選擇語言"}]
    await store.enqueue_menu(session, 5, "chat", commands, now=NOW)
    await store.enqueue(session, Outgoing(chat_id=5, text="after the menu"), now=NOW)
    await store.enqueue_menu(session, 6, "chat", commands, now=NOW)
    await store.enqueue(session, Outgoing(chat_id=7, text="c1"), now=NOW)
    await session.commit()
    everything = await store.due(session, NOW, 10, set())
    assert [item.kind for item in everything] == ["menu", "menu", "message"]
    assert [item.text for item in await store.due(session, NOW, 10, set(), menus=False)] == ["c1"]
    assert [item.text for item in await store.due(session, NOW, 10, {7}, menus=False)] == []


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


async def _alliance(session: AsyncSession, quiet_hours: str = "22:00-08:00") -> int:
    from storage.models import Alliance

    alliance = Alliance(name="A", charter="", locale="en", timezone="UTC",
                        settings={"quiet_hours": quiet_hours}, created_at=NOW, updated_at=NOW)
    session.add(alliance)
    await session.flush()
    return alliance.id


async def test_a_held_notice_waits_in_its_own_queue(session: AsyncSession) -> None:
    """At 23:00 a notice waits for 08:00; an urgent message to the same person and a group post
    go at once, and a message waiting on a 429 still holds back the later ones of its queue."""
    night = NOW.replace(hour=23, minute=0, second=0, microsecond=0)
    morning = (night + timedelta(days=1)).replace(hour=8)
    aid = await _alliance(session)
    held = await store.enqueue(session, Outgoing(chat_id=5, text="reminder"), now=night,
                               alliance_id=aid, hold_in_quiet_hours=True)
    urgent = await store.enqueue(session, Outgoing(chat_id=5, text="answer"), now=night,
                                 alliance_id=aid)
    await store.enqueue(session, Outgoing(chat_id=5, text="answer 2"), now=night, alliance_id=aid)
    await store.enqueue(session, Outgoing(chat_id=-1, text="group"), now=night, alliance_id=aid,
                        hold_in_quiet_hours=True)
    await session.commit()
    assert held is not None and urgent is not None
    assert held.quiet and held.not_before == morning and not urgent.quiet
    assert [item.text for item in await store.due(session, night, 10, set())] == ["answer", "group"]
    await store.claim(session, urgent.id)
    await store.mark_retry(session, urgent.id, night + timedelta(seconds=30), "429")
    assert [item.text for item in await store.due(session, night, 10, set())] == ["group"]
    assert await store.next_due_at(session) == night
    assert [item.text for item in await store.due(session, morning, 10, set())] == ["reminder",
                                                                                   "group"]


async def test_turning_quiet_hours_off_releases_what_waits(session: AsyncSession) -> None:
    from storage.models import Alliance

    night = NOW.replace(hour=23, minute=0, second=0, microsecond=0)
    aid = await _alliance(session)
    await store.enqueue(session, Outgoing(chat_id=5, text="reminder"), now=night,
                        alliance_id=aid, hold_in_quiet_hours=True)
    await session.commit()
    assert await store.due(session, night, 10, set()) == []
    alliance = await session.get(Alliance, aid)
    assert alliance is not None
    alliance.settings = {"quiet_hours": "22:00-06:00"}
    assert await store.rehold(session, alliance, night) == 1
    assert await store.next_due_at(session) == (night + timedelta(days=1)).replace(hour=6)
    alliance.settings = {"quiet_hours": "off"}
    await store.rehold(session, alliance, night + timedelta(minutes=1))
    assert [item.text for item in await store.due(session, night + timedelta(minutes=1), 10,
                                                  set())] == ["reminder"]

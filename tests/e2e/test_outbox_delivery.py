"""The outbox under Telegram's limits: many chats, no 429, exactly once across a restart."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import outgoing as store
from bot.services.outgoing import Outgoing
from storage.models import OutboxItem
from tests.e2e.harness import Harness


async def wait_until_delivered(harness: Harness, total: int, within: float = 60) -> None:
    async def done() -> bool:
        assert harness.app is not None
        async with harness.app.sessions() as session:
            counts = await store.counts(session)
        return counts.get("sent", 0) + counts.get("failed", 0) >= total

    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await done():
        assert loop.time() < deadline, "the outbox did not finish in time"
        await asyncio.sleep(0.1)


async def test_200_messages_to_10_groups_and_50_people_across_a_restart(harness: Harness) -> None:
    world = harness.world
    groups = [world.group(f"Group {n}", bot=True) for n in range(10)]
    people = [world.user(f"Person {n}", lang="en") for n in range(50)]
    expected: dict[int, list[str]] = defaultdict(list)
    assert harness.app is not None
    async with harness.app.sessions() as session:
        for round_ in range(10):
            for group in groups:
                text = f"group {group.id} #{round_}"
                await store.enqueue(session, Outgoing(chat_id=group.id, text=text), now=harness.clock.now())
                expected[group.id].append(text)
        for round_ in range(2):
            for person in people:
                text = f"person {person.id} #{round_}"
                await store.enqueue(session, Outgoing(chat_id=person.id, text=text), now=harness.clock.now())
                expected[person.id].append(text)
        await session.commit()
    harness.app.outbox.wake()

    # Restart in the middle of the delivery.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while len([c for c in harness.emulator.calls_to("sendMessage") if c.ok]) < 70:
        assert loop.time() < deadline
        await asyncio.sleep(0.02)
    await harness.restart()
    await wait_until_delivered(harness, 200)

    sends = harness.emulator.calls_to("sendMessage")
    assert [call for call in sends if call.error_code == 429] == [], "the outbox went over a limit"
    delivered: dict[int, list[str]] = defaultdict(list)
    for call in sends:
        if call.ok:
            delivered[call.params["chat_id"]].append(call.params["text"])
    assert delivered == expected, "lost, repeated or out of order"
    assert harness.apps_started == 2
    async with harness.app.sessions() as session:
        statuses = set(await session.scalars(select(OutboxItem.status)))
    assert statuses == {"sent"}


async def test_retry_after_429_and_5xx_and_give_up_on_403(harness: Harness) -> None:
    world = harness.world
    fine = world.user("Fine", lang="en")
    blocked = world.user("Blocked", lang="en")
    group = world.group("Busy group", bot=True)
    emulator = harness.emulator
    emulator.faults.add("sendMessage", 429, retry_after=1, chat_id=group.id)
    emulator.faults.add("sendMessage", 502, chat_id=fine.id)
    await blocked.block_bot()
    assert harness.app is not None
    async with harness.app.sessions() as session:
        for chat_id, text in [(group.id, "g1"), (group.id, "g2"), (fine.id, "f1"), (blocked.id, "b1")]:
            await store.enqueue(session, Outgoing(chat_id=chat_id, text=text), now=harness.clock.now())
        await session.commit()
    harness.app.outbox.wake()
    await wait_until_delivered(harness, 4, within=30)
    async with harness.app.sessions() as session:
        items = {item.text: item for item in await session.scalars(select(OutboxItem))}
    assert [m.text for m in world.messages_in(group)] == ["g1", "g2"]
    assert [m.text for m in world.messages_to(fine)] == ["f1"]
    assert items["g1"].status == "sent" and items["g1"].attempts == 1  # a 429 is not an attempt
    assert items["f1"].status == "sent" and items["f1"].attempts == 2
    assert items["b1"].status == "failed"
    assert "bot was blocked by the user" in (items["b1"].last_error or "")
    group_sends = [c for c in emulator.calls_to("sendMessage") if c.params["chat_id"] == group.id]
    assert group_sends[1].time - group_sends[0].time >= 1.0, "did not wait retry_after"



async def test_a_commit_that_enqueued_wakes_the_outbox(any_db: Harness) -> None:
    """A notice a handler or a job enqueues goes when its transaction commits, not at the
    outbox's next poll (here a minute away); a rolled-back one wakes nothing and is not sent."""
    harness = any_db
    person = harness.world.user("Soon", lang="en")
    harness.outbox_poll = 60.0
    app = await harness.restart()
    await harness.emulator.settle()
    async with app.sessions() as session:
        await store.enqueue(session, Outgoing(chat_id=person.id, text="never"),
                            now=harness.clock.now())
        await session.rollback()
        await store.enqueue(session, Outgoing(chat_id=person.id, text="at once"),
                            now=harness.clock.now())
        await session.commit()
    await harness.emulator.settle(timeout=20)
    assert [m.text for m in harness.world.messages_in(person)] == ["at once"]


async def test_a_commit_while_the_outbox_looks_is_not_lost(on_postgresql: Harness,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """An item committed after the outbox's look read the queue, but before the look ended
    (PostgreSQL: another connection), goes at once: the look must not swallow its wake."""
    harness = on_postgresql
    person = harness.world.user("Late", lang="en")
    harness.outbox_poll = 60.0
    app = await harness.restart()
    await harness.emulator.settle()
    real_next_due_at = store.next_due_at
    injected = False

    async def look_then_enqueue(session: AsyncSession) -> datetime | None:
        nonlocal injected
        found = await real_next_due_at(session)
        if not injected:
            injected = True
            async with app.sessions() as session:
                await store.enqueue(session, Outgoing(chat_id=person.id, text="late"),
                                    now=harness.clock.now())
                await session.commit()
        return found

    monkeypatch.setattr(store, "next_due_at", look_then_enqueue)
    app.outbox.wake()
    await harness.emulator.settle(timeout=20)
    assert injected
    assert [m.text for m in harness.world.messages_in(person)] == ["late"]

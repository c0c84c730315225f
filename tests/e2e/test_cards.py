"""Coalesced card edits through the real bot and emulator: few edits, and always the last state."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.runtime.cards import CardEdit, Renderer
from tests.e2e.harness import Harness


@pytest.mark.no_autostart
async def test_a_burst_of_changes_makes_few_edits_and_shows_the_last(harness: Harness) -> None:
    harness.card_interval = 1.0
    app = await harness.start_bot()
    mei = harness.world.user("Mei")
    sent = await app.bot.send_message(mei.id, "count: 0")
    state = {"count": 0}

    async def render(_session: AsyncSession) -> CardEdit:
        return CardEdit(chat_id=mei.id, message_id=sent.message_id, text=f"count: {state['count']}")

    started = asyncio.get_running_loop().time()
    for _ in range(60):  # 60 changes in about 3 seconds
        state["count"] += 1
        app.cards.touch_now("counter", render)
        await asyncio.sleep(0.05)
    await harness.world.settle()
    elapsed = asyncio.get_running_loop().time() - started
    card = harness.world.messages_to(mei)[-1]
    assert card.text == "count: 60"
    edits = len(harness.emulator.calls_to("editMessageText"))
    assert 2 <= edits <= elapsed / harness.card_interval + 2, edits


async def test_a_touch_waits_for_the_commit_and_a_rollback_edits_nothing(harness: Harness) -> None:
    assert harness.app is not None
    app = harness.app
    mei = harness.world.user("Mei")
    sent = await app.bot.send_message(mei.id, "before")
    rendered: list[str] = []

    def renderer(text: str) -> Renderer:
        async def render(_session: AsyncSession) -> CardEdit:
            rendered.append(text)
            return CardEdit(chat_id=mei.id, message_id=sent.message_id, text=text)
        return render

    async with app.sessions() as session:
        app.cards.touch(session, "card", renderer("rolled back"))
        await asyncio.sleep(0.1)
        assert rendered == []  # nothing before the commit
        await session.rollback()
    async with app.sessions() as session:
        app.cards.touch(session, "card", renderer("committed"))
        await session.commit()
    await harness.world.settle()
    assert rendered == ["committed"]
    assert harness.world.messages_to(mei)[-1].text == "committed"

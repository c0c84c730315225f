"""Quiet hours end to end (PRODUCT.md §7): at night in the alliance's zone a private reminder or
notice waits in the outbox for the morning, while what cannot wait goes at once — the join
request's message (a 5-minute window), the answer to a person's own press (even with a notice
held for them, older in the same chat), and every post in the group. Turning quiet hours off
in /settings lets what waits go now. In English and Traditional Chinese.

The harness's clock starts at a fixed evening in Taipei here, so the night falls at the same
moment of every story wherever and whenever the suite runs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.emulator import SimUser
from storage.models import OutboxItem
from tests.e2e import referral_stories, request_stories
from tests.e2e.harness import Harness, make_harness, spec_violations
from tests.e2e.membership_stories import payload_in
from tests.e2e.stories import set_settings, setup_group

TAIPEI = ZoneInfo("Asia/Taipei")


def taipei(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=TAIPEI)


@asynccontextmanager
async def running_from(start: datetime, tmp_path: Path) -> AsyncIterator[Harness]:
    """The bot running with its clock starting at ``start``."""
    harness = await make_harness(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", start=start)
    try:
        await harness.start_bot()
        yield harness
        await harness.world.settle()
        assert not spec_violations(harness.emulator.calls)
        assert not harness.emulator.internal_errors, harness.emulator.internal_errors
        assert not harness.failures, harness.failures
    finally:
        await harness.stop_bot()
        await harness.emulator.stop()


@pytest.fixture
async def evening(tmp_path: Path) -> AsyncIterator[Harness]:
    """20:00 in Taipei: two hours before the default quiet hours."""
    async with running_from(taipei(2, 20), tmp_path) as harness:
        yield harness


@pytest.fixture
async def night(tmp_path: Path) -> AsyncIterator[Harness]:
    """23:00 in Taipei: in the default quiet hours."""
    async with running_from(taipei(2, 23), tmp_path) as harness:
        yield harness


async def held(harness: Harness) -> list[OutboxItem]:
    """What the outbox holds for the morning (pending, not yet due)."""
    assert harness.app is not None
    now = harness.clock.now()
    async with harness.app.sessions() as session:
        return list(await session.scalars(select(OutboxItem).where(
            OutboxItem.status == "pending", OutboxItem.not_before > now)))


def reminders(harness: Harness, user: SimUser) -> list[str]:
    return [m.text for m in harness.world.messages_to(user) if "⏰" in m.text]


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_a_reminder_due_at_night_waits_for_the_morning(evening: Harness, locale: str) -> None:
    harness = evening
    a = await referral_stories.alliance(harness, locale)
    # The default quiet hours, and a reminder 3 hours after a referral: 23:00 tonight.
    await set_settings(harness, a.group, quiet_hours="22:00-08:00", referral_sla_hours=3)
    await referral_stories.refer(a, a.lin)  # 20:00: the receiver's card goes at once
    assert "four winter tyres" in harness.world.last(a.chen).text
    await harness.advance(taipei(2, 23, 1) - harness.clock.now())
    assert reminders(harness, a.chen) == [] and reminders(harness, a.chen2) == []
    [first, second] = await held(harness)
    assert {first.chat_id, second.chat_id} == {a.chen.id, a.chen2.id}
    assert first.not_before == taipei(3, 8) and first.quiet
    # A restart in the night keeps the hold: it is in the outbox's row.
    await harness.restart()
    assert reminders(harness, a.chen) == []
    await harness.advance(taipei(3, 7, 59) - harness.clock.now())
    assert reminders(harness, a.chen) == []
    await harness.advance(timedelta(minutes=2))  # 08:01
    assert len(reminders(harness, a.chen)) == 1 and len(reminders(harness, a.chen2)) == 1
    assert await held(harness) == []


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_at_night_group_posts_and_answers_go_at_once_and_off_releases_notices(
        night: Harness, locale: str) -> None:
    harness, world = night, night.world
    a = await request_stories.alliance(harness, locale)
    await set_settings(harness, a.group, quiet_hours="22:00-08:00")
    # 23:00: Chen's request card is a post in the group: not held.
    card = await request_stories.ask(a, a.chen)
    assert card.text.startswith("🙋") and "A car lift for Saturday" in card.text
    # Wang offers: the news of someone else's move waits for Chen's morning.
    before = len(world.messages_to(a.chen))
    await request_stories.offer(a, a.wang, card, "I have one")
    assert len(world.messages_to(a.chen)) == before
    assert {item.chat_id for item in await held(harness)} == {a.chen.id, a.chen2.id}
    # Chen presses Close on the group's card: the choices answer his own press, through the
    # outbox, and are not queued behind the offer held for him.
    await a.chen.press(request_stories.card_of(a), a.t("Close (requester)"))
    choices = world.last(a.chen)
    assert choices.buttons and len(world.messages_to(a.chen)) == before + 1
    assert "I have one" not in choices.text
    # Lin turns quiet hours off: what waited goes now, no morning needed.
    await harness.say(a.lin, a.lin, "/settings")
    await a.lin.press(world.last(a.lin), a.t("Quiet hours"))
    page = world.last(a.lin)
    await a.lin.press(page, a.t("off"))
    assert a.t("✅ Saved. {setting}: {value}.").format(
        setting=a.t("Quiet hours"), value=a.t("off")) in world.last(a.lin).text
    await world.settle()
    assert await held(harness) == []
    assert any("I have one" in m.text for m in world.messages_to(a.chen))
    assert any("I have one" in m.text for m in world.messages_to(a.chen2))


@pytest.mark.parametrize("lang", ["en", "zh-hant"])
async def test_a_join_request_at_night_is_answered_at_once(night: Harness, lang: str) -> None:
    harness, world = night, night.world
    lin, _chen, group = await setup_group(
        harness, lang, language_button="English" if lang == "en" else "繁體中文", quiet_hours=None)
    link = world.invite_link(group, by=lin, creates_join_request=True)
    mei = world.user("Mei", lang=lang, started=False)
    await mei.request_join(group, link)
    await world.settle()
    intro, first = world.messages_to(mei)[:2]  # the welcome and the first question, now
    assert payload_in(intro.button_rows[0][0].url or "").startswith("join-")
    assert first.text and await held(harness) == []

"""Scheduled work rings on the real clock, in `alliance-bot run` as a process.

The alliance's story is written first through the real bot in this process, its clock set back
so that each deadline falls a few tens of seconds after the story ends: a referral sent 72 hours
ago, a proposal whose reminder is due, a meeting poll and a vote that close. Then the bot runs
as a process of its own, on the wall clock, with no one moving time: each of these must happen
by itself, once, at its moment — not only when the bot starts or a test calls ``refresh()``.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.emulator import SimChat, SimUser
from storage.models import Meeting, Proposal, Referral
from tests.e2e import decision_stories
from tests.e2e.decision_stories import card_in, now_showing
from tests.e2e.harness import Harness, make_harness
from tests.e2e.meeting_stories import call_meeting, local_day
from tests.e2e.referral_stories import alliance, refer
from tests.realtime.process import BotProcess, stored, until, write_config

pytestmark = pytest.mark.realtime

LEAD = timedelta(seconds=55)  # from the story's start to the deadlines, on the wall clock
MARGIN = timedelta(seconds=6)  # each deadline is still this far ahead when the process starts


async def write_story(harness: Harness) -> dict[str, SimUser | SimChat]:
    """The bot's clock starts 72 h before the deadlines and moves on between the chapters, so
    that everything falls due at the same wall-clock moment, ``LEAD`` after the start."""
    a = await alliance(harness, "en")
    decision_stories.join_silently(a.group, a.wang, a.chen2)
    await refer(a, a.lin)  # Chen Tyres never answers: it expires 72 h later
    await harness.advance(timedelta(hours=48))  # (the 24 h SLA reminder went meanwhile)
    first, second = (local_day(harness, days).replace(hour=19) for days in (3, 4))
    poll = await call_meeting(harness, a.lin, a.group, "Year-end dinner",
                              [f"{first:%Y-%m-%d} 19:00", f"{second:%Y-%m-%d} 19:00"])
    await a.chen.press(poll, "1 ✅")
    await a.wang.press(poll, "2 ✅")
    await a.lin.press(poll, "2 ✅")
    await harness.advance(timedelta(hours=23))
    await decision_stories.propose(harness, a.lin, title="Buy a tyre changer",
                                   text="Shared, kept at Wang's.", kind="yesno", deadline="25h")
    await a.chen.press(card_in(harness, a.group), "Yes")  # Lin and Wang get the reminder
    await decision_stories.propose(harness, a.lin, title="Close on Dec 31",
                                   text="All shops closed.", kind="yesno", deadline="1h")
    vote = card_in(harness, a.group)
    await a.lin.press(vote, "Yes")
    await a.chen.press(vote, "No")  # Wang could still tip it: it stays open to the deadline
    return {"lin": a.lin, "chen": a.chen, "wang": a.wang, "group": a.group, "vote": vote,
            "poll": poll}


async def due_times(harness: Harness) -> dict[str, datetime]:
    assert harness.app is not None
    async with harness.app.sessions() as session:
        referral = await session.scalar(select(Referral))
        first, second = (await session.scalars(select(Proposal).order_by(Proposal.id))).all()
        meeting = await session.scalar(select(Meeting))
    assert referral is not None and meeting is not None
    return {"referral expires": referral.created_at + timedelta(hours=72),
            "reminder": first.closes_at - timedelta(hours=24),
            "poll closes": meeting.deadline, "vote closes": second.closes_at}


def reminders_to(harness: Harness, person: SimUser) -> list[str]:
    return [m.text for m in harness.world.messages_to(person)
            if m.text.startswith("⏰") and "Buy a tyre changer" in m.text]


async def test_deadlines_reminders_and_expiry_happen_by_themselves(tmp_path: Path) -> None:
    deadlines_at = datetime.now(UTC) + LEAD
    harness = await make_harness(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
                                 start=deadlines_at - timedelta(hours=72))
    bot = BotProcess(harness.emulator, write_config(
        tmp_path / "config.toml", api_base=harness.emulator.base_url,
        database_url=harness.database_url), tmp_path / "bot.log")
    try:
        await harness.start_bot()
        story = await write_story(harness)
        due = await due_times(harness)
        await harness.stop_bot()
        world = harness.world
        lin, chen, wang = story["lin"], story["chen"], story["wang"]
        group = story["group"]
        assert isinstance(lin, SimUser) and isinstance(chen, SimUser)
        assert isinstance(wang, SimUser) and isinstance(group, SimChat)
        late = {what: at for what, at in due.items() if at < datetime.now(UTC) + MARGIN}
        assert not late, f"the story took too long: {late} would be due at start-up"
        told_lin = len(world.messages_to(lin))

        await bot.start()
        within = (max(due.values()) - datetime.now(UTC)).total_seconds() + 30
        vote, poll = story["vote"], story["poll"]
        await until(lambda: not now_showing(harness, group, vote).buttons, within=within,
                    what="the vote closed at its deadline")
        await until(lambda: any("Decision on proposal #2" in m.text
                                for m in world.messages_in(group)),
                    within=30, what="the vote's outcome announced")
        await until(lambda: any(m.document is not None and m.pinned
                                for m in world.messages_in(group)),
                    within=within, what="the meeting's result pinned with its .ics")
        result = next(m for m in world.messages_in(group) if m.document is not None)
        assert result.document is not None and (result.document.file_name or "").endswith(".ics")
        await until(lambda: not now_showing(harness, group, poll).buttons, within=30,
                    what="the poll's card closed")
        await until(lambda: bool(reminders_to(harness, lin) and reminders_to(harness, wang)),
                    within=within, what="the vote reminder to those who have not voted")
        await until(lambda: any("Pass it on" in label for m in world.messages_to(lin)[told_lin:]
                                for row in m.buttons for label in row),
                    within=within, what="the referrer told that the referral expired")
        fired_at = datetime.now(UTC)
        assert fired_at >= min(due.values()), "something ran before it was due"

        # Nothing rings twice: wait, and then restart — the claims hold across the restart.
        await asyncio.sleep(3)
        assert await bot.stop() == 0
        await bot.start()
        await asyncio.sleep(5)
        assert len(reminders_to(harness, lin)) == len(reminders_to(harness, wang)) == 1
        assert reminders_to(harness, chen) == []  # Chen voted
        assert sum("Decision on proposal #2" in m.text for m in world.messages_in(group)) == 1
        assert sum(m.document is not None for m in world.messages_in(group)) == 1
        assert await bot.stop() == 0
        assert bot.problems() == [], "\n".join(bot.problems())
        async with stored(harness.database_url) as session:
            referral = await session.scalar(select(Referral))
            assert referral is not None and referral.status == "expired"
    finally:
        await bot.kill_if_running()
        await harness.stop_bot()
        await harness.emulator.stop()

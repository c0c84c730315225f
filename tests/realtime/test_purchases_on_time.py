"""Pledge deadlines settle on the real clock, in `alliance-bot run` as a process — and a SIGKILL
across a deadline neither loses nor repeats a notice.

Two joint purchases are set up through the real bot in this process, its clock set back so that
their deadlines fall a few tens of seconds after the story ends, about 25 s apart: the first
reaches its minimum exactly, the second does not. The bot then runs as a process on the wall
clock: the first settles by itself at its moment; the process is SIGKILLed before the second's
deadline and started again after it, when the second settles once. Restarted once more, nobody
is told anything twice.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.emulator import SimUser
from storage.models import Purchase
from tests.e2e.harness import Harness, make_harness
from tests.e2e.purchase_stories import open_purchase, pledge
from tests.e2e.referral_stories import alliance
from tests.realtime.process import BotProcess, outbox_recorded, stored, until, write_config

pytestmark = pytest.mark.realtime

LEAD = timedelta(seconds=60)  # from the story's start to the first deadline, on the wall clock
APART = timedelta(seconds=25)  # between the two deadlines
MARGIN = timedelta(seconds=6)  # the first deadline is still this far ahead when the bot starts

GOES = "Your share:"
FAILS = "did not reach its minimum"


def told(harness: Harness, person: SimUser, needle: str) -> int:
    return sum(needle in m.text for m in harness.world.messages_to(person))


async def write_story(harness: Harness) -> dict[str, SimUser]:
    a = await alliance(harness, "en")
    first = await open_purchase(a, a.lin, moq="100")
    await pledge(a, a.chen, first, "60")
    await pledge(a, a.wang, first, "40")  # exactly the minimum
    await harness.advance(APART)
    second = await open_purchase(a, a.lin, item="Winter tyres", unit="tyre", tiers=None,
                                 moq="100")
    await pledge(a, a.chen, second, "10")
    return {"lin": a.lin, "chen": a.chen, "chen2": a.chen2, "wang": a.wang}


async def deadlines(harness: Harness) -> list[datetime]:
    assert harness.app is not None
    async with harness.app.sessions() as session:
        return list(await session.scalars(select(Purchase.deadline).order_by(Purchase.id)))


async def test_pledge_deadlines_settle_on_time_once_across_a_kill(tmp_path: Path) -> None:
    first_at = datetime.now(UTC) + LEAD
    harness = await make_harness(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
                                 start=first_at - timedelta(days=3))
    bot = BotProcess(harness.emulator, write_config(
        tmp_path / "config.toml", api_base=harness.emulator.base_url,
        database_url=harness.database_url), tmp_path / "bot.log")
    try:
        await harness.start_bot()
        people = await write_story(harness)
        first, second = await deadlines(harness)
        await harness.stop_bot()
        assert first > datetime.now(UTC) + MARGIN, "the story took too long"
        lin, chen, chen2, wang = people["lin"], people["chen"], people["chen2"], people["wang"]

        await bot.start()
        within = (first - datetime.now(UTC)).total_seconds() + 30
        await until(lambda: all(told(harness, p, GOES) for p in (chen, chen2, wang)),
                    within=within, what="the first purchase settled at its deadline")
        assert datetime.now(UTC) >= first, "settled before its deadline"
        await until(lambda: any(m.document is not None for m in harness.world.messages_to(lin)),
                    within=30, what="the organiser's CSV")
        assert datetime.now(UTC) < second - timedelta(seconds=2), "no time left to kill before"
        await outbox_recorded()
        await bot.kill()  # SIGKILL before the second deadline …
        await asyncio.sleep(max(0.0, (second - datetime.now(UTC)).total_seconds()) + 2)
        assert not told(harness, chen, FAILS), "settled while the bot was down?"
        await bot.start()  # … and back after it: the second settles once, now
        await until(lambda: all(told(harness, p, FAILS) for p in (chen, chen2, lin)),
                    within=30, what="the second purchase settled after the restart")

        await asyncio.sleep(2)
        assert await bot.stop() == 0
        await bot.start()
        await asyncio.sleep(4)
        assert await bot.stop() == 0
        for person in (chen, chen2, wang):
            assert told(harness, person, GOES) == 1
        for person in (chen, chen2, lin):
            assert told(harness, person, FAILS) == 1
        assert told(harness, wang, FAILS) == 0
        assert sum(m.document is not None for m in harness.world.messages_to(lin)) == 1
        assert bot.problems() == [], "\n".join(bot.problems())
        async with stored(harness.database_url) as session:
            statuses = list(await session.scalars(select(Purchase.status).order_by(Purchase.id)))
        assert statuses == ["go", "failed"]
    finally:
        await bot.kill_if_running()
        await harness.stop_bot()
        await harness.emulator.stop()

"""A loan's return reminder and overdue notice ring on the real clock, in `alliance-bot run` as a
process, once each — across a SIGKILL and a restart that straddle the return time.

The alliance is set up through the real bot on a clock set two days back; the two loans are
booked through the service with due times a few tens of seconds ahead on the wall clock:
- the tyre changer is due back in a day, so its reminder (a day before) is due in ``REMIND``;
- the wheel balancer is due back in ``OVERDUE`` (booked for two hours: no reminder).
The process must send the reminder by itself while running; it is then SIGKILLed before the
balancer's return time and started again after it, and must send the overdue notice then. A
second SIGKILL and restart must send nothing again.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.emulator import SimUser
from bot.services import equipment as gear
from storage.models import EquipmentBooking
from tests.e2e.equipment_stories import alliance, seed_item
from tests.e2e.harness import Harness, make_harness
from tests.realtime.process import BotProcess, outbox_recorded, stored, until, write_config

pytestmark = pytest.mark.realtime

REMIND = timedelta(seconds=45)  # from the story's start to the tyre changer's reminder
OVERDUE = timedelta(seconds=75)  # … to the wheel balancer's return time
MARGIN = timedelta(seconds=6)


def told(harness: Harness, person: SimUser, sign: str, item: str) -> list[str]:
    return [m.text for m in harness.world.messages_to(person)
            if m.text.startswith(sign) and item in m.text]


async def _book(harness: Harness, item_id: int, person: SimUser, starts_at: datetime,
                ends_at: datetime) -> None:
    assert harness.app is not None
    async with harness.app.sessions() as session:
        await gear.book(session, person.id, gear.BookingDraft(item_id=item_id, starts_at=starts_at,
                                                              ends_at=ends_at),
                        harness.clock.now())
        await session.commit()


async def test_return_reminder_and_overdue_notice_on_time_once_across_sigkill(
        tmp_path: Path, database_url: str) -> None:
    wall = datetime.now(UTC)
    remind_at, overdue_at = wall + REMIND, wall + OVERDUE
    harness = await make_harness(database_url, start=wall - timedelta(days=2))
    bot = BotProcess(harness.emulator, write_config(
        tmp_path / "config.toml", api_base=harness.emulator.base_url, database_url=database_url),
        tmp_path / "bot.log")
    try:
        await harness.start_bot()
        a = await alliance(harness, "en")
        changer = await seed_item(harness, a, name="Tyre changer")
        balancer = await seed_item(harness, a, name="Wheel balancer")
        story_now = harness.clock.now()
        await _book(harness, changer, a.chen, story_now + timedelta(hours=1),
                    remind_at + gear.REMIND_BEFORE)
        await _book(harness, balancer, a.chen, overdue_at - timedelta(hours=2), overdue_at)
        await harness.stop_bot()
        assert datetime.now(UTC) + MARGIN < remind_at, "the story took too long"

        await bot.start()
        await until(lambda: bool(told(harness, a.chen, "⏰", "Tyre changer")
                                 and told(harness, a.chen2, "⏰", "Tyre changer")),
                    within=(remind_at - datetime.now(UTC)).total_seconds() + 30,
                    what="the return reminder, by itself")
        assert datetime.now(UTC) >= remind_at, "the reminder came before it was due"
        left = (overdue_at - datetime.now(UTC)).total_seconds()
        assert left > 3, "no time left to kill the bot before the return time"
        await outbox_recorded()
        await bot.kill()  # down across the balancer's return time
        await asyncio.sleep(left + 2)
        assert told(harness, a.chen, "⚠", "Wheel balancer") == []
        await bot.start()
        await until(lambda: bool(told(harness, a.chen, "⚠", "Wheel balancer")
                                 and told(harness, a.chen2, "⚠", "Wheel balancer")),
                    within=30, what="the overdue notice after the restart")
        await outbox_recorded(2)
        await bot.kill()  # and again: nothing is sent twice
        await bot.start()
        await asyncio.sleep(5)
        for person in (a.chen, a.chen2):
            assert len(told(harness, person, "⏰", "Tyre changer")) == 1
            assert len(told(harness, person, "⚠", "Wheel balancer")) == 1
            assert told(harness, person, "⏰", "Wheel balancer") == []  # a two-hour loan
        assert told(harness, a.wang, "⚠", "") == []  # the holder hears a day later
        assert await bot.stop() == 0
        assert bot.problems() == [], "\n".join(bot.problems())
        async with stored(database_url) as session:
            sent = {b.equipment_id: (b.reminder_sent_at is not None,
                                     b.overdue_borrower_sent_at is not None)
                    for b in await session.scalars(select(EquipmentBooking))}
        assert sent == {changer: (True, False), balancer: (False, True)}
    finally:
        await bot.kill_if_running()
        await harness.stop_bot()
        await harness.emulator.stop()

"""A request expires at its needed-by moment on the real clock, in `alliance-bot run` as a
process: once while the process runs across the moment, once across a SIGKILL (the process is
killed before the moment and started again after it) — and each requester (and the offerer whose
offer is no longer needed) is told exactly once, even after a further restart."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from storage.models import ResourceRequest
from tests.e2e.harness import make_harness
from tests.e2e.request_stories import alliance, ask, offer
from tests.realtime.process import BotProcess, outbox_recorded, stored, until, write_config

pytestmark = pytest.mark.realtime

TAIPEI = ZoneInfo("Asia/Taipei")
EXPIRED = "reached its date without a match"
NOT_NEEDED = "so your offer is no longer needed"


def next_minute(at: datetime) -> datetime:
    return (at + timedelta(minutes=1)).replace(second=0, microsecond=0)


async def test_requests_expire_on_time_across_a_kill_and_are_told_once(tmp_path: Path) -> None:
    harness = await make_harness(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    bot = BotProcess(harness.emulator, write_config(
        tmp_path / "config.toml", api_base=harness.emulator.base_url,
        database_url=harness.database_url), tmp_path / "bot.log")
    first_due = next_minute(datetime.now(UTC) + timedelta(seconds=45))
    second_due = first_due + timedelta(minutes=1)
    try:
        await harness.start_bot()
        a = await alliance(harness, "en")
        world = harness.world
        for who, title, due in ((a.lin, "A lift for an hour", first_due),
                                (a.wang, "A paint booth", second_due)):
            posted = await ask(a, who, title=title,
                               needed_by=f"{due.astimezone(TAIPEI):%Y-%m-%d %H:%M}")
            if who is a.lin:
                await offer(a, a.chen, posted, None)  # declined when the request expires
        await harness.stop_bot()
        assert datetime.now(UTC) < first_due - timedelta(seconds=5), "the story took too long"

        def told(person: object, text: str = EXPIRED) -> int:
            return sum(text in m.text for m in world.messages_to(person))  # type: ignore[arg-type]

        def card(title: str) -> str:
            return next(m.text for m in world.messages_in(a.group) if title in m.text
                        and m.text.startswith("🙋"))

        # The process runs across the first moment: the expiry rings by itself.
        await bot.start()
        await until(lambda: told(a.lin) == 1, within=(first_due - datetime.now(UTC)).total_seconds()
                    + 30, what="Lin told that the request expired")
        assert datetime.now(UTC) >= first_due, "expired before its moment"
        await until(lambda: "expired" in card("A lift for an hour"), within=15,
                    what="the first card shows it expired")
        assert told(a.wang) == 0
        await until(lambda: told(a.chen, NOT_NEEDED) == 1, within=15,
                    what="Chen told the offer is no longer needed")
        # Killed before the second moment, started again after it: it expires at start-up.
        await outbox_recorded()  # what was already shown is recorded as sent (no idempotency key)
        await bot.kill()
        await asyncio.sleep(max(0.0, (second_due - datetime.now(UTC)).total_seconds()) + 2)
        assert told(a.wang) == 0
        await bot.start()
        await until(lambda: told(a.wang) == 1, within=30, what="Wang told after the restart")
        await until(lambda: "expired" in card("A paint booth"), within=15,
                    what="the second card shows it expired")
        # Nothing twice: a graceful restart later, each was told once.
        await asyncio.sleep(3)
        assert await bot.stop() == 0
        await bot.start()
        await asyncio.sleep(5)
        assert (told(a.lin), told(a.wang), told(a.chen, NOT_NEEDED)) == (1, 1, 1)
        assert await bot.stop() == 0
        assert bot.problems() == [], "\n".join(bot.problems())
        async with stored(harness.database_url) as session:
            statuses = list(await session.scalars(
                select(ResourceRequest.status).order_by(ResourceRequest.id)))
        assert statuses == ["expired", "expired"]
    finally:
        await bot.kill_if_running()
        await harness.stop_bot()
        await harness.emulator.stop()

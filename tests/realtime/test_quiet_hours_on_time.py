"""Quiet hours on the real clock, in `alliance-bot run` as a process: a private notice made
during the alliance's quiet hours waits in the outbox and arrives once they end — not before,
and neither lost nor sent twice across a SIGKILL while it waits. The quiet hours are a window
around the real now (it ends one to two minutes later), in the alliance's zone."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.harness import make_harness
from tests.e2e.request_stories import alliance, ask, offer
from tests.e2e.stories import set_settings
from tests.realtime.process import BotProcess, outbox_recorded, until, write_config

pytestmark = pytest.mark.realtime

TAIPEI = ZoneInfo("Asia/Taipei")
NOTE = "A spare two-post lift"


def quiet_window(now: datetime) -> tuple[str, datetime]:
    """Quiet hours from the minute before ``now`` to a whole minute 1–2 minutes after it, as
    the setting writes them (alliance time), and their end in UTC."""
    end = (now + timedelta(minutes=2)).replace(second=0, microsecond=0)
    start = now.replace(second=0, microsecond=0) - timedelta(minutes=1)
    return f"{start.astimezone(TAIPEI):%H:%M}-{end.astimezone(TAIPEI):%H:%M}", end


async def test_a_notice_in_quiet_hours_arrives_when_they_end_across_a_kill(tmp_path: Path) -> None:
    harness = await make_harness(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    bot = BotProcess(harness.emulator, write_config(
        tmp_path / "config.toml", api_base=harness.emulator.base_url,
        database_url=harness.database_url), tmp_path / "bot.log")
    try:
        await harness.start_bot()
        a = await alliance(harness, "en")
        world = harness.world
        card = await ask(a, a.chen)  # Chen's request, in the group (quiet hours are off)
        window, end = quiet_window(datetime.now(UTC))
        await set_settings(harness, a.group, quiet_hours=window)
        await harness.stop_bot()

        def told(person: object) -> int:
            return sum(NOTE in m.text for m in world.messages_to(person))  # type: ignore[arg-type]

        # Wang offers while it is quiet: his own answer comes at once, Chen's notice waits.
        await bot.start()
        before = len(world.messages_to(a.wang))
        await offer(a, a.wang, card, NOTE)
        await until(lambda: len(world.messages_to(a.wang)) >= before + 2, within=15,
                    what="Wang's own answers (the note's question, the offer sent), at once")
        await outbox_recorded()
        assert (told(a.chen), told(a.chen2)) == (0, 0), "a notice went in quiet hours"
        # Killed while the notice waits, started again: it still waits for the end.
        await bot.kill()
        assert datetime.now(UTC) < end - timedelta(seconds=5), "the story took too long"
        await bot.start()
        await asyncio.sleep(2)
        assert (told(a.chen), told(a.chen2)) == (0, 0)
        await until(lambda: told(a.chen) == 1 and told(a.chen2) == 1,
                    within=(end - datetime.now(UTC)).total_seconds() + 30,
                    what="Chen's people told once the quiet hours ended")
        assert datetime.now(UTC) >= end, "sent before the quiet hours ended"
        await outbox_recorded(3)
        assert await bot.stop() == 0
        assert (told(a.chen), told(a.chen2)) == (1, 1)
        assert bot.problems() == [], "\n".join(bot.problems())
    finally:
        await bot.kill_if_running()
        await harness.stop_bot()
        await harness.emulator.stop()

"""The monthly report catches up in `alliance-bot run` as a process, on the real clock: an
alliance that existed before this month's 1st at 09:00 and has no report run recorded gets last
month's report in its home group as soon as the process starts; after a SIGKILL and a restart it
is not posted again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from bot.services import stats
from storage.models import Alliance
from tests.e2e.harness import make_harness
from tests.e2e.stories import setup_group
from tests.realtime.process import BotProcess, outbox_recorded, stored, until, write_config

pytestmark = pytest.mark.realtime


async def test_last_months_report_posted_at_start_once_across_a_kill(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    due = stats.report_due(now, "Asia/Taipei")
    if due > now - timedelta(minutes=1):
        pytest.skip("this month's report is not due yet in Taipei (the 1st before 09:00)")
    harness = await make_harness(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    bot = BotProcess(harness.emulator, write_config(
        tmp_path / "config.toml", api_base=harness.emulator.base_url,
        database_url=harness.database_url, locale="zh_Hant"), tmp_path / "bot.log")
    try:
        await harness.start_bot()
        _lin, _chen, group = await setup_group(harness, "zh-hant", language_button="繁體中文")
        await harness.stop_bot()
        async with stored(harness.database_url) as session:  # founded last month
            await session.execute(update(Alliance).values(created_at=due - timedelta(days=20)))
            await session.commit()

        def reports() -> int:
            return sum(m.photo is not None and "月報" in m.text
                       for m in harness.world.messages_in(group))

        assert reports() == 0
        await bot.start()
        await until(lambda: reports() == 1, within=30, what="last month's report in the group")
        await outbox_recorded()
        await bot.kill()
        await bot.start()
        await asyncio.sleep(5)
        assert reports() == 1
        assert await bot.stop() == 0
        assert bot.problems() == [], "\n".join(bot.problems())
    finally:
        await bot.kill_if_running()
        await harness.stop_bot()
        await harness.emulator.stop()

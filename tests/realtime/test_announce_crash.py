"""/announce to 20 chats and 300 members, with Telegram throttling 30 % of the sends and the bot
killed (SIGKILL) in the middle of delivery, then started again.

Everyone gets it once: an item recorded as sent is never sent again. Telegram has no idempotency
key, so an item that was being sent at the kill (recorded as 'sending') may go twice — the test
counts them and allows no more duplicates than that. The five members who blocked the bot are
named in the delivery report, which comes once.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.emulator import SimChat, SimUser
from bot.services import settings
from storage.models import Alliance, Announcement, Chat, Member, OutboxItem, Person, Role
from tests.e2e.announce_stories import quiet_hours_later
from tests.e2e.harness import Harness, make_harness
from tests.e2e.stories import setup_group
from tests.realtime.process import BotProcess, stored, until, write_config

pytestmark = pytest.mark.realtime

LINKED, MEMBERS, BLOCKED = 19, 300, 5
WORDS = "Annual dinner: Friday 19:00 at the usual place"


async def _seed(harness: Harness, lin: SimUser) -> tuple[list[SimChat], list[SimUser]]:
    """19 linked groups with the bot in them and 300 members (Lin's garage the first), written
    through the storage layer: 300 questionnaires would prove nothing more here."""
    world = harness.world
    assert harness.app is not None
    groups = [world.group(f"Linked group {n}", admins=[lin], bot=True) for n in range(LINKED)]
    people = [lin] + [world.user(f"Owner{n}") for n in range(1, MEMBERS)]
    now = datetime.now(UTC)
    async with harness.app.sessions() as session:
        alliance = await session.scalar(select(Alliance))
        assert alliance is not None
        settings.change(alliance, "quiet_hours", quiet_hours_later(alliance.timezone, now), now)
        for group in groups:
            session.add(Chat(tg_chat_id=group.id, kind="supergroup", title=group.chat.title,
                             alliance_id=alliance.id, role="linked", active=True,
                             created_at=now, updated_at=now))
        for n, user in enumerate(people):
            member = Member(alliance_id=alliance.id, name=f"Shop {n}", status="active",
                            created_at=now, updated_at=now)
            session.add(member)
            await session.flush()
            if await session.get(Person, user.id) is None:
                session.add(Person(id=user.id, first_name=user.name, language_code="en",
                                   started=True, created_at=now, updated_at=now))
                await session.flush()
            role = await session.scalar(select(Role).where(Role.person_id == user.id))
            if role is None:
                session.add(Role(alliance_id=alliance.id, person_id=user.id, role="member",
                                 member_id=member.id, created_at=now))
            else:
                role.member_id = member.id
        await session.commit()
    return groups, people


def _copies(harness: Harness, chats: list[SimChat | SimUser]) -> Counter[int]:
    world = harness.world
    return Counter({chat.id: sum(1 for m in world.messages_in(chat) if WORDS in m.text)
                    for chat in chats})


async def test_sigkill_mid_announcement_delivers_everything_once(tmp_path: Path,
                                                                  database_url: str) -> None:
    harness = await make_harness(database_url)
    emulator, world = harness.emulator, harness.world
    bot = BotProcess(emulator, write_config(tmp_path / "config.toml", api_base=emulator.base_url,
                                            database_url=database_url), tmp_path / "bot.log")
    try:
        await harness.start_bot()
        lin, _chen, home = await setup_group(harness)
        groups, people = await _seed(harness, lin)
        blocked = people[-BLOCKED:]
        for person in blocked:
            await person.block_bot()
        await harness.say(lin, lin, f"/announce {WORDS}")
        await lin.press(world.last(lin), "☐ Also privately to every active member")
        preview = world.last(lin)
        assert "Also privately to 300 people at the active member businesses." in preview.text
        await harness.stop_bot()

        await bot.start()
        emulator.faults.add("sendMessage", 429, ratio=0.3, times=1_000_000, seed=14)
        await lin.press(preview, "📨 Send", wait=False)
        chats: list[SimChat | SimUser] = [home, *groups, *people]
        await until(lambda: sum(_copies(harness, people).values()) >= 100, within=60,
                    what="a third of the private copies delivered")
        await bot.kill()
        async with stored(database_url) as session:
            sending = await session.scalar(
                select(func.count()).select_from(OutboxItem)
                .where(OutboxItem.purpose.like("announce:%"), OutboxItem.status == "sending"))
            pending = await session.scalar(
                select(func.count()).select_from(OutboxItem)
                .where(OutboxItem.purpose.like("announce:%"), OutboxItem.status == "pending"))
        assert pending, "the kill came too late to test anything"

        await bot.start()
        await until(lambda: any("Not delivered" in m.text for m in world.messages_in(lin)),
                    within=120, what="the delivery report")
        await world.settle(timeout=30)
        assert await bot.stop() == 0
        assert bot.problems() == [], "\n".join(bot.problems())

        copies = _copies(harness, chats)
        missing = [chat.id for chat in chats if chat not in blocked and copies[chat.id] < 1]
        assert not missing, f"{len(missing)} never got it"
        assert all(copies[person.id] == 0 for person in blocked)
        duplicates = sum(count - 1 for count in copies.values() if count > 1)
        throttled = sum(1 for call in emulator.calls_to("sendMessage") if call.fault == "429")
        limited = sum(1 for call in emulator.calls_to("sendMessage")
                      if not call.ok and call.fault is None and call.error_code == 429)
        print(f"recorded 'sending' at the kill: {sending}, duplicates: {duplicates}, "
              f"pending at the kill: {pending}, injected 429s: {throttled}, "
              f"429s from the limits: {limited}")
        assert duplicates <= (sending or 0)
        [report] = [m for m in world.messages_in(lin) if "Not delivered" in m.text]
        assert "Delivered to 20 chats and 295 members." in report.text
        assert "Not delivered: 5." in report.text
        for n, person in enumerate(blocked, start=MEMBERS - BLOCKED):
            assert f"{person.name} (Shop {n}): has blocked me" in report.text
        async with stored(database_url) as session:
            assert await session.scalar(select(Announcement.state)) == "done"
    finally:
        await bot.kill_if_running()
        await harness.stop_bot()
        await emulator.stop()

"""Telegram's flood limits: 429 with retry_after, per chat and overall, then recovery."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter

from bot.emulator import BotRights, Emulator, FloodLimits, World

from .helpers import TOKEN, make_bot


@pytest.fixture
async def limited() -> AsyncIterator[tuple[Emulator, Bot, World]]:
    async with Emulator(token=TOKEN, flood=FloodLimits.telegram(), check_results=True) as emu:
        emu.clock.freeze()  # buckets refill only when a test advances the clock
        bot = make_bot(emu)
        try:
            yield emu, bot, World(emu)
        finally:
            await bot.session.close()


async def test_private_chat_allows_a_burst_of_three_then_one_a_second(
    limited: tuple[Emulator, Bot, World],
) -> None:
    emu, bot, world = limited
    alice = world.user("Alice")
    for n in range(3):
        await bot.send_message(alice.id, f"burst {n}")
    with pytest.raises(TelegramRetryAfter) as raised:
        await bot.send_message(alice.id, "too fast")
    assert raised.value.retry_after == 1
    assert emu.calls[-1].error_code == 429
    assert emu.calls[-1].description == "Too Many Requests: retry after 1"
    last = await bot.edit_message_text("edits are not counted", chat_id=alice.id, message_id=3)
    assert last.text == "edits are not counted"
    emu.clock.advance(1.0)
    await bot.send_message(alice.id, "after waiting")
    assert len(world.messages_to(alice)) == 4


async def test_group_allows_twenty_a_minute(limited: tuple[Emulator, Bot, World]) -> None:
    emu, bot, world = limited
    alice = world.user("Alice")
    group = world.group("G", members=[alice], bot=BotRights())
    for n in range(20):
        emu.clock.advance(0.05)  # stay under the overall limit
        await bot.send_message(group.id, f"card {n}")
    with pytest.raises(TelegramRetryAfter) as raised:
        await bot.send_message(group.id, "one more")
    assert raised.value.retry_after == 3  # one message every 60/20 seconds
    emu.clock.advance(3)
    await bot.send_message(group.id, "now it fits")


async def test_thirty_messages_a_second_overall(limited: tuple[Emulator, Bot, World]) -> None:
    emu, bot, world = limited
    people = [world.user(f"P{n}") for n in range(31)]
    for person in people[:30]:
        await bot.send_message(person.id, "announcement")
    with pytest.raises(TelegramRetryAfter) as raised:
        await bot.send_message(people[30].id, "announcement")
    assert raised.value.retry_after == 1
    emu.clock.advance(0.1)  # 30/s: a token every 1/30 s
    await bot.send_message(people[30].id, "announcement")


async def test_limits_can_be_switched_off(bot: Bot, world: World) -> None:
    alice = world.user("Alice")
    for n in range(50):
        await bot.send_message(alice.id, f"m{n}")
    assert len(world.messages_to(alice)) == 50


async def test_a_paced_person_gives_the_bot_time_to_answer_within_the_limits(
    limited: tuple[Emulator, Bot, World],
) -> None:
    emu, bot, world = limited
    alice = world.user("Alice")
    kept_in_step: list[float] = []
    world.pace(3, also=kept_in_step.append)
    for n in range(6):
        await alice.dm(f"answer {n}")
        await bot.send_message(alice.id, f"step {n}")  # at machine speed: 429 without pacing
        await bot.send_message(alice.id, f"step {n}, second part")
    assert kept_in_step == [3] * 6
    assert not [call for call in emu.calls if call.error_code == 429]
    world.pace(0)
    await alice.dm("no longer paced")
    with pytest.raises(TelegramRetryAfter):  # the clock stood still: the bucket runs dry
        for n in range(4):
            await bot.send_message(alice.id, f"burst {n}")

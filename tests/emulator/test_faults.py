"""Injected faults: each kind fails the way the real thing does, then the rule is spent."""

from __future__ import annotations

import time

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

from bot.emulator import Emulator, World


async def test_error_faults(bot: Bot, emu: Emulator, world: World) -> None:
    alice = world.user("Alice")
    emu.faults.add("sendMessage", 429, retry_after=7)
    emu.faults.add("sendMessage", 403)
    emu.faults.add("sendMessage", 500)
    emu.faults.add("sendMessage", 502)
    with pytest.raises(TelegramRetryAfter) as retry:
        await bot.send_message(alice.id, "1")
    assert retry.value.retry_after == 7
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(alice.id, "2")
    with pytest.raises(TelegramServerError, match="Internal Server Error"):
        await bot.send_message(alice.id, "3")
    with pytest.raises(TelegramServerError, match="Bad Gateway"):
        await bot.send_message(alice.id, "4")
    await bot.send_message(alice.id, "5")  # every rule is spent
    assert [c.fault for c in emu.calls_to("sendMessage")] == ["429", "403", "500", "502", None]
    assert [m.text for m in world.messages_to(alice)] == ["5"]


async def test_network_fault_drops_the_connection(bot: Bot, emu: Emulator, world: World) -> None:
    alice = world.user("Alice")
    emu.faults.add("sendMessage", "network", times=2)
    for _ in range(2):
        with pytest.raises(TelegramNetworkError):
            await bot.send_message(alice.id, "lost")
    await bot.send_message(alice.id, "delivered")
    calls = emu.calls_to("sendMessage")
    assert [c.fault for c in calls] == ["network", "network", None]
    assert not calls[0].ok
    assert [m.text for m in world.messages_to(alice)] == ["delivered"]


async def test_slow_fault_delays_then_succeeds(bot: Bot, emu: Emulator, world: World) -> None:
    alice = world.user("Alice")
    emu.faults.add("sendMessage", "slow", delay=0.3)
    started = time.monotonic()
    await bot.send_message(alice.id, "eventually")
    assert time.monotonic() - started >= 0.3
    assert emu.calls_to("sendMessage")[0].fault == "slow"
    assert emu.calls_to("sendMessage")[0].ok


async def test_faults_can_target_one_chat_and_any_method(
    bot: Bot, emu: Emulator, world: World
) -> None:
    alice, bob = world.user("Alice"), world.user("Bob")
    emu.faults.add(kind=403, chat_id=bob)  # a world's user stands for their private chat
    await bot.send_message(alice.id, "fine")
    with pytest.raises(TelegramForbiddenError):
        await bot.send_chat_action(bob.id, "typing")
    await bot.send_message(bob.id, "fine too")
    with pytest.raises(ValueError, match="unknown fault kind"):
        emu.faults.add("sendMessage", 418)  # type: ignore[arg-type]


async def _throttled(bot: Bot, emu: Emulator, world: World, seed: int) -> list[bool]:
    alice = world.user(f"Alice {seed}")
    emu.faults.clear()
    emu.faults.add("sendMessage", 429, ratio=0.3, times=1000, seed=seed)
    outcomes = []
    for n in range(200):
        try:
            await bot.send_message(alice.id, str(n))
            outcomes.append(True)
        except TelegramRetryAfter:
            outcomes.append(False)
    return outcomes


async def test_a_share_of_requests_throttled_the_same_way_for_a_seed(bot: Bot, emu: Emulator,
                                                                     world: World) -> None:
    first = await _throttled(bot, emu, world, seed=7)
    assert 40 <= first.count(False) <= 80  # about 30 % of 200
    assert await _throttled(bot, emu, world, seed=7) == first
    assert await _throttled(bot, emu, world, seed=8) != first
    with pytest.raises(ValueError, match="ratio"):
        emu.faults.add("sendMessage", 429, ratio=0)

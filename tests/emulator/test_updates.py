"""getUpdates: offsets, limits, long polling, allowed_updates and conflicts."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramConflictError

from bot.emulator import BotRights, Emulator, World

from .helpers import make_bot


async def test_offset_confirms_everything_below_it(bot: Bot, world: World) -> None:
    alice = world.user("Alice")
    for text in ("one", "two", "three"):
        await alice.dm(text)
    updates = await bot.get_updates()
    ids = [u.update_id for u in updates]
    assert [u.message.text for u in updates] == ["one", "two", "three"]
    assert ids == sorted(ids) and ids[1] == ids[0] + 1
    again = await bot.get_updates()  # nothing confirmed yet: all three again
    assert [u.update_id for u in again] == ids
    rest = await bot.get_updates(offset=ids[1])
    assert [u.message.text for u in rest] == ["two", "three"]
    assert await bot.get_updates(offset=ids[2] + 1) == []
    assert await bot.get_updates() == []  # confirmed updates are gone for good


async def test_negative_offset_and_limit(bot: Bot, world: World) -> None:
    alice = world.user("Alice")
    for n in range(5):
        await alice.dm(f"m{n}")
    assert [u.message.text for u in await bot.get_updates(limit=2)] == ["m0", "m1"]
    assert [u.message.text for u in await bot.get_updates(offset=-2)] == ["m3", "m4"]
    assert [u.message.text for u in await bot.get_updates()] == ["m3", "m4"]  # rest forgotten


async def test_long_poll_returns_as_soon_as_an_update_arrives(bot: Bot, world: World) -> None:
    alice = world.user("Alice")

    async def later() -> None:
        await asyncio.sleep(0.2)
        await alice.dm("wake up")

    started = time.monotonic()
    results = await asyncio.gather(bot.get_updates(timeout=5), later())
    assert [u.message.text for u in results[0]] == ["wake up"]
    assert time.monotonic() - started < 2

    started = time.monotonic()
    assert await bot.get_updates(offset=results[0][0].update_id + 1, timeout=1) == []
    assert time.monotonic() - started >= 0.9


async def test_allowed_updates_is_remembered_and_filters_new_updates(
    bot: Bot, emu: Emulator, world: World
) -> None:
    alice, bob = world.user("Alice"), world.user("Bob")
    group = world.group("G", members=[alice], bot=BotRights())
    await bob.join(group)  # default set: no chat_member update, only the service message
    kinds = [next(k for k in u if k != "update_id") for u in emu.updates.pending]
    assert kinds == ["message"]
    await bot.get_updates(offset=-1, allowed_updates=["chat_member", "callback_query"])
    await bot.get_updates(offset=emu.updates.pending[-1]["update_id"] + 1)  # setting kept
    await bob.leave(group)
    kinds = [next(k for k in u if k != "update_id") for u in emu.updates.pending]
    assert kinds == ["chat_member"]  # the left_chat_member message was not wanted
    await bot.get_updates(offset=-1, allowed_updates=[])  # empty list: back to the default
    assert "chat_member" not in emu.updates.allowed and "message" in emu.updates.allowed


async def test_getupdates_conflicts(bot: Bot, emu: Emulator) -> None:
    other = make_bot(emu)
    try:
        first = asyncio.create_task(bot.get_updates(timeout=5))
        await asyncio.sleep(0.1)
        await other.get_updates(timeout=0)  # a second instance of the same bot
        with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
            await first
    finally:
        await other.session.close()
    await bot.set_webhook("http://127.0.0.1:9/hook")
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates()
    await bot.delete_webhook()
    assert await bot.get_updates() == []

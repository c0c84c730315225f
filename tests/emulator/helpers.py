"""Helpers for the emulator tests: an aiogram Bot on the emulator, and polling a Dispatcher."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import TelegramObject

from bot.emulator import Emulator, World

TOKEN = "123456:TEST-TOKEN"
USERNAME = "alliance_test_bot"

# A 640×480 PNG header: enough for Telegram (and the emulator) to read the size.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x02\x80\x00\x00\x01\xe0\x08\x02\x00\x00\x00"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def make_bot(emulator: Emulator, token: str | None = None) -> Bot:
    api = TelegramAPIServer.from_base(emulator.base_url)
    return Bot(token or emulator.token, session=AiohttpSession(api=api))


class Busy:
    """Counts handlers in progress: the idle probe a real bot's test fixture supplies."""

    def __init__(self) -> None:
        self.active = 0

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        self.active += 1
        try:
            return await handler(event, data)
        finally:
            self.active -= 1

    def idle(self) -> bool:
        return self.active == 0


@asynccontextmanager
async def polling(dp: Dispatcher, bot: Bot, world: World, **options: Any) -> AsyncIterator[None]:
    """Run ``dp`` in polling mode against the emulator for the duration of the block."""
    busy = Busy()
    dp.update.outer_middleware(busy)
    world.add_idle_probe(busy.idle)
    task = asyncio.create_task(
        dp.start_polling(
            bot, handle_signals=False, close_bot_session=False, polling_timeout=2, **options
        )
    )
    emu = world.emu
    polls = len(emu.calls_to("getUpdates"))
    for _ in range(500):  # until the bot's first poll, which sets allowed_updates
        if len(emu.calls_to("getUpdates")) > polls or task.done():
            break
        await asyncio.sleep(0.01)
    try:
        yield
    finally:
        if not task.done():
            await dp.stop_polling()
        await task

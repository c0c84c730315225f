"""Updates handled per second and reply latency: the real bot, and a bare aiogram bot beside it.

Both poll the same kind of emulator (flood limits off: this measures the bot, not Telegram's
limits) and answer a burst of N private `/help` commands from N different people.

The limit is 60 updates/s on SQLite: an alliance of 200 members all pressing a button within a
few seconds must not queue for longer than that. The bare bot's figure shows what aiogram and
the emulator alone cost on this machine; the ratio between the two is printed for tracking
(the votes benchmark of the decisions issue aims at ≥ 0.5 for ballots).
Run: `.venv/bin/python benchmarks/updates.py [N]`.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import Command
from aiogram.types import Message

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import describe, with_emulator  # noqa: E402
from bot.config import parse_config  # noqa: E402
from bot.emulator import Emulator, World  # noqa: E402
from bot.runtime.app import AllianceApp, freeze_startup_heap  # noqa: E402

TOKEN = "7000002:BENCH-alliance-bot-token"
LIMIT_UPDATES_PER_SECOND = 60.0


async def burst(emulator: Emulator, world: World, n: int) -> tuple[float, list[float]]:
    people = [world.user(f"P{i}", lang="zh-hant" if i % 2 else "en") for i in range(n)]
    sent_at: dict[int, float] = {}
    start = emulator.clock.monotonic()
    wall_start = emulator.clock.time()
    for person in people:
        sent_at[person.id] = emulator.clock.time()
        await person.dm("/help")
    await world.settle(timeout=120)
    elapsed = emulator.clock.monotonic() - start
    latencies = []
    for call in emulator.calls_to("sendMessage"):
        chat_id = call.params.get("chat_id")
        if call.ok and chat_id in sent_at and call.time >= wall_start:
            latencies.append(call.time - sent_at.pop(chat_id))
    assert not sent_at, f"{len(sent_at)} people got no answer"
    return n / elapsed, latencies




async def real_bot(n: int) -> tuple[float, list[float]]:
    async def run(emulator: Emulator, world: World) -> tuple[float, list[float]]:
        with tempfile.TemporaryDirectory() as folder:
            config = parse_config({
                "telegram": {"token": TOKEN, "api_base": emulator.base_url},
                "database": {"url": f"sqlite+aiosqlite:///{folder}/bench.db"},
            }, environ={})
            app = AllianceApp(config)
            world.add_idle_probe(app.is_idle)
            await app.prepare()
            freeze_startup_heap()  # as `alliance-bot run` does
            task = asyncio.create_task(app.run_polling())
            try:
                await world.settle()
                return await burst(emulator, world, n)
            finally:
                app.stop()
                await task
                await app.close()

    return await with_emulator(TOKEN, "bench_bot", run)


async def bare_bot(n: int) -> tuple[float, list[float]]:
    async def run(emulator: Emulator, world: World) -> tuple[float, list[float]]:
        bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(emulator.base_url)))
        router = Router()

        @router.message(Command("help"))
        async def answer(message: Message) -> None:
            await message.answer("What I can do for you here")

        dispatcher = Dispatcher()
        dispatcher.include_router(router)
        task = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False,
                                                            close_bot_session=True))
        try:
            await world.settle()
            return await burst(emulator, world, n)
        finally:
            await dispatcher.stop_polling()
            await task

    return await with_emulator(TOKEN, "bench_bot", run)




async def main(n: int) -> int:
    ours = await real_bot(n)
    bare = await bare_bot(n)
    print(f"burst of {n} private /help commands through the emulator (SQLite, flood limits off)")
    print(describe("alliance", *ours, "updates"))
    print(describe("bare", *bare, "updates"))
    print(f"alliance/bare throughput ratio {ours[0] / bare[0]:.2f}")
    ratio = ours[0] / LIMIT_UPDATES_PER_SECOND
    print(f"{ours[0]:.1f} updates/s against a limit of ≥ {LIMIT_UPDATES_PER_SECOND:.0f}: "
          f"ratio to limit {ratio:.2f}")
    return 0 if ratio >= 1 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)))

"""What every benchmark here shares: an emulator with flood limits off, and how figures are shown.

Both sides of a comparison (the real bot, a bare aiogram bot) run on the same kind of emulator,
each in a fresh process of its own (one side's garbage never slows the other), so the ratio
speaks of the bot's own cost, not of the machine.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import statistics
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor

from bot.emulator import Emulator, FloodLimits, World

Result = tuple[float, list[float]]  # throughput per second, latencies in seconds


async def with_emulator(token: str, username: str,
                        run: Callable[[Emulator, World], Awaitable[Result]]) -> Result:
    emulator = Emulator(token=token, bot_username=username, flood=FloodLimits.off())
    await emulator.start()
    try:
        return await run(emulator, World(emulator))
    finally:
        await emulator.stop()


def describe(name: str, rate: float, latencies: list[float], unit: str) -> str:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    return f"{name:<10} {rate:8.1f} {unit}/s   p50 {p50:7.1f} ms   p99 {p99:7.1f} ms"


def _run_side(side: Callable[[int], Awaitable[Result]], n: int) -> Result:
    return asyncio.run(side(n))


def in_fresh_process(side: Callable[[int], Awaitable[Result]], n: int) -> Result:
    """Run ``side(n)`` in a newly spawned interpreter and return its figures."""
    with ProcessPoolExecutor(max_workers=1,
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_run_side, side, n).result()

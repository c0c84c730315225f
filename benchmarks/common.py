"""What every benchmark here shares: an emulator with flood limits off, and how figures are shown.

Both sides of a comparison (the real bot, a bare aiogram bot) run on the same kind of emulator,
each in a fresh process of its own (one side's garbage never slows the other), so the ratio
speaks of the bot's own cost, not of the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import statistics
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bot.emulator import Emulator, FloodLimits, World
from storage.db import is_sqlite

if TYPE_CHECKING:
    from bot.runtime.app import AllianceApp

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


def _run_side(side: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    return asyncio.run(side(*args))


def in_fresh_process(side: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    """Run ``side(*args)`` in a newly spawned interpreter and return its figures."""
    with ProcessPoolExecutor(max_workers=1,
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_run_side, side, *args).result()


# -- the database a side runs on -----------------------------------------------------------------

def in_turns(ours: Callable[..., Awaitable[Any]], bare: Callable[..., Awaitable[Any]],
             rounds: int, *args: Any) -> tuple[float, Any, Any, list[float]]:
    """This machine's speed drifts by a third from one second to the next, so one run of each
    side proves little: the sides take turns, each in a fresh process, round after round, and
    the median round counts. Each side's result starts with its rate; returns the median
    ratio, that round's two results and every round's ratio."""
    ratios: list[float] = []
    rounds_run: list[tuple[Any, Any]] = []
    for _ in range(rounds):
        mine, theirs = in_fresh_process(ours, *args), in_fresh_process(bare, *args)
        rounds_run.append((mine, theirs))
        ratios.append(mine[0] / theirs[0])
    ratio = statistics.median_low(ratios)
    mine, theirs = rounds_run[ratios.index(ratio)]
    return ratio, mine, theirs, ratios


def arguments(doc: str | None, *, n: int, rounds: int) -> argparse.Namespace:
    """``[N [ROUNDS]] [--database-url URL]``: SQLite in a temporary folder unless a URL is given."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n")[0])
    parser.add_argument("n", type=int, nargs="?", default=n)
    parser.add_argument("rounds", type=int, nargs="?", default=rounds)
    parser.add_argument("--database-url", default=None,
                        help="e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test: each run "
                             "creates a fresh database beside that one and drops it after")
    return parser.parse_args()


def engine_name(url: str | None) -> str:
    return "SQLite" if url is None or is_sqlite(url) else "PostgreSQL"


@contextlib.asynccontextmanager
async def fresh_database(url: str | None) -> AsyncIterator[str]:
    """An empty database for one run: a new SQLite file, or a new PostgreSQL database created on
    ``url``'s server (its own database only serves to connect) and dropped afterwards."""
    if url is None or is_sqlite(url):
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite+aiosqlite:///{folder}/bench.db"
        return
    base = make_url(url)
    name = f"alliance_bench_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(base, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


@contextlib.asynccontextmanager
async def polling_bot(emulator: Emulator, world: World, token: str,
                      database_url: str | None) -> AsyncIterator[AllianceApp]:
    """The real bot polling ``emulator`` on a fresh database, with the tuning `alliance-bot run`
    applies; stopped and closed on the way out. The bot is imported here, not at the top: a
    bare side's process never loads it (its memory is part of the figures)."""
    from bot.config import parse_config
    from bot.runtime.app import AllianceApp, freeze_startup_heap

    async with fresh_database(database_url) as url:
        config = parse_config({"telegram": {"token": token, "api_base": emulator.base_url},
                               "database": {"url": url}}, environ={})
        app = AllianceApp(config)
        world.add_idle_probe(app.is_idle)
        await app.prepare()
        freeze_startup_heap()  # as `alliance-bot run` does
        task = asyncio.create_task(app.run_polling())
        try:
            yield app
        finally:
            app.stop()
            await task
            await app.close()

"""A large world against a small one: start-up, idle memory, the scheduler's refresh, and the
directory commands, as a hosted bot serving many alliances sees them.

The large world (issue 16): 1,000 alliances, 30,000 members, 300,000 referrals over two years
(most closed; those closed in the last 180 days still hold their customer, so each implies a
purge job months away; the last three days' are open), each alliance with a home group and the
monthly report on. The small world is one such alliance alone. Both are seeded through the
storage layer (the models' tables, bulk inserts, the migrations run first).

Figures, each world in a fresh database:
- start-up: `alliance-bot run` as a fresh process against the emulator, spawn to its first
  `getUpdates`; the large world's against an empty database's (goal ≤ 2 ×);
- idle RSS of that process a few seconds after (goal ≤ 150 MB), and after the commands below;
  beside it a bare aiogram bot's (a Dispatcher with no handler), what aiogram alone costs;
- refresh: the scheduler's periodic re-arming, in a fresh process of its own on the same
  database: its wall time, its CPU time and the longest the event loop was held at once
  (a probe ticking every millisecond; goal ≤ 50 ms), and how many jobs it holds in memory;
  and the same for the refresh 20 minutes before 09:00 on the 1st, when every alliance's
  monthly report enters the window at once (the large world seeded as of then, its own
  database, the app's clock set there);
- `/ledger` (in the home group), `/members` (there too), `/referrals` (in private) by the
  focus alliance's coordinator, N times each, command to the bot's answer: p50/p99, large
  against small (goal ≤ 2 ×).

Run: `.venv/bin/python benchmarks/world.py [--scale 0.1] [--repeat N] [--database-url URL]`
(SQLite in a temporary folder by default; with a PostgreSQL URL a fresh database is created
and dropped for each world). The full scale seeds for a few minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import engine_name, fresh_database, in_fresh_process  # noqa: E402
from bot.emulator import BotRights, Emulator, FloodLimits, SimChat, SimUser, World  # noqa: E402
from bot.services.stats import report_due, report_job_id  # noqa: E402
from storage.db import create_unpooled_engine, is_sqlite  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Alliance, Chat, JobRun, Member, Person, Referral, Role  # noqa: E402

TOKEN = "7000016:BENCH-alliance-bot-token"
USERNAME = "bench_world_bot"
ALLIANCES, MEMBERS_EACH, REFERRALS_EACH = 1000, 30, 300
CHUNK = 5000
PERSON_BASE = 6_000_000_000  # seeded people's ids, far from the emulator's
CHAT_BASE = -1_009_000_000_000
GOALS = "goals (issue 16): start-up ≤ 2 × empty, idle RSS ≤ 150 MB, refresh ≤ 50 ms of loop"


# -- seeding --------------------------------------------------------------------------------------

def _referral(rng: random.Random, alliance_id: int, members: list[int], now: datetime,
              serial: int) -> dict[str, Any]:
    """One referral of a two-year history: closed, purged once 180 days past closing; the last
    three days' still open (sent, or accepted and in hand)."""
    referrer, receiver = rng.sample(members, 2)
    created = now - timedelta(seconds=rng.uniform(60, 730 * 86400))
    row: dict[str, Any] = dict(
        alliance_id=alliance_id, referrer_id=referrer, receiver_id=receiver,
        customer_name=f"Customer {serial}", customer_contact=f"+886 9{serial:08d}",
        need="brakes squeal", urgency="normal", status="won", created_at=created,
        updated_at=created, reminded_at=None, touched_at=None, closed_at=None, purged_at=None)
    if now - created < timedelta(hours=72):
        if rng.random() < 0.5:
            row["status"] = "sent"
            if now - created > timedelta(hours=23):
                row["reminded_at"] = created + timedelta(hours=24)
        else:
            row.update(status="accepted", touched_at=created)
        return row
    closed = min(now - timedelta(minutes=1), created + timedelta(days=rng.uniform(0.1, 10)))
    row.update(status=rng.choice(("won", "lost", "declined", "expired")), closed_at=closed,
               touched_at=closed)
    if now - closed > timedelta(days=180):
        row.update(customer_name=None, customer_contact=None, purged_at=closed + timedelta(days=180))
    return row


def world_rows(alliances: int, focus: tuple[int, int, int], now: datetime,
               ) -> dict[type, list[dict[str, Any]]]:
    """Every row of the world; alliance 1 is the focus one (``focus``: its coordinator's person
    id, its home group's chat id, a member's person id), the one the commands are sent in."""
    coordinator, group, member_person = focus
    rng = random.Random(16)
    rows: dict[type, list[dict[str, Any]]] = {Person: [], Alliance: [], Chat: [], Member: [],
                                              Role: [], Referral: [], JobRun: []}
    posted = report_due(now, "Asia/Taipei")  # this month's report, already posted (steady state)
    stamp = dict(created_at=now - timedelta(days=800), updated_at=now - timedelta(days=800))
    rows[Person] += [dict(id=coordinator, first_name="Lin", started=True, **stamp),
                     dict(id=member_person, first_name="Mei", started=True, **stamp)]
    member_id = 0
    for alliance_id in range(1, alliances + 1):
        boss = coordinator if alliance_id == 1 else PERSON_BASE + alliance_id * 100
        if alliance_id != 1:
            rows[Person].append(dict(id=boss, first_name=f"Boss {alliance_id}", started=True,
                                     **stamp))
        rows[Alliance].append(dict(id=alliance_id, name=f"Alliance {alliance_id}", charter="",
                                   locale="en", timezone="Asia/Taipei", settings={},
                                   created_by=boss, **stamp))
        rows[Chat].append(dict(id=alliance_id, kind="supergroup", role="home",
                               tg_chat_id=group if alliance_id == 1 else CHAT_BASE - alliance_id,
                               title=f"Alliance {alliance_id}", alliance_id=alliance_id, **stamp))
        members = []
        for index in range(MEMBERS_EACH):
            member_id += 1
            members.append(member_id)
            rows[Member].append(dict(id=member_id, alliance_id=alliance_id,
                                     name=f"Shop {alliance_id}-{index}", category="repair",
                                     status="active", joined_at=stamp["created_at"], **stamp))
            person = member_person if (alliance_id, index) == (1, 1) else (
                PERSON_BASE + alliance_id * 100 + index + 1)
            if person != member_person:
                rows[Person].append(dict(id=person, first_name=f"P{alliance_id}-{index}",
                                         started=True, **stamp))
            rows[Role].append(dict(alliance_id=alliance_id, person_id=person, role="member",
                                   member_id=member_id, created_at=stamp["created_at"]))
        if posted <= now:
            rows[JobRun].append(dict(job_id=report_job_id(alliance_id, posted), due_at=posted,
                                     ran_at=posted))
        rows[Role].append(dict(alliance_id=alliance_id, person_id=boss, role="coordinator",
                               member_id=members[0], created_at=stamp["created_at"]))
        rows[Referral] += [_referral(rng, alliance_id, members, now,
                                     alliance_id * REFERRALS_EACH + n)
                           for n in range(REFERRALS_EACH)]
    return rows


def _chunks(rows: list[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start:start + CHUNK]


async def seed(url: str, alliances: int, focus: tuple[int, int, int],
               now: datetime | None = None) -> dict[str, int]:
    """The migrations, then the world's rows in bulk (as they stand at ``now``, by default the
    present); returns how many of each."""
    await upgrade(url)
    rows = world_rows(alliances, focus, now or datetime.now(UTC))
    engine = create_unpooled_engine(url)
    try:
        async with engine.begin() as connection:
            for model, found in rows.items():
                for chunk in _chunks(found):
                    await connection.execute(insert(model.__table__), chunk)  # type: ignore[attr-defined]
            if not is_sqlite(url):  # explicit ids: move the sequences past them
                for table in ("alliances", "chats", "members", "roles", "referrals"):
                    await connection.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"))
            await connection.execute(text("ANALYZE"))  # the planner sees the world's sizes
    finally:
        await engine.dispose()
    return {model.__tablename__: len(found) for model, found in rows.items()}  # type: ignore[attr-defined]


# -- the bot as a process ---------------------------------------------------------------------------

def _config(folder: Path, api_base: str, url: str) -> Path:
    path = folder / "config.toml"
    path.write_text(f"""
[telegram]
token = "{TOKEN}"
api_base = "{api_base}"
mode = "polling"

[database]
url = "{url}"
""", encoding="utf-8")
    return path


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _wait(condition: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"not within {within:.0f} s: {what}")
        await asyncio.sleep(0.002)


async def _answered(world: World, user: SimUser, chat: SimChat | SimUser, command: str) -> float:
    """``user`` sends ``command``; seconds until the bot's answer shows in that chat."""
    target = chat.private if isinstance(chat, SimUser) else chat
    before = len(world.messages_in(chat))
    started = time.perf_counter()
    await user.send(target, command)
    await _wait(lambda: len(world.messages_in(chat)) > before, 120, f"an answer to {command}")
    return time.perf_counter() - started


async def as_process(url: str, alliances: int, repeat: int) -> dict[str, Any]:
    """Seed (unless ``alliances`` is 0: the empty database), then start the bot as a process
    and measure its start-up, idle RSS and (when seeded) the commands' latencies."""
    emulator = Emulator(token=TOKEN, bot_username=USERNAME, flood=FloodLimits.off())
    await emulator.start()
    world = World(emulator)
    lin, mei = world.user("Lin"), world.user("Mei")
    group = world.group("Alliance 1", admins=[lin], members=[mei],
                        bot=BotRights(can_invite_users=True, can_pin_messages=True))
    figures: dict[str, Any] = {}
    started = time.perf_counter()
    if alliances:
        figures["rows"] = await seed(url, alliances, (lin.id, group.id, mei.id))
    else:
        await upgrade(url)
    figures["seed_s"] = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        config = _config(Path(folder), emulator.base_url, url)
        env = {key: value for key, value in os.environ.items() if not key.startswith("ALLIANCE_")}
        env["PYTHONPATH"] = str(ROOT)
        log = (Path(folder) / "bot.log").open("wb")
        spawned = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--config", str(config), cwd=ROOT, env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log)
        try:
            await _wait(lambda: bool(emulator.calls_to("getUpdates")) or
                        process.returncode is not None, 600, "the first getUpdates")
            figures["startup_s"] = time.perf_counter() - spawned
            await asyncio.sleep(5)
            figures["rss_mb"] = _rss_mb(process.pid)
            figures["log_lines"] = (Path(folder) / "bot.log").read_text(errors="replace").count("\n")
            if alliances:
                for name, chat, command in (("/ledger", group, "/ledger"),
                                            ("/members", group, "/members"),
                                            ("/referrals", lin, "/referrals")):
                    await _answered(world, lin, chat, command)  # warm
                    figures[name] = [await _answered(world, lin, chat, command)
                                     for _ in range(repeat)]
                figures["rss_after_mb"] = _rss_mb(process.pid)  # the types those used, built
        except Exception:
            log.flush()
            tail = (Path(folder) / "bot.log").read_text(errors="replace").splitlines()[-40:]
            print("the bot's log, last lines:", *tail, sep="\n", file=sys.stderr)
            raise
        finally:
            if process.returncode is None:
                process.terminate()
                await process.wait()
            log.close()
            await emulator.stop()
    return figures


BARE_BOT = """
import asyncio, sys
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

async def main():
    bot = Bot(sys.argv[1], session=AiohttpSession(api=TelegramAPIServer.from_base(sys.argv[2])))
    await Dispatcher().start_polling(bot)

asyncio.run(main())
"""


async def bare_aiogram() -> dict[str, float]:
    """A bare aiogram bot (a Dispatcher with no handler, long polling) as a process: its start-up
    to the first getUpdates and idle RSS, what aiogram alone costs on this machine."""
    emulator = Emulator(token=TOKEN, bot_username=USERNAME, flood=FloodLimits.off())
    await emulator.start()
    spawned = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", BARE_BOT, TOKEN, emulator.base_url,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL)
    try:
        await _wait(lambda: bool(emulator.calls_to("getUpdates")) or
                    process.returncode is not None, 600, "the bare bot's first getUpdates")
        startup = time.perf_counter() - spawned
        await asyncio.sleep(5)
        return {"startup_s": startup, "rss_mb": _rss_mb(process.pid)}
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()
        await emulator.stop()


# -- the refresh, in a process of its own -------------------------------------------------------------

async def refresh_cost(url: str, at: datetime | None = None) -> dict[str, float]:
    """The scheduler started on the world (its first refresh is part of start-up), then one
    periodic refresh measured: wall, CPU, the longest single hold of the event loop. With
    ``at``, the app's clock starts there, moving with real time (the world seeded as of then),
    and the refresh measured is one a minute later."""
    from bot.config import parse_config
    from bot.i18n import catalogs
    from bot.runtime.app import AllianceApp
    from bot.runtime.clock import FakeClock

    emulator = Emulator(token=TOKEN, bot_username=USERNAME, flood=FloodLimits.off())
    await emulator.start()
    config = parse_config({"telegram": {"token": TOKEN, "api_base": emulator.base_url},
                           "database": {"url": url}}, environ={})
    clock = FakeClock(at, ticking=True) if at is not None else None
    app = AllianceApp(config, clock=clock)
    # The translations, parsed on their first use (~50-100 ms), as a bot that has said anything
    # has them: else a job falling due during the refresh measured (one on the 1st) pays it.
    catalogs()
    scheduler = app.scheduler
    try:
        started = time.perf_counter()
        await scheduler.start()
        first = time.perf_counter() - started
        if clock is not None:
            clock.advance(timedelta(minutes=1))
        armed = len(scheduler._aps.get_jobs())
        longest = longest_cpu = 0.0
        done = False

        async def probe() -> None:
            # wall between ticks, and CPU: on a loaded machine the wall also counts the time
            # the OS gave the process none, the CPU only what the loop's own work took
            nonlocal longest, longest_cpu
            loop = asyncio.get_running_loop()
            while not done:
                before, cpu_before = loop.time(), time.thread_time()
                await asyncio.sleep(0.001)
                longest = max(longest, loop.time() - before - 0.001)
                longest_cpu = max(longest_cpu, time.thread_time() - cpu_before)

        ticking = asyncio.create_task(probe())
        await asyncio.sleep(0.05)
        cpu, wall = time.process_time(), time.perf_counter()
        await scheduler.refresh()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        done = True
        await ticking
        if clock is not None:
            armed = len(scheduler._aps.get_jobs())
        return {"first_s": first, "wall_ms": wall * 1000, "cpu_ms": cpu * 1000,
                "held_ms": longest * 1000, "held_cpu_ms": longest_cpu * 1000, "armed": armed}
    finally:
        await scheduler.stop()
        await app.close()
        await emulator.stop()


# -- the figures ----------------------------------------------------------------------------------------

async def one_world(url: str | None, alliances: int, repeat: int) -> dict[str, Any]:
    async with fresh_database(url) as database:
        figures = await as_process(database, alliances, repeat)
        if alliances:
            figures["refresh"] = in_fresh_process(refresh_cost, database)
    if alliances > 1:
        figures["refresh_1st"] = await on_the_first(url, alliances)
    return figures


def _before_the_first(now: datetime) -> datetime:
    """Just before the window of a refresh reaches next month's report moment (09:00 on the
    1st in Taipei): a refresh a minute later takes in every alliance's report."""
    from bot.runtime.scheduler import SAFETY_REFRESH, WINDOW_MARGIN
    from bot.services.stats import next_report

    moment = next_report(now, "Asia/Taipei").astimezone(UTC)
    return moment - SAFETY_REFRESH - WINDOW_MARGIN - timedelta(seconds=10)


async def on_the_first(url: str | None, alliances: int) -> dict[str, float]:
    """The world as it stands just before the 1st, in a database of its own: the refresh that
    arms every alliance's monthly report at once."""
    at = _before_the_first(datetime.now(UTC))
    async with fresh_database(url) as database:
        await seed(database, alliances, (1, -1, 2), now=at)
        return in_fresh_process(refresh_cost, database, at)


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


def report(large: dict[str, Any], small: dict[str, Any], empty: dict[str, Any],
           bare: dict[str, float], scale: float, url: str | None) -> None:
    print(f"world benchmark, {engine_name(url)}, scale {scale}: {large['rows']}")
    print(f"seeded in {large['seed_s']:.0f} s; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")
    for name, figures in (("empty", empty), ("small", small), ("large", large)):
        print(f"{name:<6} start-up to first getUpdates {figures['startup_s']:6.2f} s   "
              f"idle RSS {figures['rss_mb']:6.1f} MB   log lines {figures['log_lines']}")
    print(f"bare   start-up to first getUpdates {bare['startup_s']:6.2f} s   "
          f"idle RSS {bare['rss_mb']:6.1f} MB   (aiogram alone: a Dispatcher with no handler)")
    print(f"RSS after the commands below: small {small['rss_after_mb']:.1f} MB, "
          f"large {large['rss_after_mb']:.1f} MB")
    print(f"start-up large / empty: {large['startup_s'] / empty['startup_s']:.2f} ×")
    for name, figures in (("small", small), ("large", large)):
        r = figures["refresh"]
        print(f"{name:<6} refresh: {r['armed']} jobs in memory, first (start) {r['first_s']:.2f} s; "
              f"periodic: wall {r['wall_ms']:.1f} ms, CPU {r['cpu_ms']:.1f} ms, "
              f"loop held at most {r['held_ms']:.1f} ms ({r['held_cpu_ms']:.1f} ms of CPU)")
    r = large["refresh_1st"]
    print(f"large  refresh on the 1st (every alliance's report enters the window): "
          f"{r['armed']} jobs in memory after; wall {r['wall_ms']:.1f} ms, CPU {r['cpu_ms']:.1f} ms, "
          f"loop held at most {r['held_ms']:.1f} ms ({r['held_cpu_ms']:.1f} ms of CPU)")
    for command in ("/ledger", "/members", "/referrals"):
        ours, theirs = large[command], small[command]
        print(f"{command:<11} small p50 {_p(theirs, 0.5):6.1f} ms p99 {_p(theirs, 0.99):6.1f} ms   "
              f"large p50 {_p(ours, 0.5):6.1f} ms p99 {_p(ours, 0.99):6.1f} ms   "
              f"p99 large/small {_p(ours, 0.99) / _p(theirs, 0.99):.2f} ×")
    print(GOALS)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="a share of the 1,000 alliances (0.1: a quick run)")
    parser.add_argument("--repeat", type=int, default=50, help="each command, this many times")
    parser.add_argument("--database-url", default=None,
                        help="e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test: each world "
                             "in a fresh database beside that one, dropped after")
    options = parser.parse_args()
    alliances = max(2, round(ALLIANCES * options.scale))
    for package in ("bot", "handlers", "storage"):  # else the first world's start-up compiles
        compileall.compile_dir(ROOT / package, quiet=1)
    empty = asyncio.run(one_world(options.database_url, 0, options.repeat))
    small = asyncio.run(one_world(options.database_url, 1, options.repeat))
    large = asyncio.run(one_world(options.database_url, alliances, options.repeat))
    bare = asyncio.run(bare_aiogram())
    report(large, small, empty, bare, options.scale, options.database_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())

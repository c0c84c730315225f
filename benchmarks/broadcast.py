"""An announcement's delivery under Telegram's limits: 20 group messages (the home group and 19
linked groups) and 300 private ones, through the emulator with its flood limits ON
(bot/emulator/flood.py: about 30 messages a second overall, 20 a minute per group, one a second
per private chat).

The real bot (SQLite, /announce's service and effects, the outbox with its pacing, retries and
per-item bookkeeping, the delivery report's check after every outcome) is timed from the commit
of *Send* to the last of the 320 messages accepted; it is compared with

- the minimum those limits allow: 320 messages at the overall rate, evenly paced
  (the emulator's bucket also grants a first burst; that figure is printed too — the outbox
  deliberately does not spend a burst, since after a restart Telegram still remembers what the
  previous process sent);
- a bare aiogram bot sending the same 320 messages naively, one after the other, sleeping
  ``retry_after`` whenever it gets a 429 (what a bot without an outbox does).

Goals: time / minimum ≤ 1.15, and no 429 received by the real bot. Each side runs in a fresh
process, the sides take turns for ROUNDS rounds and the median round counts.
Run: `.venv/bin/python benchmarks/broadcast.py [ROUNDS]`.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramRetryAfter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import in_fresh_process  # noqa: E402
from bot.config import OutboxConfig, parse_config  # noqa: E402
from bot.effects import announcements as effects  # noqa: E402
from bot.emulator import Emulator, FloodLimits, SimChat, SimUser, World  # noqa: E402
from bot.runtime.app import AllianceApp, freeze_startup_heap  # noqa: E402
from bot.services import alliances, announcements  # noqa: E402
from bot.services.alliances import ChatFacts  # noqa: E402
from storage.models import Chat, Member, Person, Role  # noqa: E402

TOKEN = "7000004:BENCH-alliance-bot-token"
GROUPS, PEOPLE = 20, 300
WORDS = "Benchmark announcement: the annual dinner is on Friday at 19:00."
GOAL_RATIO = 1.15
ROUNDS = 3
LIMITS = FloodLimits.telegram()

# seconds to deliver everything, 429s received
Result = tuple[float, int]


def minimum(messages: int, limits: FloodLimits = LIMITS, *, burst: bool = False) -> float:
    """The least time Telegram's limits allow for ``messages`` to as many different chats: the
    per-chat limits never bind (one message each), the overall rate does."""
    spent = max(0, messages - limits.overall_burst) if burst else messages
    return spent / limits.overall_per_second


def audience(world: World) -> tuple[SimUser, list[SimChat], list[SimUser]]:
    lin = world.user("Lin")
    groups = [world.group(f"Group {n}", admins=[lin], bot=True) for n in range(GROUPS)]
    people = [world.user(f"P{n}", lang="zh-hant" if n % 2 else "en") for n in range(PEOPLE - 1)]
    return lin, groups, [lin, *people]


def _sent(emulator: Emulator) -> tuple[int, float, int]:
    """(messages of the announcement accepted, time of the last, 429s answered)."""
    done, last, throttled = 0, 0.0, 0
    for call in emulator.calls_to("sendMessage"):
        if call.error_code == 429:
            throttled += 1
        elif call.ok and WORDS in str(call.params.get("text", "")):
            done += 1
            last = max(last, call.time)
    return done, last, throttled


async def _until_delivered(emulator: Emulator, started: float) -> Result:
    while True:
        done, last, throttled = _sent(emulator)
        if done >= GROUPS + PEOPLE:
            return last - started, throttled
        if emulator.clock.time() - started > 300:
            raise AssertionError(f"only {done} of {GROUPS + PEOPLE} delivered in 5 minutes")
        await asyncio.sleep(0.02)


async def _with_emulator(run: Callable[[Emulator, World], Awaitable[Result]]) -> Result:
    emulator = Emulator(token=TOKEN, bot_username="bench_broadcast_bot", flood=LIMITS)
    await emulator.start()
    try:
        return await run(emulator, World(emulator))
    finally:
        await emulator.stop()


async def roster(app: AllianceApp, lin: SimUser, groups: list[SimChat],
                 people: list[SimUser]) -> int:
    """The alliance (home = the first group, 19 linked), its 300 members, a draft to send."""
    now = datetime.now(UTC)
    async with app.sessions() as session:
        session.add(Person(id=lin.id, first_name=lin.name, started=True, created_at=now,
                           updated_at=now))
        await session.flush()
        home, *linked = groups
        alliance, _ = await alliances.setup(
            session, chat=ChatFacts(tg_chat_id=home.id, kind="supergroup", title=home.title),
            person_id=lin.id, sender_is_chat_admin=True, locale="en", timezone="Asia/Taipei",
            now=now)
        for group in linked:
            session.add(Chat(tg_chat_id=group.id, kind="supergroup", title=group.title,
                             alliance_id=alliance.id, role="linked", active=True,
                             created_at=now, updated_at=now))
        for person in people:
            member = Member(alliance_id=alliance.id, name=f"Shop {person.name}",
                            status="active", created_at=now, updated_at=now)
            session.add(member)
            if person is not lin:
                session.add(Person(id=person.id, first_name=person.name, started=True,
                                   language_code=person.lang, created_at=now, updated_at=now))
            await session.flush()
            role = await alliances.role_of(session, alliance.id, person.id)
            if role is None:
                session.add(Role(alliance_id=alliance.id, person_id=person.id, role="member",
                                 member_id=member.id, created_at=now))
            else:
                role.member_id = member.id
        draft, _ = await announcements.draft(session, lin.id, WORDS, now, group_alliance_id=None,
                                             private=True)
        await announcements.toggle_private(session, draft.id, lin.id)
        await session.commit()
        return draft.id


async def real_bot(_n: int) -> Result:
    async def run(emulator: Emulator, world: World) -> Result:
        with tempfile.TemporaryDirectory() as folder:
            config = parse_config({
                "telegram": {"token": TOKEN, "api_base": emulator.base_url},
                "database": {"url": f"sqlite+aiosqlite:///{folder}/bench.db"},
            }, environ={})
            app = AllianceApp(config)
            await app.prepare()
            freeze_startup_heap()  # as `alliance-bot run` does
            task = asyncio.create_task(app.run_polling())
            try:
                lin, groups, people = audience(world)
                draft_id = await roster(app, lin, groups, people)
                await asyncio.sleep(1.5)  # Telegram's buckets full again after the set-up
                async with app.sessions() as session:
                    now = datetime.now(UTC)
                    announcement, alliance, where = await announcements.send(
                        session, draft_id, lin.id, now)
                    assert len(where.chats) == GROUPS and len(where.people) == PEOPLE
                    await effects.dispatch(session, announcement, alliance, where, now)
                    started = emulator.clock.time()
                    await session.commit()
                return await _until_delivered(emulator, started)
            finally:
                app.stop()
                await task
                await app.close()

    return await _with_emulator(run)


async def bare_bot(_n: int) -> Result:
    async def run(emulator: Emulator, world: World) -> Result:
        _lin, groups, people = audience(world)
        bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(emulator.base_url)))
        try:
            started = emulator.clock.time()
            for chat_id in [group.id for group in groups] + [person.id for person in people]:
                while True:
                    try:
                        await bot.send_message(chat_id, WORDS)
                        break
                    except TelegramRetryAfter as error:
                        await asyncio.sleep(error.retry_after)
            return await _until_delivered(emulator, started)
        finally:
            await bot.session.close()

    return await _with_emulator(run)


def main(rounds: int = ROUNDS) -> int:
    total = GROUPS + PEOPLE
    floor, floor_burst = minimum(total), minimum(total, burst=True)
    ours_runs: list[Result] = []
    bare_runs: list[Result] = []
    for _ in range(rounds):
        ours_runs.append(in_fresh_process(real_bot, 0))
        bare_runs.append(in_fresh_process(bare_bot, 0))
    ratios = [seconds / floor for seconds, _ in ours_runs]
    ratio = statistics.median_low(ratios)
    seconds, throttled = ours_runs[ratios.index(ratio)]
    bare_seconds = statistics.median_low([s for s, _ in bare_runs])
    bare_throttled = bare_runs[[s for s, _ in bare_runs].index(bare_seconds)][1]
    pacing = OutboxConfig()
    print(f"{GROUPS} group and {PEOPLE - 0} private messages through the emulator with "
          f"Telegram's limits on ({LIMITS.overall_per_second:g}/s overall, "
          f"{LIMITS.group_per_minute:g}/min per group, {LIMITS.private_per_second:g}/s per "
          f"private chat); outbox paced at {pacing.global_per_second:g}/s; {rounds} rounds, "
          "the median shown")
    print(f"minimum the limits allow  {floor:7.2f} s evenly paced "
          f"({floor_burst:.2f} s spending the first burst of {LIMITS.overall_burst})")
    print(f"alliance bot (outbox)     {seconds:7.2f} s   429s received {throttled}")
    print(f"bare aiogram, naive       {bare_seconds:7.2f} s   429s received {bare_throttled}")
    print(f"alliance/minimum ratio {ratio:.2f} (goal ≤ {GOAL_RATIO}); 429s {throttled} (goal 0); "
          f"alliance/bare time ratio {seconds / bare_seconds:.2f}; rounds: "
          + " ".join(f"{r:.2f}" for r in ratios))
    return 0 if ratio <= GOAL_RATIO and throttled == 0 else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else ROUNDS))

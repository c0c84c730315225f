"""Ballots per second and press-to-answer latency: N members pressing a proposal card at once.

The real bot (SQLite, the whole middleware stack, the ballot box recording presses that arrive
together in one transaction, every press answered after its commit, the card edit coalesced)
and a bare aiogram bot that only answers callback queries (pressed on the same card, so both
parse the same updates) run on the same kind of emulator (flood limits off), each in a fresh
process; the ratio of their throughputs is the figure. Limit: ratio ≥ 0.5 (the exit status). This
machine's speed drifts by a third from one second to the next, so the sides take turns for
ROUNDS rounds and the median round's ratio counts.

Both sides get the process tuning ``alliance-bot run`` applies (the start-up heap frozen out of
the garbage collector's sight, aiogram's response models kept): without it the bare bot spends
most of a burst rebuilding pydantic models, and the ratio would flatter us.
Goal (issue 16): ratio ≥ 0.8 on SQLite, ≥ 0.7 on PostgreSQL.
Run: `.venv/bin/python benchmarks/votes.py [N [ROUNDS]] [--database-url URL]` (SQLite in a
temporary folder by default; with a PostgreSQL URL a fresh database is created and dropped).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, InlineKeyboardMarkup

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import (  # noqa: E402
    Result,
    arguments,
    describe,
    engine_name,
    in_turns,
    polling_bot,
    with_emulator,
)
from bot.effects import decisions as effects  # noqa: E402
from bot.emulator import BotRights, Emulator, SimChat, SimUser, World  # noqa: E402
from bot.i18n import use_locale  # noqa: E402
from bot.runtime.app import AllianceApp, freeze_startup_heap  # noqa: E402
from bot.runtime.telegram_requests import KeepResponseModels  # noqa: E402
from bot.services import alliances, decisions, tally  # noqa: E402
from bot.services.alliances import ChatFacts  # noqa: E402
from bot.views import decisions as views  # noqa: E402
from storage.models import Alliance, Member, Person, Proposal, Role  # noqa: E402

TOKEN = "7000003:BENCH-alliance-bot-token"
LIMIT_RATIO = 0.5
GOAL_RATIO = {"SQLite": 0.8, "PostgreSQL": 0.7}
ROUNDS = 5


async def burst(emulator: Emulator, world: World, group: SimChat, people: list[SimUser],
                label_of: Callable[[int], str]) -> Result:
    """Everyone presses the last message's button at once; time until each press is answered."""
    card = world.last(group)
    sent_at: dict[str, float] = {}
    wall_start = emulator.clock.time()
    for index, person in enumerate(people):
        moment = emulator.clock.time()
        answer = await person.press(card, label_of(index), wait=False)
        sent_at[answer.query_id] = moment
    await world.settle(timeout=300)
    latencies = []
    last_answer = wall_start
    for call in emulator.calls_to("answerCallbackQuery"):
        query_id = call.params.get("callback_query_id")
        if call.ok and query_id in sent_at and call.time >= wall_start:
            latencies.append(call.time - sent_at.pop(query_id))
            last_answer = max(last_answer, call.time)
    assert not sent_at, f"{len(sent_at)} presses got no answer"
    # Ballots per second until the last press is answered: the card's final, coalesced edit
    # follows a few seconds later by design and is not ballot throughput.
    return len(people) / (last_answer - wall_start), latencies




def crowd(world: World, n: int) -> tuple[SimUser, list[SimUser], SimChat]:
    lin = world.user("Lin")
    people = [world.user(f"P{i}", lang="zh-hans" if i % 2 else "en") for i in range(n)]
    group = world.group("Bench Alliance", admins=[lin], members=people,
                        bot=BotRights(can_invite_users=True, can_pin_messages=True))
    return lin, people, group


async def real_bot(n: int, database_url: str | None) -> Result:
    async def run(emulator: Emulator, world: World) -> Result:
        async with polling_bot(emulator, world, TOKEN, database_url) as app:
            lin, people, group = crowd(world, n)
            await roster(app, lin, people, group)
            await world.settle()
            # Two options pressed alternately: the outcome stays open to the last press.
            return await burst(emulator, world, group, people,
                               lambda i: "Yes" if i % 2 == 0 else "No")

    return await with_emulator(TOKEN, "bench_votes_bot", run)


async def roster(app: AllianceApp, lin: SimUser, people: list[SimUser], group: SimChat) -> None:
    """The alliance, its members and an open yes/no proposal whose card is in the group."""
    now = datetime.now(UTC)
    async with app.sessions() as session:
        session.add(Person(id=lin.id, first_name=lin.name, started=True, created_at=now,
                           updated_at=now))
        await session.flush()
        alliance, _ = await alliances.setup(
            session, chat=ChatFacts(tg_chat_id=group.id, kind="supergroup", title=group.title),
            person_id=lin.id, sender_is_chat_admin=True, locale="en", timezone="Asia/Taipei",
            now=now)
        for person in people:
            member = Member(alliance_id=alliance.id, name=f"Shop {person.name}", status="active",
                            created_at=now, updated_at=now)
            session.add(member)
            session.add(Person(id=person.id, first_name=person.name, started=True,
                               language_code=person.lang, created_at=now, updated_at=now))
            await session.flush()
            session.add(Role(alliance_id=alliance.id, person_id=person.id, role="member",
                             member_id=member.id, created_at=now))
        draft = decisions.draft_for(alliance, title="Benchmark", text="Everyone votes at once.",
                                    hours=72, quorum_pct=50)
        proposal = await decisions.open_proposal(session, draft, author_id=lin.id, now=now)
        await effects.opened(session, proposal, now, scheduler=app.scheduler)
        await session.commit()


def card_like_ours(n: int) -> tuple[str, InlineKeyboardMarkup | None]:
    """The alliance's card for the same proposal: every press carries the card it was pressed on,
    so both bots must be sent the same update to parse."""
    now = datetime.now(UTC)
    proposal = Proposal(id=1, title="Benchmark", text="Everyone votes at once.",
                        kind=tally.YES_NO, options=decisions.option_labels(tally.YES_NO, []),
                        max_choices=1, quorum_pct=50, threshold=tally.MAJORITY, secret=False,
                        results_while_open=True, electorate=decisions.MEMBERS,
                        status=decisions.OPEN, opened_at=now, closes_at=now + timedelta(hours=72))
    alliance = Alliance(timezone="Asia/Taipei", locale="en")
    standing = decisions.Standing(decisions.rules_of(proposal), [0, 0, 0], 0, n)
    with use_locale("en"):
        return views.card(proposal, alliance, standing, None)


async def bare_bot(n: int, _database_url: str | None) -> Result:
    async def run(emulator: Emulator, world: World) -> Result:
        session = AiohttpSession(api=TelegramAPIServer.from_base(emulator.base_url))
        session.middleware(KeepResponseModels())
        bot = Bot(TOKEN, session=session)
        router = Router()

        @router.callback_query()
        async def answer(query: CallbackQuery) -> None:
            await query.answer("Your vote: Yes. You can change it until the close.")

        dispatcher = Dispatcher()
        dispatcher.include_router(router)
        _, people, group = crowd(world, n)
        freeze_startup_heap()
        text, keyboard = card_like_ours(n)
        await bot.send_message(group.id, text, parse_mode="HTML", reply_markup=keyboard)
        task = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False,
                                                            close_bot_session=True))
        try:
            await world.settle()
            return await burst(emulator, world, group, people,
                               lambda i: "Yes" if i % 2 == 0 else "No")
        finally:
            await dispatcher.stop_polling()
            await task

    return await with_emulator(TOKEN, "bench_votes_bot", run)




def main(n: int, rounds: int, database_url: str | None) -> int:
    ratio, ours, bare, ratios = in_turns(real_bot, bare_bot, rounds, n, database_url)
    print(f"{n} members pressing a proposal card at once through the emulator "
          f"({engine_name(database_url)}, flood limits off); the sides in turns, {rounds} rounds, "
          "the median shown")
    print(describe("alliance", *ours, "ballots"))
    print(describe("bare", *bare, "ballots"))
    print(f"alliance/bare throughput ratio {ratio:.2f} (limit ≥ {LIMIT_RATIO}, goal "
          f"≥ {GOAL_RATIO[engine_name(database_url)]}); rounds: "
          + " ".join(f"{r:.2f}" for r in ratios))
    return 0 if ratio >= LIMIT_RATIO else 1


if __name__ == "__main__":
    options = arguments(__doc__, n=300, rounds=ROUNDS)
    sys.exit(main(options.n, options.rounds, options.database_url))

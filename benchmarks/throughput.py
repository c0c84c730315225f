"""Updates per second, latency and memory under a realistic mix, the real bot against bare aiogram.

An established alliance of N members (their bot chats started, as after a first /start) goes
about a busy moment at once: each member, in turns with everyone else, presses a proposal card
(a vote), answers a meeting poll (availability), searches the directory (``/members shop``),
accepts the referral another member passed them (a referral card's button), and takes a
wizard's first two steps (``/refer``, then typing part of a member's name). That is six updates
a member, all sent without waiting, so the bot sees them interleaved as at a meeting.

The real bot runs its whole stack on SQLite (or PostgreSQL with ``--database-url``); the bare
aiogram bot gets the same updates in the same chats (the same cards' buttons, the same texts)
and answers each (a message with a message, a press with an answer), so the ratio of their
rates is what everything the bot does costs. Each side runs in a fresh process with the same
tuning; the sides take turns for ROUNDS rounds and the median round counts. Latency is from an
update's sending to its answer (a press: its ``answerCallbackQuery``; a message: the chat's next
message from the bot). Peak RSS is the side's whole process (the emulator included, on both).

Run: `.venv/bin/python benchmarks/throughput.py [N [ROUNDS]] [--database-url URL]`.
"""

from __future__ import annotations

import asyncio
import resource
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import (  # noqa: E402
    arguments,
    describe,
    engine_name,
    in_turns,
    polling_bot,
    with_emulator,
)
from benchmarks.votes import card_like_ours, crowd, roster  # noqa: E402
from bot.effects import referrals as referral_effects  # noqa: E402
from bot.effects.meetings import render_new_card  # noqa: E402
from bot.emulator import ChatMessage, Emulator, SimChat, SimUser, World  # noqa: E402
from bot.runtime.app import AllianceApp, freeze_startup_heap  # noqa: E402
from bot.runtime.telegram_requests import KeepResponseModels  # noqa: E402
from bot.services import meetings, referrals, settings  # noqa: E402
from storage.models import Alliance, Role  # noqa: E402

TOKEN = "7000004:BENCH-alliance-bot-token"
ROUNDS = 3
# Each side's figures: rate, latencies, peak RSS in MB.
Figures = tuple[float, list[float], float]


def _button(message: ChatMessage, data_prefix: str) -> str:
    """The label of the first button whose callback data starts with ``data_prefix``."""
    markup = message.record.reply_markup or {}
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if (button.get("callback_data") or "").startswith(data_prefix):
                return str(button["text"])
    raise LookupError(f"no {data_prefix!r} button on #{message.message_id}")


def _card(world: World, chat: SimChat | SimUser, data_prefix: str) -> ChatMessage:
    """The latest message in ``chat`` with a ``data_prefix`` button."""
    for message in reversed(world.messages_in(chat)):
        try:
            _button(message, data_prefix)
        except LookupError:
            continue
        return message
    raise LookupError(f"no card with a {data_prefix!r} button in {chat!r}")


async def mix(emulator: Emulator, world: World, group: SimChat, people: list[SimUser]) -> Figures:
    """Everyone's six updates, sent round-robin without waiting; until every one is answered."""
    vote_card, poll_card = _card(world, group, "v:"), _card(world, group, "ma:")
    referral_cards = {person.id: _card(world, person, "rf:acc:") for person in people}
    pressed: dict[str, float] = {}  # callback query id -> when pressed
    typed: dict[int, list[float]] = {person.id: [] for person in people}  # chat -> when sent
    wall_start = emulator.clock.time()

    async def press(person: SimUser, card: ChatMessage, data_prefix: str, index: int) -> None:
        moment = emulator.clock.time()
        label = _button(card, data_prefix) if data_prefix != "v:" else ("Yes", "No")[index % 2]
        answer = await person.press(card, label, wait=False)
        pressed[answer.query_id] = moment

    async def say(person: SimUser, text: str) -> None:
        typed[person.id].append(emulator.clock.time())
        await person.dm(text)

    steps = (
        lambda person, i: press(person, vote_card, "v:", i),
        lambda person, i: press(person, poll_card, "ma:", i),
        lambda person, i: say(person, "/members shop"),
        lambda person, i: press(person, referral_cards[person.id], "rf:acc:", i),
        lambda person, i: say(person, "/refer"),
        lambda person, i: say(person, f"Shop {people[(i + 1) % len(people)].name}"),
    )
    for step in steps:
        for index, person in enumerate(people):
            await step(person, index)
    await world.settle(timeout=600)
    return _figures(emulator, wall_start, len(steps) * len(people), pressed, typed)


def _figures(emulator: Emulator, wall_start: float, count: int, pressed: dict[str, float],
             typed: dict[int, list[float]]) -> Figures:
    latencies: list[float] = []
    last = wall_start
    for call in emulator.calls_to("answerCallbackQuery"):
        query_id = call.params.get("callback_query_id")
        if call.ok and query_id in pressed and call.time >= wall_start:
            latencies.append(call.time - pressed.pop(query_id))
            last = max(last, call.time)
    assert not pressed, f"{len(pressed)} presses got no answer"
    answers: dict[int, list[float]] = {}
    for call in emulator.calls_to("sendMessage"):
        chat_id = call.params.get("chat_id")
        if call.ok and chat_id in typed and call.time >= wall_start:
            answers.setdefault(chat_id, []).append(call.time)
    for chat_id, sent in typed.items():
        replies = iter(sorted(answers.get(chat_id, [])))
        for moment in sent:  # each message's answer: the chat's next message from the bot
            reply = next((at for at in replies if at >= moment), None)
            assert reply is not None, f"a message in chat {chat_id} got no answer"
            latencies.append(reply - moment)
            last = max(last, reply)
    return count / (last - wall_start), latencies, _peak_rss_mb()


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _warm_up(world: World, people: list[SimUser]) -> None:
    """Every member has started the bot (so it may write to them) before the moment measured."""
    for person in people:
        await person.dm("/start")
    await world.settle(timeout=300)


# -- the real bot --------------------------------------------------------------------------------

async def _meeting_and_referrals(app: AllianceApp, lin: SimUser, people: list[SimUser],
                                 group: SimChat) -> None:
    """An open meeting poll in the group; for each member, a referral another member passed
    them, its card in their private chat."""
    now = datetime.now(UTC)
    async with app.sessions() as session:
        alliance = (await session.scalars(select(Alliance))).one()
        alliance_id = alliance.id
        # The moment measured is not in the night: the cards go now, whatever the clock says.
        settings.change(alliance, "quiet_hours", settings.OFF, now)
        meeting = await meetings.create_meeting(session, meetings.NewPoll(
            alliance_id=alliance_id, title="Benchmark meeting",
            slots=[now + timedelta(days=3), now + timedelta(days=4)],
            deadline=now + timedelta(days=2)), person_id=lin.id, now=now)
        text, keyboard = await render_new_card(session, meeting.id)
        posted = await app.bot.send_message(group.id, text, reply_markup=keyboard)  # type: ignore[arg-type]
        await meetings.set_card(session, meeting.id, group.id, posted.message_id)
        for index, person in enumerate(people):
            referrer = people[(index + 1) % len(people)]
            referral = await referrals.create(session, alliance_id, referrer.id, referrals.Draft(
                receiver_id=await _member_of(session, alliance_id, person.id),
                customer_name=f"Customer {index}", contact="+886 912 345 678", consent=True,
                need="A kitchen to redo", urgency="warm"), now)
            await referral_effects.send_cards(session, referral, now)
        await session.commit()
    app.outbox.wake()


async def _member_of(session: AsyncSession, alliance_id: int, person_id: int) -> int:
    member_id = await session.scalar(select(Role.member_id).where(
        Role.alliance_id == alliance_id, Role.person_id == person_id))
    assert member_id is not None
    return member_id


async def real_bot(n: int, database_url: str | None) -> Figures:
    async def run(emulator: Emulator, world: World) -> Figures:
        async with polling_bot(emulator, world, TOKEN, database_url) as app:
            lin, people, group = crowd(world, n)
            await roster(app, lin, people, group)
            await _warm_up(world, people)
            await _meeting_and_referrals(app, lin, people, group)
            await world.settle(timeout=300)
            return await mix(emulator, world, group, people)

    return await with_emulator(TOKEN, "bench_mix_bot", run)


# -- the bare bot ----------------------------------------------------------------------------------

def _keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=text, callback_data=data) for text, data in buttons]])


async def bare_bot(n: int, _database_url: str | None) -> Figures:
    async def run(emulator: Emulator, world: World) -> Figures:
        session = AiohttpSession(api=TelegramAPIServer.from_base(emulator.base_url))
        session.middleware(KeepResponseModels())  # the same tuning as the real bot
        bot = Bot(TOKEN, session=session)
        router = Router()

        @router.callback_query()
        async def pressed(query: CallbackQuery) -> None:
            await query.answer("Noted.")

        @router.message(F.text)
        async def typed(message: Message) -> None:
            await message.answer("Here is what you asked for.")

        dispatcher = Dispatcher()
        dispatcher.include_router(router)
        _, people, group = crowd(world, n)
        freeze_startup_heap()
        task = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False,
                                                            close_bot_session=True))
        try:
            await _warm_up(world, people)
            text, keyboard = card_like_ours(n)
            await bot.send_message(group.id, text, parse_mode="HTML", reply_markup=keyboard)
            await bot.send_message(group.id, "Benchmark meeting: when can you come?",
                                   reply_markup=_keyboard(("Can come", "ma:1:y"),
                                                          ("Cannot", "ma:1:n")))
            for index, person in enumerate(people):
                await bot.send_message(person.id, f"A referral: Customer {index}",
                                       reply_markup=_keyboard(("Accept", f"rf:acc:{index}:"),
                                                              ("Decline", f"rf:dec:{index}:")))
            await world.settle(timeout=300)
            return await mix(emulator, world, group, people)
        finally:
            await dispatcher.stop_polling()
            await task

    return await with_emulator(TOKEN, "bench_mix_bot", run)


def main(n: int, rounds: int, database_url: str | None) -> int:
    ratio, ours, bare, ratios = in_turns(real_bot, bare_bot, rounds, n, database_url)
    print(f"{n} members, 6 updates each (a vote, a poll answer, a directory search, a referral "
          f"accepted, a wizard's two steps), sent at once through the emulator "
          f"({engine_name(database_url)}, flood limits off); the sides in turns, {rounds} "
          f"rounds, the median shown")
    print(describe("alliance", ours[0], ours[1], "updates") + f"   peak RSS {ours[2]:6.0f} MB")
    print(describe("bare", bare[0], bare[1], "updates") + f"   peak RSS {bare[2]:6.0f} MB")
    print(f"alliance/bare throughput ratio {ratio:.2f}; rounds: "
          + " ".join(f"{r:.2f}" for r in ratios))
    return 0


if __name__ == "__main__":
    options = arguments(__doc__, n=100, rounds=ROUNDS)
    sys.exit(main(options.n, options.rounds, options.database_url))

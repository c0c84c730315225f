"""Several webhook replicas behind a load balancer, on one PostgreSQL database.

Two `alliance-bot run` processes share a config file but for the port they listen on; the
emulator plays Telegram and the load balancer in front of them, posting each update to the
next replica in turn, several at once as Telegram does (one chat's messages and one person's
presses still one after another). Any replica must serve any update: a vote's presses spread
over both count once each, a wizard goes on from one replica on the other, and when the replica
that runs the scheduler is killed, the other takes the due work over within seconds — once.
One pair of processes goes through the three, in turn (a start-up costs seconds).
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.emulator import ChatMessage, Emulator, SimChat, SimUser
from bot.emulator.api_bot import QUERY_INVALID
from bot.services.decisions import REMIND_BEFORE
from storage.models import Ballot, Chat, Meeting, Member, Person, Proposal, Role
from tests.conftest import needs_pg
from tests.e2e import decision_stories
from tests.e2e.decision_stories import card_in, now_showing
from tests.e2e.harness import Harness, make_harness
from tests.e2e.meeting_stories import call_meeting, local_day
from tests.e2e.referral_stories import Alliance, alliance
from tests.realtime.process import (
    WEBHOOK_PATH,
    BotProcess,
    free_port,
    outbox_recorded,
    stored,
    until,
    write_config,
)

pytestmark = [pytest.mark.realtime, needs_pg,
              pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)]

VOTERS, ABSENT = 500, 510  # two presses each: 1,000 ballots. More absent than voters keep the
# vote open whatever the order: the presses of one replica may run ahead of the other's, one side
# leading by up to all 500, and the vote closes early once the absent could not change it.
LABELS = {"Yes": "0", "No": "1"}
LOST = 40  # answers to Telegram lost during the burst: those presses come again
DUE_IN = 4.0  # seconds from the deadlines being set to their coming due
KILL_BEFORE = 2.5  # seconds before they come due, the leader is killed


async def start_replicas(emulator: Emulator, tmp_path: Path, database_url: str, *,
                         leader_retry: float | None = None,
                         fsm: dict[str, str] | None = None) -> list[BotProcess]:
    """Two replicas, started side by side, the emulator's load balancer in front of them."""
    replicas, targets = [], []
    for name in ("a", "b"):
        port = free_port()
        targets.append(f"http://127.0.0.1:{port}{WEBHOOK_PATH}")
        replicas.append(BotProcess(emulator, write_config(
            tmp_path / f"{name}.toml", api_base=emulator.base_url, database_url=database_url,
            webhook_port=port, leader_retry=leader_retry, fsm=fsm), tmp_path / f"{name}.log"))
    emulator.webhook.targets = targets
    await asyncio.gather(*(replica.start() for replica in replicas))
    return replicas


def handled_since(emulator: Emulator, first_update: int) -> dict[int, str]:
    """Which replica (its URL) answered each update from ``first_update`` on."""
    return {update_id: url for update_id, url in emulator.webhook.handled_by.items()
            if update_id >= first_update}


async def seed_members_at_once(harness: Harness, group: SimChat, count: int) -> list[SimUser]:
    """``count`` more member businesses of one person each, in one transaction (as
    ``stories.seed_member`` does one by one, which would take most of the test's time)."""
    assert harness.app is not None
    people = [harness.world.user(f"M{index}", lang="en") for index in range(1, count + 1)]
    decision_stories.join_silently(group, *people)
    now = datetime.now(UTC)
    async with harness.app.sessions() as session:
        chat = await session.scalar(select(Chat).where(Chat.tg_chat_id == group.id))
        assert chat is not None and chat.alliance_id is not None
        members = [Member(alliance_id=chat.alliance_id, name=f"Shop {index:03d} {person.name}",
                          category="repair", region="Taipei", status="active", created_at=now,
                          updated_at=now) for index, person in enumerate(people, start=1)]
        session.add_all(members)
        session.add_all(Person(id=person.id, first_name=person.name, language_code=person.lang,
                               started=True, created_at=now, updated_at=now) for person in people)
        await session.flush()
        session.add_all(Role(alliance_id=chat.alliance_id, person_id=person.id, role="member",
                             member_id=member.id, created_at=now)
                        for person, member in zip(people, members, strict=True))
        await session.commit()
    return people


def story_of(emulator: Emulator, presses: dict[str, int], update_of: dict[int, int],
             person_id: int) -> str:
    """What became of one member's presses: for a failure message."""
    queries = {query for query, presser in presses.items() if presser == person_id}
    updates = [(update_id, outcome, emulator.webhook.handled_by.get(update_id))
               for update_id, outcome in emulator.webhook.info.attempts
               if update_of.get(update_id) == person_id]
    answers = [(call.params["callback_query_id"], call.params.get("text"), call.ok)
               for call in emulator.calls_to("answerCallbackQuery")
               if call.params["callback_query_id"] in queries]
    return f"deliveries {updates}, answers {answers}"


def answered(emulator: Emulator, queries: Iterable[str]) -> Counter[str]:
    chosen = set(queries)
    return Counter(call.params["callback_query_id"]
                   for call in emulator.calls_to("answerCallbackQuery")
                   if call.params["callback_query_id"] in chosen)


async def vote_burst(harness: Harness, card: ChatMessage, voters: list[SimUser],
                     database_url: str) -> None:
    """Every voter's first choice, then everyone's change of mind: each ballot counts once,
    each press is answered once, and both replicas took their share — while some answers to
    Telegram are lost on the way, so that it delivers those presses again, to the other
    replica as often as not."""
    emulator = harness.emulator
    first_press = emulator.updates._next_id
    emulator.webhook.lose_answers = LOST
    presses: dict[str, int] = {}  # query id -> the presser
    update_of: dict[int, int] = {}  # update id -> the presser
    for turn in range(2):
        for index, person in enumerate(voters):
            label = ("Yes", "No")[(index + turn) % 2]
            presses[(await person.press(card, label, wait=False)).query_id] = person.id
            update_of[emulator.updates._next_id - 1] = person.id
    assert len(presses) == 2 * VOTERS
    await until(lambda: not emulator.updates.pending, within=120,
                what="the replicas taking every press")
    await harness.world.settle(timeout=60)

    async with stored(database_url) as session:
        rows = (await session.execute(
            select(Role.person_id, Ballot.choices, Ballot.changed)
            .join(Member, Member.id == Ballot.member_id)
            .join(Role, Role.member_id == Member.id))).all()
    found = {person_id: (choices, changed) for person_id, choices, changed in rows}
    expected = {person.id: (LABELS[("Yes", "No")[(index + 1) % 2]], 1)
                for index, person in enumerate(voters)}
    wrong = {person_id: (found.get(person_id), want) for person_id, want in expected.items()
             if found.get(person_id) != want}
    assert not wrong, (f"{len(wrong)} members' ballots are not their last press (found, "
                       f"expected): {dict(list(wrong.items())[:5])}; "
                       f"{story_of(emulator, presses, update_of, next(iter(wrong)))}")
    assert len(rows) == VOTERS
    answers = answered(emulator, presses)
    assert set(answers) == set(presses) and set(answers.values()) == {1}, \
        "a press was not answered, or answered twice"
    # Telegram takes an answer within 15 s of the press; a thousand presses in two seconds on a
    # loaded machine may outlast that, and the last answers are refused as too old, as Telegram
    # would refuse them. Their ballots count all the same (checked above).
    refused = Counter(call.description for call in emulator.calls_to("answerCallbackQuery")
                      if not call.ok)
    assert set(refused) <= {"Bad Request: " + QUERY_INVALID}, refused
    handled = handled_since(emulator, first_press)
    per_replica = Counter(handled.values())
    again_elsewhere = sum(handled[update_id] != url for update_id, url in emulator.webhook.lost)
    print(f"presses per replica: {sorted(per_replica.values())}, most at once "
          f"{emulator.webhook.most_at_once}, delivered again {len(emulator.webhook.lost)} "
          f"({again_elsewhere} to the other replica), answered too late {sum(refused.values())}")
    assert len(per_replica) == 2 and sum(per_replica.values()) == 2 * VOTERS
    assert len(emulator.webhook.lost) == LOST and again_elsewhere > 0


async def wizard_across(harness: Harness, small: Alliance, database_url: str) -> None:
    """/propose, step by step: each step lands on the other replica, the wizard's state in
    between in the database. The vote it publishes has its reminder a day before it closes."""
    emulator = harness.emulator
    wizard_from = emulator.updates._next_id
    await decision_stories.propose(harness, small.lin, title="Buy a tyre changer",
                                   text="Shared, kept at Wang's.", kind="yesno", deadline="25h")
    steps = sorted(handled_since(emulator, wizard_from).items())
    assert len(steps) >= 5
    assert all(url != following for (_, url), (_, following) in itertools.pairwise(steps)), \
        "the wizard's steps did not alternate between the replicas"
    published = card_in(harness, small.group)
    assert "Buy a tyre changer" in published.text and "Shared, kept at Wang's." in published.text
    await small.chen.press(published, "Yes")  # Lin and Wang are the ones to remind
    async with stored(database_url) as session:
        titles = (await session.scalars(select(Proposal.title).order_by(Proposal.id))).all()
    assert titles == ["Year-end dinner", "Buy a tyre changer"]


def reminders_to(harness: Harness, person: SimUser) -> list[str]:
    return [m.text for m in harness.world.messages_to(person)
            if m.text.startswith("⏰") and "Buy a tyre changer" in m.text]


async def leader_killed(harness: Harness, small: Alliance, replicas: list[BotProcess],
                        database_url: str) -> BotProcess:
    """The small alliance's meeting poll closes, and its vote's reminder is due, seconds after
    the leader is killed: the other replica runs each, once. Returns the survivor."""
    world = harness.world
    slots = [f"{local_day(harness, days).replace(hour=19):%Y-%m-%d} 19:00" for days in (3, 4)]
    poll = await call_meeting(harness, small.lin, small.group, "Year-end dinner", slots)
    await small.chen.press(poll, "1 ✅")
    await small.wang.press(poll, "2 ✅")
    await small.lin.press(poll, "2 ✅")
    leader, other = sorted(replicas, key=lambda replica: not replica.leads())
    assert leader.leads() and not other.leads()
    # As if the story had been written a day ago: the poll closes, and the reminder is due,
    # in a few seconds. The leader armed the old times; only re-arming from the stored state
    # finds the new ones.
    due = datetime.now(UTC) + timedelta(seconds=DUE_IN)
    async with stored(database_url) as session:
        await session.execute(update(Meeting).values(deadline=due))
        await session.execute(update(Proposal).where(Proposal.title == "Buy a tyre changer")
                              .values(closes_at=due + REMIND_BEFORE))
        await session.commit()
    await outbox_recorded()
    await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds() - KILL_BEFORE))
    assert not reminders_to(harness, small.lin) and now_showing(harness, small.group, poll).buttons
    await leader.kill()
    killed_at = datetime.now(UTC)

    await until(other.leads, within=15, what="the other replica taking the scheduler over")
    took_over = (datetime.now(UTC) - killed_at).total_seconds()
    await until(lambda: bool(reminders_to(harness, small.lin) and reminders_to(harness, small.wang)),
                within=20, what="the vote reminder from the other replica")
    await until(lambda: any(m.document is not None and m.pinned
                            for m in world.messages_in(small.group)),
                within=20, what="the poll closed and its result pinned by the other")
    await until(lambda: not now_showing(harness, small.group, poll).buttons, within=10,
                what="the poll's card closed")
    print(f"killed {(due - killed_at).total_seconds():.1f}s before the deadlines; the other "
          f"led {took_over:.1f}s after the kill; all done "
          f"{(datetime.now(UTC) - due).total_seconds():.1f}s after the deadlines")
    await asyncio.sleep(2)  # nothing rings twice
    assert len(reminders_to(harness, small.lin)) == len(reminders_to(harness, small.wang)) == 1
    assert reminders_to(harness, small.chen) == []
    assert sum(m.document is not None for m in world.messages_in(small.group)) == 1
    return other


async def test_two_webhook_replicas_share_votes_wizards_and_the_scheduler(
        tmp_path: Path, database_url: str) -> None:
    harness = await make_harness(database_url)
    emulator = harness.emulator
    replicas: list[BotProcess] = []
    try:
        await harness.start_bot()
        lin, people, group = await decision_stories.alliance(harness, "en", members=1)
        people += await seed_members_at_once(harness, group, VOTERS + ABSENT - 2)
        await decision_stories.propose(harness, lin, title="Year-end dinner",
                                       text="Two from each shop.", kind="yesno")
        card = card_in(harness, group)
        small = await alliance(harness, "en")  # a second alliance, of a few members
        decision_stories.join_silently(small.group, small.wang, small.chen2)
        await harness.stop_bot()

        replicas = await start_replicas(emulator, tmp_path, database_url, leader_retry=1.0)
        await vote_burst(harness, card, [lin, *people[:VOTERS - 1]], database_url)
        await wizard_across(harness, small, database_url)
        survivor = await leader_killed(harness, small, replicas, database_url)

        assert await survivor.stop() == 0
        assert survivor.problems() == [], "\n".join(survivor.problems())
        # A thousand ballots, and no line for each (aiogram's "is handled", aiohttp's access log).
        per_update = [line for replica in replicas for line in replica.output().splitlines()
                      if " aiogram.event:" in line or " aiohttp.access:" in line]
        assert per_update == [], per_update[:3]
        # One edit of a card a slot, whichever replica makes it; the replica that waited for
        # the next slot may find nothing new: "not modified" (harmless, expected by the bot).
        # A simulated person answers a wizard faster than anyone types: a reply may meet the
        # private chat's 1 message a second and be sent again after Telegram's retry_after.
        # A press answered after Telegram's 15 s is refused as too old (vote_burst allows it:
        # its ballot counts all the same).
        refused = [call for call in emulator.calls if not call.ok and call.fault is None
                   and "message is not modified" not in (call.description or "")
                   and call.error_code != 429
                   and call.description != "Bad Request: " + QUERY_INVALID]
        assert not refused, refused
    finally:
        for replica in replicas:
            await replica.kill_if_running()
        await harness.stop_bot()
        await emulator.stop()

"""Presses recorded together (bot.runtime.ballot_box), end to end: a burst shares transactions yet every
press is checked and answered on its own, in its presser's language; Telegram losing an answer
loses no ballot; a stop in the middle of a burst records what was pressed."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.services import members
from storage.models import Ballot, Member
from tests.e2e.decision_stories import (
    alliance,
    ballots,
    card_in,
    join_silently,
    now_showing,
    propose,
    text_in,
)
from tests.e2e.harness import Harness


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
async def test_a_burst_shares_transactions_and_each_press_gets_its_own_answer(
        harness: Harness, lang: str) -> None:
    world = harness.world
    lin, people, group = await alliance(harness, lang, members=24)
    stranger = world.user("Wu", lang="zh-hant")  # in the group, not a member
    join_silently(group, stranger)
    assert harness.app is not None
    async with harness.app.sessions() as session:
        suspended = await members.member_of(session, 1, people[5].id)
        assert suspended is not None
        suspended.status = "suspended"
        await session.commit()
    await propose(harness, lin, title="Shared van", text="Rent a van together.", kind="yesno")
    card = card_in(harness, group)
    batches_before = harness.app.ballot_box.batches
    pressing = people[:16]  # the other eight could still turn it: it stays open
    for index, person in enumerate(pressing):
        await person.press(card, text_in(lang, "Yes" if index % 2 else "No"), wait=False)
    await stranger.press(card, text_in(lang, "Yes"), wait=False)
    await world.settle()
    # One press's refusal never spoils the others': 15 ballots, 2 refusals, each answered.
    assert await ballots(harness) == 15
    assert harness.app.ballot_box.batches - batches_before < 8  # shared, not one per press
    answers = [world.alerts_to(person)[-1] for person in pressing]
    assert all(answer.answered for answer in answers)
    assert answers[5].show_alert and answers[5].text == text_in(
        lang, "Your membership is suspended, so you cannot do that now. A coordinator can "
        "reinstate it.")
    alert = world.alerts_to(stranger)[-1]  # no /lang choice of theirs: the group's language
    assert alert.show_alert and alert.text == text_in(
        lang, "Only active members of the alliance can do that. New here? Ask a member for an "
        "invitation link.")
    assert not answers[1].show_alert and answers[1].text == text_in(
        lang, "Your vote: {choice}. You can change it until the close.").format(
            choice=text_in(lang, "Yes"))
    shown = now_showing(harness, group, card)
    assert f"{text_in(lang, 'Yes')} 7 · {text_in(lang, 'No')} 8" in shown.text
    assert harness.failures == []


async def test_an_answer_lost_to_telegram_loses_no_ballot(harness: Harness) -> None:
    lin, people, group = await alliance(harness, "en", members=3)
    await propose(harness, lin, title="Joint ad", text="Split a newspaper ad.", kind="yesno")
    card = card_in(harness, group)
    # Telegram refuses the answer (a flood wait longer than anyone would wait for a toast).
    harness.emulator.faults.add("answerCallbackQuery", 429, retry_after=120)
    answer = await people[0].press(card, "Yes")
    assert not answer.answered  # no toast, and no apology either
    assert await ballots(harness) == 1
    assert harness.failures == []
    again = await people[0].press(card, "Yes")
    assert again.answered and again.text.startswith("Your vote: Yes")
    assert harness.app is not None
    async with harness.app.sessions() as session:
        [(choices, changed)] = (await session.execute(select(Ballot.choices, Ballot.changed))).all()
    assert (choices, changed) == ("0", 0)  # the same ballot, pressed twice, not a change


async def test_a_stop_in_the_middle_of_a_burst_keeps_every_press(harness: Harness) -> None:
    world = harness.world
    lin, people, group = await alliance(harness, "en", members=12)
    await propose(harness, lin, title="Bulk paper order", text="Order paper together.",
                  kind="yesno")
    card = card_in(harness, group)
    # Telegram is slow to take the answers: the stop comes while presses are under way.
    harness.emulator.faults.add("answerCallbackQuery", "slow", delay=0.3, times=len(people))
    for index, person in enumerate(people):  # six and six: Lin's vote decides, so it stays open
        await person.press(card, "Yes" if index % 2 else "No", wait=False)
    async with asyncio.timeout(5):
        while not harness.emulator.in_flight["answerCallbackQuery"]:  # noqa: ASYNC110
            await asyncio.sleep(0.005)
    await harness.stop_bot()  # SIGTERM now
    await harness.start_bot()
    await world.settle()
    assert await ballots(harness) == 12  # nothing lost, nothing counted twice
    answers = [world.alerts_to(person)[-1] for person in people]
    assert all(answer.answered and not answer.show_alert for answer in answers)
    shown = now_showing(harness, group, card)
    assert "Turnout: 12 of 13 members" in shown.text
    assert harness.app is not None
    async with harness.app.sessions() as session:
        assert await session.scalar(select(Member.status).where(Member.id == 1)) == "active"


async def test_a_burst_is_polled_in_a_few_batches(harness: Harness) -> None:
    """After a batch that brought updates the poller waits a moment before asking again, so
    presses coming one after another arrive in a few batches, each kept in one transaction —
    not one batch per press or two (telegram_requests.PollInStrides)."""
    world = harness.world
    lin, people, group = await alliance(harness, "en", members=24)
    await propose(harness, lin, title="Shared van", text="Rent a van together.", kind="yesno")
    card = card_in(harness, group)
    polls_before = len(harness.emulator.calls_to("getUpdates"))
    for index, person in enumerate(people[:16]):
        await person.press(card, "Yes" if index % 2 else "No", wait=False)
        await asyncio.sleep(0.001)  # one after another, as people press
    await world.settle()
    assert await ballots(harness) == 16
    brought = [call for call in harness.emulator.calls_to("getUpdates")[polls_before:]
               if call.result]
    assert len(brought) <= 8, [len(call.result) for call in brought]

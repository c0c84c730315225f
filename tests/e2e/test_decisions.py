"""Decisions end to end: the wizard, the card, ballots, the close and its announcement."""

from __future__ import annotations

import pytest

from storage.models import Proposal
from tests.e2e.decision_stories import (
    add_colleague,
    alliance,
    announcements,
    ballots,
    card_in,
    join_silently,
    now_showing,
    propose,
    text_in,
)
from tests.e2e.harness import Harness


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
async def test_yes_no_from_wizard_to_announced_outcome(harness: Harness, lang: str) -> None:
    world = harness.world
    lin, (chen, mei, _ko), group = await alliance(harness, lang, members=3)
    wu = world.user("Wu", lang=lang)  # in the group, not a member
    group.chat.member(wu.user).status = "member"
    done = await propose(harness, lin, title="Buy a <shared> tyre changer",
                         text="Split the cost across members & share it.", kind="yesno")
    assert "#1" in done.text
    card = card_in(harness, group)
    assert "Buy a <shared> tyre changer" in card.text
    assert card.buttons == [[text_in(lang, "Yes")], [text_in(lang, "No")],
                             [text_in(lang, "Abstain")]]
    answer = await wu.press(card, text_in(lang, "Yes"))
    assert answer.show_alert and answer.text
    await chen.press(card, text_in(lang, "Yes"))
    await mei.press(card, text_in(lang, "No"))
    await mei.press(card, text_in(lang, "Yes"))  # changed: counted once
    assert await ballots(harness) == 2
    refused = await harness.say(chen, group, "/close 1")
    assert refused is not None and refused.text == text_in(
        lang, "Only the proposal's author or a coordinator can close it early.")
    card = card_in(harness, group)
    assert "2" in card.text
    # 2 Yes, 1 Abstain of 4: the one missing vote can no longer change it, so it closes.
    await lin.press(card, text_in(lang, "Abstain"))
    await world.settle()
    final = next(m for m in world.messages_in(group) if m.message_id == card.message_id)
    assert final.buttons == []
    assert text_in(lang, "Passed") in final.text
    announced = [m for m in world.messages_in(group) if text_in(lang, "Passed") in m.text
                 and m.message_id != card.message_id]
    assert len(announced) == 1
    async with harness.app.sessions() as session:  # type: ignore[union-attr]
        proposal = await session.get(Proposal, 1)
        assert proposal is not None and proposal.close_reason == "settled"
        assert proposal.result["counts"] == [2, 0, 1]


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
async def test_single_choice_wins_with_a_majority_of_ballots(harness: Harness, lang: str) -> None:
    lin, people, group = await alliance(harness, lang, members=3)
    await propose(harness, lin, title="Where do we meet?", text="Pick a venue.", kind="single",
                  options=["Lin's garage", "Tea house", "Online"])
    card = card_in(harness, group)
    assert card.buttons == [["Lin's garage"], ["Tea house"], ["Online"]]
    await people[0].press(card, "Tea house")
    await people[1].press(card, "Online")
    await people[1].press(card, "Tea house")  # changed
    await people[2].press(card, "Online")
    assert not announcements(harness, group, lang)
    await lin.press(card, "Tea house")  # 3 of 4 for the tea house: all voted
    final = now_showing(harness, group, card)
    assert final.buttons == []
    assert text_in(lang, "Passed: {options}").format(options="Tea house") in final.text
    assert len(announcements(harness, group, lang)) == 1


async def test_multiple_choice_toggles_within_k_in_zh_hans(harness: Harness) -> None:
    lang = "zh-hans"
    lin, people, group = await alliance(harness, lang, members=2)
    await propose(harness, lin, title="采购哪些耗材", text="每家最多选两项。", kind="multiple",
                  options=["机油", "轮胎", "滤芯"], max_choices=2)
    card = card_in(harness, group)
    a, b = people
    await a.press(card, "机油")
    await a.press(card, "轮胎")
    too_many = await a.press(card, "滤芯")
    assert too_many.show_alert
    assert too_many.text == text_in(
        lang, "At most {most} choices: press a chosen option to take it back first.").format(most=2)
    await a.press(card, "轮胎")  # taken back
    await a.press(card, "滤芯")
    await b.press(card, "机油")
    assert await ballots(harness) == 2
    await harness.say(lin, group, "/close 1")  # the author closes early
    final = now_showing(harness, group, card)
    assert final.buttons == []
    # 机油 on both ballots (> half of 2); 滤芯 on one (not more than half).
    assert text_in(lang, "Passed: {options}").format(options="机油") in final.text
    assert len(announcements(harness, group, lang)) == 1
    async with harness.app.sessions() as session:  # type: ignore[union-attr]
        proposal = await session.get(Proposal, 1)
        assert proposal is not None and proposal.close_reason == "early"
        assert proposal.result["counts"] == [2, 0, 1] and proposal.result["voted"] == 2


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
async def test_consensus_is_stopped_by_one_block(harness: Harness, lang: str) -> None:
    lin, people, group = await alliance(harness, lang, members=3)
    await propose(harness, lin, title="Shared night shift", text="Rotate weekly.",
                  kind="consensus")
    card = card_in(harness, group)
    for person in people[:2]:
        await person.press(card, text_in(lang, "Agree"))
    await lin.press(card, text_in(lang, "Agree"))
    assert not announcements(harness, group, lang)  # the last one may still block
    await people[2].press(card, text_in(lang, "Block"))
    final = now_showing(harness, group, card)
    assert text_in(lang, "Blocked") in final.text and final.buttons == []
    assert len(announcements(harness, group, lang)) == 1


@pytest.mark.no_autostart
async def test_200_members_vote_at_once_each_ballot_counted_once(harness: Harness) -> None:
    harness.card_interval = 2.0  # production coalesces at 3 s; the burst takes longer than this
    await harness.start_bot()
    world = harness.world
    lin, people, group = await alliance(harness, "en", members=200)
    colleague = world.user("Colleague of M1")
    join_silently(group, colleague)
    await add_colleague(harness, group, colleague, of=people[1])
    await propose(harness, lin, title="Join the city's trade fair", text="Booth costs shared.",
                  kind="yesno", toggles=("Quorum",))  # 50 % → 66 %
    card = card_in(harness, group)
    assert "quorum 66%" in card.text
    assert harness.app is not None
    edits_before = harness.app.cards.edits
    # Everyone presses within moments of each other; one member's two people press together.
    for index, person in enumerate(people):
        await person.press(card, "Yes" if index % 2 == 0 else "No", wait=False)
        if index == 1:
            await colleague.press(card, "No", wait=False)
    await world.settle(timeout=120)
    answers = [a for person in [*people, colleague] for a in world.alerts_to(person)]
    assert len(answers) == 201 and not any(a.show_alert for a in answers)
    assert await ballots(harness) == 200
    edits = harness.app.cards.edits - edits_before
    assert 1 <= edits <= 40, edits  # coalesced: a handful, not one edit per ballot
    shown = now_showing(harness, group, card)
    assert "Turnout: 200 of 201 members (quorum 133)" in shown.text
    assert "Yes 100 · No 100 · Abstain 0" in shown.text  # the last state shows
    assert not announcements(harness, group, "en")
    await lin.press(card, "Yes")  # the last eligible member: closes, 101 to 100
    final = now_showing(harness, group, card)
    assert final.buttons == [] and "Yes 101 · No 100 · Abstain 0" in final.text
    assert "Passed" in final.text
    assert len(announcements(harness, group, "en")) == 1
    assert await ballots(harness) == 201

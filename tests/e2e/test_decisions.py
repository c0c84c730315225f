"""Decisions end to end: the wizard, the card, ballots, the close and its announcement."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.emulator import SimChat
from storage.models import Ballot, Proposal
from tests.e2e.decision_stories import alliance, propose, text_in
from tests.e2e.harness import Harness


def card_in(harness: Harness, group: SimChat):
    cards = [m for m in harness.world.messages_in(group) if m.text.startswith("🗳")
             and m.buttons]
    assert cards, "no open proposal card in the group"
    return cards[-1]


async def ballots(harness: Harness) -> int:
    assert harness.app is not None
    async with harness.app.sessions() as session:
        return await session.scalar(select(func.count()).select_from(Ballot)) or 0


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
    final = [m for m in world.messages_in(group) if m.message_id == card.message_id][0]
    assert final.buttons == []
    assert text_in(lang, "Passed") in final.text
    announced = [m for m in world.messages_in(group) if text_in(lang, "Passed") in m.text
                 and m.message_id != card.message_id]
    assert len(announced) == 1
    async with harness.app.sessions() as session:  # type: ignore[union-attr]
        proposal = await session.get(Proposal, 1)
        assert proposal is not None and proposal.close_reason == "settled"
        assert proposal.result["counts"] == [2, 0, 1]

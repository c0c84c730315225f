"""The /propose wizard's unhappy paths: /cancel, Back, bad answers, nasty text, forged presses,
a restart half-way, and who may propose."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.services import decisions
from bot.services.errors import DomainError
from storage.models import Alliance, Ballot, Proposal
from tests.conftest import NOW
from tests.e2e.decision_stories import alliance, card_in, text_in
from tests.e2e.harness import Harness, press_forged
from tests.e2e.stories import NASTY


async def proposals(harness: Harness) -> int:
    assert harness.app is not None
    async with harness.app.sessions() as session:
        return await session.scalar(select(func.count()).select_from(Proposal)) or 0


@pytest.mark.parametrize(("lang", "deadline", "closes"), [
    ("en", "36h", None), ("zh-hant", "36小時", None),
    ("zh-hans", "下周二 18:00", "截止：2026年12月1日 18:00")])
async def test_cancel_back_and_bad_answers_then_a_restart_mid_wizard(
        harness: Harness, lang: str, deadline: str, closes: str | None) -> None:
    """The deadline is typed as people write it: 36h, 36小時, or a date as the meeting wizard
    reads it (下周二 18:00)."""
    lin, _people, group = await alliance(harness, lang, members=1)
    world = harness.world
    await harness.say(lin, lin, "/propose")
    await harness.say(lin, lin, "/cancel")
    assert world.last(lin).text == text_in(lang, "The proposal is cancelled; nothing was "
                                                 "published.")
    await harness.say(lin, lin, "/propose")
    await harness.say(lin, lin, "x" * 300)
    assert world.last(lin).text == text_in(
        lang, "The title is {length} characters long; the limit is {limit}.").format(
            length=300, limit=200)
    await harness.say(lin, lin, "Night shift rota")
    await harness.say(lin, lin, "Who covers which night.")
    await lin.press(world.last(lin), text_in(lang, "Single choice"))
    await harness.say(lin, lin, "only one option")
    assert world.last(lin).text == text_in(
        lang, "Send between 2 and {most} options, one per line.").format(most=10)
    await lin.press(world.messages_to(lin)[-2], text_in(lang, "◀ Back"))  # back to the kind
    await harness.restart()  # the draft survives a restart
    await lin.press(world.messages_to(lin)[-2], text_in(lang, "Yes / No / Abstain"))
    await harness.say(lin, lin, "soon")
    assert world.last(lin).text == text_in(
        lang, "I could not read that. Send e.g. 36h, 10d or 2026-12-01 18:00.")
    await harness.say(lin, lin, "31d")
    assert world.last(lin).text == text_in(lang, "The vote must stay open between 1 hour and "
                                                 "30 days.")
    await harness.say(lin, lin, deadline)
    review = world.last(lin)
    assert "Night shift rota" in review.text
    if closes is not None:
        assert closes in review.text
    await lin.press(review, text_in(lang, "Threshold: {name}").split("{")[0])
    await lin.press(world.last(lin), text_in(lang, "✅ Publish"))
    card = card_in(harness, group)
    assert text_in(lang, "two thirds") in card.text
    assert await proposals(harness) == 1


async def test_nasty_text_is_escaped_on_the_card(harness: Harness) -> None:
    lin, _people, group = await alliance(harness, "en", members=1)
    world = harness.world
    for text in NASTY[:5]:
        await harness.say(lin, lin, "/propose")
        await harness.say(lin, lin, text)
        await harness.say(lin, lin, text)
        if len(" ".join(text.split())) > 200:
            assert "limit is 200" in world.last(lin).text
            await harness.say(lin, lin, "/cancel")
            continue
        await lin.press(world.last(lin), "Single choice")
        await harness.say(lin, lin, f"{text[:30]}\nplain")
        await lin.press(world.last(lin), "24 hours")
        await lin.press(world.last(lin), "✅ Publish")
        card = card_in(harness, group)
        assert " ".join(text.split()) in card.text
    assert not harness.failures


@pytest.mark.parametrize("data", ["v:1:7", "v:99:0", "v:1:-1", "v:x:0", "v:" + "9" * 30 + ":0",
                                  "pw:publish:",
                                  "pw:cycle:nothing", "dl:1:99", "dl:2:0", "v:1:0:0"])
async def test_forged_presses_change_nothing(harness: Harness, data: str) -> None:
    lin, people, group = await alliance(harness, "en", members=2)
    await harness.say(lin, lin, "/propose")
    await harness.say(lin, lin, "T")
    await harness.say(lin, lin, "X")
    await lin.press(harness.world.last(lin), "Yes / No / Abstain")
    await lin.press(harness.world.last(lin), "3 days")
    await lin.press(harness.world.last(lin), "✅ Publish")
    card = card_in(harness, group)
    answer = await press_forged(harness, people[0], card, data)
    assert answer.answered
    assert harness.app is not None
    async with harness.app.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Ballot)) == 0


async def test_propose_in_the_group_gives_a_deep_link_and_only_members_may(
        harness: Harness) -> None:
    _lin, people, group = await alliance(harness, "en", members=1)
    world = harness.world
    guest = world.user("Guest")
    group.chat.member(guest.user).status = "member"
    refused = await harness.say(guest, group, "/propose")
    assert refused is not None and "Only active members" in refused.text
    reply = await harness.say(people[0], group, "/propose")
    assert reply is not None
    url = reply.button_rows[0][0].url
    assert url is not None and url.endswith("?start=propose-1")
    await people[0].start("propose-1")
    await world.settle()
    assert "Step 1" in world.last(people[0]).text
    await guest.start("propose-1")
    await world.settle()
    assert "not in an alliance" in world.last(guest).text
    assert harness.app is not None
    async with harness.app.sessions() as session:
        alliance_row = await session.get(Alliance, 1)
        assert alliance_row is not None
        alliance_row.settings = {**alliance_row.settings, "who_may_propose": "coordinators"}
        await session.commit()
    refused = await harness.say(people[0], people[0], "/propose")
    assert refused is not None and "coordinators" in refused.text


@given(st.text(max_size=300))
def test_any_text_into_the_wizard_steps_is_accepted_or_refused_clearly(text: str) -> None:
    for step in (decisions.clean_title, decisions.clean_text, decisions.clean_options):
        try:
            value = step(text)
        except DomainError as error:
            assert error.code.startswith("proposal_")
            continue
        if isinstance(value, list):
            assert 2 <= len(value) <= decisions.MAX_OPTIONS
            assert all(0 < len(option) <= decisions.OPTION_LIMIT for option in value)
        else:
            assert value and len(value) <= decisions.TEXT_LIMIT
    try:
        hours = decisions.parse_deadline(text, NOW, "Asia/Taipei")
    except DomainError as error:
        assert error.code in ("proposal_deadline_format", "proposal_deadline_range")
    else:
        assert 1 <= hours <= 720

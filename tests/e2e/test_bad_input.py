"""Bad input through the real bot: forged buttons, nasty text, unknown commands."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from storage.models import Alliance
from tests.e2e.harness import Harness, press_forged
from tests.e2e.stories import NASTY, setup_group


@pytest.mark.parametrize("data", ["sl:1:fr", "sl:999:en", "sz:1:Mars/Olympus", "sl:abc:en",
                                  "lk:1", "totally-unknown", "sz:1:" + "A" * 58])
async def test_forged_buttons_change_nothing(harness: Harness, data: str) -> None:
    lin, chen, group = await setup_group(harness)
    card = harness.world.last(group)
    for presser in (chen, lin):
        answer = await press_forged(harness, presser, card, data)
        assert answer.answered and answer.show_alert and answer.text
    assert harness.world.last(group).text == card.text
    assert harness.app is not None
    async with harness.app.sessions() as session:
        alliance = await session.scalar(select(Alliance))
    assert alliance is not None and (alliance.locale, alliance.timezone) == ("en", "Asia/Taipei")


@pytest.mark.parametrize("lang", ["en", "zh-hant"])
async def test_nasty_charters_are_saved_escaped_or_refused_clearly(harness: Harness, lang: str) -> None:
    lin, chen, group = await setup_group(harness, lang)
    world = harness.world
    for text in NASTY:
        await harness.say(lin, group, f"/charter {text}")
        answer = world.last(group).text
        if len(text) > 3500:
            assert "3500" in answer
            continue
        assert "/charter" in answer  # "saved. Members see it with /charter"
        await harness.say(chen, group, "/charter")
        shown = world.last(group)
        assert text.strip().replace("\u0000", "") in shown.text.replace("\u0000", "")
    assert not harness.failures


async def test_unknown_command_in_private_gets_a_pointer(harness: Harness) -> None:
    world = harness.world
    mei = world.user("Mei", lang="zh-hans")
    await harness.say(mei, mei, "/frobnicate now")
    assert world.last(mei).text == "我不认识这个命令。发送 /help 查看我能为你做什么。"


async def test_a_refusal_telegram_will_not_take_is_noted_not_a_failure(
        harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    """A refused press whose alert Telegram rejects (the press is too old) leaves no traceback
    and no handler failure: the refusal itself is recorded and the update is claimed."""
    lin, _chen, group = await setup_group(harness)
    card = harness.world.last(group)
    harness.emulator.faults.add("answerCallbackQuery", 403)
    with caplog.at_level(logging.INFO):
        await press_forged(harness, lin, card, "sl:999:en")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("refusal of update" in r.getMessage() for r in caplog.records)
    assert harness.world.last(group).text == card.text

"""Bad input through the real bot: forged buttons, nasty text, unknown commands."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.emulator import BotRights
from storage.models import Alliance
from tests.e2e.harness import Harness, press_forged

NASTY = [
    "<b>bold</b> & <script>alert(1)</script>",
    "🙂" * 300,
    "x" * 5000,
    "</i>unbalanced<i>",
    "&amp; &lt; &#x27;",
    "a\u0000b",
]


async def alliance_with_group(harness: Harness, lang: str = "en"):
    world = harness.world
    lin = world.user("Lin", lang=lang)
    chen = world.user("Chen", lang=lang)
    group = world.group("Alliance", admins=[lin], members=[chen])
    await world.add_bot(group, by=lin, rights=BotRights(can_invite_users=True, can_pin_messages=True))
    await world.settle()
    await lin.send(group, "/setup")
    await world.settle()
    return lin, chen, group


@pytest.mark.parametrize("data", ["sl:1:fr", "sl:999:en", "sz:1:Mars/Olympus", "sl:abc:en",
                                  "lk:1", "totally-unknown", "sz:1:" + "A" * 58])
async def test_forged_buttons_change_nothing(harness: Harness, data: str) -> None:
    lin, chen, group = await alliance_with_group(harness)
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
    lin, chen, group = await alliance_with_group(harness, lang)
    world = harness.world
    for text in NASTY:
        await lin.send(group, f"/charter {text}")
        await world.settle()
        answer = world.last(group).text
        if len(text) > 3500:
            assert "3500" in answer
            continue
        assert "/charter" in answer  # "saved. Members see it with /charter"
        await chen.send(group, "/charter")
        await world.settle()
        shown = world.last(group)
        assert text.strip().replace("\u0000", "") in shown.text.replace("\u0000", "")
    assert not harness.failures


async def test_unknown_command_in_private_gets_a_pointer(harness: Harness) -> None:
    world = harness.world
    mei = world.user("Mei", lang="zh-hans")
    await mei.dm("/frobnicate now")
    await world.settle()
    assert world.last(mei).text == "我不认识这个命令。发送 /help 查看我能为你做什么。"

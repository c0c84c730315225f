"""Nasty text into every questionnaire step, through the real bot: a clear answer, never a crash."""

from __future__ import annotations

import pytest

from tests.e2e.harness import Harness, press_forged
from tests.e2e.stories import setup_group

NASTY = [
    "<b>bold</b> & <script>alert(1)</script>",
    "🙂" * 300,
    "x" * 5000,
    "</i>unbalanced<i>",
    "&amp; &lt; &#x27;",
    "   ",
    "a\u0000b",
    "/notacommand",
]
GOOD = ["Good Garage", "repair", "Taipei", "Brakes", "+886 912 345 678"]


@pytest.mark.parametrize("lang", ["en", "zh-hant"])
async def test_every_step_answers_nasty_text_clearly(fast: Harness, lang: str) -> None:
    world = fast.world
    _lin, chen, group = await setup_group(fast, lang)
    mei = world.user("Mei", lang=lang)
    await fast.say(mei, mei, "/start")
    await fast.say(chen, group, "/join")
    await mei.start(world.last(group).button_rows[0][0].url.split("start=")[1])
    await world.settle()
    step_word = "Step" if lang == "en" else "第"
    prompt = world.last(mei)
    for number in range(1, 8):
        assert prompt.text.startswith(step_word), prompt.text
        for text in NASTY:
            await fast.say(mei, mei, text)
            reply = world.last(mei)
            assert "Sorry, something went wrong" not in reply.text
            following = f"Step {number + 1} of" if lang == "en" else f"第 {number + 1} 步"
            if reply.text.startswith(following):
                # Taken as an answer (name, category, region, services accept any text).
                assert number in (1, 2, 3, 4)
                await mei.press(reply, "« Back" if lang == "en" else "« 返回")
                assert reply.text == prompt.text  # asked again, in place
                prompt = reply
            elif text != "/notacommand":
                assert reply.text != prompt.text and len(reply.text) < 400, reply.text
        if number <= 5:
            await fast.say(mei, mei, GOOD[number - 1])
            prompt = world.last(mei)
        elif number == 6:  # a press: the next question replaces this one in place
            await mei.press(prompt, "No sponsor" if lang == "en" else "沒有推薦人")
        else:
            await mei.press(prompt, "I accept the charter" if lang == "en" else "我接受章程")
    summary = prompt
    assert "Good Garage" in summary.text and "+886 912 345 678" in summary.text
    # Forged data on the summary's buttons: an alert at most, never a crash.
    for data in ("ap:submit:extra", "apc:99", "aps:999", "ad:1:1", "mp:1:-5:", "ap:" + "z" * 60):
        answer = await press_forged(fast, mei, summary, data)
        assert answer.answered

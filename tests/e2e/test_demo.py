"""`alliance-bot demo` plays its story end to end and exits 0, in each language."""

from __future__ import annotations

import pytest

from bot.demo import play


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "“Taipei Auto Repair Alliance” is ready. Language: English. Time zone: Asia/Taipei."),
    ("zh_Hant", "「Taipei Auto Repair Alliance」已準備就緒。語言：繁體中文；時區：Asia/Taipei。"),
    ("zh_Hans", "「Taipei Auto Repair Alliance」已就绪。语言：简体中文；时区：Asia/Taipei。"),
])
async def test_demo_story(lang: str, expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert await play(lang) == 0
    out = capsys.readouterr().out
    assert expected in out
    assert "Lin: /setup" in out and "Mei pressed" in out
    assert "0 refused by the spec check; 0 handler failures" in out
    # The referral chapter goes from sent to won, with the thank-you card in the group.
    assert "Lin: /refer" in out and "🏆" in out and "🎉" in out

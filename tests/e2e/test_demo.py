"""`alliance-bot demo` plays its story end to end and exits 0, in each language."""

from __future__ import annotations

import pytest

from bot.demo import play
from bot.i18n import gettext as _
from bot.i18n import use_locale


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "“Taipei Auto Repair Alliance” is ready. Language: English. Time zone: Asia/Taipei."),
    ("zh_Hant", "「Taipei Auto Repair Alliance」已準備就緒。語言：繁體中文；時區：台北時間。"),
    ("zh_Hans", "“Taipei Auto Repair Alliance”已就绪。语言：简体中文；时区：台北时间。"),
])
async def test_demo_story(lang: str, expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert await play(lang) == 0
    out = capsys.readouterr().out
    assert expected in out
    assert "Lin: /setup" in out and "Mei pressed" in out
    assert "0 refused by the spec check; 0 handler failures" in out
    # Its people take seconds to answer, as people do: no 429 clutters what a newcomer reads.
    assert "Too Many Requests" not in out
    # The referral chapter goes from sent to won, with the thank-you card in the group.
    assert "Lin: /refer" in out and "🏆" in out and "🎉" in out
    # The passed proposal becomes a joint purchase: NT$89,900 split in three whole dollars, summing up.
    assert "Lin: /start buy-1" in out and "Mei: /start pledge-1" in out
    assert "29,967" in out and "29,966" in out and "29,966.6" not in out and "purchase-1.csv" in out
    # The tyre changer on the shared list: booked, picked up, the reminder, returned.
    with use_locale(lang):
        returned = _("Status: {status}").format(status=_("returned"))
    assert "Lin: /start equip-1" in out and "⏰" in out.split("Lin: /start equip-1")[1]
    assert returned in out

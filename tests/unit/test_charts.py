"""The charts draw every Chinese label: zh_Hant and zh_Hans pictures rendered with matplotlib's
missing-glyph warning turned into an error (a font without the glyphs would draw boxes), member
names in both scripts; and the check itself fails on a glyph no shipped font has. Also: no
module the bot imports at start-up pulls matplotlib in."""

from __future__ import annotations

import io
import subprocess
import sys
import warnings
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from PIL import Image

from bot.i18n import use_locale
from bot.services.stats import MemberFigures, MonthFigures, Period, Scorecard, Stats
from bot.views import charts

NAMES = ("林記修車廠", "陈氏轮胎", "黃師傅鈑噴", "广州汽配", "Wang Tyres")


def _stats(names: tuple[str, ...] = NAMES) -> Stats:
    period = Period(datetime(2026, 9, 30, 16, tzinfo=UTC), datetime(2026, 10, 31, 16, tzinfo=UTC),
                    "month", date(2026, 10, 1))
    members = [MemberFigures(n, name, n, 5 - n, Decimal(1000 * n)) for n, name in enumerate(names)]
    trend = [MonthFigures(date(2026, month, 1), month % 4, Decimal(500 * month))
             for month in range(5, 11)]
    return Stats("台北汽修聯盟／台北汽修联盟", "Asia/Taipei", "TWD", period, members, 9, 3,
                 Decimal("12345"), 1, 2, 1, 1, trend)


def _card(name: str = "陈氏轮胎・陳氏輪胎") -> Scorecard:
    return Scorecard(1, name, "台北汽修聯盟", "Asia/Taipei", "TWD", None, 4, 6, 5, 2,
                     Decimal("36000"), 0, 5, timedelta(hours=5), 3, 4, 7, 8)


def _strict(draw: object) -> bytes:
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=r"(?s).*Glyph .* missing from font")
        return draw()  # type: ignore[operator]


@pytest.mark.parametrize("locale", ["zh_Hant", "zh_Hans", "en"])
def test_every_label_has_its_glyphs(locale: str) -> None:
    now = datetime(2026, 11, 1, 1, tzinfo=UTC)
    with use_locale(locale):
        for png, size in ((_strict(lambda: charts.stats_png(_stats())), charts.STATS_SIZE),
                          (_strict(lambda: charts.scorecard_png(_card(), now)),
                           charts.SCORECARD_SIZE)):
            with Image.open(io.BytesIO(png)) as image:
                assert (image.format, image.size) == ("PNG", size)


def test_the_check_fails_on_a_glyph_no_font_has() -> None:
    with use_locale("zh_Hant"), pytest.raises(UserWarning, match="missing from font"):
        _strict(lambda: charts.stats_png(_stats(("ᠮᠣᠩᠭᠣᠯ ᠬᠡᠯᠡ",))))  # Mongolian script


def test_an_empty_period_draws_a_chart_that_says_so() -> None:
    empty = _stats(())
    empty.referrals = empty.won = 0
    with use_locale("zh_Hans"):
        png = _strict(lambda: charts.stats_png(empty))
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == charts.STATS_SIZE


def test_start_up_does_not_import_matplotlib() -> None:
    code = ("import sys, bot.runtime.app, handlers, bot.features, bot.views.charts; "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_fonts_come_from_their_packages() -> None:
    files = charts.font_files()
    assert [f.rsplit("/", 1)[-1] for f in files] == ["NotoSansTC-Regular.otf",
                                                     "NotoSansSC-Regular.otf"]

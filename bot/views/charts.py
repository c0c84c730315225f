"""The pictures: ``/stats`` and the monthly report's chart, ``/scorecard``'s card, as PNG bytes.

matplotlib is imported inside the functions, never at module level: start-up and every other
command stay free of it (a second and tens of MB). Only the object API with the Agg canvas is
used (no pyplot, no display, no global figure registry); the callers run the drawing in a worker
thread (``asyncio.to_thread``) so the event loop keeps serving updates meanwhile. rcParams are
process-global, so one lock lets one picture be drawn at a time.

Chinese labels need a font with the glyphs: Noto Sans TC and SC come as packages
(``pylopdf-fonts-zh-tw`` / ``-zh-cn``, declared in pyproject.toml) and are registered with
matplotlib's font manager by their file path — never a lookup of whatever the machine has
installed. zh_Hant reads Taiwan's glyph forms first, zh_Hans the mainland's, English DejaVu
Sans; each falls back to the others glyph by glyph (a member's name may be in any script).
Labels are translated with the caller's locale: ``asyncio.to_thread`` carries the context
(and so ``bot.i18n``'s current locale) into the thread.
"""

from __future__ import annotations

import io
import threading
from datetime import datetime
from typing import Any

from bot.i18n import currency_name, current_locale, zone
from bot.i18n import gettext as _
from bot.services.stats import Scorecard, Stats
from bot.views import stats as words

STATS_SIZE = (1200, 900)  # pixels: width, height
SCORECARD_SIZE = (1000, 640)
DPI = 100

TC, SC, LATIN = "Noto Sans TC", "Noto Sans SC", "DejaVu Sans"
FAMILIES = {"zh_Hant": [TC, SC, LATIN], "zh_Hans": [SC, TC, LATIN], "en": [LATIN, TC, SC]}
GIVEN, RECEIVED, VALUE, INK, MUTED = "#2b6cb0", "#dd6b20", "#2f855a", "#1a202c", "#718096"

_lock = threading.Lock()
_fonts_ready = False


def font_files() -> list[str]:
    """The CJK fonts' files, found through their packages' own API."""
    import pylopdf_fonts_zh_cn
    import pylopdf_fonts_zh_tw

    return [str(pylopdf_fonts_zh_tw.sans_path()), str(pylopdf_fonts_zh_cn.sans_path())]


def _register_fonts() -> None:
    global _fonts_ready
    if _fonts_ready:
        return
    from matplotlib import font_manager

    for path in font_files():
        font_manager.fontManager.addfont(path)
    _fonts_ready = True


def _style(locale: str) -> dict[str, Any]:
    return {"font.family": FAMILIES.get(locale, FAMILIES["en"]), "axes.unicode_minus": False,
            "axes.spines.top": False, "axes.spines.right": False}


def _png(draw: Any, size: tuple[int, int]) -> bytes:
    """Draw with ``draw(figure)`` on a fresh figure of ``size`` pixels; the PNG's bytes."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with _lock:
        _register_fonts()
        with matplotlib.rc_context(_style(current_locale())):
            figure = Figure(figsize=(size[0] / DPI, size[1] / DPI), dpi=DPI)
            canvas = FigureCanvasAgg(figure)
            draw(figure)
            out = io.BytesIO()
            canvas.print_png(out)
    return out.getvalue()


# -- /stats and the monthly report -------------------------------------------------------------


def stats_png(stats: Stats) -> bytes:
    """Referrals given and received per member, won value per member, the monthly trend and
    the period's figures, in one 1200×900 picture."""
    return _png(lambda figure: _draw_stats(figure, stats), STATS_SIZE)


def _nothing(axes: Any, text: str) -> None:
    axes.text(0.5, 0.5, text, ha="center", va="center", color=MUTED, fontsize=13,
              transform=axes.transAxes)
    axes.set_xticks([])
    axes.set_yticks([])


def _draw_stats(figure: Any, stats: Stats) -> None:
    figure.suptitle(words.stats_title(stats), fontsize=16, color=INK)
    grid = figure.add_gridspec(2, 2, left=0.17, right=0.97, top=0.9, bottom=0.08, hspace=0.38,
                               wspace=0.45, width_ratios=[3, 2])
    _per_member(figure.add_subplot(grid[0, 0]), stats)
    _won_per_member(figure.add_subplot(grid[0, 1]), stats)
    _trend(figure.add_subplot(grid[1, 0]), stats)
    _summary(figure.add_subplot(grid[1, 1]), stats)


def _names(stats: Stats) -> list[str]:
    return [m.name if len(m.name) <= 18 else m.name[:17] + "…" for m in stats.members]


def _per_member(axes: Any, stats: Stats) -> None:
    axes.set_title(_("Referrals per member"), color=INK, loc="left")
    if stats.empty or not stats.members:
        _nothing(axes, _("No referrals in this period."))
        return
    rows = list(range(len(stats.members)))[::-1]
    height = 0.38
    axes.barh([r + height / 2 for r in rows], [m.given for m in stats.members], height,
              color=GIVEN, label=_("Given"))
    axes.barh([r - height / 2 for r in rows], [m.received for m in stats.members], height,
              color=RECEIVED, label=_("Received"))
    axes.set_yticks(rows, _names(stats))
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2, frameon=False)


def _won_per_member(axes: Any, stats: Stats) -> None:
    axes.set_title(_("Won value ({currency})").format(currency=currency_name(stats.currency)), color=INK,
                   loc="left")
    winners = [m for m in stats.members if m.won_value > 0]
    if not winners:
        _nothing(axes, _("Nothing won in this period."))
        return
    rows = list(range(len(winners)))[::-1]
    values = [float(m.won_value) for m in winners]  # drawing only: the figures stay Decimal
    axes.barh(rows, values, color=VALUE)
    axes.set_yticks(rows, [m.name if len(m.name) <= 12 else m.name[:11] + "…" for m in winners])
    for row, member in zip(rows, winners, strict=True):
        axes.text(float(member.won_value), row, " " + words.money(member.won_value,
                                                                   stats.currency),
                  va="center", fontsize=8, color=INK)
    axes.set_xticks([])
    axes.margins(x=0.45)


def _trend(axes: Any, stats: Stats) -> None:
    axes.set_title(_("Monthly trend"), color=INK, loc="left")
    labels = [words.short_month(m.month) for m in stats.trend]
    spots = list(range(len(stats.trend)))
    axes.bar(spots, [m.referrals for m in stats.trend], color=GIVEN, label=_("Referrals made"))
    axes.set_xticks(spots, labels, fontsize=8)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.set_ylabel(_("Referrals made"), color=GIVEN)
    value = axes.twinx()
    value.plot(spots, [float(m.won_value) for m in stats.trend], color=VALUE, marker="o")
    value.set_ylabel(_("Won value ({currency})").format(currency=currency_name(stats.currency)), color=VALUE)
    value.set_ylim(bottom=0)
    value.spines["right"].set_visible(True)


def _summary(axes: Any, stats: Stats) -> None:
    axes.set_title(_("In this period"), color=INK, loc="left")
    axes.axis("off")
    for n, line in enumerate(words.summary_lines(stats)):
        axes.text(0.0, 0.9 - n * 0.15, line, fontsize=12, color=INK, transform=axes.transAxes,
                  va="top", wrap=True)


# -- /scorecard --------------------------------------------------------------------------------


def scorecard_png(card: Scorecard, now: datetime) -> bytes:
    """A BNI-style card: the member's figures as tiles, 1000×640."""
    today = words.month_day(now.astimezone(zone(card.timezone)).date())
    return _png(lambda figure: _draw_card(figure, card, today), SCORECARD_SIZE)


def _draw_card(figure: Any, card: Scorecard, today: str) -> None:
    from matplotlib.patches import FancyBboxPatch

    figure.text(0.05, 0.9, words.scorecard_title(card), fontsize=22, color=INK, va="center")
    figure.text(0.05, 0.82, words.scorecard_subtitle(card, today), fontsize=12, color=MUTED,
                va="center")
    tiles = words.scorecard_tiles(card)
    columns, width, height = 4, 0.205, 0.3
    for n, (label, value) in enumerate(tiles):
        row, column = divmod(n, columns)
        x, y = 0.05 + column * (width + 0.025), 0.42 - row * (height + 0.05)
        figure.patches.append(FancyBboxPatch(
            (x, y), width, height, boxstyle="round,pad=0.005,rounding_size=0.02",
            transform=figure.transFigure, facecolor="#edf2f7", edgecolor="#cbd5e0"))
        size = 24 if len(value) <= 10 else 16
        figure.text(x + width / 2, y + height * 0.58, value, fontsize=size, color=GIVEN,
                    ha="center", va="center")
        figure.text(x + width / 2, y + height * 0.2, label, fontsize=11, color=INK,
                    ha="center", va="center")

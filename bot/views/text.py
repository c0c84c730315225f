"""Separators that differ per language, in one home.

English glues ", ", ": ", " (…)" and "; " between pieces; Chinese writes 、 ： （…） and ；.
Views that build a line from pieces go through these helpers instead of ASCII literals, so a
Chinese reader never sees "類別：汽車維修, 輪胎" or "決議紀錄 (第 1 頁)". The pieces are passed
as they are (already escaped when the result is HTML): the helpers add only the separators.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.i18n import gettext as _


def listing(items: Iterable[str]) -> str:
    """Items of one list: "a, b, c" / "a、b、c"."""
    # Translators: the separator between the items of a list ("tyres, parts"); Chinese uses 、.
    return _(", ").join(items)


def clauses(items: Iterable[str]) -> str:
    """Longer pieces that each hold a comma or a colon: "Yes: 3; No: 1" / "赞成：3；反对：1"."""
    # Translators: the separator between clauses that contain commas or colons; Chinese uses ；.
    return _("; ").join(items)


def labelled(label: str, value: str) -> str:
    """A label and its value: "Total: 3" / "合计：3"."""
    return _("{label}: {value}").format(label=label, value=value)


def parenthesized(text: str, *, after: str = "") -> str:
    """A remark in parentheses, after ``after`` when given: "Log (page 1 of 2)" / "决议记录（第 1 页）"."""
    remark = _("({text})").format(text=text)
    if not after:
        return remark
    # Chinese full-width parentheses carry their own spacing; English needs a space before them.
    return f"{after}{remark}" if remark.startswith("（") else f"{after} {remark}"

"""What people may type, for property tests: up to Telegram's 4,096 characters, with the pieces
that have broken bots — markup and entities, invisible and control characters, emoji made of
several code points, Chinese, digits that are not ASCII, the separators parsers split on."""

from __future__ import annotations

from hypothesis import strategies as st

LIMIT = 4096  # what a person can send in one message

PIECES = (
    "<b>", "</b>", "<i>", "</i>", "<a href='x'>", "&", "&amp;", "&#", "&lt", "<", ">", '"', "'",
    "\u200b", "\u200c", "\u200d", "\u2066", "\u202e", "\ufeff", "\x00", "\x01", "\x07", "\x1b",
    "\x7f", "\t", "\n", "\r", " ", "🙂", "👨\u200d👩\u200d👧", "🇹🇼", "中文", "臺灣", "台北", "週二",
    "晚上7点", "＃", "²", "١٢", "#", "@", "/", ":", ";", ",", "，", "、", "%", "-", "12", "9999",
    "h", "d", "x", "Asia/", "pm", "new", "ban", "vote",
)
# Whole inputs worth trying often: each of them broke something once.
SHARP = (
    "🙂" * LIMIT, "<b>&" * (LIMIT // 4), "x" * LIMIT, "²", "#²", "²h", "²%", "@" + "x" * 4000,
    "9" * 4000 + "h", "9" * 400 + "h", "9999", "9999-12", "9999-12-31 23:00", "#" + "9" * 30,
    "9" * 30, "99999999999", "../../../etc/passwd", "Asia/" + "a" * 300, "1" + " " * 3000 + "x",
    "\n" * 2000, "7pm\n" * 1000, "x\n" * 2000, "</i>&<b>", "propose-²", "series-99999999999",
    "meeting-99999999999", "join-" + "x" * 60,
)

_characters = st.characters(blacklist_categories=("Cs",))
_pieces = st.lists(st.one_of(st.sampled_from(PIECES), st.text(_characters, max_size=4)),
                   max_size=40).map("".join)


def _repeat(unit_and_size: tuple[str, int]) -> str:
    unit, size = unit_and_size
    return (unit * (size // len(unit) + 1))[:size]


_long = st.tuples(st.lists(st.sampled_from(PIECES), min_size=1, max_size=6).map("".join),
                  st.integers(300, LIMIT)).map(_repeat)

TEXT = st.one_of(st.sampled_from(SHARP), st.text(_characters, max_size=60), _pieces, _long)
ANSWER = TEXT.filter(bool)  # a message cannot be empty

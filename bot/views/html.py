"""The one place user text is escaped before it meets parse_mode=HTML, and kept within
Telegram's limits.

People's text is cut *before* it is escaped (``clip``): cutting escaped text could split an
entity such as ``&amp;`` or a tag around it. Whole cards are cut only between lines (``fit``),
each line being balanced HTML, so the markup is never cut either.
"""

from __future__ import annotations

import html

MESSAGE_LIMIT = 4096


def esc(value: object) -> str:
    return html.escape(str(value), quote=False)


def bold(value: object) -> str:
    """A heading: escaped, then bold."""
    return f"<b>{esc(value)}</b>"


def trim(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """Cut plain text to fit, on a character boundary, with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clip(value: object, limit: int) -> str:
    """User text for a view: at most ``limit`` characters of it, then escaped."""
    return esc(trim(str(value), limit))


def fit(lines: list[str], limit: int = MESSAGE_LIMIT) -> str:
    """Whole lines, as many as fit in one message, then an ellipsis line if some were left out.

    Lengths are counted on the HTML itself, which is never shorter than the text Telegram
    shows, so what fits here fits there.
    """
    kept: list[str] = []
    size = 0
    budget = limit - len("\n…")
    for line in lines:
        if size + len(line) + 1 > budget:
            kept.append("…")
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept)

"""The one place user text is escaped before it meets parse_mode=HTML."""

from __future__ import annotations

import html

MESSAGE_LIMIT = 4096


def esc(value: object) -> str:
    return html.escape(str(value), quote=False)


def trim(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """Cut plain text to fit, on a character boundary, with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"

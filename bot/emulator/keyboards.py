"""Reply-markup rules Telegram enforces beyond the JSON schema.

The spec types let an inline button carry any mix of fields; Telegram wants exactly one action
per button, ``callback_data`` of 1–64 bytes, and a real URL. These are the mistakes a bot makes
when a callback payload grows with an id or a localized label, so they are checked here.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import bad_request

_NOT_ACTIONS = frozenset({"text", "icon_custom_emoji_id", "style"})
_URL = re.compile(r"(https?|tg)://\S+", re.IGNORECASE)
MAX_BUTTONS = 100


def check_reply_markup(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    if markup is None or "inline_keyboard" not in markup:
        return markup
    count = 0
    for row in markup["inline_keyboard"]:
        for button in row:
            count += 1
            _check_button(button)
    if count > MAX_BUTTONS:
        raise bad_request("reply markup is too long")
    return markup


def _check_button(button: dict[str, Any]) -> None:
    if not button["text"]:
        raise bad_request("can't parse inline keyboard button: button text must be non-empty")
    actions = [key for key in button if key not in _NOT_ACTIONS]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise bad_request(
            f"can't parse inline keyboard button: exactly one of {', '.join(actions)} must be used"
        )
    data = button.get("callback_data")
    if data is not None and not 1 <= len(data.encode("utf-8")) <= 64:
        raise bad_request("BUTTON_DATA_INVALID")
    url = button.get("url")
    if url is not None and not _URL.fullmatch(url):
        raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


def inline_only(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """The part of a message's markup that edits compare and Message objects show."""
    return markup if markup is not None and "inline_keyboard" in markup else None

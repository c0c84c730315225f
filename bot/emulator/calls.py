"""The record of every request, for assertions and for reading what the bot did."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class Call:
    method: str
    params: dict[str, Any]
    time: float
    result: Any = None
    error_code: int | None = None
    description: str | None = None
    fault: str | None = None  # the injected fault's kind, if one hit this call
    unsupported: bool = False
    via: str = "http"  # or "webhook-reply": a method returned in a webhook answer

    @property
    def ok(self) -> bool:
        return self.error_code is None

    def __repr__(self) -> str:
        outcome = "ok" if self.ok else f"{self.error_code} {self.description}"
        fault = f" fault={self.fault}" if self.fault else ""
        return f"<Call {self.method} {outcome}{fault}>"


# What Telegram refuses because the request itself is wrong (not because of the chat's state):
# a bot that sends one of these has a bug, whatever it meant to do.
_SPEC_REFUSAL = re.compile(
    r"unknown parameter|is required|must be|can't parse|not supported by the emulator|"
    r"is not a field|Not Found|BUTTON_DATA_INVALID|message is too long|message text is empty|"
    r"refers to a missing file")


def spec_refusals(calls: list[Call]) -> list[Call]:
    return [call for call in calls
            if call.unsupported or (call.error_code in (400, 404)
                                    and _SPEC_REFUSAL.search(call.description or ""))]

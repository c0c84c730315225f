"""The record of every request, for assertions and for reading what the bot did."""

from __future__ import annotations

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

"""The one exception services raise for the user's mistakes; handlers turn its code into words."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """``code`` names the situation (see ``bot.views.errors``); ``params`` fill its message."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def __repr__(self) -> str:
        return f"DomainError({self.code!r}, {self.params!r})"

"""Errors answered the way Telegram answers them.

Handlers raise these anywhere; the server turns them into ``{"ok": false, ...}`` bodies, so
aiogram maps them to the same exception classes it would raise against the real API.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Bot API error answer: HTTP status, description and optional ``parameters``."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class UnsupportedMethod(ApiError):
    """A valid request to a method the emulator does not implement.

    It must fail loudly: a silent success would let a test pass against behaviour nobody wrote.
    """

    def __init__(self, method: str) -> None:
        super().__init__(400, f"Bad Request: method {method} is not supported by the emulator")
        self.method = method


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


def forbidden(detail: str) -> ApiError:
    return ApiError(403, f"Forbidden: {detail}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


NOT_FOUND = ApiError(404, "Not Found")
UNAUTHORIZED = ApiError(401, "Unauthorized")
CHAT_NOT_FOUND = "chat not found"

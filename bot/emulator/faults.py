"""Failures on demand, so the bot's retry and give-up paths are tested, not hoped for."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import ApiError, forbidden, too_many_requests

FaultKind = Literal[429, 403, 500, 502, "network", "slow"]
_KINDS: frozenset[Any] = frozenset({429, 403, 500, 502, "network", "slow"})


@dataclass(slots=True)
class Fault:
    """A rule: the next ``times`` matching requests fail as ``kind`` — or, with ``ratio`` below
    1, each matching request fails with that probability (a seeded draw, so a run repeats) until
    ``times`` have failed."""

    method: str | None
    kind: FaultKind
    retry_after: int = 1
    times: int = 1
    chat_id: int | str | None = None
    delay: float = 0.5
    description: str | None = None
    hits: int = 0
    ratio: float = 1.0
    rng: random.Random = field(default_factory=random.Random)
    seen: int = 0

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        if self.method is not None and self.method != method:
            return False
        if self.chat_id is not None and params.get("chat_id") != self.chat_id:
            return False
        self.seen += 1
        return self.ratio >= 1 or self.rng.random() < self.ratio

    def error(self) -> ApiError:
        if self.kind == 429:
            return too_many_requests(self.retry_after)
        if self.kind == 403:
            return forbidden(self.description or "bot was blocked by the user")
        if self.kind == 500:
            return ApiError(500, self.description or "Internal Server Error")
        if self.kind == 502:
            return ApiError(502, self.description or "Bad Gateway")
        raise ValueError(f"fault {self.kind!r} is not an error answer")


class Faults:
    def __init__(self) -> None:
        self.rules: list[Fault] = []

    def add(
        self,
        method: str | None = None,
        kind: FaultKind = 500,
        *,
        retry_after: int = 1,
        times: int = 1,
        chat_id: Any = None,
        delay: float = 0.5,
        description: str | None = None,
        ratio: float = 1.0,
        seed: int = 0,
    ) -> Fault:
        """``method=None`` matches every method; the rule is spent after ``times`` hits.

        ``chat_id`` may be an id or anything with an ``id`` (a world's user or chat). ``ratio``
        (0 < ratio ≤ 1) fails only that share of the matching requests, drawn from a random
        generator seeded with ``seed``: ``add("sendMessage", 429, ratio=0.3, times=10_000)``
        throttles about 30 % of the sends.
        """
        if not 0 < ratio <= 1:
            raise ValueError("ratio must be in (0, 1]")
        if kind not in _KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {sorted(map(str, _KINDS))}")
        if times < 1:
            raise ValueError("times must be at least 1")
        chat_id = getattr(chat_id, "id", chat_id)
        fault = Fault(method, kind, retry_after, times, chat_id, delay, description,
                      ratio=ratio, rng=random.Random(seed))
        self.rules.append(fault)
        return fault

    def take(self, method: str, params: dict[str, Any]) -> Fault | None:
        if not self.rules:
            return None
        for fault in self.rules:
            if fault.matches(method, params):
                fault.hits += 1
                if fault.hits >= fault.times:
                    self.rules.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self.rules.clear()

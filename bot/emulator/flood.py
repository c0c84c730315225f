"""Telegram's sending limits as token buckets.

A bot that ignores them works in a demo and fails in a real alliance with forty members, so
they are on by default: about 30 messages a second overall, 20 a minute per group, one a second
per private chat (with a small burst). Only sending methods count; edits and answers do not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .clock import Clock
from .errors import too_many_requests

SENDING_METHODS = frozenset(
    {
        "sendMessage", "sendDocument", "sendPhoto", "sendAudio", "sendVideo", "sendAnimation",
        "sendVoice", "sendVideoNote", "sendSticker", "sendLocation", "sendVenue", "sendContact",
        "sendPoll", "sendDice", "sendMediaGroup", "sendInvoice", "sendGame", "sendPaidMedia",
        "copyMessage", "copyMessages", "forwardMessage", "forwardMessages",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class FloodLimits:
    """Rates and bursts; ``FloodLimits.off()`` for benchmarks of the bot's own speed."""

    enabled: bool = True
    overall_per_second: float = 30.0
    overall_burst: int = 30
    group_per_minute: float = 20.0
    group_burst: int = 20
    private_per_second: float = 1.0
    private_burst: int = 3

    @classmethod
    def telegram(cls) -> FloodLimits:
        return cls()

    @classmethod
    def off(cls) -> FloodLimits:
        return cls(enabled=False)


class _Bucket:
    __slots__ = ("burst", "last", "rate", "tokens")

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.last = now

    def wait(self, now: float) -> float:
        """Seconds until a token is free (0 if one is free now)."""
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


class FloodControl:
    def __init__(self, limits: FloodLimits, clock: Clock) -> None:
        self.limits = limits
        self.clock = clock
        self._overall = _Bucket(limits.overall_per_second, limits.overall_burst, clock.monotonic())
        self._chats: dict[int, _Bucket] = {}

    def take(self, chat_id: int, is_group: bool) -> None:
        """Spend one message for ``chat_id`` or raise 429 with Telegram's ``retry_after``."""
        if not self.limits.enabled:
            return
        now = self.clock.monotonic()
        chat = self._chats.get(chat_id)
        if chat is None:
            limits = self.limits
            if is_group:
                chat = _Bucket(limits.group_per_minute / 60, limits.group_burst, now)
            else:
                chat = _Bucket(limits.private_per_second, limits.private_burst, now)
            self._chats[chat_id] = chat
        wait = max(self._overall.wait(now), chat.wait(now))
        if wait > 0:
            raise too_many_requests(max(1, math.ceil(wait)))
        self._overall.tokens -= 1
        chat.tokens -= 1

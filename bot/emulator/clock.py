"""One clock for every date and window the emulator keeps.

Telegram's rules are full of time: 15 s to answer a callback query, 5 minutes to message a
join-request sender, invite links that expire, flood buckets that refill. Tests cannot wait
that long, so they move this clock forward instead (``emulator.clock.advance(301)``), or
``freeze()`` it so that only ``advance`` moves it (exact flood-limit arithmetic).
"""

from __future__ import annotations

import time


class Clock:
    def __init__(self) -> None:
        self._wall_offset = 0.0
        self._mono_offset = 0.0
        self._frozen: tuple[float, float] | None = None  # real (wall, monotonic) when frozen

    def _real(self) -> tuple[float, float]:
        return self._frozen if self._frozen is not None else (time.time(), time.monotonic())

    def time(self) -> float:
        """Unix time, as in message dates."""
        return self._real()[0] + self._wall_offset

    def monotonic(self) -> float:
        """For intervals; moves with :meth:`advance` too."""
        return self._real()[1] + self._mono_offset

    def now(self) -> int:
        """Unix time in whole seconds, the Bot API's date format."""
        return int(self.time())

    def advance(self, seconds: float) -> None:
        self._wall_offset += seconds
        self._mono_offset += seconds

    def freeze(self) -> None:
        """Stop real time; from now on only :meth:`advance` moves the clock."""
        if self._frozen is None:
            self._frozen = (time.time(), time.monotonic())

    def resume(self) -> None:
        """Let real time run again from where the frozen clock stands."""
        if self._frozen is not None:
            wall, mono = self._frozen
            self._wall_offset += wall - time.time()
            self._mono_offset += mono - time.monotonic()
            self._frozen = None

"""Time comes from one place, so tests and the demo can move it forward."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock(Clock):
    """Starts at a fixed instant and moves only when told (or with real time, if ``ticking``)."""

    def __init__(self, start: datetime, *, ticking: bool = False) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._offset = start - datetime.now(UTC) if ticking else None
        self._at = start

    def now(self) -> datetime:
        if self._offset is not None:
            return datetime.now(UTC) + self._offset
        return self._at

    def advance(self, delta: timedelta) -> None:
        if self._offset is not None:
            self._offset += delta
        else:
            self._at += delta

    def set(self, moment: datetime) -> None:
        if self._offset is not None:
            self._offset = moment - datetime.now(UTC)
        else:
            self._at = moment

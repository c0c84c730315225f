"""The bot's update queue with Telegram's ``getUpdates`` semantics.

* ``update_id`` only grows; an update stays until a later ``getUpdates`` passes an ``offset``
  above it (or a webhook answers 2xx);
* a negative offset keeps only the last ``-offset`` updates and forgets the rest;
* ``allowed_updates`` is remembered until changed, and filters updates as they are *created*
  (so ``chat_member`` updates exist only once the bot has asked for them), as on Telegram;
* one long poll at a time: a second one ends the first with 409 Conflict.
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from typing import Any

from .spec import ObjectSpec, load_spec


def _update_types() -> tuple[str, ...]:
    update = load_spec().types["Update"]
    assert isinstance(update, ObjectSpec)
    return tuple(name for name in update.fields if name != "update_id")


UPDATE_TYPES = _update_types()
_OFF_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
DEFAULT_ALLOWED = frozenset(UPDATE_TYPES) - _OFF_BY_DEFAULT


class PollConflict(Exception):
    """This long poll was ended by a newer one."""


class UpdateQueue:
    def __init__(self) -> None:
        self._next_id = random.randint(100_000_000, 800_000_000)
        self.pending: deque[dict[str, Any]] = deque()
        self.allowed: frozenset[str] = DEFAULT_ALLOWED
        self.allowed_list: list[str] | None = None  # as the bot last set it
        self.created = 0
        self.dropped_by_filter = 0
        self._arrival = asyncio.Event()
        self._poll: asyncio.Future[None] | None = None
        self.watchers: list[asyncio.Event] = []  # set on every arrival (webhook delivery)

    def push(self, kind: str, payload: dict[str, Any]) -> int | None:
        """Queue an update; ``None`` if the bot's ``allowed_updates`` excludes its kind."""
        if kind not in self.allowed:
            self.dropped_by_filter += 1
            return None
        update_id = self._next_id
        self._next_id += 1
        self.pending.append({"update_id": update_id, kind: payload})
        self.created += 1
        self._arrival.set()
        for watcher in self.watchers:
            watcher.set()
        return update_id

    def set_allowed(self, kinds: list[str] | None) -> None:
        """``None`` keeps the previous setting; ``[]`` means the default set."""
        if kinds is None:
            return
        self.allowed_list = list(kinds)
        self.allowed = frozenset(kinds) if kinds else DEFAULT_ALLOWED

    def confirm_below(self, offset: int) -> None:
        pending = self.pending
        while pending and pending[0]["update_id"] < offset:
            pending.popleft()

    def confirm(self, update_id: int) -> None:
        """A webhook answered 2xx for this update: it is gone, wherever it stood in the queue
        (deliveries run side by side, so it need not be the oldest)."""
        pending = self.pending
        if pending and pending[0]["update_id"] == update_id:
            pending.popleft()
            return
        for index, update in enumerate(pending):
            if update["update_id"] == update_id:
                del pending[index]
                return

    def apply_offset(self, offset: int | None) -> None:
        if offset is None or offset == 0:
            return
        if offset > 0:
            self.confirm_below(offset)
            return
        keep = -offset
        while len(self.pending) > keep:
            self.pending.popleft()

    def take(self, limit: int) -> list[dict[str, Any]]:
        if not self.pending:
            return []
        if len(self.pending) <= limit:
            return list(self.pending)
        return [self.pending[i] for i in range(limit)]

    def drop_all(self) -> int:
        dropped = len(self.pending)
        self.pending.clear()
        return dropped

    async def wait(self, seconds: float) -> None:
        """Wait until an update is pending, ``seconds`` pass, or a newer poll starts."""
        if self._poll is not None and not self._poll.done():
            self._poll.set_exception(PollConflict())
        if self.pending or seconds <= 0:
            return
        poll: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._poll = poll
        self._arrival.clear()
        arrival = asyncio.ensure_future(self._arrival.wait())
        try:
            await asyncio.wait(
                {poll, arrival}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            arrival.cancel()
            if self._poll is poll:
                self._poll = None
        if poll.done() and not poll.cancelled() and poll.exception() is not None:
            raise PollConflict()

    def wake(self) -> None:
        """End any waiting poll now (shutdown, webhook set)."""
        self._arrival.set()


"""Cards in groups edited in place, coalesced: a burst of changes makes one edit every few seconds.

A proposal's card or a meeting poll's card changes with every ballot; editing it on every press
would exceed Telegram's limits for a group (about 20 messages a minute) and earn 429s. Features
``touch`` a card after their change commits; the editor waits until the card's last edit is at
least ``interval`` old, then renders the card from the database *at that moment*, so the last
state always shows however many touches were folded into one edit.

Pending edits live in memory: after a crash a card may lag until its next change, and features
re-render their final state themselves when they close.

Several replicas (``shared``, on PostgreSQL) each coalesce the touches they handle, so without
more each would edit a busy card once an interval — N replicas, N times Telegram's pace for a
group. So an edit first claims the card's slot (the current ``interval``-long stretch of time)
in ``job_runs``: a replica that finds the slot taken edits in the next one, rendering then.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.runtime.aftercommit import after_commit
from bot.services import job_runs

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CardEdit:
    """What a card should look like now; ``None`` from a renderer means leave it alone."""

    chat_id: int
    message_id: int
    text: str
    reply_markup: InlineKeyboardMarkup | None = None


# One card may be shown in several chats (a request's copies in the linked chats): a renderer
# then returns every copy, edited one after the other, each on its own.
Renderer = Callable[[AsyncSession], Awaitable[CardEdit | Sequence[CardEdit] | None]]


class CardEditor:
    def __init__(self, bot: Bot, sessions: async_sessionmaker[AsyncSession], *,
                 interval: float = 3.0, shared: bool = False) -> None:
        self.bot = bot
        self.sessions = sessions
        self.interval = interval
        self.shared = shared  # other replicas edit the same cards (see the module's docstring)
        self._renderers: dict[str, Renderer] = {}
        self._dirty: set[str] = set()
        self._last_edit: dict[str, float] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.edits = 0

    def touch(self, session: AsyncSession, key: str, render: Renderer) -> None:
        """Refresh card ``key`` with ``render`` once ``session`` has committed the change."""
        after_commit(session, lambda: self.touch_now(key, render))

    def touch_now(self, key: str, render: Renderer) -> None:
        """For callers whose change is already committed (scheduled jobs after their commit)."""
        self._renderers[key] = render
        self._dirty.add(key)
        if key not in self._tasks:
            self._tasks[key] = asyncio.get_running_loop().create_task(self._loop(key),
                                                                      name=f"card-{key}")

    def is_idle(self) -> bool:
        return not self._tasks

    async def close(self) -> None:
        """Finish pending edits: a graceful stop leaves every card showing its last state."""
        if self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def _loop(self, key: str) -> None:
        try:
            while key in self._dirty:
                wait = self._last_edit.get(key, float("-inf")) + self.interval - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                self._dirty.discard(key)
                if not await self._edit(key, self._renderers[key]):
                    self._dirty.add(key)  # another replica edits it in this slot: the next
                    await asyncio.sleep(self._slot_left())
                    continue
                self._last_edit[key] = time.monotonic()
        finally:
            self._tasks.pop(key, None)
            self._renderers.pop(key, None)
            if len(self._last_edit) > 10_000:
                self._last_edit.clear()

    def _slot(self) -> datetime:
        """The stretch of ``interval`` seconds we are in (on the wall clock, as on every
        replica), named by its start."""
        return datetime.fromtimestamp(time.time() // self.interval * self.interval, UTC)

    def _slot_left(self) -> float:
        return self.interval - time.time() % self.interval + 0.01

    async def _edit(self, key: str, render: Renderer) -> bool:
        """Render and edit; False when another replica has this card's slot."""
        try:
            async with self.sessions() as session:
                if self.shared:
                    if not await job_runs.claim(session, f"{job_runs.SLOT_PREFIX}card:{key}",
                                                self._slot(), datetime.now(UTC)):
                        await session.rollback()
                        return False
                    await session.commit()  # the slot is ours, as the other replicas see
                rendered = await render(session)
                await session.rollback()
        except Exception as error:  # a card lagging must not take anything else down
            log.error("card %s: render failed: %s", key, type(error).__name__, exc_info=error)
            return True
        copies = [rendered] if isinstance(rendered, CardEdit) else list(rendered or ())
        for card in copies:  # one copy refused (a chat that removed the bot) stops no other
            await self._send(key, card)
        return True

    async def _send(self, key: str, card: CardEdit) -> None:
        try:
            await self.bot.edit_message_text(text=card.text, chat_id=card.chat_id,
                                             message_id=card.message_id,
                                             reply_markup=card.reply_markup)
            self.edits += 1
        except TelegramBadRequest as error:
            if "not modified" not in error.message:
                log.warning("card %s: edit refused: %s", key, error.message)
        except TelegramForbiddenError as error:
            log.info("card %s: cannot edit: %s", key, error.message)
        except Exception as error:  # a card lagging must not take anything else down
            log.error("card %s: edit failed: %s", key, type(error).__name__, exc_info=error)


def keyboard_json(markup: InlineKeyboardMarkup | None) -> dict[str, Any] | None:
    """A keyboard as the outbox stores it (plain JSON), for cards posted by scheduled jobs."""
    return markup.model_dump(mode="json", exclude_none=True) if markup is not None else None

"""Where presses on proposal cards wait a moment and are recorded together.

A card is answered by a whole alliance at once. Recording each press in a transaction of its
own spent most of a ballot's time on the same work done again (claim, look up, count, commit).
Here the presses that arrive together — one ``getUpdates`` batch, or concurrent webhook calls,
gathered while a burst is on (until a lull of a few milliseconds, 50 ms at most) — share one
transaction: their update claims, their ballots, one count per card, and the close and
announcement when the count completes a proposal. Each press is answered only after that
commit, so nobody is told of a ballot that could still be lost.

A batch that fails as a whole is taken apart: each press is retried on its own, so a press that
cannot be recorded fails alone (and is answered with an apology by the update middleware) while
the others are counted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.runtime.clock import Clock
from bot.services import ballots, updates
from bot.services.ballots import Counted, Press, Tally

if TYPE_CHECKING:
    from aiogram import Bot

# What the decisions feature does with a batch's count in the same transaction: close the
# proposals it completes, refresh the cards of the others (installed by bot.effects.decisions).
CountHook = Callable[[AsyncSession, Tally, datetime], Awaitable[None]]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Waiting:
    update_id: int
    press: Press
    answer: asyncio.Future[Counted | None]


class BallotBox:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock, *, bot: Bot,
                 default_locale: str, max_batch: int = 200, gather: float = 0.05,
                 lull: float = 0.005) -> None:
        self.sessions = sessions
        self.clock = clock
        self.bot = bot
        self.default_locale = default_locale
        self.max_batch = max_batch
        self.gather = gather  # the longest a burst's batch gathers
        self.lull = lull  # a pause this long in the presses ends the gathering
        self.batches = 0  # how many transactions recorded presses (for tests and benchmarks)
        self._waiting: list[_Waiting] = []
        self._worker: asyncio.Task[None] | None = None
        self._on_counted: list[CountHook] = []

    def on_counted(self, hook: CountHook) -> None:
        self._on_counted.append(hook)

    async def cast(self, update_id: int, press: Press) -> Counted | None:
        """Record the press; ``None`` when its update was already processed (a re-delivery)."""
        answer: asyncio.Future[Counted | None] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(update_id, press, answer))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain())
        return await answer

    async def drain(self) -> None:
        """On the way out: record what is waiting before the database goes."""
        while self._worker is not None and not self._worker.done():
            await asyncio.shield(self._worker)

    def is_idle(self) -> bool:
        return not self._waiting and (self._worker is None or self._worker.done())

    async def _drain(self) -> None:
        # One turn of the loop lets the presses delivered with this one join it.
        await asyncio.sleep(0)
        while self._waiting:
            if 1 < len(self._waiting) < self.max_batch:
                await self._gather()
            batch = self._waiting[:self.max_batch]
            del self._waiting[:self.max_batch]
            try:
                await self._record(batch)
            except Exception as error:
                if len(batch) == 1:
                    _settle(batch[0].answer, error=error)
                    continue
                log.warning("a batch of %s presses failed (%s); recording them one by one",
                            len(batch), type(error).__name__)
                for item in batch:
                    try:
                        await self._record([item])
                    except Exception as alone:
                        _settle(item.answer, error=alone)

    async def _gather(self) -> None:
        """More than one press at once: a burst is on. Presses keep arriving while it lasts,
        and each transaction costs about as much as a dozen ballots, so the batch waits for
        them — until a lull of a few milliseconds, a full batch, or ``gather`` at most (a lone
        press never waits, and the last presses of a burst only the lull)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.gather
        seen = len(self._waiting)
        while loop.time() < deadline:
            await asyncio.sleep(min(self.lull, max(0.0, deadline - loop.time())))
            if len(self._waiting) == seen or len(self._waiting) >= self.max_batch:
                return
            seen = len(self._waiting)

    async def _record(self, batch: list[_Waiting]) -> None:
        async with self.sessions() as session:
            now = self.clock.now()
            fresh = await updates.claim_many(session, self.bot.id,
                                             [item.update_id for item in batch], now)
            taken: list[_Waiting] = []
            for item in batch:
                if item.update_id in fresh:
                    fresh.discard(item.update_id)  # a copy later in this batch is a duplicate
                    taken.append(item)
            tally = await ballots.cast_many(session, [item.press for item in taken], now,
                                            default_locale=self.default_locale)
            for hook in self._on_counted:
                await hook(session, tally, now)
            await session.commit()
        self.batches += 1
        for item, counted in zip(taken, tally.counted, strict=True):
            _settle(item.answer, result=counted)
        for item in batch:
            _settle(item.answer)  # the rest were re-deliveries (a settled answer is left alone)


def _settle(answer: asyncio.Future[Counted | None], *, result: Counted | None = None,
            error: BaseException | None = None) -> None:
    if answer.done():  # the press's update was cancelled meanwhile
        return
    if error is not None:
        answer.set_exception(error)
    else:
        answer.set_result(result)

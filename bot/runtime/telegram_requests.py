"""Request middlewares on the bot's HTTP session: what happens around every Bot API call."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.methods.base import Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.runtime.clock import Clock
from bot.runtime.context import update_session
from bot.services import updates

log = logging.getLogger(__name__)

# The outbox reschedules on its own terms; its calls must fail fast instead of sleeping here.
no_retry: contextvars.ContextVar[bool] = contextvars.ContextVar("no_retry", default=False)


class CommitBeforeSend(BaseRequestMiddleware):
    """Commit the update's transaction before the bot tells anyone anything.

    The user is never told of an effect that could still be rolled back, and SQLite's write
    lock is never held across a network round trip.
    """

    async def __call__(self, make_request: NextRequestMiddlewareType[Any], bot: Bot,
                       method: TelegramMethod[Any]) -> Response[Any]:
        session = update_session.get()
        if session is not None and session.in_transaction() and not isinstance(method, GetUpdates):
            await session.commit()
        return await make_request(bot, method)


class KeepBeforeConfirming(BaseRequestMiddleware):
    """Store each ``getUpdates`` batch before the poller may ask for the next one.

    Asking for the next batch moves ``offset``, which confirms the previous batch to Telegram,
    and aiogram asks while the previous batch's handlers still run as tasks: a crash then lost
    updates Telegram would never send again. Stored first, whatever a crash cuts short is
    handled at the next start (``AllianceApp.finish_interrupted``). If the store fails, the
    batch is not handed on; the poller backs off and asks again with the same offset.
    """

    SWEEP_EVERY = 1.0  # seconds between sweeps of the rows whose handling committed

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock
        self._swept_at = float("-inf")

    async def __call__(self, make_request: NextRequestMiddlewareType[Any], bot: Bot,
                       method: TelegramMethod[Any]) -> Response[Any]:
        received = await make_request(bot, method)
        if isinstance(method, GetUpdates) and received:
            batch = [(update.update_id, update.model_dump_json(by_alias=True, exclude_none=True))
                     for update in received]
            # A burst brings a batch every few milliseconds: the rows handled meanwhile are swept
            # with the first batch of each second, not with every one.
            sweep = time.monotonic() - self._swept_at >= self.SWEEP_EVERY
            async with self.sessions() as session:
                await updates.receive(session, bot.id, batch, self.clock.now(), sweep=sweep)
                await session.commit()
            if sweep:
                self._swept_at = time.monotonic()
        return received


class PollInStrides(BaseRequestMiddleware):
    """While updates keep coming, ask for the next batch a few milliseconds later.

    aiogram asks again the moment a batch is handed on, so a burst arrives in batches of a few
    updates, and each costs a round trip and the transaction that keeps it
    (``KeepBeforeConfirming``). Waiting ``stride`` after a batch that brought updates lets the
    next one bring a few times more; after an empty one (a quiet chat) the long poll starts at
    once, so a lone update is never held.
    """

    def __init__(self, stride: float = 0.01) -> None:
        self.stride = stride
        self._busy = False

    async def __call__(self, make_request: NextRequestMiddlewareType[Any], bot: Bot,
                       method: TelegramMethod[Any]) -> Response[Any]:
        if not isinstance(method, GetUpdates):
            return await make_request(bot, method)
        if self._busy:
            await asyncio.sleep(self.stride)
        received = await make_request(bot, method)
        self._busy = bool(received)
        return received


class KeepResponseModels(BaseRequestMiddleware):
    """Hold on to aiogram's ``Response[T]`` models, one per result type.

    aiogram parses every result with ``Response[method.__returning__]``; pydantic caches such
    generic models only weakly, so each garbage collection drops them and the next call builds
    the model again — about 10 ms of schema work, a whole vote's worth, for a one-line answer.
    """

    def __init__(self) -> None:
        self._kept: dict[Any, type[Response[Any]]] = {}

    def build(self, *methods: type[TelegramMethod[Any]]) -> None:
        """Keep and build now the response models of ``methods``, rather than on their first
        call (their validators are built on first use: bot.lazy_schemas)."""
        for method in methods:
            returning = method.__returning__
            if returning not in self._kept:
                self._kept[returning] = Response[returning]  # type: ignore[valid-type]
            self._kept[returning].model_rebuild()

    async def __call__(self, make_request: NextRequestMiddlewareType[Any], bot: Bot,
                       method: TelegramMethod[Any]) -> Response[Any]:
        returning = method.__returning__
        if returning not in self._kept:
            self._kept[returning] = Response[returning]  # type: ignore[valid-type]
        return await make_request(bot, method)


class RetryFlood(BaseRequestMiddleware):
    """Direct replies wait out a 429 and retry a 5xx or a dropped connection a few times."""

    def __init__(self, max_attempts: int = 4, max_wait: float = 30.0) -> None:
        self.max_attempts = max_attempts
        self.max_wait = max_wait

    async def __call__(self, make_request: NextRequestMiddlewareType[Any], bot: Bot,
                       method: TelegramMethod[Any]) -> Response[Any]:
        attempt = 1
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if no_retry.get() or attempt >= self.max_attempts or error.retry_after > self.max_wait:
                    raise
                log.info("429 on %s: waiting %ss", type(method).__name__, error.retry_after)
                await asyncio.sleep(error.retry_after)
            except (TelegramServerError, TelegramNetworkError) as error:
                if no_retry.get() or attempt >= self.max_attempts or isinstance(method, GetUpdates):
                    raise
                log.info("%s on %s: retrying", type(error).__name__, type(method).__name__)
                await asyncio.sleep(0.2 * 2**attempt)
            attempt += 1

"""Delivery of what the outbox holds, within Telegram's limits.

Telegram allows about 30 messages a second overall, one a second per private chat and twenty a
minute per group; going over earns 429s and, repeated, a longer ban. The limits are enforced
here with aiolimiter's leaky buckets (a little under Telegram's), one item per chat in flight so
each chat gets its messages in order. Every attempt's outcome is committed: a restart resumes
where the last one stopped.

Per-chat command menus (``setMyCommands``) are no messages and Telegram's message limits do not
count them: they go at a pace of their own (``outbox.menus_per_second``), a few at a time, so a
burst of them (a wave of new Traditional Chinese readers) neither spends the messages' budget
nor fills the slots that the announcements and reminders queued after them need.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeChatAdministrators,
    BufferedInputFile,
    InlineKeyboardMarkup,
)
from aiolimiter import AsyncLimiter
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction

from bot.config import OutboxConfig
from bot.runtime.clock import Clock
from bot.runtime.telegram_requests import no_retry
from bot.services import outgoing as store
from bot.services import people
from storage.models import OutboxItem

log = logging.getLogger(__name__)

MAX_IN_FLIGHT = 32
# Menus under way at once, out of MAX_IN_FLIGHT: enough to keep their own pace over a slow
# connection, few enough to leave the other slots to messages.
MAX_MENUS_IN_FLIGHT = 8
_LIMITER_CACHE = 10_000
_WAKE = "outbox_wake"  # a session's ``info`` key: its outbox's wake (``wake_on_commit``)


def _wake_after_commit(session: Session) -> None:
    if session.info.pop(store.QUEUED, False) and (wake := session.info.get(_WAKE)) is not None:
        wake()


def _forget_queued(session: Session, transaction: SessionTransaction) -> None:
    # Runs after ``after_commit``; after a rollback it drops the mark of what was not written.
    if transaction.parent is None:
        session.info.pop(store.QUEUED, None)

# purpose "kind:arg" -> what to do once such an item is sent: a feature learns the message id of
# a card a scheduled job posted (to edit or pin it later). Called with (session, arg, chat_id,
# message_id) in a session of its own, after the item is marked sent.
SentHook = Callable[[AsyncSession, str, int, int], Awaitable[None]]
# purpose "kind:arg" -> what to do once such an item is given up (a 403 or 400, or too many
# attempts): a feature that reports on its delivery learns of each failure. Called with
# (session, arg, chat_id, reason) in a session of its own, after the item is marked failed.
FailedHook = Callable[[AsyncSession, str, int, str], Awaitable[None]]


class OutboxWorker:
    def __init__(self, bot: Bot, sessions: async_sessionmaker[AsyncSession], clock: Clock,
                 config: OutboxConfig, *, poll_interval: float = 1.0) -> None:
        self.bot = bot
        self.sessions = sessions
        self.clock = clock
        self.config = config
        self.poll_interval = poll_interval
        # Evenly paced, no burst: after a restart the limiter starts empty while Telegram still
        # remembers what the previous process sent a moment ago.
        self.global_limiter = AsyncLimiter(1, 1 / config.global_per_second)
        self.menu_limiter = AsyncLimiter(1, 1 / config.menus_per_second)
        self._menus_in_flight = 0
        self._chat_limiters: OrderedDict[int, AsyncLimiter] = OrderedDict()
        self._busy_chats: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._stopping = False
        self._runner: asyncio.Task[None] | None = None
        self._has_due = True
        self.sent = 0
        self.failed = 0
        self._sent_hooks: dict[str, SentHook] = {}
        self._failed_hooks: dict[str, FailedHook] = {}

    def on_sent(self, kind: str, hook: SentHook) -> None:
        """Once an item whose purpose is ``kind:arg`` is sent, ``hook(session, arg, chat_id,
        message_id)`` runs (see bot.features)."""
        self._sent_hooks[kind] = hook

    def on_failed(self, kind: str, hook: FailedHook) -> None:
        """Once an item whose purpose is ``kind:arg`` is given up, ``hook(session, arg, chat_id,
        reason)`` runs (see bot.features)."""
        self._failed_hooks[kind] = hook

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        async with self.sessions.begin() as session:
            recovered = await store.recover_interrupted(session, self.clock.now())
        if recovered:
            log.warning("outbox: %d item(s) interrupted by a crash will be sent again", recovered)
        self._runner = asyncio.create_task(self._run(), name="outbox")

    async def stop(self) -> None:
        """Finish the attempts under way (their outcome is saved), start no new ones."""
        self._stopping = True
        self._wake.set()
        if self._runner is not None:
            await self._runner
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def wake(self) -> None:
        """Something was enqueued: look now rather than at the next poll."""
        self._has_due = True
        self._wake.set()

    def is_idle(self) -> bool:
        return not self._tasks and not self._has_due

    def wake_on_commit(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        """Every session of ``sessions`` that enqueued something wakes this outbox when it
        commits — a handler's notice, a batch's, a hook's — and never on a rollback."""
        sessions.configure(info={_WAKE: self.wake})
        if not event.contains(Session, "after_commit", _wake_after_commit):
            event.listen(Session, "after_commit", _wake_after_commit)
            event.listen(Session, "after_transaction_end", _forget_queued)

    # -- the loop ----------------------------------------------------------------------------

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                wait = await self._dispatch_due()
            except Exception as error:
                log.error("outbox: poll failed: %s", type(error).__name__, exc_info=error)
                wait = self.poll_interval
            if self._wake.is_set():
                # Woken while looking: what was enqueued may have committed after the look read
                # the queue, so look again now rather than at the next poll.
                self._has_due = True
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)

    async def _dispatch_due(self) -> float:
        room = MAX_IN_FLIGHT - len(self._tasks)
        if room <= 0:
            return self.poll_interval
        now = self.clock.now()
        menus = self._menus_in_flight < MAX_MENUS_IN_FLIGHT
        async with self.sessions() as session:
            items = await store.due(session, now, room, self._busy_chats, menus=menus)
            next_at = None if items or not menus else await store.next_due_at(session)
            await session.commit()
        for item in items:
            if item.kind == "menu":
                if self._menus_in_flight >= MAX_MENUS_IN_FLIGHT:
                    continue  # stays pending: taken when a menu under way is done
                self._menus_in_flight += 1
            self._busy_chats.add(item.chat_id)
            task = asyncio.create_task(self._deliver(item), name=f"outbox-{item.id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        if items or not menus:
            # Menus left waiting for a free menu slot: the end of one under way wakes the loop.
            self._has_due = True
            return 0.05 if len(items) == room else self.poll_interval
        if next_at is None:
            self._has_due = False
            return self.poll_interval
        delay = (next_at - now).total_seconds()
        self._has_due = delay < 30
        return max(0.05, min(self.poll_interval, delay))

    def _chat_limiter(self, chat_id: int) -> AsyncLimiter:
        limiter = self._chat_limiters.get(chat_id)
        if limiter is None:
            if chat_id > 0:
                limiter = AsyncLimiter(self.config.private_per_second, 1)
            else:
                limiter = AsyncLimiter(self.config.group_per_minute, 60)
            self._chat_limiters[chat_id] = limiter
            if len(self._chat_limiters) > _LIMITER_CACHE:
                self._chat_limiters.popitem(last=False)
        else:
            self._chat_limiters.move_to_end(chat_id)
        return limiter

    def _limiters(self, item: OutboxItem) -> tuple[AsyncLimiter, ...]:
        """A menu is no message: its own pace, not the chat's nor the overall message budget."""
        if item.kind == "menu":
            return (self.menu_limiter,)
        return (self._chat_limiter(item.chat_id), self.global_limiter)

    async def _deliver(self, item: OutboxItem) -> None:
        try:
            for limiter in self._limiters(item):
                await limiter.acquire()
            async with self.sessions.begin() as session:
                if not await store.claim(session, item.id):
                    return
            await self._attempt(item)
        except Exception as error:
            log.error("outbox: item %s: %s", item.id, type(error).__name__, exc_info=error)
        finally:
            if item.kind == "menu":
                self._menus_in_flight -= 1
            self._busy_chats.discard(item.chat_id)
            self._wake.set()

    async def _attempt(self, item: OutboxItem) -> None:
        token = no_retry.set(True)
        try:
            message_id = await self._send(item)
        except TelegramRetryAfter as error:
            await self._retry(item, timedelta(seconds=error.retry_after), f"429: {error.message}",
                              count_attempt=False)
        except TelegramMigrateToChat as error:
            async with self.sessions.begin() as session:
                await store.retarget_chat(session, item.chat_id, error.migrate_to_chat_id)
            await self._retry(item, timedelta(0), "chat migrated", count_attempt=False)
        except (TelegramForbiddenError, TelegramBadRequest) as error:
            await self._give_up(item, f"{type(error).__name__}: {error.message}")
            if isinstance(error, TelegramForbiddenError) and item.chat_id > 0:
                async with self.sessions() as session:
                    await people.mark_blocked(session, item.chat_id, self.clock.now())
                    await session.commit()
        except (TelegramServerError, TelegramNetworkError, TelegramUnauthorizedError) as error:
            await self._retry(item, store.retry_delay(item.attempts + 1),
                              f"{type(error).__name__}: {error}", count_attempt=True)
        else:
            async with self.sessions.begin() as session:
                await store.mark_sent(session, item.id, message_id, self.clock.now())
            self.sent += 1
            if message_id is not None:
                await self._after_sent(item, message_id)
        finally:
            no_retry.reset(token)

    async def _after_sent(self, item: OutboxItem, message_id: int) -> None:
        kind, _, argument = (item.purpose or "").partition(":")
        hook = self._sent_hooks.get(kind)
        if hook is not None:
            await self._run_hook(kind, lambda session: hook(session, argument, item.chat_id,
                                                             message_id))

    async def _after_failed(self, item: OutboxItem, reason: str) -> None:
        kind, _, argument = (item.purpose or "").partition(":")
        hook = self._failed_hooks.get(kind)
        if hook is not None:
            await self._run_hook(kind, lambda session: hook(session, argument, item.chat_id,
                                                             reason))

    async def _run_hook(self, kind: str, call: Callable[[AsyncSession], Awaitable[None]]) -> None:
        """A hook's own session and commit (which wakes the outbox if the hook queued something,
        a report): its failure is logged, the item's outcome stays."""
        try:
            async with self.sessions() as session:
                await call(session)
                await session.commit()
        except Exception as error:
            log.error("outbox: hook %s failed: %s", kind, type(error).__name__, exc_info=error)

    async def _retry(self, item: OutboxItem, delay: timedelta, reason: str,
                     *, count_attempt: bool) -> None:
        attempts = item.attempts + 1
        if count_attempt and attempts >= self.config.max_attempts:
            await self._give_up(item, f"gave up after {attempts} attempts: {reason}")
            return
        async with self.sessions.begin() as session:
            await store.mark_retry(session, item.id, self.clock.now() + delay, reason,
                                   count_attempt=count_attempt)
        log.info("outbox: item %s retried in %.0fs (%s)", item.id, delay.total_seconds(), reason)

    async def _give_up(self, item: OutboxItem, reason: str) -> None:
        async with self.sessions.begin() as session:
            await store.mark_failed(session, item.id, reason, self.clock.now())
        self.failed += 1
        log.warning("outbox: item %s to chat %s failed: %s", item.id, item.chat_id, reason)
        await self._after_failed(item, reason)

    async def _set_menu(self, item: OutboxItem) -> None:
        """A chat's own command menu (bot.runtime.menus): no message, so no message id."""
        commands = [BotCommand.model_validate(c) for c in item.payload["commands"]]
        scope: BotCommandScopeChat | BotCommandScopeChatAdministrators
        if item.payload.get("scope") == "chat_administrators":
            scope = BotCommandScopeChatAdministrators(chat_id=item.chat_id)
        else:
            scope = BotCommandScopeChat(chat_id=item.chat_id)
        await self.bot.set_my_commands(commands, scope=scope)
        return None

    async def _send(self, item: OutboxItem) -> int | None:
        markup = item.payload.get("reply_markup")
        keyboard = InlineKeyboardMarkup.model_validate(markup) if markup else None
        silent = bool(item.payload.get("disable_notification"))
        if item.kind == "menu":
            return await self._set_menu(item)
        if item.kind == "photo":
            sent = await self.bot.send_photo(
                item.chat_id, BufferedInputFile(item.document or b"", item.document_name or "photo"),
                caption=item.text or None, message_thread_id=item.thread_id,
                reply_markup=keyboard, disable_notification=silent)
        elif item.kind == "document":
            sent = await self.bot.send_document(
                item.chat_id, BufferedInputFile(item.document or b"", item.document_name or "file"),
                caption=item.text or None, message_thread_id=item.thread_id,
                reply_markup=keyboard, disable_notification=silent)
        else:
            sent = await self.bot.send_message(
                item.chat_id, item.text, message_thread_id=item.thread_id,
                reply_markup=keyboard, disable_notification=silent)
        if item.payload.get("pin"):
            try:
                await self.bot.pin_chat_message(item.chat_id, sent.message_id,
                                                disable_notification=True)
            except (TelegramBadRequest, TelegramForbiddenError) as error:
                log.info("outbox: could not pin in %s: %s", item.chat_id, error.message)
        return sent.message_id


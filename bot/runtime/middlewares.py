"""Per-update plumbing: one database session, the update claimed once, who speaks, which locale.

A failing handler must not take the bot down nor leave the user wondering: it is logged
(type and traceback, never the update's text) and answered with a short localized apology.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.fsm.context import FSMContext
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.strategy import FSMStrategy
from aiogram.types import Chat, TelegramObject, Update, User
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import gettext as _
from bot.i18n import normalize_locale, resolve_locale, set_locale
from bot.runtime import menus
from bot.runtime.clock import Clock
from bot.runtime.context import Ctx, update_session
from bot.runtime.fsm_storage import SqlStorage
from bot.runtime.redis_fsm import HeldRedisStorage
from bot.runtime.replies import refuse_update
from bot.services import alliances, people, updates
from bot.services.errors import DomainError
from bot.services.people import Speaker

log = logging.getLogger(__name__)

# Telegram's stand-ins: anonymous admins, channel posts, linked channels. Never persons.
SERVICE_USERS = {1087968824, 777000, 136817688}
GROUP_KINDS = ("group", "supergroup")
# The wizard state the update middleware read with the claim, for the FSM middleware to use.
PRELOADED_STATE = "alliance_preloaded_state"


@dataclass
class Activity:
    """How many updates are being handled now — the test harness waits for zero."""

    busy: int = 0
    failures: int = 0
    duplicates: int = 0
    recent_failures: deque[str] = field(default_factory=lambda: deque(maxlen=100))
    _idle: asyncio.Event = field(default_factory=asyncio.Event)

    def enter(self) -> None:
        self.busy += 1
        self._idle.clear()

    def leave(self) -> None:
        self.busy -= 1
        if not self.busy:
            self._idle.set()

    async def wait_idle(self) -> None:
        if self.busy:
            await self._idle.wait()


# ``batched``: the callback-data prefixes whose handlers record their work in batches of their
# own (see ``bot.runtime.ballot_box``; features add theirs in ``install``): the update middleware
# opens no session for them, claims nothing and builds no context — their batch claims the update
# in the transaction that records it. Such a press does not refresh the person's stored name
# either; their other updates do.


def _in_private(data: dict[str, Any]) -> bool:
    chat: Chat | None = data.get("event_chat")
    return chat is not None and chat.type == "private"


def _callback_prefix(event: TelegramObject) -> str | None:
    query = event.callback_query if isinstance(event, Update) else None
    return None if query is None else (query.data or "").partition(":")[0]


class LeanFSMContextMiddleware(FSMContextMiddleware):
    """aiogram's FSM middleware, minus the state read for batched callbacks: a vote press must
    not pay for the wizards' storage.

    Their handlers still get ``state`` (an FSMContext reads on demand); only ``raw_state`` —
    what ``StateFilter`` looks at — is left out, so a batched prefix's handlers must not be
    filtered by state.
    """

    def __init__(self, storage: BaseStorage, events_isolation: BaseEventIsolation,
                 strategy: FSMStrategy, *, batched: set[str]) -> None:
        super().__init__(storage, events_isolation, strategy)
        self.batched = batched

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        if _callback_prefix(event) in self.batched:
            data["fsm_storage"] = self.storage
            context = self.resolve_event_context(data["bot"], data)
            if context is not None:
                data["state"] = context
            return await handler(event, data)
        if PRELOADED_STATE in data:  # read with the update's claim: no second query
            raw_state = data.pop(PRELOADED_STATE)
            data["fsm_storage"] = self.storage
            context = self.resolve_event_context(data["bot"], data)
            if context is None:
                return await handler(event, data)
            async with self.events_isolation.lock(key=context.key):
                data.update({"state": context, "raw_state": raw_state})
                return await handler(event, data)
        return await super().__call__(handler, event, data)


class UpdateMiddleware(BaseMiddleware):
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock,
                 default_locale: str, default_timezone: str, activity: Activity, *,
                 fsm: FSMContextMiddleware, isolation: BaseEventIsolation,
                 batched: set[str]) -> None:
        self.fsm = fsm
        self.batched = batched
        self.isolation = isolation
        self.sessions = sessions
        self.clock = clock
        self.default_locale = default_locale
        self.default_timezone = default_timezone
        self.activity = activity
        self.menu_languages = menus.menu_languages(default_locale)

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        bot: Bot = data["bot"]
        self.activity.enter()
        if _callback_prefix(event) in self.batched:
            try:
                return await self._handle_batched(handler, event, data, bot)
            finally:
                self.activity.leave()
        context = self.fsm.resolve_event_context(bot, data)
        try:
            async with (self.isolation.lock(context.key) if context else nullcontext()):
                async with self.sessions() as session:
                    token = update_session.set(session)
                    try:
                        return await self._handle(handler, event, data, session, bot,
                                                  self._state_key(context))
                    finally:
                        update_session.reset(token)
                        if isinstance(self.fsm.storage, HeldRedisStorage):  # after the commit
                            await self.fsm.storage.write_committed(session)
        finally:
            self.activity.leave()

    def _state_key(self, context: FSMContext | None) -> str | None:
        """Where the update's wizard state is stored, when it is in our own tables (with Redis,
        the FSM middleware reads it there; the claim reads nothing more)."""
        storage = self.fsm.storage
        return storage.record_key(context.key) if context and isinstance(storage, SqlStorage) else None

    async def _claim(self, session: AsyncSession, bot: Bot, update: Update, now: Any,
                     state_key: str | None, data: dict[str, Any]) -> bool:
        """Claim the update; its wizard state comes back in the same statement."""
        if state_key is None:
            return await updates.claim(session, bot.id, update.update_id, now)
        claimed, state = await updates.claim_reading_state(session, bot.id, update.update_id,
                                                           now, state_key)
        data[PRELOADED_STATE] = state
        return claimed

    async def _handle(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                      update: Update, data: dict[str, Any], session: AsyncSession, bot: Bot,
                      state_key: str | None) -> Any:
        now = self.clock.now()
        if not await self._claim(session, bot, update, now, state_key, data):
            await session.rollback()
            self.activity.duplicates += 1
            log.info("update %s already processed; skipped", update.update_id)
            return UNHANDLED
        ctx = await self._context(session, data, now)
        set_locale(ctx.locale)
        data["ctx"] = ctx
        try:
            result = await handler(update, data)
            menu = self._stale_menu(ctx, data)
            await session.commit()
        except DomainError as error:  # a refusal: nothing of the action stays, the claim does
            # An alert is personal: the presser's language (read before the rollback expires it).
            presser = people.locale_of(ctx.person) if update.callback_query is not None else None
            await session.rollback()
            await updates.claim(session, bot.id, update.update_id, now)
            await session.commit()
            if presser is not None:
                set_locale(presser)
            await refuse_update(update, error)
            return None
        except Exception as error:  # the bot keeps serving whatever one handler did
            await session.rollback()
            await self._failed(update, error, bot)
            return None
        if menu is not None:
            await self._keep_menu(session, ctx.now, *menu)
        return result

    def _stale_menu(self, ctx: Ctx, data: dict[str, Any]) -> tuple[int | None, int | None] | None:
        """(person id, chat id) whose own command menu lacks its language (bot.runtime.menus),
        seen in memory before the commit; None when the chat's menu is right."""
        private = _in_private(data)
        if not menus.stale(ctx, private=private, languages=self.menu_languages):
            return None
        person_id = ctx.person.id if private and ctx.person is not None else None
        chat_id = None if private or ctx.place is None else ctx.place.chat.tg_chat_id
        return person_id, chat_id

    async def _keep_menu(self, session: AsyncSession, now: Any, person_id: int | None,
                         chat_id: int | None) -> None:
        """Queue the menu in the update's session, after its transaction committed (the answer
        is already sent): a failure here is logged and rolled back alone, never the update."""
        try:
            await menus.refresh(session, now, person_id=person_id, chat_id=chat_id,
                                languages=self.menu_languages)
        except Exception as error:
            await session.rollback()
            log.error("command menu not queued: %s", type(error).__name__, exc_info=error)

    async def _handle_batched(self, handler: Callable[[TelegramObject, dict[str, Any]],
                                                      Awaitable[Any]],
                              update: Update, data: dict[str, Any], bot: Bot) -> Any:
        user: User | None = data.get("event_from_user")
        set_locale(resolve_locale(user.language_code if user else None))
        try:
            return await handler(update, data)
        except Exception as error:
            await self._failed(update, error, bot)
            return None

    async def _failed(self, update: Update, error: Exception, bot: Bot) -> None:
        self.activity.failures += 1
        self.activity.recent_failures.append(f"{update.event_type}: {type(error).__name__}")
        log.error("update %s (%s) failed: %s", update.update_id, update.event_type,
                  type(error).__name__, exc_info=error)
        await self._remember_failed(bot.id, update.update_id)
        await self._apologize(update)

    async def _context(self, session: AsyncSession, data: dict[str, Any], now: Any) -> Ctx:
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        anonymous = user is not None and user.id in SERVICE_USERS
        speaking = user is not None and not user.is_bot and not anonymous
        place = role = None
        if chat is not None and chat.type in GROUP_KINDS:
            # One query for the chat, its alliance, the speaker's role and (loaded for the
            # touch below) the speaker's own row: a group update's usual context.
            place, role, _known = await alliances.place_and_role(
                session, chat.id, user.id if speaking and user is not None else None)
        person = None
        if speaking and user is not None:
            speaker = Speaker(id=user.id, first_name=user.first_name, last_name=user.last_name,
                              username=user.username, language_code=user.language_code)
            person = await people.touch(session, speaker, now,
                                        private=chat is not None and chat.type == "private")
        if place is not None and place.alliance is not None:
            locale = place.alliance.locale
        elif person is not None:
            locale = people.locale_of(person)
        else:
            locale = normalize_locale(self.default_locale)
        return Ctx(session=session, now=now, locale=locale, person=person, place=place,
                   role=role, anonymous=anonymous, default_timezone=self.default_timezone)

    async def _remember_failed(self, bot_id: int, update_id: int) -> None:
        """A handler that fails for a bug would fail again: do not let a re-delivery loop."""
        try:
            async with self.sessions() as session:
                await updates.claim(session, bot_id, update_id, self.clock.now())
                await session.commit()
        except Exception as error:
            log.error("could not record failed update %s: %s", update_id, type(error).__name__)

    async def _apologize(self, update: Update) -> None:
        text = _("Sorry, something went wrong on my side. Please try again in a moment.")
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(text, show_alert=True)
            elif update.message is not None:
                await update.message.answer(text)
        except Exception as error:
            log.warning("could not apologize for update %s: %s", update.update_id,
                        type(error).__name__)

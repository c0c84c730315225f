"""Builds the bot (aiogram Bot + Dispatcher, outbox, scheduler, cards) and runs it polling or webhook."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from datetime import timedelta

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    GetUpdates,
    SendMessage,
    SetMyCommands,
)
from aiogram.types import (
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    LinkPreviewOptions,
    Update,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot import features
from bot.config import Config
from bot.i18n import configure_fallback, use_locale
from bot.lazy_schemas import build_now
from bot.runtime import aftercommit, menus
from bot.runtime.ballot_box import BallotBox
from bot.runtime.cards import CardEditor
from bot.runtime.clock import Clock
from bot.runtime.fsm_storage import SqlStorage
from bot.runtime.leader import Leader
from bot.runtime.middlewares import Activity, LeanFSMContextMiddleware, UpdateMiddleware
from bot.runtime.outbox import OutboxWorker
from bot.runtime.redis_fsm import HeldRedisStorage, redis_fsm
from bot.runtime.routing import index_dispatch
from bot.runtime.scheduler import NOTICE_CHANNEL, Scheduler
from bot.runtime.telegram_requests import (
    CommitBeforeSend,
    KeepBeforeConfirming,
    KeepResponseModels,
    PollInStrides,
    RetryFlood,
)
from bot.services import updates
from bot.views.commands import menu
from handlers import build_router
from storage import migrate
from storage.db import create_engine, session_factory

log = logging.getLogger(__name__)

# link_preview, not link_preview_is_disabled: the latter makes aiogram send the deprecated
# disable_web_page_preview beside link_preview_options, which Bot API 10.1 no longer lists.
BOT_DEFAULTS = DefaultBotProperties(parse_mode=ParseMode.HTML,
                                    link_preview=LinkPreviewOptions(is_disabled=True))
FINISH_UPDATES_WITHIN = 30.0  # seconds a graceful stop waits for the updates under way


class AllianceApp:
    def __init__(self, config: Config, *, clock: Clock | None = None,
                 outbox_poll_interval: float = 1.0, card_interval: float = 3.0) -> None:
        config.require_runnable()
        assert config.telegram.token is not None
        self.config = config
        self.clock = clock or Clock()
        self.engine = create_engine(config.database.url, echo=config.database.echo)
        self.sessions = session_factory(self.engine)
        session = AiohttpSession(api=TelegramAPIServer.from_base(config.telegram.api_base))
        self.response_models = KeepResponseModels()
        session.middleware(self.response_models)
        session.middleware(RetryFlood())
        session.middleware(CommitBeforeSend())
        session.middleware(KeepBeforeConfirming(self.sessions, self.clock))
        session.middleware(PollInStrides())
        self.bot = Bot(config.telegram.token, session=session, default=BOT_DEFAULTS)
        self.activity = Activity()
        self.batched_callbacks: set[str] = set()  # features add theirs in install()
        # Our middleware runs before the FSM's, so that the FSM reads its state inside the
        # update's own session and transaction; it also keeps one person's updates in one chat
        # in the order they were sent (the isolation aiogram's FSM middleware would give).
        storage, isolation = self.fsm_storage(config)
        self.dispatcher = Dispatcher(storage=storage, disable_fsm=True)
        configure_fallback(config.defaults.locale)
        updates_middleware = UpdateMiddleware(
            self.sessions, self.clock, config.defaults.locale, config.defaults.timezone,
            self.activity, fsm=self.dispatcher.fsm, isolation=isolation,
            batched=self.batched_callbacks)
        self.dispatcher.update.outer_middleware(updates_middleware)
        fsm = self.dispatcher.fsm
        self.dispatcher.update.outer_middleware(LeanFSMContextMiddleware(
            fsm.storage, fsm.events_isolation, fsm.strategy, batched=self.batched_callbacks))
        self.dispatcher.include_router(build_router())
        # A command or a press reaches its handler through an index, not a walk of every router,
        # and no plain filter hops to a thread (bot.runtime.routing).
        index_dispatch(self.dispatcher)
        self.outbox = OutboxWorker(self.bot, self.sessions, self.clock, config.outbox,
                                   poll_interval=outbox_poll_interval)
        self.outbox.wake_on_commit(self.sessions)
        self.cards = CardEditor(self.bot, self.sessions, interval=card_interval,
                                shared=self.engine.dialect.name == "postgresql")
        self.dispatcher["cards"] = self.cards
        self.scheduler = Scheduler(self.sessions, self.clock, bot=self.bot, cards=self.cards)
        self.dispatcher["scheduler"] = self.scheduler
        self.ballot_box = BallotBox(self.sessions, self.clock, bot=self.bot,
                                    default_locale=config.defaults.locale)
        self.dispatcher["ballot_box"] = self.ballot_box
        self.scheduler.tell_leader = self.engine.dialect.name == "postgresql"
        self.leader = Leader(self.engine, on_gain=self.scheduler.start, on_lose=self.scheduler.stop,
                             retry=config.scheduler.leader_retry_seconds,
                             heartbeat=config.scheduler.leader_heartbeat_seconds,
                             on_notice=(NOTICE_CHANNEL, self.scheduler.heard))
        self._stop = asyncio.Event()
        features.install(self)

    def fsm_storage(self, config: Config) -> tuple[BaseStorage, BaseEventIsolation]:
        """``[fsm] storage``: the database (a wizard's updates on two replicas are serialized by
        a lock in the claim, bot.services.updates) or Redis (by aiogram's Redis lock)."""
        if config.fsm.storage == "redis":
            assert config.fsm.redis_url is not None
            return redis_fsm(config.fsm.redis_url, config.fsm.key_prefix,
                             timedelta(hours=config.fsm.state_ttl_hours))
        return SqlStorage(self.sessions), SimpleEventIsolation()

    # -- lifecycle ---------------------------------------------------------------------------

    async def prepare(self) -> None:
        """Migrate, learn who we are, publish the menus, start background work."""
        self.build_validators()
        if isinstance(self.dispatcher.storage, HeldRedisStorage):
            await self.dispatcher.storage.ping()
        before, after = await migrate.upgrade(self.config.database.url)
        if before != after:
            log.info("database upgraded from %s to %s", before or "empty", after)
        me = await self.bot.me()
        log.info("running as @%s (%s)", me.username, me.id)
        await self.publish_menus()
        await self.outbox.start()
        await self.leader.start()
        await self.finish_interrupted()

    def build_validators(self) -> None:
        """What every update needs from aiogram's types, built before the first is received:
        otherwise the first updates after a start wait while they are built (bot.lazy_schemas)."""
        build_now(Update, SendMessage, EditMessageText, AnswerCallbackQuery, BotCommandScopeChat)
        self.response_models.build(GetUpdates, SendMessage, EditMessageText, AnswerCallbackQuery,
                                   SetMyCommands)

    async def finish_interrupted(self) -> None:
        """Handle the updates a crash cut short: received (and so confirmed to Telegram, which
        will not send them again) but never claimed. Together, so votes still batch."""
        async with self.sessions() as session:
            payloads = await updates.unfinished(session, self.bot.id)
        if not payloads:
            return
        log.info("handling %d updates a stop interrupted", len(payloads))
        await asyncio.gather(*(
            self.dispatcher.feed_update(self.bot, Update.model_validate_json(
                payload, context={"bot": self.bot})) for payload in payloads))

    async def publish_menus(self) -> None:
        scopes = {
            "private": BotCommandScopeAllPrivateChats(),
            "group": BotCommandScopeAllGroupChats(),
            "group_admin": BotCommandScopeAllChatAdministrators(),
        }
        await self.bot.set_my_commands(menu("private"), scope=BotCommandScopeDefault())
        # setMyCommands takes a two-letter language code: one Chinese menu, in the configured
        # script; bot.runtime.menus gives other readers their own per chat.
        for language, locale in menus.menu_languages(self.config.defaults.locale).items():
            with use_locale(locale):
                for name, scope in scopes.items():
                    await self.bot.set_my_commands(menu(name), scope=scope, language_code=language)

    def is_idle(self) -> bool:
        return (self.activity.busy == 0 and self.outbox.is_idle() and self.scheduler.is_idle()
                and self.cards.is_idle() and self.ballot_box.is_idle() and not aftercommit.busy())

    def stop(self) -> None:
        self._stop.set()

    async def close(self) -> None:
        await self.ballot_box.drain()
        await self.leader.stop()
        await aftercommit.drain()
        await self.cards.close()
        await self.outbox.stop()
        await self.dispatcher.storage.close()
        await self.bot.session.close()
        await self.engine.dispose()

    # -- runners -----------------------------------------------------------------------------

    def allowed_updates(self) -> list[str]:
        return self.dispatcher.resolve_used_update_types()

    async def run_polling(self) -> None:
        """Until stop(): handle updates as they come; finish the ones under way on the way out."""
        await self.bot.delete_webhook(drop_pending_updates=False)
        polling = asyncio.create_task(self.dispatcher.start_polling(
            self.bot, handle_signals=False, close_bot_session=False,
            allowed_updates=self.allowed_updates()))
        stopper = asyncio.create_task(self._stop.wait())
        done, _ = await asyncio.wait({polling, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if stopper in done:
            with contextlib.suppress(RuntimeError):
                await self.dispatcher.stop_polling()
        else:
            stopper.cancel()
        await polling
        await self._finish_updates_under_way()

    async def _finish_updates_under_way(self) -> None:
        """aiogram stops polling without waiting for the updates it handed to tasks — and it has
        already confirmed them to Telegram, which will not send them again: wait for them."""
        try:
            async with asyncio.timeout(FINISH_UPDATES_WITHIN):
                await self.activity.wait_idle()
        except TimeoutError:
            log.warning("stopping with %s updates still under way", self.activity.busy)

    def webhook_app(self) -> web.Application:
        """aiohttp app: the update is handled before Telegram gets its 200, so none is lost."""
        app = web.Application()
        SimpleRequestHandler(dispatcher=self.dispatcher, bot=self.bot,
                             secret_token=self.config.webhook.secret_token,
                             handle_in_background=False).register(app, path=self.config.webhook.path)

        async def health(_request: web.Request) -> web.Response:
            return web.json_response({"ok": True})

        app.router.add_get("/healthz", health)
        return app

    async def run_webhook(self) -> None:
        webhook = self.config.webhook
        runner = web.AppRunner(self.webhook_app())
        await runner.setup()
        site = web.TCPSite(runner, webhook.listen_host, webhook.listen_port)
        await site.start()
        await self.bot.set_webhook(f"{webhook.base_url}{webhook.path}",
                                   secret_token=webhook.secret_token,
                                   allowed_updates=self.allowed_updates())
        log.info("webhook listening on %s:%s%s", webhook.listen_host, webhook.listen_port,
                 webhook.path)
        try:
            await self._stop.wait()
        finally:
            await runner.cleanup()


def freeze_startup_heap() -> None:
    """Move what start-up built (modules, models, mappers, pydantic schemas) out of the garbage
    collector's sight: it lives as long as the process, and scanning it again on every full
    collection cost a busy bot about a fifth of its time."""
    gc.collect()
    gc.freeze()


async def run(config: Config) -> None:
    """The production entry point: SIGINT/SIGTERM stop it gracefully."""
    app = AllianceApp(config)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, app.stop)
    try:
        await app.prepare()
        freeze_startup_heap()
        if config.telegram.mode == "webhook":
            await app.run_webhook()
        else:
            await app.run_polling()
    finally:
        await app.close()

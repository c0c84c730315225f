"""The real bot, polling the emulator, with a database of its own — restartable mid-test.

Everything between the simulated people and the database is the production code path:
aiogram's HTTP session, the dispatcher, middlewares, handlers, services, the outbox.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.config import Config, parse_config
from bot.emulator import (
    Call,
    CallbackAnswer,
    ChatMessage,
    Emulator,
    FloodLimits,
    SimChat,
    SimUser,
    World,
)
from bot.emulator.calls import spec_refusals
from bot.emulator.events import deliver
from bot.emulator.wire import message_json, user_json
from bot.runtime.app import AllianceApp
from bot.runtime.clock import FakeClock

BOT_USERNAME = "alliance_test_bot"
TOKEN = "7000001:TEST-alliance-bot-token"


def spec_violations(calls: list[Call]) -> list[Call]:
    """A request the Bot API does not allow is a bug in the bot, whatever it was for."""
    return spec_refusals(calls)


@dataclass
class Harness:
    emulator: Emulator
    world: World
    database_url: str
    clock: FakeClock
    locale: str = "en"
    timezone: str = "Asia/Taipei"
    outbox_poll: float = 0.05
    card_interval: float = 0.3
    app: AllianceApp | None = None
    _runner: asyncio.Task[None] | None = None
    apps_started: int = 0
    failures_seen: list[str] = field(default_factory=list)
    # What a test plugs into every app it starts, beside the features (see bot.features).
    installers: list[Callable[[AllianceApp], None]] = field(default_factory=list)
    fsm: dict[str, Any] = field(default_factory=dict)  # the [fsm] section, if not the default

    def config(self) -> Config:
        return parse_config({
            "telegram": {"token": TOKEN, "api_base": self.emulator.base_url},
            "database": {"url": self.database_url},
            "defaults": {"locale": self.locale, "timezone": self.timezone},
            "fsm": self.fsm,
        }, environ={})

    async def start_bot(self) -> AllianceApp:
        assert self.app is None, "already running"
        app = AllianceApp(self.config(), clock=self.clock, outbox_poll_interval=self.outbox_poll,
                          card_interval=self.card_interval)
        for install in self.installers:
            install(app)
        await app.prepare()
        self._runner = asyncio.create_task(app.run_polling(), name="bot-polling")
        self.app = app
        self.apps_started += 1
        await self.world.settle()
        return app

    async def stop_bot(self) -> None:
        """A graceful stop, like SIGTERM: updates under way and deliveries finish first."""
        app, runner = self.app, self._runner
        if app is None or runner is None:
            return
        app.stop()
        await runner
        self.failures_seen += list(app.activity.recent_failures)
        await app.close()
        self.app, self._runner = None, None

    async def restart(self) -> AllianceApp:
        await self.stop_bot()
        return await self.start_bot()

    async def advance(self, delta: timedelta) -> None:
        """Time passes: move the bot's clock and let the scheduler see it, as after a restart
        (everything due by the new time runs now, once), then wait for the bot to settle."""
        self.clock.advance(delta)
        if self.app is not None:
            await self.app.scheduler.refresh()
            self.app.outbox.wake()  # what waited for this time (quiet hours) goes now
        await self.world.settle()

    async def say(self, user: SimUser, chat: SimChat | SimUser, text: str, **how: Any) -> ChatMessage | None:
        """``user`` writes in ``chat`` (a user: their private chat); returns the bot's last
        message there once the bot has handled everything."""
        target = chat.private if isinstance(chat, SimUser) else chat
        await user.send(target, text, **how)
        await self.world.settle()
        messages = self.world.messages_in(chat)
        return messages[-1] if messages else None

    def idle(self) -> bool:
        return self.app is None or self.app.is_idle()

    @property
    def failures(self) -> list[str]:
        current = list(self.app.activity.recent_failures) if self.app else []
        return [*self.failures_seen, *current]


async def make_harness(database_url: str, *, flood: FloodLimits | None = None,
                       start: datetime | None = None) -> Harness:
    emulator = Emulator(token=TOKEN, bot_username=BOT_USERNAME,
                        flood=flood or FloodLimits.telegram(), check_results=True)
    await emulator.start()
    world = World(emulator)
    clock = FakeClock(start or datetime.now(UTC), ticking=True)
    harness = Harness(emulator=emulator, world=world, database_url=database_url, clock=clock)
    world.add_idle_probe(harness.idle)
    return harness


async def press_forged(harness: Harness, user: SimUser, message: ChatMessage, data: str) -> CallbackAnswer:
    """A client sending callback data of its own making, on a real bot message: never trusted."""
    emulator = harness.emulator
    record = message.record
    answer = CallbackAnswer(query_id=emulator.store.new_query_id(), user=user.user, message=record,
                            data=data, created=emulator.clock.monotonic())
    emulator.store.callbacks[answer.query_id] = answer
    deliver(emulator, "callback_query", {
        "id": answer.query_id, "from": user_json(user.user), "message": message_json(record),
        "chat_instance": record.chat.chat_instance, "data": data})
    await harness.world.settle()
    return answer

"""The emulator: an aiohttp server speaking the Bot API, and the state behind it.

Every request goes through one pipeline — token, method, body, spec validation, injected
fault, handler, record — so every call is checked and recorded the same way, whether it came
over HTTP or inside a webhook answer.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web

from . import api_bot, api_chats, api_links, api_messages, api_updates
from .body import read_request
from .calls import Call
from .clock import Clock
from .errors import NOT_FOUND, UNAUTHORIZED, ApiError, UnsupportedMethod
from .faults import Faults
from .flood import SENDING_METHODS, FloodControl, FloodLimits
from .journal import Journal
from .spec import load_spec
from .state import (
    CALLBACK_ANSWER_WINDOW,
    GROUP_ANONYMOUS_BOT_ID,
    JOIN_REQUEST_DM_WINDOW,
    Store,
    User,
)
from .updates import UpdateQueue
from .validation import check_result, validate_request
from .webhook import WebhookDelivery

log = logging.getLogger(__name__)

Handler = Callable[["Emulator", dict[str, Any]], Any]
IdleProbe = Callable[[], bool | Awaitable[bool]]

HANDLERS: dict[str, Handler] = {
    **api_updates.HANDLERS,
    **api_messages.HANDLERS,
    **api_chats.HANDLERS,
    **api_links.HANDLERS,
    **api_bot.HANDLERS,
}
_ASYNC = frozenset(name for name, fn in HANDLERS.items() if inspect.iscoroutinefunction(fn))


class SettleTimeout(AssertionError):
    """The bot did not become idle in time; the message says what was still going on."""


class EmulatorBug(AssertionError):
    """A handler of the emulator itself crashed; the bot is not to blame."""


class _DropConnection(Exception):
    pass


class Emulator:
    """A local Telegram for one bot token.

    ``Emulator(token=..., bot_username=..., flood=FloodLimits.telegram())``, then
    ``await emu.start()`` and point aiogram at ``TelegramAPIServer.from_base(emu.base_url)``.
    """

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        *,
        bot_username: str = "emulator_bot",
        bot_name: str = "Alliance Bot",
        flood: FloodLimits | None = None,
        privacy_mode: bool = True,
        check_results: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
        webhook_retry_delays: tuple[float, ...] = (0.05, 0.1, 0.2, 0.5, 1.0),
        webhook_targets: Sequence[str] = (),
    ) -> None:
        prefix = token.split(":", 1)[0]
        if not prefix.isdigit() or ":" not in token:
            raise ValueError("a bot token looks like '123456:SECRET'")
        self.token = token
        self.spec = load_spec()
        self.clock = Clock()
        self.store = Store()
        self.bot = User(id=int(prefix), first_name=bot_name, username=bot_username, is_bot=True)
        self.anonymous_admin = User(
            id=GROUP_ANONYMOUS_BOT_ID, first_name="Group", username="GroupAnonymousBot", is_bot=True
        )
        self.store.users[self.bot.id] = self.bot
        self.store.users[self.anonymous_admin.id] = self.anonymous_admin
        self.flood = FloodControl(flood or FloodLimits.telegram(), self.clock)
        self.faults = Faults()
        self.calls: list[Call] = []
        self.updates = UpdateQueue()
        self.webhook = WebhookDelivery(self, webhook_retry_delays, webhook_targets)
        self.journal = Journal(self.clock.time)
        self.privacy_mode = privacy_mode
        self.check_results = check_results
        self.join_request_window = JOIN_REQUEST_DM_WINDOW
        self.callback_answer_window = CALLBACK_ANSWER_WINDOW
        self.idle_probes: list[IdleProbe] = []
        self.internal_errors: list[BaseException] = []
        self.in_flight: Counter[str] = Counter()
        self.activity = 0
        self.host = host
        self.port = port
        self.base_url = ""
        self._runner: web.AppRunner | None = None

    # lifecycle ------------------------------------------------------------------------------

    async def start(self) -> str:
        """Bind (a free port by default) and serve; returns :attr:`base_url`."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://{self.host}:{self.port}"
        return self.base_url

    async def stop(self) -> None:
        await self.webhook.stop()
        self.updates.wake()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # reading --------------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    @property
    def unsupported(self) -> list[Call]:
        """Valid calls to methods the emulator lacks: an e2e fixture should assert none."""
        return [call for call in self.calls if call.unsupported]

    def touch(self) -> None:
        """Note that something happened (``settle`` waits for quiet)."""
        self.activity += 1

    # the pipeline ---------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["method"]
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(UNAUTHORIZED.code, UNAUTHORIZED.description)
            raw = await read_request(request)
        except ApiError as error:
            failed = Call(name, {}, self.clock.time())
            failed.error_code, failed.description = error.code, error.description
            self.calls.append(failed)
            return _json_response(error.code, error.to_json())
        try:
            status, body = await self.execute(name, raw)
        except _DropConnection:
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError() from None
        return _json_response(status, body)

    async def execute(
        self, name: str, raw: dict[str, Any], via: str = "http"
    ) -> tuple[int, dict[str, Any]]:
        """Run one Bot API call: validate, inject faults, handle, record."""
        call = Call(name, {}, self.clock.time(), via=via)
        self.calls.append(call)
        method = self.spec.methods_lower.get(name.lower())
        if method is None:
            call.error_code, call.description = NOT_FOUND.code, NOT_FOUND.description
            return NOT_FOUND.code, NOT_FOUND.to_json()
        name = call.method = method.name
        self.in_flight[name] += 1
        self.touch()
        try:
            params = validate_request(self.spec, method, raw)
            call.params = params
            fault = self.faults.take(name, params)
            if fault is not None:
                call.fault = str(fault.kind)
                if fault.kind == "slow":
                    await asyncio.sleep(fault.delay)
                elif fault.kind == "network":
                    call.error_code, call.description = 0, "connection dropped"
                    if via == "http":
                        raise _DropConnection()
                    return 0, {"ok": False, "error_code": 0, "description": "connection dropped"}
                else:
                    raise fault.error()
            handler = HANDLERS.get(name)
            if handler is None:
                call.unsupported = True
                log.warning("the bot called %s, which the emulator does not support", name)
                raise UnsupportedMethod(name)
            if name in _ASYNC:
                result = await handler(self, params)
            else:
                result = handler(self, params)
            if self.check_results:
                check_result(self.spec, method, result)
            call.result = result
            return 200, {"ok": True, "result": result}
        except ApiError as error:
            call.error_code, call.description = error.code, error.description
            if name in SENDING_METHODS or name.startswith("edit"):
                self._journal_failure(call, error)
            return error.code, error.to_json()
        except (_DropConnection, asyncio.CancelledError):
            raise
        except Exception as error:  # a bug in the emulator, not in the bot
            log.exception("emulator handler for %s crashed", name)
            self.internal_errors.append(error)
            failure = ApiError(500, f"Internal Server Error: emulator bug in {name}: {error!r}")
            call.error_code, call.description = failure.code, failure.description
            return failure.code, failure.to_json()
        finally:
            self.in_flight[name] -= 1
            self.touch()

    def _journal_failure(self, call: Call, error: ApiError) -> None:
        chat_id = call.params.get("chat_id")
        chat = self.store.chats.get(chat_id) if isinstance(chat_id, int) else None
        self.journal.add(chat, f"bot ✗ {call.method}: {error.description}")

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _json_response(401, UNAUTHORIZED.to_json())
        stored = self.store.files_by_path.get(request.match_info["path"])
        if stored is None:
            return _json_response(404, NOT_FOUND.to_json())
        return web.Response(body=stored.data, content_type="application/octet-stream")

    # waiting for the bot --------------------------------------------------------------------

    async def _busy(self) -> list[str]:
        reasons = []
        if self.updates.pending:
            reasons.append(f"{len(self.updates.pending)} update(s) not yet confirmed by the bot")
        in_flight = +self.in_flight
        if in_flight:
            reasons.append(f"requests in flight: {dict(in_flight)}")
        if self.webhook.delivering:
            reasons.append("a webhook delivery is in progress")
        for probe in self.idle_probes:
            idle = probe()
            if inspect.isawaitable(idle):
                idle = await idle
            if not idle:
                reasons.append(f"idle probe {getattr(probe, '__name__', probe)!s} reports busy")
        return reasons

    async def settle(
        self,
        timeout: float = 10.0,  # noqa: ASYNC109 - a deadline reported in the error, not a scope
        quiet: float = 0.05,
    ) -> None:
        """Wait until the bot has consumed every update and everything stayed quiet.

        Quiet means: no update pending, no request in flight (a waiting long poll does not
        count), every idle probe idle, and nothing happening for ``quiet`` seconds twice in a
        row — the bot may start a request a moment after it confirmed the last update.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        quiet_rounds = 0
        while quiet_rounds < 2:
            reasons = await self._busy()
            if not reasons:
                mark = self.activity
                await asyncio.sleep(quiet)
                reasons = await self._busy()
                quiet_rounds = quiet_rounds + 1 if not reasons and self.activity == mark else 0
            else:
                quiet_rounds = 0
                await asyncio.sleep(0.005)
            if quiet_rounds < 2 and loop.time() > deadline:
                tail = "\n".join(str(e) for e in self.journal.entries[-15:])
                raise SettleTimeout(
                    f"not settled after {timeout}s: {'; '.join(reasons) or 'still active'}\n"
                    f"last transcript lines:\n{tail}"
                )
        if self.internal_errors:
            raise EmulatorBug(f"emulator handler crashed: {self.internal_errors[0]!r}")


def _json_response(status: int, body: dict[str, Any]) -> web.Response:
    return web.Response(
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
        status=status,
        content_type="application/json",
    )

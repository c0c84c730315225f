"""Webhook mode: POST each update to the bot, in order, until it answers 2xx.

Like Telegram, a failed delivery is retried (here with a short backoff so tests stay fast) and
the reason is kept for ``getWebhookInfo``. A method returned in the webhook answer (aiogram
does this when a handler returns a method) is executed like a request.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp

from .body import read_multipart, read_urlencoded

if TYPE_CHECKING:
    from .server import Emulator

log = logging.getLogger(__name__)


@dataclass(slots=True)
class WebhookInfo:
    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    has_custom_certificate: bool = False
    last_error_date: int | None = None
    last_error_message: str | None = None
    last_synchronization_error_date: int | None = None
    delivered: int = 0
    attempts: list[tuple[int, int | str]] = field(default_factory=list)  # (update_id, outcome)


class WebhookDelivery:
    def __init__(self, emu: Emulator, retry_delays: tuple[float, ...]) -> None:
        self.emu = emu
        self.info = WebhookInfo()
        self.retry_delays = retry_delays
        self.delivering = False
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def active(self) -> bool:
        return bool(self.info.url)

    async def set(
        self,
        url: str,
        secret_token: str | None,
        max_connections: int | None,
        ip_address: str | None,
        certificate: bool,
    ) -> None:
        await self.stop()
        self.info = WebhookInfo(
            url=url,
            secret_token=secret_token,
            max_connections=max_connections or 40,
            ip_address=ip_address,
            has_custom_certificate=certificate,
        )
        self.emu.updates.wake()  # a waiting long poll ends now, as on Telegram
        self._task = asyncio.get_running_loop().create_task(self._run(), name="emulator-webhook")

    async def delete(self) -> None:
        await self.stop()
        self.info = WebhookInfo()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        if self._session is not None:
            await self._session.close()
            self._session = None
        self.delivering = False

    async def _run(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        failures = 0
        queue = self.emu.updates
        while True:
            await queue.wait_pending()
            update = queue.pending[0]
            self.delivering = True
            self.emu.touch()
            try:
                error = await self._post(update)
            finally:
                self.delivering = False
                self.emu.touch()
            if error is None:
                failures = 0
                continue
            self.info.last_error_date = self.emu.clock.now()
            self.info.last_error_message = error
            delay = self.retry_delays[min(failures, len(self.retry_delays) - 1)]
            failures += 1
            await asyncio.sleep(delay)

    async def _post(self, update: dict[str, Any]) -> str | None:
        """Deliver one update; the error message for ``getWebhookInfo``, or None on success."""
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        if self.info.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.info.secret_token
        update_id = update["update_id"]
        try:
            async with self._session.post(
                self.info.url, data=json.dumps(update, ensure_ascii=False), headers=headers
            ) as response:
                self.info.attempts.append((update_id, response.status))
                if not 200 <= response.status < 300:
                    return f"Wrong response from the webhook: {response.status} {response.reason}"
                reply = await _reply_params(response)
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            self.info.attempts.append((update_id, type(error).__name__))
            return _connection_error(error)
        queue = self.emu.updates
        if queue.pending and queue.pending[0]["update_id"] == update_id:
            queue.pending.popleft()
        self.info.delivered += 1
        method = reply.pop("method", None)
        if isinstance(method, str) and method:
            await self.emu.execute(method, reply, via="webhook-reply")
        return None


async def _reply_params(response: aiohttp.ClientResponse) -> dict[str, Any]:
    """Parameters of a method returned in the webhook answer, if any."""
    content_type = response.content_type
    if content_type == "multipart/form-data":
        return await read_multipart(aiohttp.MultipartReader(response.headers, response.content))
    body = await response.read()
    if content_type == "application/x-www-form-urlencoded":
        return read_urlencoded(body)
    if content_type == "application/json" and body.strip():
        try:
            decoded = json.loads(body)
        except ValueError:
            return {}
        return decoded if isinstance(decoded, dict) else {}
    return {}


def _connection_error(error: BaseException) -> str:
    if isinstance(error, aiohttp.ClientConnectorError):
        return "Connection refused"
    if isinstance(error, asyncio.TimeoutError):
        return "Read timeout expired"
    return f"Connection error: {type(error).__name__}"

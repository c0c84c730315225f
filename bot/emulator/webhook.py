"""Webhook mode: POST each update to the bot until it answers 2xx, side by side as Telegram does.

Telegram keeps up to ``max_connections`` deliveries under way at once, but never two of the same
queue: the updates of one chat (messages, reactions, the bot's own membership) go one after
another, and so do one user's callback and inline queries, whatever chat they come from
(telegram-bot-api's ``webhook_queue_id``). Like Telegram, it looks ahead only ``2 ×
max_connections`` updates past the oldest pending one. A failed delivery is retried (here with a
short backoff so tests stay fast), holding back the rest of its queue, and the reason is kept for
``getWebhookInfo``. A method returned in the webhook answer (aiogram does this when a handler
returns a method) is executed like a request.

``targets`` stands in for a load balancer in front of several replicas of the bot: when set,
each POST goes to the next of these URLs in turn (a retry to the one after), while the URL the
bot registered with ``setWebhook`` stays what ``getWebhookInfo`` reports. It is the emulator's
own setting (``Emulator(webhook_targets=...)``), not a Bot API field. So is ``lose_answers``: a
fault that drops the bot's answers on the way back, as a timeout would, and so makes Telegram
deliver those updates a second time — to another replica, when there are several.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp

from .body import read_multipart, read_urlencoded

if TYPE_CHECKING:
    from .server import Emulator

log = logging.getLogger(__name__)

# Update kinds delivered in order per chat, and those delivered in order per user (the queue
# keys of telegram-bot-api's Client.cpp); any other kind is a queue of its own.
_PER_CHAT = frozenset({
    "message", "edited_message", "channel_post", "edited_channel_post", "business_message",
    "edited_business_message", "deleted_business_messages", "message_reaction",
    "message_reaction_count", "chat_boost", "removed_chat_boost", "my_chat_member",
})
_PER_USER = frozenset({
    "callback_query", "inline_query", "chosen_inline_result", "shipping_query",
    "pre_checkout_query", "chat_member", "chat_join_request",
})


def queue_of(update: dict[str, Any]) -> tuple[str, int]:
    """The delivery queue an update waits in: one at a time per queue, in order."""
    kind, payload = next((k, v) for k, v in update.items() if k != "update_id")
    if kind in _PER_CHAT:
        chat = payload.get("chat") or {}
        if "id" in chat:
            return ("chat", chat["id"])
    if kind in _PER_USER:
        user = payload.get("from") or (payload.get("new_chat_member") or {}).get("user") or {}
        if "id" in user:
            return ("user", user["id"])
    if kind in ("poll", "poll_answer"):
        return ("poll", hash(payload.get("id") or payload.get("poll_id")))
    return ("update", update["update_id"])


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
    def __init__(self, emu: Emulator, retry_delays: tuple[float, ...],
                 targets: Sequence[str] = ()) -> None:
        self.emu = emu
        self.info = WebhookInfo()
        self.retry_delays = retry_delays
        self.targets = list(targets)  # the replicas behind the "load balancer", if any
        self.handled_by: dict[int, str] = {}  # update_id -> the URL that answered it 2xx
        self.delivered_to: Counter[str] = Counter()
        self.most_at_once = 0  # the most deliveries ever under way together
        # A fault: the next ``lose_answers`` 2xx answers never reach "Telegram" (a timeout on
        # the way back), so it delivers those updates again, to the next target in turn.
        self.lose_answers = 0
        self.lost: list[tuple[int, str]] = []  # (update_id, the URL whose answer was lost)
        self._turn = 0
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._posting: dict[int, asyncio.Task[None]] = {}  # update_id -> its delivery
        self._busy_queues: set[tuple[str, int]] = set()
        self._wake = asyncio.Event()

    @property
    def active(self) -> bool:
        return bool(self.info.url)

    @property
    def delivering(self) -> bool:
        return bool(self._posting)

    async def set(
        self,
        url: str,
        secret_token: str | None,
        max_connections: int | None,
        ip_address: str | None,
        certificate: bool,
    ) -> None:
        """A new setting applies to the next deliveries; those under way finish (another
        replica calling ``setWebhook`` as it starts does not cut the others' requests)."""
        self.info = WebhookInfo(
            url=url,
            secret_token=secret_token,
            max_connections=max_connections or 40,
            ip_address=ip_address,
            has_custom_certificate=certificate,
        )
        self.emu.updates.wake()  # a waiting long poll ends now, as on Telegram
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="emulator-webhook")
        self._wake.set()

    async def delete(self) -> None:
        await self.stop()
        self.info = WebhookInfo()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60),
                                              connector=aiohttp.TCPConnector(limit=0))
        queue = self.emu.updates
        queue.watchers.append(self._wake)
        try:
            while True:
                self._wake.clear()
                self._start_deliveries()
                await self._wake.wait()
        finally:
            queue.watchers.remove(self._wake)
            posting = list(self._posting.values())
            for task in posting:
                task.cancel()
            await asyncio.gather(*posting, return_exceptions=True)

    def _start_deliveries(self) -> None:
        """Start the oldest update of each idle queue, up to ``max_connections`` under way."""
        limit = self.info.max_connections
        for index, update in enumerate(self.emu.updates.pending):
            if len(self._posting) >= limit or index >= 2 * limit:
                break
            update_id = update["update_id"]
            if update_id in self._posting:
                continue
            key = queue_of(update)
            if key in self._busy_queues:
                continue
            self._busy_queues.add(key)
            self._posting[update_id] = asyncio.get_running_loop().create_task(
                self._deliver(update, key), name=f"emulator-webhook-{update_id}")
        self.most_at_once = max(self.most_at_once, len(self._posting))

    async def _deliver(self, update: dict[str, Any], key: tuple[str, int]) -> None:
        """Until a 2xx, or until the update is no longer pending (dropped meanwhile)."""
        update_id = update["update_id"]
        self.emu.touch()
        try:
            failures = 0
            while True:
                error = await self._post(update)
                if error is None:
                    return
                self.info.last_error_date = self.emu.clock.now()
                self.info.last_error_message = error
                delay = self.retry_delays[min(failures, len(self.retry_delays) - 1)]
                failures += 1
                await asyncio.sleep(delay)
                if not any(u["update_id"] == update_id for u in self.emu.updates.pending):
                    return
        finally:
            del self._posting[update_id]
            self._busy_queues.discard(key)
            self._wake.set()
            self.emu.touch()

    def _target(self) -> str:
        if not self.targets:
            return self.info.url
        url = self.targets[self._turn % len(self.targets)]
        self._turn += 1
        return url

    async def _post(self, update: dict[str, Any]) -> str | None:
        """Deliver one update; the error message for ``getWebhookInfo``, or None on success."""
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        if self.info.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.info.secret_token
        update_id = update["update_id"]
        target = self._target()
        try:
            async with self._session.post(
                target, data=json.dumps(update, ensure_ascii=False), headers=headers
            ) as response:
                if not 200 <= response.status < 300:
                    self.info.attempts.append((update_id, response.status))
                    return f"Wrong response from the webhook: {response.status} {response.reason}"
                reply = await _reply_params(response)
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            self.info.attempts.append((update_id, type(error).__name__))
            return _connection_error(error)
        if self.lose_answers > 0:
            self.lose_answers -= 1
            self.info.attempts.append((update_id, "answer lost"))
            self.lost.append((update_id, target))
            return "Read timeout expired"
        self.info.attempts.append((update_id, response.status))
        self.emu.updates.confirm(update_id)
        self.info.delivered += 1
        self.handled_by[update_id] = target
        self.delivered_to[target] += 1
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

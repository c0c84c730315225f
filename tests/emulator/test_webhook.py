"""Webhook mode: ordered delivery with the secret header, retries, and replies in the answer."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import SendMessage
from aiogram.types import Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.emulator import Emulator, World

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@asynccontextmanager
async def serve(app: web.Application, port: int = 0) -> AsyncIterator[str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{bound}/hook"
    finally:
        await runner.cleanup()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


async def test_updates_are_posted_in_order_with_the_secret_and_retried(
    bot: Bot, emu: Emulator, world: World
) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    failures = {"left": 2}

    async def hook(request: web.Request) -> web.Response:
        body = await request.json()
        if failures["left"]:
            failures["left"] -= 1
            return web.Response(status=500)
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), body))
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/hook", hook)
    alice = world.user("Alice")
    async with serve(app) as url:
        await bot.set_webhook(url, secret_token="s3cr3t", allowed_updates=["message"])
        for text in ("first", "second", "third"):
            await alice.dm(text)
        await world.settle()
        info = await bot.get_webhook_info()
    assert [body["message"]["text"] for _, body in received] == ["first", "second", "third"]
    assert {secret for secret, _ in received} == {"s3cr3t"}
    assert info.url == url and info.pending_update_count == 0
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    assert info.allowed_updates == ["message"]
    assert [outcome for _, outcome in emu.webhook.info.attempts] == [500, 500, 200, 200, 200]


async def test_connection_errors_are_retried_until_the_bot_is_up(
    bot: Bot, emu: Emulator, world: World
) -> None:
    received: list[str] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((await request.json())["message"]["text"])
        return web.json_response({})

    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    await bot.set_webhook(url)
    alice = world.user("Alice")
    await alice.dm("are you there?")
    await wait_for(lambda: emu.webhook.info.last_error_message is not None)
    info = await bot.get_webhook_info()
    assert info.last_error_message == "Connection refused" and info.pending_update_count == 1
    app = web.Application()
    app.router.add_post("/hook", hook)
    async with serve(app, port):
        await world.settle()
    assert received == ["are you there?"]


async def test_delete_webhook_can_drop_pending_updates(
    bot: Bot, emu: Emulator, world: World
) -> None:
    await bot.set_webhook(f"http://127.0.0.1:{free_port()}/hook")
    alice = world.user("Alice")
    await alice.dm("lost")
    await bot.delete_webhook(drop_pending_updates=True)
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.get_updates() == []


async def test_a_method_in_the_webhook_answer_is_executed(
    bot: Bot, emu: Emulator, world: World
) -> None:
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> SendMessage:
        return message.answer(f"echo: {message.text}")

    app = web.Application()
    SimpleRequestHandler(dp, bot, secret_token="tok", handle_in_background=False).register(
        app, path="/hook"
    )
    alice = world.user("Alice")
    async with serve(app) as url:
        await bot.set_webhook(url, secret_token="tok")
        await alice.dm("hello")
        await world.settle()
    assert world.last(alice).text == "echo: hello"
    assert emu.calls_to("sendMessage")[0].via == "webhook-reply"

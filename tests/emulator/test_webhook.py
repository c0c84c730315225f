"""Webhook mode: ordered delivery with the secret header, retries, and replies in the answer."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import SendMessage
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
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


def recording_app(
    seen: list[tuple[str, dict[str, Any]]], name: str, *, gate: asyncio.Event | None = None,
    under_way: dict[str, int] | None = None,
) -> web.Application:
    """A replica: notes each update it gets (under its ``name``), holding it until ``gate``."""

    async def hook(request: web.Request) -> web.Response:
        body = await request.json()
        seen.append((name, body))
        if under_way is not None:
            under_way["now"] += 1
            under_way["most"] = max(under_way["most"], under_way["now"])
        try:
            if gate is not None:
                await gate.wait()
            else:
                await asyncio.sleep(0.02)
        finally:
            if under_way is not None:
                under_way["now"] -= 1
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/hook", hook)
    return app


async def test_replicas_behind_the_load_balancer_take_turns(
    bot: Bot, emu: Emulator, world: World
) -> None:
    seen: list[tuple[str, dict[str, Any]]] = []
    people = [world.user(f"P{index}") for index in range(6)]
    async with serve(recording_app(seen, "a")) as url_a, serve(recording_app(seen, "b")) as url_b:
        emu.webhook.targets = [url_a, url_b]
        public = "https://bot.example.org/telegram/webhook"  # what Telegram would call
        await bot.set_webhook(public, secret_token="s3cr3t")
        for person in people:
            await person.dm("hi")
        await world.settle()
        info = await bot.get_webhook_info()
    assert info.url == public and info.pending_update_count == 0
    assert sorted(name for name, _ in seen) == ["a"] * 3 + ["b"] * 3
    assert emu.webhook.delivered_to == {url_a: 3, url_b: 3}
    assert set(emu.webhook.handled_by.values()) == {url_a, url_b}


async def test_a_dead_replica_is_passed_over_on_retry(
    bot: Bot, emu: Emulator, world: World
) -> None:
    seen: list[tuple[str, dict[str, Any]]] = []
    dead = f"http://127.0.0.1:{free_port()}/hook"
    people = [world.user(f"P{index}") for index in range(4)]
    async with serve(recording_app(seen, "alive")) as alive:
        emu.webhook.targets = [dead, alive]
        await bot.set_webhook("https://bot.example.org/hook")
        for person in people:
            await person.dm("hi")
        await world.settle()
    assert len(seen) == 4 and {name for name, _ in seen} == {"alive"}
    assert set(emu.webhook.handled_by.values()) == {alive}
    assert "ClientConnectorError" in {outcome for _, outcome in emu.webhook.info.attempts}


async def test_chats_are_delivered_side_by_side_up_to_max_connections(
    bot: Bot, emu: Emulator, world: World
) -> None:
    seen: list[tuple[str, dict[str, Any]]] = []
    gate, under_way = asyncio.Event(), {"now": 0, "most": 0}
    people = [world.user(f"P{index}") for index in range(5)]
    async with serve(recording_app(seen, "a", gate=gate, under_way=under_way)) as url:
        await bot.set_webhook(url, max_connections=3)
        for person in people:
            await person.dm("one")
        await wait_for(lambda: len(seen) == 3)
        await asyncio.sleep(0.1)  # no fourth comes while three are under way
        assert under_way["most"] == 3 and len(seen) == 3
        gate.set()
        await world.settle()
    assert len(seen) == 5 and emu.webhook.most_at_once == 3


async def test_one_chat_and_one_users_presses_go_one_at_a_time_in_order(
    bot: Bot, emu: Emulator, world: World
) -> None:
    """As on Telegram: a chat's messages in order, a user's button presses in order (whatever
    chat they come from), while other chats and users go meanwhile."""
    seen: list[tuple[str, dict[str, Any]]] = []
    gate, under_way = asyncio.Event(), {"now": 0, "most": 0}
    alice, bob = world.user("Alice"), world.user("Bob")
    first = world.group("First", members=[alice, bob], bot=True)
    second = world.group("Second", members=[alice, bob], bot=True)
    keyboard = InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text="Yes", callback_data="yes")]])
    cards = []
    for group in (first, second):
        await bot.send_message(group.id, "Vote", reply_markup=keyboard)
        cards.append(world.messages_in(group)[-1])
    async with serve(recording_app(seen, "a", gate=gate, under_way=under_way)) as url:
        await bot.set_webhook(url)
        for text in ("1", "2", "3"):
            await alice.dm(text)
        await alice.press(cards[0], "Yes", wait=False)
        await alice.press(cards[1], "Yes", wait=False)
        await bob.press(cards[1], "Yes", wait=False)
        await bob.dm("bob")
        await wait_for(lambda: len(seen) == 4)
        # The rest wait for these four: the first of Alice's DMs, her first press, Bob's press
        # and Bob's DM (his chat is not his presses' queue).
        await asyncio.sleep(0.1)
        first_four = [body for _, body in seen]
        gate.set()
        await world.settle()
    assert sorted(body["message"]["text"] for body in first_four if "message" in body) == [
        "1", "bob"]
    assert sorted(body["callback_query"]["from"]["id"] for body in first_four
                  if "callback_query" in body) == sorted([alice.id, bob.id])
    assert [body["message"]["text"] for _, body in seen
            if "message" in body and body["message"]["chat"]["id"] == alice.id] == ["1", "2", "3"]
    alice_presses = [body["callback_query"]["message"]["chat"]["id"] for _, body in seen
                     if "callback_query" in body and body["callback_query"]["from"]["id"] == alice.id]
    assert alice_presses == [first.id, second.id]
    assert len(seen) == 7


async def test_a_lost_answer_brings_the_update_again_to_the_next_replica(
    bot: Bot, emu: Emulator, world: World
) -> None:
    seen: list[tuple[str, dict[str, Any]]] = []
    alice = world.user("Alice")
    async with serve(recording_app(seen, "a")) as url_a, serve(recording_app(seen, "b")) as url_b:
        emu.webhook.targets = [url_a, url_b]
        emu.webhook.lose_answers = 1
        await bot.set_webhook("https://bot.example.org/hook")
        await alice.dm("twice")
        await alice.dm("once")
        await world.settle()
    assert [(name, body["message"]["text"]) for name, body in seen] == [
        ("a", "twice"), ("b", "twice"), ("a", "once")]
    first_id = seen[0][1]["update_id"]
    assert emu.webhook.lost == [(first_id, url_a)] and emu.webhook.handled_by[first_id] == url_b
    assert [outcome for _, outcome in emu.webhook.info.attempts] == ["answer lost", 200, 200]

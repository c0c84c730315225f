"""The runtime under trouble: Telegram errors, failing handlers, duplicates, migrations, restarts."""

from __future__ import annotations

import logging
import socket

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.config import parse_config
from bot.emulator import BotRights
from bot.runtime.app import AllianceApp
from storage.models import Chat, ProcessedUpdate
from tests.e2e.harness import TOKEN, Harness, spec_violations
from tests.e2e.stories import bot_added

FULL = BotRights(can_invite_users=True, can_pin_messages=True)


async def test_a_429_on_a_reply_is_retried_after_retry_after_and_delivered_once(
        harness: Harness) -> None:
    world = harness.world
    mei = world.user("Mei", lang="en")
    harness.emulator.faults.add("sendMessage", 429, retry_after=1, times=1)
    await harness.say(mei, mei, "/help")
    sends = harness.emulator.calls_to("sendMessage")
    assert [call.error_code for call in sends] == [429, None]
    assert sends[1].time - sends[0].time >= 1.0, "retried before retry_after"
    assert len(world.messages_to(mei)) == 1


@pytest.mark.allow_handler_failures
async def test_a_failing_handler_apologizes_and_the_bot_keeps_serving(
        harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    world = harness.world
    lin = world.user("Lin", lang="zh-hant")
    group = world.group("Alliance", admins=[lin])
    await bot_added(harness, group, by=lin)
    # Telegram keeps failing on the check of the sender's rights: the handler cannot go on.
    harness.emulator.faults.add("getChatMember", 500, times=10)
    with caplog.at_level(logging.INFO):
        await lin.send(group, "/setup secret-looking-argument")
        await world.settle(timeout=20)
    assert world.last(group).text == "抱歉，我這邊出了點問題，請稍後再試。"
    assert harness.failures == ["message: TelegramServerError"]
    assert "secret-looking-argument" not in caplog.text
    assert TOKEN not in caplog.text and TOKEN.split(":")[1] not in caplog.text
    harness.emulator.faults.clear()
    await harness.say(lin, group, "/setup")
    assert "聯盟「Alliance」已建立" in world.last(group).text


async def test_group_becoming_a_supergroup_keeps_its_alliance(harness: Harness) -> None:
    world = harness.world
    lin = world.user("Lin", lang="en")
    group = world.group("Small Alliance", admins=[lin], supergroup=False)
    await bot_added(harness, group, by=lin)
    await harness.say(lin, group, "/setup")
    old_id = group.id
    await world.migrate_to_supergroup(group, by=lin)
    await world.settle()
    assert group.id != old_id
    await harness.say(lin, group, "/charter Refer fairly.")
    assert "The charter of “Small Alliance” is saved." in world.last(group).text
    assert harness.app is not None
    async with harness.app.sessions() as session:
        chats = list(await session.scalars(select(Chat)))
    assert [(chat.tg_chat_id, chat.kind, chat.role) for chat in chats] == [
        (group.id, "supergroup", "home")]


async def test_removing_the_bot_marks_the_chat_inactive(harness: Harness) -> None:
    world = harness.world
    lin = world.user("Lin", lang="en")
    group = world.group("Alliance", admins=[lin])
    await bot_added(harness, group, by=lin)
    await harness.say(lin, group, "/setup")
    await world.remove_bot(group, by=lin)
    await world.settle()
    assert harness.app is not None
    async with harness.app.sessions() as session:
        chat = await session.scalar(select(Chat).where(Chat.tg_chat_id == group.id))
    assert chat is not None and chat.active is False and chat.alliance_id is not None


async def test_the_harness_catches_requests_the_spec_does_not_allow(harness: Harness) -> None:
    """What every e2e test relies on: a request outside the Bot API is noticed and named."""
    url = f"{harness.emulator.base_url}/bot{TOKEN}/sendMessage"
    async with aiohttp.ClientSession() as http, http.post(
            url, data={"chat_id": "1", "text": "hi", "colour": "red"}) as response:
        body = await response.json()
    assert response.status == 400 and "colour" in body["description"]
    caught = spec_violations(harness.emulator.calls)
    assert [call.method for call in caught] == ["sendMessage"]
    harness.emulator.calls.remove(caught[0])  # so this test's own teardown passes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.no_autostart
async def test_webhook_mode_secret_and_duplicates(harness: Harness) -> None:
    port = free_port()
    config = parse_config({
        "telegram": {"token": TOKEN, "api_base": harness.emulator.base_url, "mode": "webhook"},
        "webhook": {"base_url": f"http://127.0.0.1:{port}", "path": "/hook", "listen_host": "127.0.0.1",
                    "listen_port": port, "secret_token": "s3cret-token"},
        "database": {"url": harness.database_url},
    }, environ={})
    app = AllianceApp(config, clock=harness.clock, outbox_poll_interval=0.05)
    await app.prepare()
    harness.app = app  # the harness' idle probe and teardown now watch this app
    import asyncio

    runner = asyncio.create_task(app.run_webhook())
    try:
        world = harness.world
        for _ in range(100):
            if harness.emulator.calls_to("setWebhook"):
                break
            await asyncio.sleep(0.02)
        mei = world.user("Mei", lang="zh-hans")
        await harness.say(mei, mei, "/help")
        assert world.last(mei).text.startswith("我能帮你做的事")
        assert harness.emulator.calls_to("setWebhook")[0].params["secret_token"] == "s3cret-token"

        update = {"update_id": 900001, "message": {
            "message_id": 77, "date": 1_800_000_000, "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            "chat": {"id": mei.id, "type": "private", "first_name": "Mei"},
            "from": {"id": mei.id, "is_bot": False, "first_name": "Mei", "language_code": "zh-hans"}}}
        hook = f"http://127.0.0.1:{port}/hook"
        before = len(world.messages_to(mei))
        async with aiohttp.ClientSession() as http:
            for secret in (None, "wrong"):
                headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
                async with http.post(hook, json=update, headers=headers) as response:
                    assert response.status == 401
            await world.settle()
            assert len(world.messages_to(mei)) == before, "an unauthenticated update was processed"
            for _ in range(2):  # Telegram re-sends when it thinks the first did not arrive
                async with http.post(hook, json=update,
                                     headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}) as r:
                    assert r.status == 200
            await world.settle()
        assert len(world.messages_to(mei)) == before + 1, "the duplicate was handled twice"
        assert app.activity.duplicates == 1
        async with app.sessions() as session:
            claimed = await session.scalar(select(func.count()).select_from(ProcessedUpdate)
                                           .where(ProcessedUpdate.update_id == 900001))
        assert claimed == 1
    finally:
        app.stop()
        await runner
        await app.close()
        harness.app = None

"""Command menus in each reader's language (issue 15): Telegram's "zh" menu is one script for
every Chinese client, so Taiwanese readers, people who chose another language with /lang, and
alliance groups get menus of their own per chat, through the outbox, once."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.runtime.menus import menu_languages
from bot.services import outgoing
from bot.services.outgoing import Outgoing
from storage.db import create_engine, session_factory
from storage.models import OutboxItem
from tests.e2e.harness import Harness
from tests.e2e.stories import setup_group
from tests.e2e.test_outbox_delivery import wait_until_delivered


async def _menus_queued(harness: Harness) -> int:
    engine = create_engine(harness.database_url)
    try:
        async with session_factory(engine)() as session:
            return await session.scalar(select(func.count()).select_from(OutboxItem)
                                        .where(OutboxItem.kind == "menu")) or 0
    finally:
        await engine.dispose()


async def test_a_taiwanese_reader_gets_a_traditional_menu_and_a_choice_of_language_is_kept(
    harness: Harness,
) -> None:
    world = harness.world
    mei = world.user("Mei", lang="zh-hant")
    chen = world.user("Chen", lang="zh-hans")
    assert dict(world.command_menu(mei))["lang"] == "选择语言"  # Telegram's shared "zh" menu
    await harness.say(mei, mei, "/start")
    await harness.say(chen, chen, "/start")
    assert dict(world.command_menu(mei))["lang"] == "選擇語言"
    assert dict(world.command_menu(chen))["lang"] == "选择语言"
    queued = await _menus_queued(harness)
    assert queued == 1  # Chen's client menu was already right: nothing sent for him
    await harness.say(mei, mei, "/help")
    await harness.restart()
    await harness.say(mei, mei, "/help")
    assert await _menus_queued(harness) == queued  # once, not per update nor per start
    await harness.say(mei, mei, "/lang")
    await mei.press(world.last(mei), "English")
    await world.settle()
    assert dict(world.command_menu(mei))["lang"] == "Choose your language"
    assert await _menus_queued(harness) == queued + 1


async def test_an_alliance_group_menu_follows_the_alliance_language(harness: Harness) -> None:
    lin, chen, group = await setup_group(harness, "zh-hant", language_button="繁體中文")
    world = harness.world
    tom = world.user("Tom", lang="en")
    await world.add_member(group, tom, by=lin)
    await harness.say(chen, group, "/help")
    assert dict(world.command_menu(tom, group))["lang"] == "選擇語言"
    assert dict(world.command_menu(chen, group))["lang"] == "選擇語言"
    admin_menu = dict(world.command_menu(lin, group))
    assert "settings" in admin_menu and "設定" in admin_menu["settings"]


async def test_the_shared_chinese_menu_follows_the_configured_default() -> None:
    assert menu_languages("zh_Hant")["zh"] == "zh_Hant"
    assert menu_languages("zh-hant")["zh"] == "zh_Hant"
    assert menu_languages("en")["zh"] == "zh_Hans"
    assert menu_languages("zh_Hans") == {None: "en", "zh": "zh_Hans"}


async def test_a_burst_of_menus_does_not_hold_back_a_message_queued_after_it(
    harness: Harness,
) -> None:
    """Issue 16: menus are no messages. Fifty of them (more than the outbox has slots), one
    refused with a 429, go at their own pace and a few at a time; the announcement queued after
    them is neither paced nor kept out of a slot behind them."""
    world = harness.world
    readers = [world.user(f"Reader {n}", lang="zh-hant") for n in range(50)]
    tom = world.user("Tom", lang="en")
    emulator = harness.emulator
    emulator.faults.add("setMyCommands", 429, retry_after=1)
    traditional = [{"command": "lang", "description": "選擇語言"}]
    already = len(emulator.calls)  # the language menus set at start
    assert harness.app is not None
    async with harness.app.sessions() as session:
        now = harness.clock.now()
        for reader in readers:
            await outgoing.enqueue_menu(session, reader.id, "chat", traditional, now=now)
        await outgoing.enqueue(session, Outgoing(chat_id=tom.id, text="Meeting at nine"), now=now)
        await session.commit()
    harness.app.outbox.wake()
    await wait_until_delivered(harness, 51)

    calls = [c for c in emulator.calls[already:] if c.method in ("setMyCommands", "sendMessage")]
    message = next(i for i, c in enumerate(calls) if c.method == "sendMessage")
    menus_before = [c for c in calls[:message] if c.method == "setMyCommands"]
    assert len(menus_before) < 8, "the message waited behind the menus"
    assert [m.text for m in world.messages_to(tom)] == ["Meeting at nine"]
    refused = [c for c in calls if c.error_code == 429]
    assert len(refused) == 1 and refused[0].method == "setMyCommands"
    for reader in readers:
        assert dict(world.command_menu(reader))["lang"] == "選擇語言"

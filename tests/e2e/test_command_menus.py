"""Command menus in each reader's language (issue 15): Telegram's "zh" menu is one script for
every Chinese client, so Taiwanese readers, people who chose another language with /lang, and
alliance groups get menus of their own per chat, through the outbox, once."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.runtime.menus import menu_languages
from storage.db import create_engine, session_factory
from storage.models import OutboxItem
from tests.e2e.harness import Harness
from tests.e2e.stories import setup_group


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

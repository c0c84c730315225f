"""PRODUCT.md §1 through the emulator: /setup, rights, /link, /charter, /here, /lang, /help."""

from __future__ import annotations

import pytest

from bot.emulator import BotRights
from tests.e2e.harness import Harness
from tests.e2e.stories import bot_added, setup_group


async def test_setup_in_english_with_all_rights(harness: Harness) -> None:
    _lin, _chen, group = await setup_group(harness)
    texts = [m.text for m in harness.world.messages_in(group)]
    assert "A group admin can send /setup" in texts[0]  # the hello when added
    done = harness.world.last(group)
    assert done.edited
    assert "“Taipei Auto <Repair> Alliance” is ready. Language: English. Time zone: Asia/Taipei." in done.text
    assert "I have the rights I need here." in done.text
    assert "&lt;Repair&gt;" in done.html  # the group's title is user text: escaped


async def test_setup_in_traditional_chinese_reports_missing_rights(harness: Harness) -> None:
    _lin, _chen, group = await setup_group(harness, "zh-hant", rights=None,
                                         language_button="繁體中文", zone_button="台北時間")
    done = harness.world.last(group)
    assert "「Taipei Auto <Repair> Alliance」已準備就緒。語言：繁體中文；時區：台北時間。" in done.text
    assert "我在本群組缺少以下權限" in done.text
    assert "透過連結邀請使用者" in done.text and "釘選訊息" in done.text
    assert "請把我設為群組管理員" in done.text


async def test_missing_pin_right_only(harness: Harness) -> None:
    _lin, _chen, group = await setup_group(harness, rights=BotRights(can_invite_users=True))
    done = harness.world.last(group).text
    assert "Pin messages: without it" in done
    assert "Invite users via link" not in done
    assert "Give me these rights in the group's administrator settings" in done


async def test_non_admin_cannot_setup_and_nothing_is_created(harness: Harness) -> None:
    world = harness.world
    lin = world.user("Lin", lang="en")
    chen = world.user("Chen", lang="zh-hant")
    group = world.group("Alliance", admins=[lin], members=[chen])
    await bot_added(harness, group, by=lin)
    await harness.say(chen, group, "/setup")
    # Not set up, so the group speaks Chen's language.
    assert "只有本群組的管理員才能把本群組設為聯盟主群組" in world.last(group).text
    await harness.say(chen, group, "/charter")
    assert "這裡不是聯盟主群組" in world.last(group).text


async def test_other_people_cannot_press_the_setup_buttons(harness: Harness) -> None:
    world = harness.world
    lin = world.user("Lin", lang="en")
    chen = world.user("Chen", lang="en")
    group = world.group("Alliance", admins=[lin], members=[chen])
    await bot_added(harness, group, by=lin)
    await harness.say(lin, group, "/setup")
    card = world.last(group)
    answer = await chen.press(card, "简体中文")
    assert answer.show_alert and answer.text == "Only the alliance's coordinators can do that."
    assert world.last(group).text == card.text, "the card must not change"
    await lin.press(card, "简体中文")
    assert "第 2 步（共 2 步）" in world.last(group).text


async def test_anonymous_admin_is_asked_to_speak_as_themselves(harness: Harness) -> None:
    world = harness.world
    lin = world.user("Lin", lang="en")
    group = world.group("Alliance", admins=[lin])
    await bot_added(harness, group, by=lin)
    await harness.say(lin, group, "/setup", anonymous=True)
    assert "You are writing as the group (anonymous admin)" in world.last(group).text


async def test_rerun_setup_changes_language_and_timezone_command(harness: Harness) -> None:
    lin, chen, group = await setup_group(harness)
    world = harness.world
    await harness.say(lin, group, "/timezone Mars/Olympus")
    assert "“Mars/Olympus” is not a time zone I know" in world.last(group).text
    await harness.say(lin, group, "/timezone Europe/Berlin")
    await harness.say(chen, group, "/timezone Asia/Tokyo")
    texts = [m.text for m in world.messages_in(group)]
    assert "Time zone of “Taipei Auto <Repair> Alliance”: Europe/Berlin." in texts
    assert texts[-1] == "Only the alliance's coordinators can do that."
    await harness.say(chen, group, "/setup")
    assert world.last(group).text == "Only the alliance's coordinators can do that."
    await harness.say(lin, group, "/setup")
    assert world.last(group).text.startswith("Settings of “Taipei Auto <Repair> Alliance”.")
    await lin.press(world.last(group), "简体中文")
    zones = world.last(group)
    labels = [label for row in zones.buttons for label in row]
    assert "北京时间" in labels and "台北时间" in labels and not any("Asia/" in t for t in labels)
    await lin.press(zones, "北京时间")
    assert "语言：简体中文；时区：北京时间" in world.last(group).text


async def test_charter_set_shown_and_limits(harness: Harness) -> None:
    lin, chen, group = await setup_group(harness)
    world = harness.world
    await harness.say(chen, group, "/charter")
    assert "has no charter yet" in world.last(group).text
    await harness.say(chen, group, "/charter We do whatever Chen says")
    assert world.last(group).text == "Only the alliance's coordinators can do that."
    source = await lin.send(group, "1. Refer fairly.\n2. Answer within a day.\n<b>no tags</b>")
    await lin.reply(source, "/charter")
    await world.settle()
    assert "The charter of “Taipei Auto <Repair> Alliance” is saved." in world.last(group).text
    await harness.say(lin, group, "/charter " + "x" * 3600)
    assert "is 3600 characters long; the limit is 3500" in world.last(group).text
    await harness.say(chen, chen, "/charter")
    await harness.say(chen, group, "/charter")
    shown = world.last(group)
    assert "1. Refer fairly.\n2. Answer within a day.\n<b>no tags</b>" in shown.text
    assert "&lt;b&gt;no tags&lt;/b&gt;" in shown.html


async def test_link_another_group(harness: Harness) -> None:
    lin, chen, group = await setup_group(harness)
    world = harness.world
    suppliers = world.group("Suppliers", admins=[lin], members=[chen])
    await bot_added(harness, suppliers, by=lin, rights=None)
    await harness.say(chen, suppliers, "/link")
    assert world.last(suppliers).text == "Only the alliance's coordinators can do that."
    await harness.say(lin, suppliers, "/link")
    assert "This group is now linked to “Taipei Auto <Repair> Alliance”." in world.last(suppliers).text
    await harness.say(lin, suppliers, "/link")
    await harness.say(lin, group, "/link")
    assert "already linked" in world.last(suppliers).text
    assert "already the home" in world.last(group).text
    await harness.say(lin, suppliers, "/setup")
    assert "it cannot be another alliance's home" in world.last(suppliers).text


async def test_link_when_coordinating_two_alliances_asks_which(harness: Harness) -> None:
    world = harness.world
    lin = world.user("Lin", lang="en")
    first = world.group("Repairers", admins=[lin])
    second = world.group("Designers", admins=[lin])
    third = world.group("Announcements", admins=[lin])
    for group in (first, second, third):
        await bot_added(harness, group, by=lin)
    for group in (first, second):
        await harness.say(lin, group, "/setup")
    await harness.say(lin, third, "/link")
    choice = world.last(third)
    assert choice.buttons == [["Repairers"], ["Designers"]]
    await lin.press(choice, "Designers")
    assert "now linked to “Designers”" in world.last(third).text


async def test_here_puts_cards_in_a_topic(harness: Harness) -> None:
    world = harness.world
    lin = world.user("Lin", lang="en")
    group = world.group("Forum Alliance", admins=[lin], forum=True)
    await bot_added(harness, group, by=lin)
    await harness.say(lin, group, "/setup")
    await harness.say(lin, group, "/here")
    assert "Send /here inside the topic" in world.last(group).text
    topic = await world.create_topic(group, "Bot cards", by=lin)
    await harness.say(lin, group, "/here", topic=topic)
    last = world.last(group)
    assert last.text == "From now on my cards go to this topic."
    assert last.thread_id == topic.thread_id


@pytest.mark.parametrize(("lang", "expected"), [("en", "What I can do for you here"),
                                                ("zh-hant", "我可以幫您做的事"),
                                                ("zh-hans", "我能帮你做的事")])
async def test_help_in_private_depends_on_language(harness: Harness, lang: str, expected: str) -> None:
    world = harness.world
    mei = world.user("Mei", lang=lang)
    await harness.say(mei, mei, "/help")
    text = world.last(mei).text
    assert text.startswith(expected)
    assert "/lang" in text and "/setup" not in text and "/link" not in text


async def test_help_in_group_shows_what_applies(harness: Harness) -> None:
    lin, chen, group = await setup_group(harness)
    world = harness.world
    await harness.say(chen, group, "/help")
    member_help = world.last(group).text
    await harness.say(lin, group, "/help")
    coordinator_help = world.last(group).text
    assert "/timezone" not in member_help and "/setup" not in member_help
    assert "/timezone" in coordinator_help and "/setup" in coordinator_help
    assert "You are a coordinator" in coordinator_help
    assert "/here" not in coordinator_help  # this group has no topics


async def test_lang_is_stored_per_person_and_wins_over_telegram(harness: Harness) -> None:
    world = harness.world
    mei = world.user("Mei", lang="en")
    await harness.say(mei, mei, "/lang")
    await mei.press(world.last(mei), "繁體中文")
    assert world.last(mei).text == "好的，之後我會用繁體中文和您溝通。"
    await harness.say(mei, mei, "/help")
    assert world.last(mei).text.startswith("我可以幫您做的事")
    await harness.restart()
    await harness.say(mei, mei, "/start")
    assert world.last(mei).text.startswith("Mei，您好！")


async def test_lang_in_a_group_answers_the_chooser_only(harness: Harness) -> None:
    _lin, chen, group = await setup_group(harness)
    world = harness.world
    await harness.say(chen, group, "/lang")
    picker = world.last(group)
    answer = await chen.press(picker, "简体中文")
    assert answer.text == "好的，之后我会用简体中文和你沟通。" and not answer.show_alert
    assert world.last(group).text == picker.text
    await harness.say(chen, chen, "/help")
    assert world.last(chen).text.startswith("我能帮你做的事")


async def test_command_menus_per_scope_and_language(harness: Harness) -> None:
    world = harness.world
    lin = world.user("Lin", lang="en")
    mei = world.user("Mei", lang="zh-hans")
    group = world.group("G", admins=[lin], members=[mei])
    private_menu = dict(world.command_menu(lin))
    assert private_menu["lang"] == "Choose your language"
    assert "setup" not in private_menu
    assert dict(world.command_menu(mei))["lang"] == "选择语言"
    assert "setup" in dict(world.command_menu(lin, group))
    assert "setup" not in dict(world.command_menu(mei, group))


async def test_unknown_deep_link_is_explained(harness: Harness) -> None:
    world = harness.world
    mei = world.user("Mei", lang="zh-hant")
    await mei.start("nonsense-123")
    await world.settle()
    texts = [m.text for m in world.messages_to(mei)]
    assert texts[0] == "這個連結無效或已逾期。"
    assert texts[1].startswith("Mei，您好！")

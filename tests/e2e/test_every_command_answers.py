"""Every command of the bot answers wherever it is sent (in private and in the alliance's
group, by a coordinator, a plain member or an outsider, in English and in Chinese): where it
does not work, a reply in the reader's language says where it does. An unknown command in a
group, and any command addressed to another bot, stay unanswered."""

from __future__ import annotations

import pytest

from bot.emulator import SimChat, SimUser
from bot.i18n import catalogs
from bot.views.commands import COMMANDS
from tests.e2e.harness import BOT_USERNAME, Harness
from tests.e2e.stories import seed_member, setup_group

PEOPLE_LANG = {"en": "en", "zh_Hans": "zh-hans"}
GROUP_LANG = {"en": "English", "zh_Hans": "简体中文"}
PRIVATE_ONLY = [c.name for c in COMMANDS if not c.group]
GROUP_ONLY = [c.name for c in COMMANDS if not c.private]


def t(locale: str, message: str) -> str:
    return catalogs().get(locale).gettext(message)


async def alliance(harness: Harness, locale: str) -> tuple[SimChat, list[SimUser]]:
    lang = PEOPLE_LANG[locale]
    lin, chen, group = await setup_group(harness, lang, language_button=GROUP_LANG[locale])
    mei = harness.world.user("Mei", lang=lang)
    await harness.world.add_member(group, mei, by=lin)
    await seed_member(harness, group, lin, name="Lin Garage", coordinator=True)
    await seed_member(harness, group, chen, name="Chen Tyres")
    for person in (lin, chen, mei):
        await harness.say(person, person, "/start")
    return group, [lin, chen, mei]


async def sent(harness: Harness, user: SimUser, chat: SimChat | SimUser, text: str) -> list[str]:
    """What the bot writes in ``chat`` after ``user`` sends ``text`` there."""
    before = len(harness.world.messages_in(chat))
    await user.send(chat.private if isinstance(chat, SimUser) else chat, text)
    await harness.emulator.settle(quiet=0.005)
    return [message.text for message in harness.world.messages_in(chat)[before:]]


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
async def test_every_command_answers_in_private_and_in_the_group(fast: Harness, locale: str) -> None:
    group, people = await alliance(fast, locale)
    silent = []
    for person in people:  # a coordinator, a plain member, someone in no alliance
        for chat in (person, group):
            for command in COMMANDS:
                if not await sent(fast, person, chat, f"/{command.name}"):
                    silent.append((person.name, "private" if chat is person else "group",
                                   command.name))
            await sent(fast, person, person, "/cancel")  # whatever the commands started
    assert not silent, f"no answer to {silent}"


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
async def test_a_command_sent_elsewhere_says_where_it_works(fast: Harness, locale: str) -> None:
    group, (lin, chen, _mei) = await alliance(fast, locale)
    world = fast.world
    for name in PRIVATE_ONLY:
        for person in (lin, chen):
            [reply] = await sent(fast, person, group, f"/{name}")
            if name == "refer":  # its own words
                assert reply == t(locale, "Referrals are made in private: open a chat with me "
                                          "and send /refer.")
                continue
            assert reply == t(locale, "{command} works in a private chat with me.").format(
                command=f"/{name}")
            [[button]] = world.last(group).button_rows
            assert button.url == f"https://t.me/{BOT_USERNAME}"
    places = {
        "link": "{command} works in the group you want to link to your alliance; a coordinator "
                "sends it there.",
        "here": "{command} works inside a topic of your alliance's home group; a coordinator "
                "sends it there.",
        "timezone": "{command} works in your alliance's home group; a coordinator sends it "
                    "there, followed by the zone's name.",
        "setup": "Add me to your alliance's group and send /setup there.",
    }
    assert sorted(places) == sorted(GROUP_ONLY)
    for name, place in places.items():
        for person in (lin, chen):
            [reply] = await sent(fast, person, person, f"/{name} Europe/Paris")
            assert reply == t(locale, place).format(command=f"/{name}")


async def test_other_bots_commands_and_unknown_ones_in_a_group_stay_unanswered(
        fast: Harness) -> None:
    group, (lin, chen, _mei) = await alliance(fast, "en")
    for person in (lin, chen):
        for text in ("/members@other_bot", "/applications@other_bot", "/frobnicate",
                     "/frobnicate@alliance_test_bot", "/here@OtherBot now"):
            assert await sent(fast, person, group, text) == [], text
        for text in ("/members@other_bot", "/frobnicate@other_bot", "/here@other_bot"):
            assert await sent(fast, person, person, text) == [], text
        assert await sent(fast, person, group, f"/members@{BOT_USERNAME}")
        [pointer] = await sent(fast, person, person, f"/frobnicate@{BOT_USERNAME}")
        assert "/help" in pointer

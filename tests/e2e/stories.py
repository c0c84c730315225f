"""Openings many end-to-end stories share."""

from __future__ import annotations

from bot.emulator import BotRights, SimChat, SimUser
from tests.e2e.harness import Harness

FULL = BotRights(can_invite_users=True, can_pin_messages=True)


async def bot_added(harness: Harness, group: SimChat, *, by: SimUser,
                    rights: BotRights | None = FULL) -> None:
    """``by`` adds the bot to ``group`` and the bot has greeted it before the story goes on."""
    await harness.world.add_bot(group, by=by, rights=rights)
    await harness.world.settle()


async def setup_group(
    harness: Harness, lang: str = "en", *, rights: BotRights | None = FULL,
    language_button: str = "English", zone_button: str = "Asia/Taipei",
) -> tuple[SimUser, SimUser, SimChat]:
    """Lin (group admin) and Chen in a group that Lin has just set up as an alliance's home."""
    world = harness.world
    lin = world.user("Lin", lang=lang, username="lin")
    chen = world.user("Chen", lang=lang)
    group = world.group("Taipei Auto <Repair> Alliance", admins=[lin], members=[chen])
    await bot_added(harness, group, by=lin, rights=rights)
    await harness.say(lin, group, "/setup")
    card = world.last(group)
    await lin.press(card, language_button)
    await lin.press(world.last(group), zone_button)
    return lin, chen, group

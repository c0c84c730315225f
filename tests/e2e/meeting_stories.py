"""Openings for the meetings stories: days in the alliance's zone and a poll called through
the real /meeting wizard."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.emulator import SimChat, SimUser
from bot.emulator.views import ChatMessage
from tests.e2e.harness import Harness

TAIPEI = ZoneInfo("Asia/Taipei")


def local_day(harness: Harness, days: int) -> datetime:
    """Midnight ``days`` days from the bot's today, in Taipei (the alliance's zone)."""
    today = harness.clock.now().astimezone(TAIPEI).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=days)


async def open_wizard(harness: Harness, person: SimUser, group: SimChat) -> None:
    reply = await harness.say(person, group, "/meeting")
    assert reply is not None
    url = reply.button_rows[0][0].url
    assert url is not None and "?start=meeting-" in url
    await person.start(url.split("?start=")[1])
    await harness.world.settle()


async def call_meeting(harness: Harness, person: SimUser, group: SimChat, title: str,
                       slots: list[str], *, deadline_button: str = "24 h",
                       before_posting: Callable[[], object] | None = None) -> ChatMessage:
    world = harness.world
    await open_wizard(harness, person, group)
    await harness.say(person, person, title)
    await harness.say(person, person, "\n".join(slots))
    await person.press(world.last(person), "These times")
    await person.press(world.last(person), "1 h 30 min")
    await harness.say(person, person, "Room 3, https://meet.example.org/monthly")
    if before_posting is not None:
        before_posting()
    await person.press(world.last(person), deadline_button)
    return world.last(group)

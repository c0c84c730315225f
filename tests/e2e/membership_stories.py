"""Openings for the membership stories: the questionnaire answered, a deep link's payload, a
look at the database."""

from __future__ import annotations

import re
from typing import Any

from bot.emulator import SimUser
from tests.e2e.harness import Harness

ANSWERS = ["Mei's <b>Garage</b> & Co", "car repair", "Taipei, Da'an", "Brakes, tyres\nand <i>oil</i>",
           "0912 345 678"]


def payload_in(text: str) -> str:
    found = re.search(r"start=(join-[\w-]+)", text)
    assert found, text
    return found.group(1)


async def answer_all(harness: Harness, user: SimUser, answers: list[str] = ANSWERS) -> None:
    """Name, category, region, services, contact; then no sponsor, accept, submit."""
    world = harness.world
    for text in answers:
        await harness.say(user, user, text)
    await user.press(world.last(user), "No sponsor")
    await user.press(world.last(user), "I accept the charter")
    await user.press(world.last(user), "Submit")


async def db(harness: Harness, query: Any) -> Any:
    assert harness.app is not None
    async with harness.app.sessions() as session:
        return await session.scalar(query)

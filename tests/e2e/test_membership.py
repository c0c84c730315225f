"""PRODUCT.md §2 through the emulator: ways in, questionnaire, decision, after, directory."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.emulator import SimChat, SimUser
from storage.models import Application, AuditEntry, Member, Role
from tests.e2e.harness import Harness, press_forged
from tests.e2e.stories import seed_member, setup_group

ANSWERS = ["Mei's <b>Garage</b> & Co", "car repair", "Taipei, Da'an", "Brakes, tyres\nand <i>oil</i>",
           "0912 345 678"]


def texts(harness: Harness, user: SimUser) -> list[str]:
    return [m.text for m in harness.world.messages_to(user)]


async def answer_all(harness: Harness, user: SimUser, answers: list[str] = ANSWERS) -> None:
    """Name, category, region, services, contact; then no sponsor, accept, submit."""
    world = harness.world
    for text in answers:
        await harness.say(user, user, text)
    await user.press(world.last(user), "No sponsor")
    await user.press(world.last(user), "I accept the charter")
    await user.press(world.last(user), "Submit")


async def db(harness: Harness, query):  # noqa: ANN001, ANN202
    assert harness.app is not None
    async with harness.app.sessions() as session:
        return await session.scalar(query)


async def test_join_request_to_welcome_card(harness: Harness) -> None:
    lin, chen, group = await setup_group(harness)
    world = harness.world
    link = world.invite_link(group, by=lin, creates_join_request=True)
    mei = world.user("Mei", lang="en", started=False)
    await mei.request_join(group, link)
    await world.settle()
    intro, first = world.messages_to(mei)[:2]
    assert "You asked to join “Taipei Auto <Repair> Alliance”" in intro.text
    assert intro.button("Open our chat").url.startswith("https://t.me/alliance_test_bot?start=join-")
    assert first.text.startswith("Step 1 of 7")
    await answer_all(harness, mei)
    assert "sent to the coordinators" in world.last(mei).text
    card = world.last(lin)
    assert "New application" in card.text and "Mei's <b>Garage</b> & Co" in card.text
    assert "&lt;b&gt;Garage&lt;/b&gt; &amp; Co" in card.html
    assert "+886912345678" in card.text
    assert "a join request to the group" in card.text
    await lin.press(card, "✅ Approve")
    assert "approved by Lin" in world.last(lin).text
    assert group.chat.member(mei.user).active  # the join request was approved
    welcome = world.last(group)
    assert "Please welcome our new member: Mei's <b>Garage</b> & Co" in welcome.text
    assert "+886" not in welcome.text  # contacts never go to the group
    private = world.last(mei).text
    assert "Welcome to “Taipei Auto <Repair> Alliance”" in private and "/profile" in private
    member = await db(harness, select(Member).where(Member.name == "Mei's <b>Garage</b> & Co"))
    assert member.status == "active" and member.contact == "+886912345678"
    assert member.contact_kind == "phone" and member.owner_person_id == mei.id
    # No nudge: she came in through onboarding.
    assert not [m for m in world.messages_in(group) if "introduce your business" in m.text]

"""Openings for the joint-purchase stories: a purchase set up through the real /purchase wizard,
pledges through the card's deep link, and what is stored."""

from __future__ import annotations

from sqlalchemy import select

from bot.emulator import SimUser
from bot.emulator.views import ChatMessage
from storage.models import OutboxItem, Pledge, Purchase
from tests.e2e.harness import Harness
from tests.e2e.referral_stories import Alliance


async def open_purchase(a: Alliance, who: SimUser, *, item: str = "Engine oil 5W-30",
                        unit: str = "litre", split: bool = False, price: str = "310",
                        tiers: str | None = "100: 300, 200: 290", moq: str = "100",
                        maximum: str | None = None, deadline: str | None = None) -> ChatMessage:
    """Lin (or ``who``) sets a purchase up in private; returns the card in the group."""
    harness, world = a.harness, a.harness.world
    await harness.say(who, who, "/purchase")
    await harness.say(who, who, item)
    await who.press(world.last(who), a.t("Skip"))
    await harness.say(who, who, unit)
    await who.press(world.last(who), a.t("One total price, split by quantity") if split
                    else a.t("A price per unit"))
    await harness.say(who, who, price)
    if not split:
        if tiers is None:
            await who.press(world.last(who), a.t("Skip"))
        else:
            await harness.say(who, who, tiers)
    await harness.say(who, who, moq)
    if maximum is None:
        await who.press(world.last(who), a.t("Skip"))
    else:
        await harness.say(who, who, maximum)
    if deadline is None:
        await who.press(world.last(who), a.t("{days} days").format(days=3))
    else:
        await harness.say(who, who, deadline)
    await who.press(world.last(who), a.t("✅ Publish"))
    return world.last(a.group)


def pledge_payload(card: ChatMessage) -> str:
    url = card.button_rows[0][0].url
    assert url is not None and "?start=pledge-" in url, card.buttons
    return url.split("?start=")[1]


async def pledge(a: Alliance, who: SimUser, card: ChatMessage, quantity: str) -> ChatMessage:
    """``who`` presses *Pledge* on the card (a deep link) and sends ``quantity``."""
    await who.start(pledge_payload(card))
    await a.harness.world.settle()
    reply = await a.harness.say(who, who, quantity)
    assert reply is not None
    return reply


async def stored(harness: Harness) -> tuple[list[Purchase], list[Pledge]]:
    assert harness.app is not None
    async with harness.app.sessions() as session:
        bought = list(await session.scalars(select(Purchase).order_by(Purchase.id)))
        pledges = list(await session.scalars(select(Pledge).order_by(Pledge.id)))
    return bought, pledges


async def outbox_keys(harness: Harness, prefix: str) -> list[str]:
    assert harness.app is not None
    async with harness.app.sessions() as session:
        keys = await session.scalars(select(OutboxItem.dedup_key).where(
            OutboxItem.dedup_key.like(f"{prefix}%")))
        return sorted(key for key in keys if key)

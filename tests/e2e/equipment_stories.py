"""Openings for the shared-equipment stories: an item added through the real wizard (or seeded),
a booking made through the real booking wizard, the loan's messages and notices as people see
them, and moments in the alliance's zone (Asia/Taipei)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.emulator import SimUser
from bot.emulator.views import ChatMessage
from bot.services import equipment as gear
from bot.services import requests as asks
from storage.models import Equipment, EquipmentBooking, Member
from tests.e2e.harness import Harness
from tests.e2e.referral_stories import Alliance
from tests.e2e.stories import seed_member, setup_group

TAIPEI = ZoneInfo("Asia/Taipei")
ITEM = "Tyre changer <TC-57>"


PEOPLE_LANG = {"en": "en", "zh_Hant": "zh-hant", "zh_Hans": "zh-hans"}
GROUP_LANG = {"en": "English", "zh_Hant": "繁體中文", "zh_Hans": "简体中文"}


async def alliance(harness: Harness, locale: str = "en") -> Alliance:
    """Lin Garage (coordinator), Chen Tyres (Chen and Chen-Two), Wang Tyres (holds the shared
    items), Sue Tyres (suspended); everyone speaks ``locale``."""
    lang = PEOPLE_LANG[locale]
    lin, chen, group = await setup_group(harness, lang, language_button=GROUP_LANG[locale])
    world = harness.world
    chen2, wang, sue = (world.user(name, lang=lang) for name in ("Chen-Two", "Wang", "Sue"))
    ids = {
        "lin": await seed_member(harness, group, lin, name="Lin Garage", coordinator=True),
        "chen": await seed_member(harness, group, chen, chen2, name="Chen Tyres"),
        "wang": await seed_member(harness, group, wang, name="Wang Tyres"),
        "sue": await seed_member(harness, group, sue, name="Sue Tyres", status="suspended"),
    }
    return Alliance(harness, locale, group, lin, chen, chen2, wang, sue, ids)


async def borrow_request(harness: Harness, a: Alliance, who: SimUser, title: str) -> int:
    """An open request to borrow equipment (the requests feature's /request makes these)."""
    assert harness.app is not None
    async with harness.app.sessions() as session:
        member = await session.get(Member, a.ids["chen"])
        assert member is not None
        request = await asks.ask(session, member.alliance_id, who.id,
                                 asks.RequestDraft(kind=asks.EQUIPMENT, title=title),
                                 harness.clock.now())
        await session.commit()
        return request.id


def day(harness: Harness, days: int, hour: int = 9) -> datetime:
    """``hour``:00 ``days`` days from the bot's today, in Taipei (an aware local datetime)."""
    today = harness.clock.now().astimezone(TAIPEI).replace(hour=0, minute=0, second=0,
                                                           microsecond=0)
    return (today + timedelta(days=days)).replace(hour=hour)


def typed(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M}"


async def until(harness: Harness, moment: datetime) -> None:
    """Move the bot's clock to ``moment`` (and let everything due by then happen)."""
    await harness.advance(moment.astimezone(UTC) - harness.clock.now())


async def add_item(a: Alliance, who: SimUser, *, name: str = ITEM, where: str = "Wang's workshop",
                   holder: str | None = "Wang Tyres", conditions: str | None = "Clean it after use",
                   deposit: str | None = "5000", fee: str | None = None) -> None:
    """Through /equipment in private and the "add an item" wizard."""
    harness, world = a.harness, a.harness.world
    await harness.say(who, who, "/equipment")
    await who.press(world.last(who), a.t("➕ Add an item"))
    await harness.say(who, who, name)
    await harness.say(who, who, where)
    if holder is not None:
        await who.press(world.last(who), holder)
    for answer in (conditions, deposit, fee):
        if answer is None:
            await who.press(world.last(who), a.t("Skip"))
        else:
            await harness.say(who, who, answer)
    await who.press(world.last(who), a.t("✅ Add to the list"))


async def seed_item(harness: Harness, a: Alliance, *, name: str = ITEM, holder: str = "wang",
                    deposit: str | None = None) -> int:
    """An item already on the list (for stories about booking), added by the service."""
    assert harness.app is not None
    async with harness.app.sessions() as session:
        member = await session.get(Member, a.ids[holder])
        assert member is not None
        item = await gear.add_item(session, member.alliance_id, a.lin.id, gear.ItemDraft(
            name=name, location="Wang's workshop", holder_id=member.id,
            deposit=Decimal(deposit) if deposit else None), harness.clock.now())
        await session.commit()
        return item.id


async def open_booking(a: Alliance, who: SimUser, item: str = ITEM) -> None:
    """/equipment in private, then *Book* on the item."""
    await a.harness.say(who, who, "/equipment")
    await who.press(a.harness.world.last(who), a.t("Book {item}").format(item=item[:30]))


async def book(a: Alliance, who: SimUser, start: datetime, end: datetime, *,
               item: str = ITEM, press: bool = True) -> ChatMessage:
    """The whole booking wizard; returns the bot's last message to ``who``."""
    harness = a.harness
    await open_booking(a, who, item)
    await harness.say(who, who, typed(start))
    await harness.say(who, who, typed(end))
    if press:
        await who.press(harness.world.last(who), a.t("✅ Book"))
    return harness.world.last(who)


def loans_to(a: Alliance, who: SimUser) -> list[ChatMessage]:
    """The loan messages ``who`` has (a booking's message, with or without a notice on top)."""
    marker = a.t("Booking #{number}: {item}").split("#")[0]
    return [m for m in a.harness.world.messages_to(who) if marker in m.text]


def notices_to(a: Alliance, who: SimUser, sign: str) -> list[ChatMessage]:
    """Reminders (⏰) or overdue notices (⚠) in ``who``'s private chat."""
    return [m for m in a.harness.world.messages_to(who) if m.text.startswith(sign)]


async def bookings(harness: Harness) -> list[EquipmentBooking]:
    assert harness.app is not None
    async with harness.app.sessions() as session:
        return list(await session.scalars(select(EquipmentBooking).order_by(EquipmentBooking.id)))


async def items(harness: Harness) -> list[Equipment]:
    assert harness.app is not None
    async with harness.app.sessions() as session:
        return list(await session.scalars(select(Equipment).order_by(Equipment.id)))

"""Openings for the request stories: an alliance of garages (one suspended, one with two people,
each with a contact on file) and a request asked through the real /request wizard."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from bot.emulator import SimChat, SimUser
from bot.emulator.views import ChatMessage
from bot.i18n import catalogs
from storage.models import ResourceOffer, ResourceRequest
from tests.e2e.harness import Harness
from tests.e2e.stories import seed_member, setup_group

LIN_CONTACT = "+886 2 2345 0001"
CHEN_CONTACT = "+886 2 2345 0002"
WANG_CONTACT = "+886 2 2345 0003"

PEOPLE_LANG = {"en": "en", "zh_Hant": "zh-hant", "zh_Hans": "zh-hans"}
GROUP_LANG = {"en": "English", "zh_Hant": "繁體中文", "zh_Hans": "简体中文"}


def t(locale: str, message: str) -> str:
    return catalogs().get(locale).gettext(message)


@dataclass
class Alliance:
    harness: Harness
    locale: str
    group: SimChat
    lin: SimUser  # Lin Garage, coordinator
    chen: SimUser  # Chen Tyres
    chen2: SimUser  # acts for Chen Tyres too
    wang: SimUser  # Wang Lifts
    sue: SimUser  # Sue Paint, suspended
    ids: dict[str, int]

    def t(self, message: str) -> str:
        return t(self.locale, message)


async def alliance(harness: Harness, locale: str = "en") -> Alliance:
    lang = PEOPLE_LANG[locale]
    lin, chen, group = await setup_group(harness, lang, language_button=GROUP_LANG[locale])
    world = harness.world
    chen2 = world.user("Chen-Two", lang=lang, username="chen_two")
    wang = world.user("Wang", lang=lang)
    sue = world.user("Sue", lang=lang)
    ids = {
        "lin": await seed_member(harness, group, lin, name="Lin Garage", contact=LIN_CONTACT,
                                 coordinator=True),
        "chen": await seed_member(harness, group, chen, chen2, name="Chen Tyres",
                                  category="tyres", contact=CHEN_CONTACT),
        "wang": await seed_member(harness, group, wang, name="Wang Lifts", contact=WANG_CONTACT),
        "sue": await seed_member(harness, group, sue, name="Sue Paint", status="suspended"),
    }
    for person in (chen2, wang, sue):  # in the group already, as in a grown group
        group.chat.member(person.user).status = "member"
    return Alliance(harness, locale, group, lin, chen, chen2, wang, sue, ids)


async def open_wizard(a: Alliance, who: SimUser) -> ChatMessage:
    """/request in the group, then its deep link: the wizard's first question."""
    reply = await a.harness.say(who, a.group, "/request")
    assert reply is not None
    url = reply.button_rows[0][0].url
    assert url is not None and "?start=request-" in url
    await who.start(url.split("?start=")[1])
    await a.harness.world.settle()
    return a.harness.world.last(who)


async def ask(a: Alliance, who: SimUser, *, kind: str = "🔧 Borrow equipment",
              title: str = "A car lift for Saturday", details: str | None = "Two-post, 3 t",
              quantity: str | None = "1 lift", needed_by: str | None = "Sat",
              linked: bool | None = None) -> ChatMessage:
    """The whole wizard; returns the card the group got. ``linked``: the answer to the
    linked-chats step (None: the alliance has no linked chat, so there is no such step)."""
    harness, world = a.harness, a.harness.world
    first = await open_wizard(a, who)
    await who.press(first, a.t(kind))
    await harness.say(who, who, title)
    if details is None:
        await who.press(world.last(who), a.t("Skip"))
    else:
        await harness.say(who, who, details)
    if quantity is None:
        await who.press(world.last(who), a.t("Skip"))
    else:
        await harness.say(who, who, quantity)
    if needed_by is None:
        await who.press(world.last(who), a.t("No date"))
    else:
        await harness.say(who, who, needed_by)
    if linked is not None:
        await who.press(world.last(who), a.t("📣 Linked chats too" if linked
                                             else "🏠 Home group only"))
    await who.press(world.last(who), a.t("📨 Post in the group"))
    return world.last(a.group)


async def offer(a: Alliance, who: SimUser, card: ChatMessage, note: str | None) -> ChatMessage:
    """*I can offer* on the card (a deep link), then the note; returns the bot's answer."""
    url = card.button(a.t("🙋 I can offer")).url
    assert url is not None and "?start=offer-" in url
    await who.start(url.split("?start=")[1])
    await a.harness.world.settle()
    if note is None:
        await who.press(a.harness.world.last(who), a.t("Send without a note"))
    else:
        await a.harness.say(who, who, note)
    return a.harness.world.last(who)


async def requests(harness: Harness) -> list[ResourceRequest]:
    assert harness.app is not None
    async with harness.app.sessions() as session:
        return list(await session.scalars(select(ResourceRequest).order_by(ResourceRequest.id)))


async def offers(harness: Harness) -> list[ResourceOffer]:
    assert harness.app is not None
    async with harness.app.sessions() as session:
        return list(await session.scalars(select(ResourceOffer).order_by(ResourceOffer.id)))


def card_of(a: Alliance, chat: SimChat | None = None) -> ChatMessage:
    """The request card in the group (or in ``chat``, a linked one): the last message with the
    offer button or a status."""
    cards = [m for m in a.harness.world.messages_in(chat or a.group) if m.text.startswith("🙋")]
    return cards[-1]


async def linked_group(a: Alliance, title: str) -> SimChat:
    """Another group of the alliance: the bot added (no admin rights), linked by Lin."""
    from tests.e2e.stories import bot_added

    group = a.harness.world.group(title, admins=[a.lin], members=[a.chen, a.wang])
    await bot_added(a.harness, group, by=a.lin, rights=None)
    await a.harness.say(a.lin, group, "/link")
    return group


async def seed_requests(a: Alliance, who: SimUser, titles: list[str], kind: str) -> None:
    """Requests already asked (through the service, not the wizard): for lists."""
    from datetime import UTC, datetime

    from bot.services import requests as asks
    from storage.models import Member

    harness = a.harness
    assert harness.app is not None
    async with harness.app.sessions() as session:
        member = await session.get(Member, a.ids["lin"])
        assert member is not None
        for title in titles:
            await asks.ask(session, member.alliance_id, who.id,
                           asks.RequestDraft(kind=kind, title=title), datetime.now(UTC))
        await session.commit()


def local_date(harness: Harness, days: int) -> str:
    """The date ``days`` days from the bot's today in Taipei (the alliance's zone)."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    return (harness.clock.now().astimezone(ZoneInfo("Asia/Taipei"))
            + timedelta(days=days)).strftime("%Y-%m-%d")

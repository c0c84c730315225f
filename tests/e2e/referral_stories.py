"""Openings for the referral stories: an alliance with tyre shops (one suspended, one with two
people) and a referral sent through the real /refer wizard."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from bot.emulator import SimChat, SimUser
from bot.i18n import catalogs
from storage.models import Referral
from tests.e2e.harness import Harness
from tests.e2e.stories import seed_member, setup_group

CONTACT = "+886 912 345 678"


CUSTOMER = "Mrs Wu-Lee"


PEOPLE_LANG = {"en": "en", "zh_Hant": "zh-hant", "zh_Hans": "zh-hans"}


GROUP_LANG = {"en": "English", "zh_Hant": "繁體中文", "zh_Hans": "简体中文"}


def t(locale: str, message: str) -> str:
    """A label as a person speaking ``locale`` sees it."""
    return catalogs().get(locale).gettext(message)


@dataclass
class Alliance:
    harness: Harness
    locale: str
    group: SimChat
    lin: SimUser  # Lin Garage (repair), coordinator
    chen: SimUser  # Chen Tyres (tyres)
    chen2: SimUser  # Chen's colleague, acts for Chen Tyres too
    wang: SimUser  # Wang Tyres (tyres)
    sue: SimUser  # Sue Tyres (tyres), suspended
    ids: dict[str, int]

    def t(self, message: str) -> str:
        return t(self.locale, message)

    def pt(self, context: str, message: str) -> str:
        """A label whose msgid needs a context ("fulfilled": a request, a joint purchase)."""
        return catalogs().get(self.locale).pgettext(context, message)


async def alliance(harness: Harness, locale: str = "en") -> Alliance:
    lang = PEOPLE_LANG[locale]
    lin, chen, group = await setup_group(harness, lang, language_button=GROUP_LANG[locale])
    world = harness.world
    chen2 = world.user("Chen-Two", lang=lang)
    wang = world.user("Wang", lang=lang)
    sue = world.user("Sue", lang=lang)
    ids = {
        "lin": await seed_member(harness, group, lin, name="Lin Garage", category="repair",
                                 coordinator=True),
        "chen": await seed_member(harness, group, chen, chen2, name="Chen Tyres", category="tyres"),
        "wang": await seed_member(harness, group, wang, name="Wang Tyres", category="tyres"),
        "sue": await seed_member(harness, group, sue, name="Sue Tyres", category="tyres",
                                 status="suspended"),
    }
    return Alliance(harness, locale, group, lin, chen, chen2, wang, sue, ids)


async def refer(a: Alliance, who: SimUser, *, category: str = "tyres", to: str = "Chen Tyres",
                customer: str = CUSTOMER, contact: str = CONTACT, need: str = "four winter tyres",
                value: str | None = "12000") -> None:
    harness, world = a.harness, a.harness.world
    await harness.say(who, who, "/refer")
    await who.press(world.last(who), category)
    await who.press(world.last(who), to)
    await harness.say(who, who, customer)
    await harness.say(who, who, contact)
    await who.press(world.last(who), a.t("✅ Yes, the customer agreed"))
    await harness.say(who, who, need)
    await who.press(world.last(who), a.t("🔥 Hot"))
    if value is None:
        await who.press(world.last(who), a.t("Skip"))
    else:
        await harness.say(who, who, value)
    await who.press(world.last(who), a.t("📨 Send"))


async def stored(harness: Harness) -> list[Referral]:
    assert harness.app is not None
    async with harness.app.sessions() as session:
        return list(await session.scalars(select(Referral).order_by(Referral.id)))

"""Openings for the /announce stories: the tyre-shop alliance (tests.e2e.referral_stories) with
two linked groups, and quiet hours that start two hours from now (private notices may wait for
quiet hours; these stories happen outside them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.emulator import SimChat
from bot.i18n import catalogs
from bot.services import settings
from storage.models import Alliance as AllianceRow
from storage.models import Announcement, OutboxItem
from tests.e2e.harness import Harness
from tests.e2e.referral_stories import Alliance, alliance
from tests.e2e.stories import bot_added

LINKED = ("Tyre Suppliers", "Night Shift <Garages>")


@dataclass
class Announcing:
    a: Alliance
    linked: list[SimChat]


def quiet_hours_later(timezone: str, now: datetime | None = None) -> str:
    """A quiet-hours window that starts two hours from now and lasts one hour."""
    from zoneinfo import ZoneInfo

    local = (now or datetime.now(UTC)).astimezone(ZoneInfo(timezone))
    start = local + timedelta(hours=2)
    end = start + timedelta(hours=1)
    return f"{start:%H}:00-{end:%H}:00"


async def announcing(harness: Harness, locale: str = "en") -> Announcing:
    a = await alliance(harness, locale)
    world = harness.world
    linked = []
    for title in LINKED:
        group = world.group(title, admins=[a.lin], members=[a.chen])
        await bot_added(harness, group, by=a.lin, rights=None)
        await harness.say(a.lin, group, "/link")
        linked.append(group)
    assert harness.app is not None
    async with harness.app.sessions() as session:
        row = await session.scalar(select(AllianceRow))
        assert row is not None
        settings.change(row, "quiet_hours", quiet_hours_later(row.timezone, harness.clock.now()),
                        harness.clock.now())
        await session.commit()
    return Announcing(a, linked)


async def announcements(harness: Harness) -> list[Announcement]:
    assert harness.app is not None
    async with harness.app.sessions() as session:
        return list(await session.scalars(select(Announcement).order_by(Announcement.id)))


async def announce_items(harness: Harness) -> list[OutboxItem]:
    assert harness.app is not None
    async with harness.app.sessions() as session:
        return list(await session.scalars(
            select(OutboxItem).where(OutboxItem.purpose.like("announce:%"))))


def received(harness: Harness, chat: object, words: str) -> int:
    """How many of the bot's messages in ``chat`` contain ``words``."""
    return sum(1 for m in harness.world.messages_in(chat) if words in m.text)  # type: ignore[arg-type]


def tn(locale: str, singular: str, plural: str, n: int) -> str:
    """A counted label as a person speaking ``locale`` sees it."""
    return catalogs().get(locale).ngettext(singular, plural, n).format(n=n)

"""A coordinator changes an alliance setting: the one path for the /settings menu and the older
commands alike (the coordinator check, validation against the schema in ``bot.services.settings``,
the write and its audit entry). Kept apart from the schema because it calls the services of the
settings other features own (joining's approval mode, country and categories), which read the
schema themselves.

Like every service: no aiogram, never commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import alliances, audit, outgoing, settings
from bot.services.errors import DomainError
from bot.services.inputs import capped
from bot.services.membership import joining
from storage.models import Alliance


def _check_referral_times(alliance: Alliance, name: str, value: Any) -> None:
    """A reminder after the referral expired would never be sent: the SLA comes first."""
    chosen = settings.read(alliance)
    sla = value if name == "referral_sla_hours" else chosen.referral_sla_hours
    expiry = value if name == "referral_expiry_hours" else chosen.referral_expiry_hours
    if sla >= expiry:
        raise DomainError("referral_expiry_not_after_sla", sla=sla, expiry=expiry)


async def coordinated(session: AsyncSession, alliance_id: int, person_id: int) -> Alliance:
    """The alliance whose settings a coordinator opens or changes; anyone else is refused."""
    await alliances.require_coordinator(session, alliance_id, person_id)
    return await alliances.get_alliance(session, alliance_id)


# Settings that move the end of the quiet hours: what the outbox holds is re-timed at once.
REHOLD_BY = frozenset((settings.TIMEZONE, "quiet_hours"))


async def update(session: AsyncSession, alliance_id: int, person_id: int, name: str, value: Any,
                 now: datetime) -> Alliance:
    """A coordinator changes one setting: checked, written and audited. Settings that an older
    command changes go through that command's service, so both write the same audit entry.
    A change of the quiet hours or the time zone re-times the notices held for the morning
    (quiet hours turned off: they go now)."""
    alliance = await _update(session, alliance_id, person_id, name, value, now)
    if name in REHOLD_BY:
        await outgoing.rehold(session, alliance, now)
    return alliance


async def _update(session: AsyncSession, alliance_id: int, person_id: int, name: str, value: Any,
                  now: datetime) -> Alliance:
    if name == settings.LANGUAGE:
        return await alliances.choose_language(session, alliance_id, person_id, str(value), now)
    if name == settings.TIMEZONE:
        return await alliances.choose_timezone(session, alliance_id, person_id, str(value), now)
    if name == "approval_mode":
        return await joining.set_approval_mode(session, alliance_id, person_id, str(value), now)
    if name == "country":
        return await joining.set_country(session, alliance_id, person_id, value or None, now)
    if name == "categories":
        if not isinstance(value, list):
            raise DomainError("setting_bad_value", name=name)
        return await joining.set_categories(session, alliance_id, person_id,
                                            "\n".join(str(item) for item in value), now)
    alliance = await coordinated(session, alliance_id, person_id)
    before = settings.current(alliance, name)
    if name in ("referral_sla_hours", "referral_expiry_hours"):
        settings.valid(name, value)
        _check_referral_times(alliance, name, value)
    settings.change(alliance, name, value, now)
    after = settings.current(alliance, name)
    if after != before:
        audit.record(session, alliance_id=alliance_id, actor_id=person_id,
                     action=f"settings.{name}", subject=str(after)[:255],
                     details={"from": before, "to": after}, now=now)
    return alliance


async def add_category(session: AsyncSession, alliance_id: int, person_id: int, text: str,
                       now: datetime) -> Alliance:
    alliance = await coordinated(session, alliance_id, person_id)
    items = list(settings.read(alliance).categories)
    name = capped(text, settings.TYPED_LIMIT, "category_too_long", limit=settings.CATEGORY_LIMIT).strip()
    if name.casefold() in {item.casefold() for item in items}:
        raise DomainError("category_exists", name=name)
    return await update(session, alliance_id, person_id, "categories", [*items, name], now)


async def rename_category(session: AsyncSession, alliance_id: int, person_id: int, index: int,
                          tag: str, text: str, now: datetime) -> Alliance:
    alliance = await coordinated(session, alliance_id, person_id)
    items = settings.categories_checked(alliance, index, tag)
    name = capped(text, settings.TYPED_LIMIT, "category_too_long", limit=settings.CATEGORY_LIMIT).strip()
    if name.casefold() in {item.casefold() for n, item in enumerate(items) if n != index}:
        raise DomainError("category_exists", name=name)
    items[index] = name
    return await update(session, alliance_id, person_id, "categories", items, now)


async def remove_category(session: AsyncSession, alliance_id: int, person_id: int, index: int,
                          tag: str, now: datetime) -> Alliance:
    alliance = await coordinated(session, alliance_id, person_id)
    items = settings.categories_checked(alliance, index, tag)
    del items[index]
    return await update(session, alliance_id, person_id, "categories", items, now)

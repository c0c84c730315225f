"""The coordinators' /settings menu (PRODUCT.md §7): every setting with its value now, a page per
setting with its choices as buttons, the prompt for a typed value, and the confirmations.

Values are shown in the reader's words (a currency and a country by their names in the
reader's locale, durations in hours or days), never as the schema's raw codes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from babel.core import UnknownLocaleError
from babel.numbers import get_currency_name

from bot.i18n import (
    LOCALES,
    LazyString,
    babel_locale,
    current_locale,
    locale_name,
    ngettext,
    territory_name,
    zone_name,
)
from bot.i18n import gettext as _
from bot.i18n import lazy_gettext as __
from bot.services import settings, tally
from bot.services.settings import COORDINATORS, LANGUAGE, MEMBERS, TIMEZONE
from bot.views import errors
from bot.views.decisions import THRESHOLD_NAMES
from bot.views.html import bold, clip, esc
from bot.views.setup import COMMON_ZONES
from bot.views.text import listing
from storage.models import Alliance


class SetCb(CallbackData, prefix="set"):
    """One press in the menu: ``op`` what it does, ``key`` the setting, ``v`` a choice's index
    in :data:`CHOICES` (or a category's ``<index>.<tag>``) — re-checked by the service."""

    a: int
    op: str
    key: str = ""
    v: str = ""


LABELS: dict[str, LazyString] = {
    LANGUAGE: __("Language of the group"),
    TIMEZONE: __("Time zone"),
    "approval_mode": __("Approval of new members"),
    "categories": __("Member categories"),
    "proposal_quorum_pct": __("Default quorum"),
    "proposal_threshold": __("Default threshold"),
    "proposal_deadline_hours": __("Default voting time"),
    "who_may_propose": __("Who may propose"),
    "pin_decisions": __("Pin decisions in the group"),
    "referral_sla_hours": __("Referral reminder after"),
    "referral_expiry_hours": __("Referral expires after"),
    "retention_days": __("Keep customer details for"),
    "thank_you_cards": __("Thank-you cards in the group"),
    "currency": __("Currency"),
    "country": __("Country for phone numbers"),
    "quiet_hours": __("Quiet hours"),
    "monthly_report": __("Monthly report"),
}

HINTS: dict[str, LazyString] = {
    LANGUAGE: __("The language of everything I post in the group."),
    TIMEZONE: __("Meetings, deadlines and quiet hours use this time."),
    "approval_mode": __("Who decides on an application to join."),
    "categories": __("The trades members choose from when they join."),
    "proposal_quorum_pct": __("The share of members who must vote for a decision to count "
                              "(0–100). A new proposal starts from it."),
    "proposal_threshold": __("How many yes votes a new proposal needs."),
    "proposal_deadline_hours": __("How long a new proposal is open for voting (1 hour to 30 days)."),
    "who_may_propose": __("Who may start a proposal."),
    "pin_decisions": __("Whether I pin a decision's result in the group."),
    "referral_sla_hours": __("When I remind a member of a referral they have not answered."),
    "referral_expiry_hours": __("When an unanswered referral expires and goes back to the "
                                "referrer."),
    "retention_days": __("How long a closed referral keeps the customer's name and contact."),
    "thank_you_cards": __("Whether a won referral gets a thank-you card in the group."),
    "currency": __("The currency of referral values and shared purchases."),
    "country": __("Phone numbers typed without a country code are read as this country's."),
    "quiet_hours": __("Private reminders and notices wait until the quiet hours end. Answers to "
                      "a person's own action and posts in the group go at once."),
    "monthly_report": __("A summary of the past month with a chart, posted to the group on the "
                         "1st of each month at 09:00."),
}

FOLLOW_ZONE = ""  # currency or country: follow the time zone
CHOICES: dict[str, tuple[Any, ...]] = {
    LANGUAGE: LOCALES,
    TIMEZONE: COMMON_ZONES,
    "approval_mode": settings.APPROVAL_MODES,
    "proposal_quorum_pct": (0, 25, 50, 67, 75, 100),
    "proposal_threshold": tally.THRESHOLDS,
    "proposal_deadline_hours": (24, 48, 72, 168),
    "who_may_propose": (MEMBERS, COORDINATORS),
    "pin_decisions": (True, False),
    "referral_sla_hours": (12, 24, 48),
    "referral_expiry_hours": (48, 72, 120),
    "retention_days": (30, 90, 180, 365),
    "thank_you_cards": (True, False),
    "currency": (FOLLOW_ZONE, "TWD", "CNY", "HKD", "USD", "EUR"),
    "country": (FOLLOW_ZONE, "TW", "CN", "HK", "US"),
    "quiet_hours": ("22:00-08:00", "21:00-09:00", "23:00-07:00", settings.OFF),
    "monthly_report": (True, False),
}
TYPED = frozenset((TIMEZONE, *settings.NUMBERS, "currency", "country", "quiet_hours"))
HOURS = frozenset(("proposal_deadline_hours", "referral_sla_hours", "referral_expiry_hours"))
PER_ROW = {LANGUAGE: 3, TIMEZONE: 2, "currency": 3, "country": 3, "proposal_quorum_pct": 3}


def label(key: str) -> str:
    return str(LABELS[key])


def _hours(hours: int | float) -> str:
    whole = int(hours)
    if whole == hours and whole % 24 == 0:
        return ngettext("{n} day", "{n} days", whole // 24).format(n=whole // 24)
    return ngettext("{n} hour", "{n} hours", whole).format(n=hours)


def _currency(code: str) -> str:
    try:
        name = get_currency_name(code, locale=babel_locale(current_locale()))
    except (UnknownLocaleError, ValueError):
        return code
    return _("{code} ({name})").format(code=code, name=name)


def _country(code: str | None) -> str:
    if not code:
        return _("none")
    name = territory_name(code)
    return _("{code} ({name})").format(code=code, name=name) if name != code else code


_SHOWN: dict[str, Callable[[Any], str]] = {
    LANGUAGE: locale_name,
    TIMEZONE: zone_name,
    "approval_mode": lambda v: _("coordinators decide") if v == settings.MODE_COORDINATORS
    else _("the members vote"),
    "categories": listing,
    "proposal_quorum_pct": lambda v: f"{v}%",
    "proposal_threshold": lambda v: str(THRESHOLD_NAMES[v]),
    "who_may_propose": lambda v: _("every member") if v == MEMBERS else _("coordinators only"),
    "retention_days": lambda v: ngettext("{n} day", "{n} days", v).format(n=v),
    "currency": _currency,
    "country": _country,
    "quiet_hours": lambda v: _("off") if v == settings.OFF else v.replace("-", "–"),
}


def shown(key: str, value: Any) -> str:
    """A value in the reader's words (not yet escaped)."""
    if isinstance(value, bool):
        return _("on") if value else _("off")
    if key in HOURS:
        return _hours(value)
    render = _SHOWN.get(key)
    return render(value) if render is not None else str(value)


def _choice_label(key: str, value: Any) -> str:
    if value == FOLLOW_ZONE and key in ("currency", "country"):
        return _("Follow the time zone")
    if key == "currency":
        return str(value)
    if key == "country":
        return _country(value)
    return shown(key, value)


def _button(text: str, data: SetCb) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def _rows(buttons: Sequence[InlineKeyboardButton], per_row: int) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[index:index + per_row]) for index in range(0, len(buttons), per_row)]


def _heading(alliance: Alliance) -> str:
    return bold(_("Settings of “{name}”").format(name=alliance.name))


def _with_note(text: str, note: str | None) -> str:
    return f"{esc(note)}\n\n{text}" if note else text


def pick_alliance(mine: Sequence[Alliance]) -> tuple[str, InlineKeyboardMarkup]:
    text = esc(_("You coordinate several alliances. Whose settings?"))
    return text, InlineKeyboardMarkup(inline_keyboard=[
        [_button(alliance.name, SetCb(a=alliance.id, op="menu"))] for alliance in mine])


def menu(alliance: Alliance, note: str | None = None) -> tuple[str, InlineKeyboardMarkup]:
    lines = [_heading(alliance), ""]
    for key in settings.MENU:
        value = clip(shown(key, settings.current(alliance, key)), 200)
        lines.append("• " + esc(_("{setting}: {value}").format(setting=label(key), value=value)))
    lines += ["", esc(_("Choose a setting to change it."))]
    buttons = [_button(label(key), SetCb(a=alliance.id, op="open", key=key))
               for key in settings.MENU]
    keyboard = _rows(buttons, 2)
    keyboard.append([_button(_("✔ Done"), SetCb(a=alliance.id, op="done"))])
    return _with_note("\n".join(lines), note), InlineKeyboardMarkup(inline_keyboard=keyboard)


def _back(alliance_id: int) -> list[InlineKeyboardButton]:
    return [_button(_("◀ All settings"), SetCb(a=alliance_id, op="menu"))]


def page(alliance: Alliance, key: str, note: str | None = None) -> tuple[str, InlineKeyboardMarkup]:
    """One setting: what it does, its value now, a button per choice, and typing if it allows."""
    if key == "categories":
        return categories_page(alliance, note)
    now = FOLLOW_ZONE if settings.follows_zone(alliance, key) else settings.current(alliance, key)
    text = "\n".join((
        _heading(alliance), "", bold(label(key)), esc(str(HINTS[key])), "",
        esc(_("Now: {value}").format(value=shown(key, settings.current(alliance, key))))))
    buttons = [_button(("✓ " if value == now else "") + _choice_label(key, value),
                       SetCb(a=alliance.id, op="set", key=key, v=str(index)))
               for index, value in enumerate(CHOICES[key])]
    keyboard = _rows(buttons, PER_ROW.get(key, 2))
    if key in TYPED:
        keyboard.append([_button(_("✏ Type a value"), SetCb(a=alliance.id, op="type", key=key))])
    keyboard.append(_back(alliance.id))
    return _with_note(text, note), InlineKeyboardMarkup(inline_keyboard=keyboard)


def categories_page(alliance: Alliance, note: str | None = None
                    ) -> tuple[str, InlineKeyboardMarkup]:
    items = settings.read(alliance).categories
    lines = [_heading(alliance), "", bold(label("categories")), esc(str(HINTS["categories"])), ""]
    lines += [f"{number}. {esc(item)}" for number, item in enumerate(items, start=1)]
    if not items:
        lines.append(esc(_("No categories yet.")))
    keyboard: list[list[InlineKeyboardButton]] = []
    for index, item in enumerate(items):
        ref = f"{index}.{settings.category_tag(item)}"
        keyboard.append([
            _button(_("✏ {name}").format(name=clip(item, 24)),
                    SetCb(a=alliance.id, op="cren", key="categories", v=ref)),
            _button(_("🗑 Remove"), SetCb(a=alliance.id, op="cdel", key="categories", v=ref))])
    keyboard.append([_button(_("➕ Add a category"),
                             SetCb(a=alliance.id, op="cadd", key="categories"))])
    keyboard.append(_back(alliance.id))
    return _with_note("\n".join(lines), note), InlineKeyboardMarkup(inline_keyboard=keyboard)


def _typing_keyboard(alliance_id: int, key: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        _button(_("◀ Back"), SetCb(a=alliance_id, op="back", key=key)),
        _button(_("✖ Cancel"), SetCb(a=alliance_id, op="cancel", key=key))]])


_EXAMPLES: dict[str, LazyString] = {
    TIMEZONE: __("Send the zone's name, e.g. Europe/Berlin or America/Vancouver."),
    "proposal_quorum_pct": __("Send a percentage from 0 to 100, e.g. 60."),
    "proposal_deadline_hours": __("Send a number of hours from 1 to 720, e.g. 36."),
    "referral_sla_hours": __("Send a number of hours, e.g. 36."),
    "referral_expiry_hours": __("Send a number of hours, e.g. 96."),
    "retention_days": __("Send a number of days, e.g. 60."),
    "currency": __("Send a three-letter currency code, e.g. JPY or SGD."),
    "country": __("Send a two-letter country code, e.g. JP or SG."),
    "quiet_hours": __("Send a start and an end, e.g. 22:30-07:30, or “off” for none."),
}


def ask_value(data: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    """The one step of typing a value (a setting, a new category or a category's new name)."""
    key, alliance_id = data["key"], data["alliance_id"]
    if data.get("op") == "cadd":
        question = _("Send the name of the new category (at most {limit} characters).").format(
            limit=settings.CATEGORY_LIMIT)
    elif data.get("op") == "cren":
        question = _("Send the new name for “{name}”.").format(name=data.get("old", ""))
    else:
        question = "\n".join((_("{setting}: now {value}.").format(
            setting=label(key), value=data.get("shown", "")), str(_EXAMPLES[key])))
    text = "\n".join((bold(label(key)), esc(question), esc(_("/cancel stops."))))
    return text, _typing_keyboard(alliance_id, key)


def saved(key: str, value: Any) -> str:
    """The confirmation, in the reader's language (not escaped: a toast or a note)."""
    return _("✅ Saved. {setting}: {value}.").format(setting=label(key), value=shown(key, value))


def typing_cancelled() -> str:
    return esc(_("Nothing changed. Send /settings to open the menu again."))


def closed() -> str:
    return esc(_("Settings closed. Send /settings to open them again."))


def go_private(bot_username: str, alliance_id: int) -> tuple[str, InlineKeyboardMarkup]:
    text = esc(_("The settings open in a private chat with me, so the group stays readable."))
    return text, InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
        text=_("⚙ Open the settings"),
        url=f"https://t.me/{bot_username}?start=settings-{alliance_id}")]])


def error_messages() -> errors.Messages:
    """This feature's DomainError codes in words (looked up by ``bot.views.errors``)."""
    return {
        "setting_unknown": lambda p: _("There is no such setting. Send /settings to see them "
                                       "all."),
        "setting_bad_value": lambda p: _("That is not a value {setting} can take.").format(
            setting=label(p["name"]) if p.get("name") in LABELS else _("this setting")),
        "setting_not_a_number": lambda p: _("Please send a whole number, e.g. 48."),
        "setting_out_of_range": lambda p: _("Please send a number from {low} to {high}.").format(
            low=p["low"], high=p["high"]),
        "quiet_hours_format": lambda p: _(
            "Please send quiet hours as a start and an end, e.g. 22:00-08:00, or “off” for "
            "none."),
        "referral_expiry_not_after_sla": lambda p: _(
            "A referral must expire after its reminder: the reminder is at {sla} hours and the "
            "expiry at {expiry} hours.").format(sla=p["sla"], expiry=p["expiry"]),
        "category_exists": lambda p: _("There is already a category “{name}”.").format(
            name=esc(clip(p["name"], settings.CATEGORY_LIMIT))),
        "category_gone": lambda p: _(
            "The categories have changed since this menu was shown. Send /settings to see them "
            "as they are now."),
        "settings_gone": lambda p: _("This menu is out of date. Send /settings to open it "
                                     "again."),
        "settings_use_buttons": lambda p: _("Please choose with the buttons."),
    }

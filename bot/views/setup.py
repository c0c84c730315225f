"""The set-up card, the rights report, links and the charter (PRODUCT.md §1)."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import LOCALES, locale_name, zone_name
from bot.i18n import gettext as _
from bot.views.callbacks import LinkCb, SetupLangCb, SetupZoneCb
from bot.views.html import esc
from storage.models import Alliance

COMMON_ZONES = (
    "Asia/Taipei", "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Singapore", "Asia/Tokyo",
    "Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "UTC",
)


def setup_language_card(alliance: Alliance, created: bool) -> tuple[str, InlineKeyboardMarkup]:
    if created:
        head = _("The alliance “{name}” is set up, with this group as its home. You are its "
                 "first coordinator.").format(name=esc(alliance.name))
    else:
        head = _("Settings of “{name}”.").format(name=esc(alliance.name))
    question = _("Step 1 of 2: which language should the group see?")
    text = f"{head}\n\n{esc(question)}"
    keyboard = InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=("✓ " if locale == alliance.locale else "") + locale_name(locale),
                             callback_data=SetupLangCb(alliance_id=alliance.id, locale=locale).pack())
        for locale in LOCALES
    ]])
    return text, keyboard


def setup_zone_card(alliance: Alliance, default_zone: str) -> tuple[str, InlineKeyboardMarkup]:
    zones = [default_zone, *[zone for zone in COMMON_ZONES if zone != default_zone]]
    rows: list[list[InlineKeyboardButton]] = []
    for index in range(0, len(zones), 2):
        rows.append([
            InlineKeyboardButton(
                text=("✓ " if zone == alliance.timezone else "") + zone_name(zone),
                callback_data=SetupZoneCb(alliance_id=alliance.id, zone=zone).pack())
            for zone in zones[index:index + 2]
        ])
    text = "\n".join((
        esc(_("Language: {language}.").format(language=locale_name(alliance.locale))),
        "",
        esc(_("Step 2 of 2: which time zone do meetings and deadlines use?")),
        esc(_("Another zone? Send /timezone followed by its name, e.g. /timezone Europe/Paris.")),
    ))
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def right_consequence(right: str) -> str:
    return {
        "can_invite_users": _("Invite users via link: without it I cannot approve join "
                              "requests or make invitation links for new members."),
        "can_pin_messages": _("Pin messages: without it I cannot pin meeting results and "
                              "important announcements."),
    }.get(right, right)


def rights_report(missing: list[str], bot_is_admin: bool) -> str:
    if not missing:
        return esc(_("✅ I have the rights I need here."))
    lines = [esc(_("⚠️ I lack some rights in this group:"))]
    lines += [f"• {esc(right_consequence(right))}" for right in missing]
    if not bot_is_admin:
        lines.append(esc(_("Make me an administrator of the group with these rights, then send "
                           "/setup again to check.")))
    else:
        lines.append(esc(_("Give me these rights in the group's administrator settings, then "
                           "send /setup again to check.")))
    return "\n".join(lines)


def setup_done_card(alliance: Alliance, missing: list[str], bot_is_admin: bool) -> str:
    summary = _("“{name}” is ready. Language: {language}. Time zone: {zone}.").format(
        name=esc(alliance.name), language=locale_name(alliance.locale),
        zone=esc(zone_name(alliance.timezone)))
    next_steps = "\n".join((
        esc(_("Next steps for coordinators:")),
        "• " + esc(_("/charter followed by the text sets the alliance's charter;")),
        "• " + esc(_("/link in another group links it to this alliance;")),
        "• " + esc(_("/here inside a topic, if this group uses topics, puts my cards there.")),
    ))
    return f"{summary}\n\n{rights_report(missing, bot_is_admin)}\n\n{next_steps}"


def link_choice(alliances: list[Alliance]) -> tuple[str, InlineKeyboardMarkup]:
    keyboard = InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=alliance.name[:60],
                              callback_data=LinkCb(alliance_id=alliance.id).pack())]
        for alliance in alliances
    ])
    return esc(_("Which of your alliances should this group be linked to?")), keyboard


def linked(alliance: Alliance) -> str:
    return esc(_("This group is now linked to “{name}”. It will receive the alliance's "
                 "announcements.").format(name=alliance.name))


def charter_card(alliance: Alliance) -> str:
    if not alliance.charter:
        return esc(_("“{name}” has no charter yet. A coordinator sets it with /charter followed "
                     "by the text, or by replying /charter to a message.").format(name=alliance.name))
    title = esc(_("Charter of “{name}”").format(name=alliance.name))
    return f"<b>{title}</b>\n\n{esc(alliance.charter)}"


def charter_saved(alliance: Alliance) -> str:
    return esc(_("The charter of “{name}” is saved. Members see it with /charter.").format(
        name=alliance.name))


def timezone_saved(alliance: Alliance) -> str:
    return esc(_("Time zone of “{name}”: {zone}.").format(name=alliance.name,
                                                          zone=zone_name(alliance.timezone)))


def topic_saved() -> str:
    return esc(_("From now on my cards go to this topic."))


def bot_added_hello() -> str:
    return esc(_("Hello! I coordinate business alliances. A group admin can send /setup to make "
                 "this group an alliance's home, or a coordinator can send /link to link it to an "
                 "existing alliance."))


def setup_in_private() -> str:
    return esc(_("Add me to your alliance's group and send /setup there."))

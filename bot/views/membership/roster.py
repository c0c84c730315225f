"""A member's standing in words (PRODUCT.md §2): leaving, suspended, reinstated, removed, and the
notice the member's people receive.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup

from bot.i18n import gettext as _
from bot.i18n import ngettext
from bot.views import errors
from bot.views.html import esc
from bot.views.membership.fields import button
from bot.views.text import listing
from storage.models import Member


class LeaveCb(CallbackData, prefix="lv"):
    alliance_id: int
    confirm: bool


# -- errors -----------------------------------------------------------------------------------


def error_messages() -> errors.Messages:
    """This feature's DomainError codes in words (looked up by ``bot.views.errors``)."""
    return {
        "unknown_member": lambda p: _("I cannot find that member. /members lists them with their #id."),
        "reason_needed": lambda p: _("Please give a reason after the member, e.g. /suspend #12 unpaid fees."),
        "member_not_active": lambda p: _("“{name}” is not an active member.").format(
            name=esc(p["name"])),
        "member_not_suspended": lambda p: _("“{name}” is not suspended.").format(name=esc(p["name"])),
        "member_reference_needed": lambda p: _(
            "Say which member, by #id or name (the ids are in /members)."),
        "ambiguous_member": lambda p: _("Several members match: {names}. Please use the #id.").format(
            names=esc(listing(p["names"]))),
    }


# -- lifecycle --------------------------------------------------------------------------------


def leave_confirm(alliance_id: int, member: str, alliance: str) -> tuple[str, InlineKeyboardMarkup]:
    text = esc(_("Do you really want “{member}” to leave “{alliance}”? Its history stays "
                 "recorded.").format(member=member, alliance=alliance))
    return text, InlineKeyboardMarkup(inline_keyboard=[[
        button(_("Yes, leave"), LeaveCb(alliance_id=alliance_id, confirm=True)),
        button(_("No, stay"), LeaveCb(alliance_id=alliance_id, confirm=False))]])


def left(member: str) -> str:
    return esc(_("“{member}” has left the alliance. Thank you for the time together.").format(
        member=member))


def stayed() -> str:
    return esc(_("Good: nothing changed."))


def suspended(member: Member) -> str:
    return esc(_("“{name}” is suspended. Reason: {reason}").format(
        name=member.name, reason=member.status_reason or ""))


def reinstated(member: Member) -> str:
    return esc(_("“{name}” is active again.").format(name=member.name))


def removed(member: Member, banned: int, failed: int) -> str:
    lines = [esc(_("“{name}” was removed from the alliance.").format(name=member.name))]
    if banned:
        lines.append(esc(_("Removed from the alliance's chats: {count}.").format(count=banned)))
    if failed:
        lines.append(esc(ngettext(
            "I could not remove them from {count} chat: I need the right to ban users there.",
            "I could not remove them from {count} chats: I need the right to ban users there.",
            failed).format(count=failed)))
    return "\n".join(lines)


def status_notice(member: Member, alliance: str) -> str:
    if member.status == "suspended":
        return esc(_("Your membership in “{alliance}” is suspended. Reason: {reason}").format(
            alliance=alliance, reason=member.status_reason or ""))
    if member.status == "active":
        return esc(_("Your membership in “{alliance}” is active again.").format(alliance=alliance))
    return esc(_("“{member}” was removed from “{alliance}”.").format(member=member.name,
                                                                   alliance=alliance))

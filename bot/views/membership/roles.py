"""Roles in words (PRODUCT.md §2): coordinators promoted and demoted, and the team card of the
colleagues acting for a member.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup

from bot.i18n import gettext as _
from bot.views import errors
from bot.views.common import person_name
from bot.views.html import esc, fit
from bot.views.membership.fields import applicant_label, button
from storage.models import Member, Person


class TeamCb(CallbackData, prefix="tm"):
    alliance_id: int
    person_id: int = 0  # 0: invite a colleague; otherwise remove this person


# -- errors -----------------------------------------------------------------------------------


def error_messages() -> errors.Messages:
    """This feature's DomainError codes in words (looked up by ``bot.views.errors``)."""
    return {
        "person_reference_needed": lambda p: _(
            "Say who: reply to one of their messages, or give their @username."),
        "unknown_person_in_alliance": lambda p: _("That person is not in this alliance."),
        "already_coordinator": lambda p: _("{name} is already a coordinator.").format(
            name=esc(person_name(p["name"]))),
        "not_a_coordinator": lambda p: _("That person is not a coordinator."),
        "last_coordinator": lambda p: _(
            "An alliance always keeps at least one coordinator: promote someone else first."),
        "owner_only": lambda p: _(
            "Only the person who registered “{member}” can manage its team.").format(
                member=esc(p["member"])),
        "owner_stays": lambda p: _("The person who registered the business stays in its team."),
        "already_in_team": lambda p: _("You already act for “{member}”.").format(
            member=esc(p["member"])),
        "acts_for_other_member": lambda p: _(
            "You already act for “{member}” in this alliance; a person acts for one member only."
        ).format(member=esc(p["member"])),
    }


# -- coordinators -----------------------------------------------------------------------------


def promoted(name: str | None) -> str:
    return esc(_("{name} is now a coordinator.").format(name=person_name(name)))


def demoted(name: str | None) -> str:
    return esc(_("{name} is no longer a coordinator.").format(name=person_name(name)))


# -- team: colleagues acting for the same member ----------------------------------------------


def team_card(alliance_id: int, member: Member, people: list[Person],
              owner_id: int) -> tuple[str, InlineKeyboardMarkup]:
    lines = [esc(_("People acting for “{member}”:").format(member=member.name))]
    rows = []
    for person in people:
        lines.append(f"• {applicant_label(person)}")
        if person.id != owner_id:
            shown = person_name(None) if person.forgotten_at is not None else (
                person.first_name or str(person.id))
            rows.append([button(_("Remove {name}").format(name=shown[:40]),
                                TeamCb(alliance_id=alliance_id, person_id=person.id))])
    rows.insert(0, [button(_("Invite a colleague"), TeamCb(alliance_id=alliance_id))])
    return fit(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def team_link(url: str) -> str:
    return "\n".join([esc(_("Send this link to your colleague; it works once:")), esc(url)])


def team_joined(member: str, alliance: str) -> str:
    return esc(_("You now act for “{member}” in “{alliance}”.").format(member=member,
                                                                     alliance=alliance))


def colleague_removed(name: str | None) -> str:
    return esc(_("{name} no longer acts for your business.").format(name=person_name(name)))

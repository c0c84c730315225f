"""Words about shared resources as a whole: what a member's removal withdrew, told to each
person it concerns (their own requests, offers, purchases, bookings and loans)."""

from __future__ import annotations

from bot.i18n import gettext as _
from bot.views.html import bold, esc

# What each kind of withdrawal means to the person told (kinds from bot.services.resources).
# A purchase the member organised is called off by the purchases feature's own notice.
_LINES = {
    "pledge_withdrawn": lambda: _("Their pledge to your joint purchase is withdrawn; the card "
                                  "shows the new total."),
    "booking_cancelled": lambda: _("Their booking of an item you hold is cancelled."),
    "loan_still_out": lambda: _("They still have an item you hold: please arrange its return."),
    "request_cancelled": lambda: _("Their request you offered to help with is cancelled."),
    "offer_withdrawn": lambda: _("Their offer on your request is withdrawn."),
    "items_without_holder": lambda: _("Shared items they held have no holder now: retire them in "
                                      "/equipment and add them again with a new holder."),
}
SHOWN = frozenset(_LINES)


def removal_notice(member: str, alliance: str, kinds: set[str]) -> str:
    heading = _("“{member}” is no longer a member of “{alliance}”.").format(
        member=member, alliance=alliance)
    lines = [bold(heading)]
    lines += [f"• {esc(_LINES[kind]())}" for kind in sorted(kinds & SHOWN)]
    return "\n".join(lines)

"""The members' directory, a member's card and the owner's profile in words (PRODUCT.md §2:
/members, /profile).
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import format_datetime
from bot.i18n import gettext as _
from bot.i18n import lazy_gettext as __
from bot.services.ledger import MemberStats
from bot.services.membership.directory import PAGE_SIZE
from bot.views import errors
from bot.views.common import contact_text
from bot.views.html import bold, clip, esc, fit
from bot.views.membership.fields import FIELD_LABELS, button, field_line
from bot.views.referrals import member_stats_lines
from bot.views.text import parenthesized
from storage.models import Alliance, Member

STATUS_LABELS = {"suspended": __("suspended")}
QUERY_SHOWN = 60  # of the search words, in the directory's heading


class PageCb(CallbackData, prefix="mp"):
    alliance_id: int
    page: int
    query: str = ""


class CardCb(CallbackData, prefix="mc"):
    member_id: int


class ProfileCb(CallbackData, prefix="pf"):
    alliance_id: int
    field: str


def _italic(text: object) -> str:
    return f"<i>{esc(text)}</i>"


# -- errors -----------------------------------------------------------------------------------


def error_messages() -> errors.Messages:
    """This feature's DomainError codes in words (looked up by ``bot.views.errors``)."""
    return {
        "unknown_field": lambda p: _("That field cannot be edited."),
    }


# -- directory --------------------------------------------------------------------------------


def directory(alliance: Alliance, members: list[Member], page: int, query: str,
              *, private: bool) -> tuple[str, InlineKeyboardMarkup | None]:
    pages = max(1, -(-len(members) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = members[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    lines = [_heading(alliance, len(members), query)]
    if not members:
        lines.append(esc(_("No member matches. Try another word.")) if query
                     else esc(_("No members yet.")))
    lines += _listing(shown)
    if pages > 1:
        lines += ["", esc(_("Page {page} of {pages}").format(page=page + 1, pages=pages))]
    if private and shown:
        lines += ["", esc(_("Tap a member for their card."))]
    rows = _card_buttons(shown) if private else []
    nav = _page_buttons(alliance.id, page, pages, query)
    if nav:
        rows.append(nav)
    return fit(lines), InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def _heading(alliance: Alliance, count: int, query: str) -> str:
    if query:
        head = _("Members of “{alliance}” matching “{query}”: {count}").format(
            alliance=esc(alliance.name), query=clip(query, QUERY_SHOWN), count=count)
    else:
        head = _("Members of “{alliance}”: {count}").format(alliance=esc(alliance.name),
                                                           count=count)
    return f"<b>{head}</b>"


def _listing(shown: list[Member]) -> list[str]:
    """One row per member, under a heading each time the category changes."""
    lines: list[str] = []
    category = None
    for member in shown:
        if member.category != category or category is None:
            category = member.category
            lines += ["", bold(member.category or _("Other"))]
        lines.append(_member_row(member))
    return lines


def _member_row(member: Member) -> str:
    row = f"#{member.id} {esc(member.name)}"
    if member.region:
        row += f" — {esc(member.region)}"
    if member.status == "suspended":
        row = parenthesized(f"<i>{esc(STATUS_LABELS['suspended'])}</i>", after=row)
    return row


def _card_buttons(shown: list[Member]) -> list[list[InlineKeyboardButton]]:
    """A button per member for their card, three to a row."""
    buttons = [button(m.name[:30], CardCb(member_id=m.id)) for m in shown]
    return [buttons[i:i + 3] for i in range(0, len(buttons), 3)]


def _page_buttons(alliance_id: int, page: int, pages: int, query: str) -> list[InlineKeyboardButton]:
    nav = []
    short = _short(query)
    if page > 0:
        nav.append(button(_("‹ Previous"), PageCb(alliance_id=alliance_id, page=page - 1, query=short)))
    if page < pages - 1:
        nav.append(button(_("Next ›"), PageCb(alliance_id=alliance_id, page=page + 1, query=short)))
    return nav


def _short(query: str) -> str:
    """The search words ride in the page buttons' data (≤ 64 bytes in all): cut on a character."""
    out = ""
    for ch in query.replace(":", " "):
        if len((out + ch).encode()) > 30:
            break
        out += ch
    return out


def member_card(member: Member, alliance: Alliance, show_contact: bool,
                sponsor: str | None, stats: MemberStats | None = None) -> str:
    return fit(_card_lines(member, alliance, show_contact, sponsor, stats))


def _card_lines(member: Member, alliance: Alliance, show_contact: bool, sponsor: str | None,
                stats: MemberStats | None) -> list[str]:
    lines = [f"<b>{esc(member.name)}</b> (#{member.id})"]
    if member.status == "suspended":
        lines.append(_italic(_("Membership suspended")))
    for key in ("category", "region", "services"):
        value = getattr(member, key)
        if value:
            lines.append(field_line(FIELD_LABELS[key], esc(value)))
    if member.contact:
        contact = (esc(contact_text(member.contact)) if show_contact
                   else esc(_("visible to active members only")))
        lines.append(field_line(FIELD_LABELS["contact"], contact))
    if sponsor:
        lines.append(field_line(_("Sponsor"), esc(sponsor)))
    if member.joined_at is not None:
        since = format_datetime(member.joined_at, alliance.timezone)
        lines.append(field_line(_("Member since"), esc(since)))
    if stats is not None:
        lines += member_stats_lines(stats)
    return lines


# -- profile ----------------------------------------------------------------------------------


def profile(member: Member, alliance: Alliance) -> tuple[str, InlineKeyboardMarkup]:
    text = fit([esc(_("Your card in “{alliance}”:").format(alliance=alliance.name)), "",
                *_card_lines(member, alliance, True, None, None), "",
                esc(_("Choose what to change:"))])
    buttons = [button(str(FIELD_LABELS[f]), ProfileCb(alliance_id=alliance.id, field=f))
               for f in FIELD_LABELS]
    return text, InlineKeyboardMarkup(inline_keyboard=[buttons[:3], buttons[3:]])


def ask_field(field: str) -> str:
    return esc(_("Send the new value for “{field}”, or /cancel.").format(field=FIELD_LABELS[field]))


def saved() -> str:
    return esc(_("Saved."))

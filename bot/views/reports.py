"""The words of /export and /audit: the menu of exports, the CSV files' headers and cells, and
the audit log as sentences — all in the reader's language, times in the alliance's zone."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import IO, Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import (
    LazyString,
    format_datetime,
    format_number,
    locale_name,
    ngettext,
    territory_name,
    zone,
    zone_name,
)
from bot.i18n import gettext as _
from bot.i18n import lazy_gettext as __
from bot.services.reports import COLUMNS, KINDS, AuditPage, Row, Tally
from bot.views import decisions as decision_views
from bot.views import errors
from bot.views.common import person_name
from bot.views.html import bold, clip, esc, fit
from bot.views.membership.joining import mode_name
from bot.views.text import clauses, labelled
from storage.models import AuditEntry


class ExportCb(CallbackData, prefix="xp"):
    alliance_id: int
    kind: str


class AuditCb(CallbackData, prefix="au"):
    alliance_id: int
    offset: int
    size: int


BOM = "\ufeff"

TABLE_NAMES: dict[str, LazyString] = {
    "members": __("Members"),
    "referrals": __("Referrals"),
    "decisions": __("Decisions"),
    "meetings": __("Meetings"),
    "requests": __("Requests"),
    "offers": __("Offers"),
    "pledges": __("Pledges"),
    "bookings": __("Bookings"),
}

HEADERS: dict[str, LazyString] = {
    "id": __("ID"),
    "name": __("Name"),
    "category": __("Category"),
    "region": __("Region"),
    "services": __("Services"),
    "contact": __("Business contact"),
    "status": __("Status"),
    "joined_at": __("Joined"),
    "status_changed_at": __("Status changed"),
    "status_reason": __("Reason for the status"),
    "created_at": __("Created"),
    "referrer": __("Referred by"),
    "receiver": __("Referred to"),
    "need": __("Need"),
    "urgency": __("Urgency"),
    "expected_value": __("Expected value"),
    "expected_currency": __("Expected currency"),
    "reason": __("Reason"),
    "answered_at": __("Answered"),
    "closed_at": __("Closed"),
    "won_value": __("Won value"),
    "won_currency": __("Won currency"),
    "rating": __("Rating"),
    "title": __("Title"),
    "kind": __("Kind"),
    "opened_at": __("Opened"),
    "closes_at": __("Voting closes"),
    "secret": __("Secret ballot"),
    "quorum_pct": __("Quorum %"),
    "threshold": __("Threshold"),
    "eligible": __("Eligible members"),
    "voted": __("Members who voted"),
    "tally": __("Votes per option"),
    "outcome": __("Outcome"),
    "starts_at": __("Starts"),
    "slot": __("Candidate time"),
    "member": __("Member"),
    "answer": __("Answer"),
    "quantity": __("Quantity"),
    "unit": __("Unit"),
    "needed_by": __("Needed by"),
    "request_id": __("Request ID"),
    "request": __("Request"),
    "note": __("Note"),
    "purchase_id": __("Purchase ID"),
    "item": __("Item"),
    "cost": __("Cost"),
    "currency": __("Currency"),
    "updated_at": __("Updated"),
    "ends_at": __("Ends"),
    "picked_up_at": __("Picked up"),
    "returned_at": __("Returned"),
    "cancelled_at": __("Cancelled"),
}

# What a spreadsheet would run as a formula if a cell began with it (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# -- /export ---------------------------------------------------------------------------------------


def export_menu(alliance_id: int, alliance_name: str) -> tuple[str, InlineKeyboardMarkup]:
    text = "\n".join((
        bold(_("Exports of “{alliance}”").format(alliance=alliance_name)),
        esc(_("Which table do you want as a spreadsheet (CSV)? I send it here, in our private "
              "chat. Customers' names and contacts are never exported, and secret ballots "
              "only as counts.")),
    ))
    buttons = [InlineKeyboardButton(text=str(TABLE_NAMES[kind]), callback_data=ExportCb(
        alliance_id=alliance_id, kind=kind).pack()) for kind in KINDS]
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def go_private(bot_username: str, start: str, what: str) -> tuple[str, InlineKeyboardMarkup]:
    """From a group: the reports go to a private chat, where only the coordinator sees them."""
    text = esc(_("Reports are sent in a private chat, so the group does not see them."))
    label = _("Open the exports") if what == "export" else _("Open the audit log")
    return text, InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
        text=label, url=f"https://t.me/{bot_username}?start={start}")]])


def file_name(kind: str, alliance_id: int, now: datetime, timezone: str) -> str:
    day = now.astimezone(zone(timezone)).strftime("%Y-%m-%d")
    return f"{kind}-{alliance_id}-{day}.csv"


def export_caption(kind: str, alliance_name: str, count: int, cut: bool) -> str:
    lines = [esc(ngettext("“{alliance}”: {table}, {count} row.", "“{alliance}”: {table}, {count} rows.",
                          count).format(
        alliance=alliance_name, table=TABLE_NAMES[kind], count=format_number(count)))]
    if cut:
        lines.append(esc(_("The file stops there: it has to stay under Telegram's limit for "
                           "files. Ask a developer for the rest.")))
    return "\n".join(lines)


def export_sending(kind: str) -> str:
    return _("Preparing {table}…").format(table=TABLE_NAMES[kind])


def _tally(tally: Tally, kind: str) -> str:
    if tally.counts is None:
        return _("hidden until the vote closes")
    parts = [labelled(decision_views.label(kind, option), str(count))
             for option, count in zip(tally.options, tally.counts, strict=False)]
    return clauses(parts)


def _cell(value: Any, timezone: str) -> str | int:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int):
        return value
    if isinstance(value, datetime):
        return value.astimezone(zone(timezone)).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, Decimal):
        return format(value, "f")
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class CsvWriter:
    """Writes an export's rows to a binary file as they come: UTF-8 with a BOM (so that
    spreadsheet programs read the Chinese), headers in the reader's language."""

    def __init__(self, out: IO[bytes], kind: str, timezone: str) -> None:
        self._out, self._kind, self._timezone = out, kind, timezone
        self._columns = COLUMNS[kind]
        self._buffer = _LineBuffer()
        self._csv = csv.writer(self._buffer)
        self._csv.writerow([str(HEADERS[column]) for column in self._columns])
        self._out.write((BOM + self._buffer.take()).encode("utf-8"))

    def encode(self, row: Row) -> bytes:
        """The row as CSV bytes, not yet written (so the caller can check the size first)."""
        cells = []
        for column in self._columns:
            value = row.get(column)
            cells.append(_tally(value, row.get("kind", "")) if isinstance(value, Tally)
                         else _cell(value, self._timezone))
        self._csv.writerow(cells)
        return self._buffer.take().encode("utf-8")


class _LineBuffer:
    """What the csv module writes into, emptied after every row."""

    def __init__(self) -> None:
        self._parts: list[str] = []

    def write(self, text: str) -> int:
        self._parts.append(text)
        return len(text)

    def take(self) -> str:
        text = "".join(self._parts)
        self._parts.clear()
        return text


# -- /audit ----------------------------------------------------------------------------------------




def _actor(page: AuditPage, entry: AuditEntry) -> str:
    if entry.actor_id is None:
        return _("The bot")
    return person_name(page.people.get(entry.actor_id))


def _person(page: AuditPage, value: Any) -> str:
    text = str(value or "")
    return person_name(page.people.get(int(text))) if text.lstrip("-").isdigit() \
        else _("someone")


def _member(page: AuditPage, value: Any) -> str:
    text = str(value or "")
    return page.members.get(int(text), "#" + text) if text.isdigit() else _("a member")


def _proposal(page: AuditPage, value: Any) -> str:
    text = str(value or "")
    return page.proposals.get(int(text), "#" + text) if text.isdigit() else "?"


def _language(code: str) -> str:
    """A language as its picker names it (繁體中文, not zh_Hant); an unknown code as stored."""
    try:
        return locale_name(code)
    except KeyError:
        return code or "—"


def _detail(entry: AuditEntry, name: str) -> str:
    return str((entry.details or {}).get(name) or "")


def _sentences() -> dict[str, Callable[[AuditPage, AuditEntry, str], str]]:
    """Each action code as a sentence; ``who`` is the actor's name."""
    return {
        "alliance.setup": lambda p, e, who: _("{who} set up the alliance.").format(who=who),
        "alliance.language": lambda p, e, who: _(
            "{who} changed the alliance's language from {old} to {new}.").format(
                who=who, old=_language(_detail(e, "from")), new=_language(_detail(e, "to"))),
        "alliance.timezone": lambda p, e, who: _(
            "{who} changed the time zone from {old} to {new}.").format(
                who=who, old=zone_name(_detail(e, "from")), new=zone_name(_detail(e, "to"))),
        "chat.topic": lambda p, e, who: _("{who} chose the topic for my cards.").format(who=who),
        "chat.link": lambda p, e, who: _("{who} linked the group “{title}”.").format(
            who=who, title=_detail(e, "title")),
        "chat.migrated": lambda p, e, who: _("The home group became a supergroup."),
        "chat.bot_added": lambda p, e, who: _("I was added to a group of the alliance."),
        "chat.bot_removed": lambda p, e, who: _("I was removed from a group of the alliance."),
        "charter.set": lambda p, e, who: _("{who} changed the charter.").format(who=who),
        "announcement.sent": lambda p, e, who: _(
            "{who} sent an announcement to {chats} chat(s) and {members} member(s) privately."
        ).format(who=who, chats=_detail(e, "chats") or 0, members=_detail(e, "members") or 0),
        "settings.approval_mode": lambda p, e, who: _(
            "{who} changed how new members are approved ({mode}).").format(
                who=who, mode=mode_name(e.subject or "")),
        "settings.country": lambda p, e, who: _(
            "{who} set the country for phone numbers ({country}).").format(
                who=who, country=territory_name(e.subject) or "—"),
        "settings.categories": lambda p, e, who: _(
            "{who} changed the member categories.").format(who=who),
        "join_code.rotated": lambda p, e, who: _(
            "{who} made a new invitation link.").format(who=who),
        "application.approved": lambda p, e, who: _(
            "{who} approved the application of {person}.").format(
                who=who, person=_person(p, (e.details or {}).get("person_id"))),
        "application.rejected": lambda p, e, who: _(
            "{who} rejected the application of {person}.").format(
                who=who, person=_person(p, (e.details or {}).get("person_id"))),
        "member.left": lambda p, e, who: _("{who} left the alliance ({member}).").format(
            who=who, member=_member(p, e.subject)),
        "member.suspended": lambda p, e, who: _("{who} suspended {member}: {reason}").format(
            who=who, member=_member(p, e.subject), reason=_detail(e, "reason")),
        "member.reinstated": lambda p, e, who: _("{who} reinstated {member}.").format(
            who=who, member=_member(p, e.subject)),
        "member.removed": lambda p, e, who: (
            _("{who} removed {member} and banned it from the chats.") if (e.details or {}).get(
                "ban") else _("{who} removed {member}.")).format(
                    who=who, member=_member(p, e.subject)),
        "coordinator.promoted": lambda p, e, who: _(
            "{who} made {person} a coordinator.").format(who=who, person=_person(p, e.subject)),
        "coordinator.demoted": lambda p, e, who: _(
            "{who} stepped {person} down as a coordinator.").format(
                who=who, person=_person(p, e.subject)),
        "team.joined": lambda p, e, who: _("{who} joined the team of {member}.").format(
            who=who, member=_member(p, e.subject)),
        "team.removed": lambda p, e, who: _("{who} removed {person} from their team.").format(
            who=who, person=_person(p, e.subject)),
        "proposal.open": lambda p, e, who: _("{who} opened the proposal “{title}”.").format(
            who=who, title=_proposal(p, e.subject)),
        "proposal.close": lambda p, e, who: (
            _("The proposal “{title}” closed.") if e.actor_id is None
            else _("{who} closed the proposal “{title}” early.")).format(
                who=who, title=_proposal(p, e.subject)),
        "meeting.create": lambda p, e, who: _("{who} called a meeting.").format(who=who),
        "meeting_series.create": lambda p, e, who: _(
            "{who} set up a recurring meeting.").format(who=who),
        "meeting_series.paused": lambda p, e, who: _(
            "{who} paused a recurring meeting.").format(who=who),
        "meeting_series.active": lambda p, e, who: _(
            "{who} resumed a recurring meeting.").format(who=who),
        "meeting_series.deleted": lambda p, e, who: _(
            "{who} deleted a recurring meeting.").format(who=who),
    }


def audit_sentence(page: AuditPage, entry: AuditEntry) -> str:
    """One entry in words; a code this version does not know is shown as it is, never fails."""
    who = _actor(page, entry)
    render = _sentences().get(entry.action)
    try:
        if render is not None:
            return render(page, entry, who)
    except (TypeError, ValueError, AttributeError):
        pass  # an entry written by another version with other details: said generically below
    if entry.action.startswith("settings."):
        return _("{who} changed the setting “{name}”.").format(
            who=who, name=entry.action.partition(".")[2])
    return _("{who}: {action}").format(who=who, action=entry.action)


def audit_text(page: AuditPage, alliance_name: str, timezone: str) -> str:
    if not page.entries:
        return "\n".join((bold(_("Audit log of “{alliance}”").format(alliance=alliance_name)),
                          esc(_("Nothing recorded yet."))))
    heading = _("Audit log of “{alliance}”: {first}–{last} of {total}, newest first").format(
        alliance=alliance_name, first=page.offset + 1, last=page.offset + len(page.entries),
        total=page.total)
    lines = [bold(heading), ""]
    for entry in page.entries:
        when = format_datetime(entry.created_at, timezone)
        lines.append(f"<i>{esc(when)}</i> · {clip(audit_sentence(page, entry), 300)}")
    return fit(lines)


def audit_keyboard(page: AuditPage, alliance_id: int) -> InlineKeyboardMarkup | None:
    buttons = []
    if page.offset > 0:
        buttons.append(InlineKeyboardButton(text=_("◀ Newer"), callback_data=AuditCb(
            alliance_id=alliance_id, offset=max(0, page.offset - page.size),
            size=page.size).pack()))
    if page.has_older:
        buttons.append(InlineKeyboardButton(text=_("Older ▶"), callback_data=AuditCb(
            alliance_id=alliance_id, offset=page.offset + page.size, size=page.size).pack()))
    return InlineKeyboardMarkup(inline_keyboard=[buttons]) if buttons else None


def error_messages() -> errors.Messages:
    """This feature's DomainError codes in words (looked up by ``bot.views.errors``)."""
    return {
        "export_unknown": lambda p: _("That export does not exist. Send /export for the list."),
        "audit_bad_size": lambda p: _(
            "Send /audit, or /audit with how many entries to show per page (1 to {maximum})."
        ).format(maximum=p["maximum"]),
    }

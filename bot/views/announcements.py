"""The words of /announce: the preview with its buttons, the announcement as each chat and each
member sees it (a short header in the reader's language above the coordinator's text, which is
already HTML), and the delivery report in plain words — names, never ids."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import format_datetime, ngettext
from bot.i18n import gettext as _
from bot.services.announcements import (
    BLOCKED,
    CHAT_GONE,
    NOT_STARTED,
    Failure,
    Report,
)
from bot.views.html import bold, clip, esc, fit, trim
from bot.views.text import labelled, parenthesized
from storage.models import Alliance, Announcement

REPORT_LINES = 40  # failures listed by name; the rest are counted


class AnnounceCb(CallbackData, prefix="an"):
    id: int
    op: str  # pick | send | priv | cancel
    a: int = 0


def _button(text: str, data: AnnounceCb) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def post(alliance_name: str, text: str) -> str:
    """The announcement as a chat or a member receives it (in the current locale)."""
    header = _("📣 Announcement from “{alliance}”").format(alliance=clip(alliance_name, 200))
    return f"<b>{header}</b>\n\n{text}"


def pick_alliance(announcement: Announcement,
                  mine: Sequence[Alliance]) -> tuple[str, InlineKeyboardMarkup]:
    text = esc(_("You coordinate several alliances. Which one is this announcement for?"))
    rows = [[_button(alliance.name, AnnounceCb(id=announcement.id, op="pick", a=alliance.id))]
            for alliance in mine]
    rows.append([_button(_("✖ Cancel"), AnnounceCb(id=announcement.id, op="cancel"))])
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def preview(announcement: Announcement, alliance: Alliance, chats: int,
            members: int) -> tuple[str, InlineKeyboardMarkup]:
    """What will be sent, where, and the buttons (only the author's presses count)."""
    where = ngettext("It goes to {n} chat: the home group and every linked group.",
                     "It goes to {n} chats: the home group and every linked group.",
                     chats).format(n=chats)
    if announcement.privately:
        also = ngettext("Also privately to {n} person at the active member businesses.",
                        "Also privately to {n} people at the active member businesses.",
                        members).format(n=members)
    else:
        also = ngettext("Not privately (it could also go to {n} person at the active member "
                        "businesses).",
                        "Not privately (it could also go to {n} people at the active member "
                        "businesses).",
                        members).format(n=members)
    text = "\n".join([
        bold(_("Preview of your announcement:")), "", post(alliance.name, announcement.text), "",
        "—", esc(where), esc(also)])
    box = "☑" if announcement.privately else "☐"
    key = announcement.id
    keyboard = InlineKeyboardMarkup(inline_keyboard=[
        [_button(_("📨 Send"), AnnounceCb(id=key, op="send"))],
        [_button(f"{box} " + _("Also privately to every active member"),
                 AnnounceCb(id=key, op="priv"))],
        [_button(_("✖ Cancel"), AnnounceCb(id=key, op="cancel"))],
    ])
    return text, keyboard


def on_its_way(chats: int, members: int, *, held_until: datetime | None = None,
               timezone: str | None = None) -> str:
    """``held_until``: the private copies wait for the end of the alliance's quiet hours."""
    chats_text = ngettext("{n} chat", "{n} chats", chats).format(n=chats)
    members_text = ngettext("{n} member", "{n} members", members).format(n=members)
    text = _("📨 Sent: on its way to {chats} and {members}. I will tell you privately once "
             "it is delivered.").format(chats=chats_text, members=members_text)
    if members and held_until is not None:
        text += "\n" + _("It is quiet hours: the private copies wait until {time}, and the "
                          "report comes after them.").format(
                              time=format_datetime(held_until, timezone))
    return esc(text)


def cancelled() -> str:
    return esc(_("Announcement cancelled; nothing was sent."))


def _why(failure: Failure) -> str:
    reasons: dict[str, Callable[[], str]] = {
        BLOCKED: lambda: _("has blocked me"),
        NOT_STARTED: lambda: _("has never started a chat with me"),
        CHAT_GONE: lambda: (_("the group is gone, or I was removed from it") if failure.group
                            else _("has never started a chat with me")),
    }
    return reasons.get(failure.reason, lambda: _("Telegram refused the message"))()


def _who(failure: Failure) -> str:
    if not failure.name:
        return _("a group without a name") if failure.group else _("a former member")
    name = trim(failure.name, 100)
    return parenthesized(trim(failure.business, 100), after=name) if failure.business else name


def report(result: Report) -> str:
    """The author's delivery report, in their language."""
    chats_text = ngettext("{n} chat", "{n} chats", result.chats).format(n=result.chats)
    members_text = ngettext("{n} member", "{n} members", result.members).format(
        n=result.members)
    lines = [bold(_("📬 Your announcement in “{alliance}” is delivered").format(
                 alliance=trimmed(result.alliance.name))),
             esc(_("Delivered to {chats} and {members}.").format(chats=chats_text,
                                                                members=members_text))]
    failures = result.failures
    if not failures:
        lines.append(esc(_("Nothing failed.")))
        return "\n".join(lines)
    lines += ["", esc(ngettext("Not delivered: {n}.", "Not delivered: {n}.",
                               len(failures)).format(n=len(failures)))]
    lines += [esc(f"• {labelled(_who(failure), _why(failure))}")
              for failure in failures[:REPORT_LINES]]
    rest = len(failures) - REPORT_LINES
    if rest > 0:
        lines.append(esc(ngettext("…and {n} more.", "…and {n} more.", rest).format(n=rest)))
    return fit(lines)


def trimmed(name: str) -> str:
    return name if len(name) <= 200 else name[:199] + "…"


def error_messages() -> dict[str, Callable[[dict], str]]:
    return {
        "announce_empty": lambda p: esc(_(
            "Send /announce followed by the text, or reply /announce to the message to "
            "announce.")),
        "announce_too_long": lambda p: esc(_(
            "The announcement is {length} characters long; the limit is {limit}. Please "
            "shorten it.").format(length=p["length"], limit=p["limit"])),
        "announce_not_yours": lambda p: esc(_(
            "Only the coordinator who wrote this announcement can send or cancel it.")),
        "announce_gone": lambda p: esc(_("This announcement was cancelled.")),
        "announce_already_sent": lambda p: esc(_("This announcement is already sent.")),
    }

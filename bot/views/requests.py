"""Shared resource requests (PRODUCT.md §4): the /request and offer wizards' questions, the card
in the home group, the private messages of an offer and a match, /requests and /myrequests.

Contacts appear in one place only: the two messages of an accepted offer (``matched_*``), each
sent to one side's people. The card shows who offered, never what or how to reach them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import format_datetime, format_money, format_number, pgettext, zone_name
from bot.i18n import gettext as _
from bot.services import equipment as kit
from bot.services import requests as asks
from bot.services.requests import Page, Party
from bot.services.resources import Mine
from bot.views import errors
from bot.views.common import contact_text
from bot.views.html import bold, clip, esc, fit, trim
from bot.views.text import labelled, listing

TITLE_SHOWN, DETAILS_SHOWN, NOTE_SHOWN = 120, 600, 300


class ReqWizCb(CallbackData, prefix="rqw"):
    """A button of the /request or offer wizard."""

    action: str
    value: str = ""


StepNo = tuple[int, int]  # this step's number and how many steps there are, as the answers stand


class ReqCb(CallbackData, prefix="rq"):
    """A request's buttons: ``acc`` (an offer id), ``close`` / ``ful`` / ``can`` (a request id)."""

    action: str
    id: int


class ReqListCb(CallbackData, prefix="rql"):
    """/requests: a page and a kind ("" for all); the alliance is the chat's, never the data's."""

    kind: str
    page: int


# -- words ----------------------------------------------------------------------------------------


def kind_label(kind: str) -> str:
    return {asks.EQUIPMENT: _("🔧 Borrow equipment"), asks.SPACE: _("🏠 Space"),
            asks.EXPERTISE: _("💡 Expertise"), asks.PURCHASE: _("🛒 Joint purchase"),
            asks.OTHER: _("📦 Other")}.get(kind, kind)


def status_label(status: str) -> str:
    # Words of their own: "open" and "cancelled" already mean a vote's states in the catalogs.
    return {asks.OPEN: _("open for offers"), asks.MATCHED: _("matched"),
            asks.FULFILLED: pgettext("request status: the need was met", "fulfilled"),
            asks.CANCELLED: _("called off"), asks.EXPIRED: _("expired")}.get(status, status)


def _quantity(quantity: int | None, unit: str | None) -> str:
    if quantity is None:
        return ""
    return f"{format_number(quantity)} {unit}".strip() if unit else format_number(quantity)


def _title(request_id: int, title: str) -> str:
    return _("#{id} “{title}”").format(id=request_id, title=clip(title, TITLE_SHOWN))


def _button(text: str, action: str, value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=ReqWizCb(action=action, value=value).pack())


def _nav(*, back: bool = True) -> list[InlineKeyboardButton]:
    row = [_button(_("◀ Back"), "back")] if back else []
    return [*row, _button(_("✖ Cancel"), "cancel")]


# -- the /request wizard ----------------------------------------------------------------------------

def go_private(bot_username: str, alliance_id: int) -> tuple[str, InlineKeyboardMarkup]:
    text = esc(_("Let's write the request in a private chat, so the group stays readable."))
    return text, InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
        text=_("Write a request"), url=f"https://t.me/{bot_username}?start=request-{alliance_id}")]])


def ask_kind(alliance_name: str, step: StepNo) -> tuple[str, InlineKeyboardMarkup]:
    text = "\n".join((
        bold(_("New request to “{alliance}”").format(alliance=alliance_name)),
        esc(_("Step {n} of {total}: what do you need?").format(n=step[0], total=step[1])),
        esc(_("/cancel stops at any time.")),
    ))
    rows = [[_button(kind_label(kind), "kind", kind)] for kind in asks.KINDS]
    return text, InlineKeyboardMarkup(inline_keyboard=[*rows, _nav(back=False)])


def purchase_elsewhere(alliance_id: int) -> tuple[str, InlineKeyboardMarkup]:
    """A joint purchase has terms of its own (price, minimum, deadline): its own wizard."""
    text = esc(_("A joint purchase needs its terms: the price, the minimum quantity and a pledge "
                 "deadline. Press the button to set them up."))
    return text, InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
        text=_("🛒 Start a joint purchase"), callback_data=f"jp:new:{alliance_id}")]])


def ask_title(kind: str, step: StepNo) -> tuple[str, InlineKeyboardMarkup]:
    text = "\n".join((esc(kind_label(kind)),
                      esc(_("Step {n} of {total}: a short title (e.g. A car lift for Saturday)."
                            ).format(n=step[0], total=step[1]))))
    return text, InlineKeyboardMarkup(inline_keyboard=[_nav()])


def ask_details(step: StepNo) -> tuple[str, InlineKeyboardMarkup]:
    text = esc(_("Step {n} of {total}: the details: what exactly, where, any conditions. Or "
                 "skip.").format(n=step[0], total=step[1]))
    return text, InlineKeyboardMarkup(inline_keyboard=[[_button(_("Skip"), "skip")], _nav()])


def ask_quantity(step: StepNo) -> tuple[str, InlineKeyboardMarkup]:
    text = esc(_("Step {n} of {total}: how many, and of what? A number, then the unit if any "
                 "(e.g. 2 lifts, 3 days, 50 m²). Or skip.").format(n=step[0], total=step[1]))
    return text, InlineKeyboardMarkup(inline_keyboard=[[_button(_("Skip"), "skip")], _nav()])


def ask_needed_by(timezone: str, step: StepNo) -> tuple[str, InlineKeyboardMarkup]:
    text = "\n".join((
        esc(_("Step {n} of {total}: needed by when? A date, with a time if it matters, in {zone} "
              "(e.g. 2026-12-03, 12/3 18:00, Fri). The request expires then if nobody "
              "helped.").format(n=step[0], total=step[1], zone=zone_name(timezone))),
    ))
    return text, InlineKeyboardMarkup(inline_keyboard=[[_button(_("No date"), "skip")], _nav()])


def ask_linked(chats: list[str], linked: bool, step: StepNo,
               choice: Callable[[bool], str]) -> tuple[str, list[InlineKeyboardButton]]:
    """Also in the linked chats? (/request and /purchase alike.) ``chats``: their titles;
    ``linked``: the choice so far (No unless chosen), marked; ``choice``: a button's callback
    data. Returns the question and its two buttons (the caller adds Back and Cancel)."""
    text = "\n".join((
        esc(_("Step {n} of {total}: post the card in the alliance's linked chats too, or in the "
              "home group only?").format(n=step[0], total=step[1])),
        esc(_("Linked chats: {chats}").format(chats=listing(trim(title, 64)
                                                            for title in chats))),
        esc(_("Everyone there sees the card as the home group does; offers and pledges are "
              "still made here in private.")),
    ))
    buttons = [InlineKeyboardButton(text=("• " if value == linked else "") + label,
                                    callback_data=choice(value))
               for value, label in ((False, _("🏠 Home group only")),
                                    (True, _("📣 Linked chats too")))]
    return text, buttons


def ask_request_linked(chats: list[str], linked: bool,
                       step: StepNo) -> tuple[str, InlineKeyboardMarkup]:
    text, buttons = ask_linked(chats, linked, step, lambda value: ReqWizCb(
        action="linked", value=str(int(value))).pack())
    return text, InlineKeyboardMarkup(inline_keyboard=[[button] for button in buttons] + [_nav()])


def where_line(linked: bool) -> str:
    """The review's line on where the card goes, when the alliance has linked chats."""
    return esc(_("Posted in: the home group and the linked chats") if linked
               else _("Posted in: the home group only"))


def review(data: dict, timezone: str, step: StepNo) -> tuple[str, InlineKeyboardMarkup]:
    lines = [bold(_("Step {n} of {total}: check and post").format(n=step[0], total=step[1])), "",
             esc(kind_label(data.get("kind", ""))),
             f"<b>{clip(data.get('title', ''), TITLE_SHOWN)}</b>"]
    if data.get("details"):
        lines.append(clip(data["details"], DETAILS_SHOWN))
    if data.get("quantity"):
        lines.append(esc(_("Quantity: {quantity}").format(
            quantity=_quantity(data["quantity"], data.get("unit")))))
    if data.get("needed_by"):
        lines.append(esc(_("Needed by: {when}").format(
            when=format_datetime(datetime.fromisoformat(data["needed_by"]), timezone))))
    if data.get("linked_chats"):
        lines += ["", where_line(bool(data.get("linked")))]
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=[
        [_button(_("📨 Post in the group"), "post")], _nav()])


def posted(request_id: int, title: str, in_group: bool,
           copies: int = 0) -> tuple[str, InlineKeyboardMarkup]:
    if in_group and copies:
        text = _("Request {request} is posted in the group and in the linked chats. I will tell "
                 "you here when someone offers.").format(request=_title(request_id, title))
    elif in_group:
        text = _("Request {request} is posted in the group. I will tell you here when someone "
                 "offers.").format(request=_title(request_id, title))
    else:
        text = _("Request {request} is saved, but the alliance has no home group to post it "
                 "in.").format(request=_title(request_id, title))
    return text, close_keyboard(request_id)


def wizard_cancelled() -> str:
    return esc(_("Cancelled. Nothing was saved."))


# -- the offer ----------------------------------------------------------------------------------------

def ask_note(request_id: int, title: str, requester: str) -> tuple[str, InlineKeyboardMarkup]:
    head = _("Your offer for request {request} of “{name}”").format(
        request=_title(request_id, title), name=clip(requester, 80))
    text = "\n".join((
        f"<b>{head}</b>",
        esc(_("What can you offer: what, when, on what terms? A short note; only the requester "
              "sees it.")),
    ))
    return text, InlineKeyboardMarkup(inline_keyboard=[
        [_button(_("Send without a note"), "nonote")], _nav(back=False)])


def offer_sent(request_id: int, title: str, requester: str) -> str:
    return _("Your offer for request {request} is on its way to “{name}”. If they accept it, you "
             "both get each other's contact here.").format(request=_title(request_id, title),
                                                         name=clip(requester, 80))


def new_offer(request_id: int, title: str, offerer: str, note: str,
              offer_id: int) -> tuple[str, InlineKeyboardMarkup]:
    lines = [_("🙋 “{name}” can help with your request {request}.").format(
        name=clip(offerer, 80), request=_title(request_id, title))]
    if note:
        lines.append(f"<i>{clip(note, NOTE_SHOWN)}</i>")
    lines.append(esc(_("Accept to exchange contacts with them.")))
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
        text=_("✅ Accept this offer"), callback_data=ReqCb(action="acc", id=offer_id).pack())]])


def _contact_lines(party: Party) -> list[str]:
    lines = [esc(_("Contact: {contact}").format(contact=contact_text(party.contact)))] \
        if party.contact else []
    for person in party.people:
        handle = f" (@{person.username})" if person.username else ""
        lines.append(f"• {clip(person.first_name or '', 64)}{esc(handle)}")
    if not lines:
        lines.append(esc(_("No contact is on file; write to them in the group.")))
    return lines


def matched_requester(request_id: int, title: str, offerer: Party) -> str:
    head = _("✅ You accepted the offer of “{name}” for request {request}. How to reach them:").format(
        name=clip(offerer.name, 80), request=_title(request_id, title))
    return "\n".join([head, *_contact_lines(offerer)])


def matched_offerer(request_id: int, title: str, requester: Party) -> str:
    head = _("✅ “{name}” accepted your offer for request {request}. How to reach them:").format(
        name=clip(requester.name, 80), request=_title(request_id, title))
    return "\n".join([head, *_contact_lines(requester)])


def accepted_toast() -> str:
    return _("Accepted. You both have each other's contact now.")


# -- closing and expiry ------------------------------------------------------------------------------

def close_keyboard(request_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=_("✅ Fulfilled"),
                             callback_data=ReqCb(action="ful", id=request_id).pack()),
        InlineKeyboardButton(text=_("✖ Cancel the request"),
                             callback_data=ReqCb(action="can", id=request_id).pack())]])


def close_options(request_id: int, title: str) -> tuple[str, InlineKeyboardMarkup]:
    text = _("Close request {request}: was it fulfilled, or do you cancel it?").format(
        request=_title(request_id, title))
    return text, close_keyboard(request_id)


def close_options_sent() -> str:
    return _("I sent you the choices in our private chat.")


def closed(request_id: int, title: str, status: str) -> str:
    return _("Request {request} is closed: {status}.").format(
        request=_title(request_id, title), status=status_label(status))


def offer_declined(request_id: int, title: str, *, answered: bool) -> str:
    """To an offerer whose offer was not taken: someone else answered, or the request closed."""
    if answered:
        text = _("Request {request} has been answered by someone else, so your offer was not "
                 "taken. Thank you for offering.")
    else:
        text = _("Request {request} is closed, so your offer is no longer needed. Thank you for "
                 "offering.")
    return text.format(request=_title(request_id, title))


def expired(request_id: int, title: str) -> str:
    return _("⌛ Your request {request} reached its date without a match, so it has expired. "
             "Send /request to ask again.").format(request=_title(request_id, title))


# -- the card ------------------------------------------------------------------------------------------

def card(request: asks.ResourceRequest, requester: str, offers: list[tuple[str, str]],
         timezone: str, bot_username: str) -> tuple[str, InlineKeyboardMarkup | None]:
    """``offers``: (member name, offer status) of open and accepted offers."""
    heading = _("Request #{id}: {title}").format(id=request.id,
                                                   title=trim(request.title, TITLE_SHOWN))
    lines = [f"🙋 {bold(heading)}",
             esc(_("{kind} · asked by “{name}”").format(kind=kind_label(request.kind),
                                                      name=requester))]
    if request.details:
        lines.append(clip(request.details, DETAILS_SHOWN))
    if request.quantity:
        lines.append(esc(_("Quantity: {quantity}").format(
            quantity=_quantity(request.quantity, request.unit))))
    if request.needed_by is not None:
        lines.append(esc(_("Needed by: {when}").format(
            when=format_datetime(request.needed_by, timezone))))
    accepted = [name for name, status in offers if status == asks.OFFER_ACCEPTED]
    if offers and request.status == asks.OPEN:
        names = listing(name for name, _status in offers)
        lines.append(esc(_("Offers: {count} ({names})").format(count=len(offers), names=names)))
    if request.status == asks.MATCHED and accepted:
        lines.append(esc(_("Status: matched with “{name}”").format(name=accepted[0])))
    else:
        lines.append(esc(_("Status: {status}").format(status=status_label(request.status))))
    text = fit(lines)
    rows: list[list[InlineKeyboardButton]] = []
    if request.status == asks.OPEN:
        rows.append([InlineKeyboardButton(
            text=_("🙋 I can offer"), url=f"https://t.me/{bot_username}?start=offer-{request.id}")])
        if request.kind == asks.EQUIPMENT:
            rows.append([InlineKeyboardButton(
                text=_("📅 Book a shared item"),
                url=f"https://t.me/{bot_username}?start=book-{request.id}")])
    if request.status in asks.ACTIVE:
        rows.append([InlineKeyboardButton(text=_("Close (requester)"),
                                          callback_data=ReqCb(action="close", id=request.id).pack())])
    return text, InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


# -- /requests and /myrequests ------------------------------------------------------------------------

def page(found: Page, kind: str | None, timezone: str) -> tuple[str, InlineKeyboardMarkup]:
    heading = _("Open requests") if kind is None else _("Open requests: {kind}").format(
        kind=kind_label(kind))
    lines = [f"<b>{esc(heading)}</b>", ""]
    if not found.items:
        lines.append(esc(_("None at the moment. Send /request to ask for something.")))
    for item in found.items:
        line = f"<b>#{item.id}</b> {esc(kind_label(item.kind))} {clip(item.title, 80)} — " \
               f"{clip(found.names.get(item.requester_id, '?'), 60)}"
        if item.needed_by is not None:
            line += " · " + esc(_("by {when}").format(when=format_datetime(item.needed_by, timezone)))
        lines.append(line)
    if found.pages > 1:
        lines += ["", esc(_("Page {page} of {pages}").format(page=found.number + 1,
                                                             pages=found.pages))]
    chosen = kind or ""
    filters = [InlineKeyboardButton(
        text=("• " if value == chosen else "") + (kind_label(value) if value else _("All")),
        callback_data=ReqListCb(kind=value, page=0).pack())
        for value in ("", *(k for k in asks.KINDS if k != asks.PURCHASE))]
    rows = [filters[:3], filters[3:]]
    paging = []
    if found.number > 0:
        paging.append(InlineKeyboardButton(
            text=_("‹ Previous"), callback_data=ReqListCb(kind=chosen, page=found.number - 1).pack()))
    if found.number + 1 < found.pages:
        paging.append(InlineKeyboardButton(
            text=_("Next ›"), callback_data=ReqListCb(kind=chosen, page=found.number + 1).pack()))
    if paging:
        rows.append(paging)
    return fit(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def mine(found: Mine, timezone: str) -> str:
    lines = [bold(_("Your requests, offers, pledges and bookings"))]
    lines += ["", bold(_("You asked"))]
    lines += [f"• {_title(item.id, item.title)} — {esc(status_label(item.status))}"
              for item in found.asks] or [esc(_("Nothing open."))]
    lines += ["", bold(_("You offered"))]
    lines += [f"• {_title(request.id, request.title)} — " + esc(
        _("accepted") if offer.status == asks.OFFER_ACCEPTED else _("waiting for an answer"))
        for offer, request in found.offers] or [esc(_("Nothing open."))]
    lines += ["", bold(_("You pledged"))]
    lines += ["• " + labelled(clip(purchase.item, 80), f"{esc(format_number(pledge.quantity))} "
              f"{clip(purchase.unit, 32)} — {esc(format_money(cost, purchase.currency))}")
              for pledge, purchase, cost in found.pledges] or [esc(_("Nothing open."))]
    lines += ["", bold(_("You booked"))]
    lines += ["• " + labelled(clip(item.name, 80), f"{esc(format_datetime(booking.starts_at, timezone))} – "
              f"{esc(format_datetime(booking.ends_at, timezone))}")
              + (" " + esc(_("(picked up)")) if booking.status == kit.PICKED_UP else "")
              for booking, item in found.bookings] or [esc(_("Nothing open."))]
    return fit(lines)


# -- refusals -----------------------------------------------------------------------------------------

def error_messages() -> errors.Messages:
    """This feature's DomainError codes in words (looked up by ``bot.views.errors``)."""
    return {
        "request_bad_title": lambda p: _("Please send a title of at most {limit} characters."
                                         ).format(limit=p.get("limit", asks.TITLE_LIMIT)),
        "request_bad_details": lambda p: _("The details are too long: at most {limit} characters."
                                           ).format(limit=p.get("limit", asks.DETAILS_LIMIT)),
        "request_bad_unit": lambda p: _("The unit is too long: at most {limit} characters."
                                        ).format(limit=p.get("limit", asks.UNIT_LIMIT)),
        "request_bad_note": lambda p: _("The note is too long: at most {limit} characters."
                                        ).format(limit=p.get("limit", asks.NOTE_LIMIT)),
        "request_bad_quantity": lambda p: _(
            "Please send a whole number from 1 to {most}, then the unit if any (e.g. 2 lifts)."
        ).format(most=format_number(p.get("most", 10**asks.QUANTITY_DIGITS - 1))),
        "request_bad_date": lambda p: _("I could not read that date. Try 2026-12-03, 12/3 18:00 "
                                        "or Fri."),
        "request_date_past": lambda p: _("That date is already past. Please give one in the "
                                         "future."),
        "request_date_too_far": lambda p: _("That is too far ahead: at most {days} days from now."
                                            ).format(days=p.get("days", 366)),
        "request_bad_kind": lambda p: _("That kind of request does not exist."),
        "request_purchase_terms": lambda p: _("A joint purchase is started with its own terms."),
        "request_not_found": lambda p: _("That request no longer exists."),
        "request_is_open": lambda p: _("This request is still open."),
        "request_is_matched": lambda p: _("This request is already matched with an offer."),
        "request_is_fulfilled": lambda p: _("This request is already closed as fulfilled."),
        "request_is_cancelled": lambda p: _("This request was cancelled."),
        "request_is_expired": lambda p: _("This request has expired."),
        "request_is_purchase": lambda p: _("A joint purchase is closed from its own card."),
        "request_not_yours": lambda p: _("Only the member who asked (or a coordinator) can do "
                                         "that."),
        "request_own": lambda p: _("This is your own request: you cannot offer on it."),
        "request_pledge_instead": lambda p: _("This is a joint purchase: pledge a quantity "
                                              "instead."),
        "offer_not_found": lambda p: _("That offer no longer exists."),
        "offer_not_yours": lambda p: _("That is not your offer."),
        "offer_is_accepted": lambda p: _("This offer is already accepted."),
        "offer_is_declined": lambda p: _("This offer is no longer open: the request was matched "
                                         "or closed."),
        "offer_is_withdrawn": lambda p: _("This offer was withdrawn."),
        "offer_member_inactive": lambda p: _("“{name}” cannot take part now (their membership "
                                             "is not active).").format(name=esc(p.get("name", ""))),
        "request_wizard_gone": lambda p: _("This step is over. Send /request to start again."),
        "request_use_buttons": lambda p: _("Please use the buttons of the last question, or "
                                           "/cancel."),
    }

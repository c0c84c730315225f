"""Shared equipment's words (PRODUCT.md §4): /equipment, the booking and "add an item" wizards,
a loan's message with its hand-over buttons, and the return reminder and overdue notices.

Callback data carries ids only (``eq`` an item's buttons, ``ln`` a loan's, ``ew`` the wizards');
every press is checked again by ``bot.services.equipment``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import currency_name, format_datetime, format_money, zone_name
from bot.i18n import gettext as _
from bot.i18n import lazy_gettext as __
from bot.services import equipment as gear
from bot.views import errors
from bot.views.html import bold, clip, esc, fit
from storage.models import Equipment, EquipmentBooking

Keyboard = InlineKeyboardMarkup
ITEM_BUTTONS = 40  # items offered as buttons in the booking wizard, members in the holder step
NAME_SHOWN = 60


class EqCb(CallbackData, prefix="eq"):
    """An item's buttons under /equipment: ``book``, ``retire``, ``add`` (id: the alliance)."""

    action: str
    id: int


class LoanCb(CallbackData, prefix="ln"):
    """A booking's hand-over buttons: ``pick``, ``ret``, ``cancel``."""

    action: str
    id: int


class EqWizCb(CallbackData, prefix="ew"):
    """The booking and "add an item" wizards' buttons; the wizard's state holds the rest."""

    action: str
    value: int = 0


STATUS = {
    gear.BOOKED: __("booked"),
    gear.PICKED_UP: __("picked up, not returned yet"),
    gear.RETURNED: __("returned"),
    gear.CANCELLED: __("booking cancelled"),
}


def error_messages() -> errors.Messages:
    """This feature's DomainError codes in words (looked up by ``bot.views.errors``)."""
    return {
        "equipment_bad_name": lambda p: _(
            "Please send the item's name (at most {limit} characters).").format(limit=p["limit"]),
        "equipment_bad_location": lambda p: _(
            "Please send where the item stays (at most {limit} characters).").format(
                limit=p["limit"]),
        "equipment_bad_conditions": lambda p: _(
            "Please send the conditions of use (at most {limit} characters).").format(
                limit=p["limit"]),
        "equipment_bad_amount": lambda p: _(
            "Please send an amount such as 500 or 1,500.50 (or press Skip)."),
        "equipment_bad_currency": lambda p: _(
            "“{currency}” is not a currency code I know.").format(currency=clip(p["currency"], 8)),
        "equipment_other_currency": lambda p: _(
            "Amounts here are in the alliance's currency, {currency}.").format(
                currency=esc(currency_name(p["currency"]))),
        "equipment_too_precise": lambda p: _(
            "{currency} has {digits} decimal places at most.").format(
                currency=esc(currency_name(p["currency"])), digits=p["digits"]),
        "equipment_bad_holder": lambda p: _(
            "The holder must be an active member of the alliance."),
        "equipment_not_found": lambda p: _("That item is not in the alliance's list."),
        "equipment_not_yours": lambda p: _(
            "Only a coordinator or the item's owner can do that."),
        "equipment_retired": lambda p: _("That item has been retired from the list."),
        "equipment_wizard_gone": lambda p: _(
            "That form is closed. Send /equipment to start again."),
        "equipment_use_buttons": lambda p: _("Please use the buttons under the question."),
        "booking_bad_time": lambda p: _(
            "I could not read that time. Write a date and time such as 2026-12-03 09:00, "
            "12/3 9am, tomorrow 18:00 or 明天下午3點 — or a date alone."),
        "booking_in_past": lambda p: _("That moment has already passed. Please send a later one."),
        "booking_ends_before_start": lambda p: _(
            "The return must come after the start. Please send a later end."),
        "booking_too_short": lambda p: _(
            "A booking lasts at least {minutes} minutes.").format(minutes=p["minutes"]),
        "booking_too_long": lambda p: _(
            "A booking lasts at most {days} days.").format(days=p["days"]),
        "booking_too_far": lambda p: _(
            "Bookings can start at most {days} days ahead.").format(days=p["days"]),
        "booking_taken": lambda p: _(
            "“{item}” is already booked for part of that time.").format(item=clip(p["item"], 60)),
        "booking_not_found": lambda p: _("That booking no longer exists."),
        "booking_not_yours": lambda p: _(
            "Only the borrower or the item's holder can do that."),
        "booking_is_booked": lambda p: _("That booking has not been picked up yet."),
        "booking_is_picked_up": lambda p: _("That item has already been picked up."),
        "booking_is_returned": lambda p: _("That item has already been returned."),
        "booking_is_cancelled": lambda p: _("That booking was cancelled."),
        "booking_too_early": lambda p: _(
            "The hand-over can be marked from a day before the booking starts."),
        "request_not_for_booking": lambda p: _("Only a request to borrow equipment is answered "
                                               "with a booking."),
    }



def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def _wiz(text: str, action: str, value: int = 0) -> InlineKeyboardButton:
    return _button(text, EqWizCb(action=action, value=value))


def _nav(*, back: bool = True) -> list[InlineKeyboardButton]:
    row = [_wiz(_("◀ Back"), "back")] if back else []
    return [*row, _wiz(_("✖ Cancel"), "cancel")]


def money(amount: Decimal | None, currency: str | None) -> str | None:
    if amount is None or currency is None or amount == 0:
        return None
    return format_money(amount, currency)


def period(starts_at: datetime, ends_at: datetime, timezone: str) -> str:
    return _("{start} – {end}").format(start=format_datetime(starts_at, timezone),
                                       end=format_datetime(ends_at, timezone))


# -- /equipment -----------------------------------------------------------------------------------


def _item_lines(listed: gear.Item, timezone: str) -> list[str]:
    item = listed.item
    lines = [f"📦 <b>{clip(item.name, NAME_SHOWN)}</b>"]
    if item.location:
        lines.append(esc(_("Stays at: {place}").format(place=item.location[:300])))
    lines.append(esc(_("Holder: {name}").format(name=listed.holder[:80])))
    if item.conditions:
        lines.append(esc(_("Conditions: {text}").format(text=item.conditions[:300])))
    deposit, fee = money(item.deposit, item.currency), money(item.fee, item.currency)
    if deposit:
        lines.append(esc(_("Deposit: {amount}").format(amount=deposit)))
    if fee:
        lines.append(esc(_("Fee: {amount}").format(amount=fee)))
    upcoming = listed.next_booking
    if upcoming is not None:
        lines.append(esc(_("Next booked: {period}").format(
            period=period(upcoming.starts_at, upcoming.ends_at, timezone))))
    else:
        lines.append(esc(_("Free: no booking ahead.")))
    return lines


def catalogue(items: Sequence[gear.Item], timezone: str, alliance_name: str, *, private: bool,
              managed: set[int], bot_username: str, may_add: bool, alliance_id: int
              ) -> tuple[str, Keyboard | None]:
    """The list, with *Book* (a deep link in a group) and, in private, *Retire* for those who
    may: in a group everyone would see the button the speaker may press."""
    lines = [bold(_("Shared equipment of “{alliance}”").format(alliance=alliance_name)), ""]
    if not items:
        lines.append(esc(_("Nothing is listed yet.")))
    for listed in items:
        lines += [*_item_lines(listed, timezone), ""]
    rows: list[list[InlineKeyboardButton]] = []
    for listed in items[:ITEM_BUTTONS]:
        name = listed.item.name[:30]
        if private:
            row = [_button(_("Book {item}").format(item=name), EqCb(action="book", id=listed.item.id))]
        else:
            row = [InlineKeyboardButton(text=_("Book {item}").format(item=name),
                                        url=f"https://t.me/{bot_username}?start=equip-{listed.item.id}")]
        if private and listed.item.id in managed:  # a group's list is seen by every member
            row.append(_button(_("Retire"), EqCb(action="retire", id=listed.item.id)))
        rows.append(row)
    if private and may_add:
        rows.append([_button(_("➕ Add an item"), EqCb(action="add", id=alliance_id))])
    elif not private:
        lines.append(esc(_("Add an item: send /equipment to me in a private chat.")))
    return fit(lines), InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def retired(name: str, cancelled: int) -> str:
    text = _("“{item}” is retired from the list.").format(item=name[:NAME_SHOWN])
    if cancelled:
        text += " " + _("Bookings called off: {count}.").format(count=cancelled)
    return text


def booking_called_off(item: str, booking: EquipmentBooking, timezone: str) -> str:
    return esc(_("“{item}” was retired from the alliance's list, so your booking for {period} "
                 "is cancelled.").format(item=item[:NAME_SHOWN],
                                         period=period(booking.starts_at, booking.ends_at,
                                                       timezone)))


# -- the booking wizard ---------------------------------------------------------------------------


def ask_item(items: Sequence[gear.Item]) -> tuple[str, Keyboard]:
    text = "\n".join((bold(_("Book shared equipment")), esc(_("Which item do you need?")),
                      esc(_("/cancel stops at any time."))))
    rows = [[_wiz(listed.item.name[:NAME_SHOWN], "item", listed.item.id)]
            for listed in items[:ITEM_BUTTONS]]
    if not items:
        text += "\n\n" + esc(_("Nothing is listed yet."))
    return text, InlineKeyboardMarkup(inline_keyboard=[*rows, _nav(back=False)])


def ask_start(item: str, timezone: str, *, back: bool) -> tuple[str, Keyboard]:
    text = "\n".join((
        bold(_("Book “{item}”").format(item=item[:NAME_SHOWN])),
        esc(_("From when? Send a date and time in {zone}, e.g. 2026-12-03 09:00, tomorrow 9am "
              "or 12/3 (a date alone: from the start of that day).").format(zone=zone_name(timezone))),
        esc(_("/cancel stops at any time."))))
    return text, InlineKeyboardMarkup(inline_keyboard=[_nav(back=back)])


def ask_end(item: str, starts_at: datetime, timezone: str) -> tuple[str, Keyboard]:
    text = "\n".join((
        bold(_("Book “{item}”").format(item=item[:NAME_SHOWN])),
        esc(_("From {start}.").format(start=format_datetime(starts_at, timezone))),
        esc(_("Until when? Send the return date and time (a date alone: the end of that day).")),
    ))
    return text, InlineKeyboardMarkup(inline_keyboard=[_nav()])


def confirm_booking(item: str, starts_at: datetime, ends_at: datetime, timezone: str
                    ) -> tuple[str, Keyboard]:
    text = "\n".join((bold(_("Book “{item}”").format(item=item[:NAME_SHOWN])),
                      esc(period(starts_at, ends_at, timezone)), "",
                      esc(_("Book it for this period?"))))
    return text, InlineKeyboardMarkup(inline_keyboard=[[_wiz(_("✅ Book"), "book")], _nav()])


def slot_taken(item: str, starts_at: datetime, ends_at: datetime, timezone: str
               ) -> tuple[str, Keyboard]:
    """The loser of a race (or a clash): the next free slot of the same length, one press."""
    when = period(starts_at, ends_at, timezone)
    text = "\n".join((
        esc(_("Someone else has “{item}” for part of that time.").format(item=item[:NAME_SHOWN])),
        esc(_("The next free slot of the same length is {period}.").format(period=when))))
    return text, InlineKeyboardMarkup(inline_keyboard=[
        [_wiz(_("✅ Book {period}").format(period=when)[:64], "book")], _nav()])


def wizard_cancelled() -> str:
    return esc(_("Cancelled. Nothing was saved."))


def request_answered() -> str:
    return esc(_("Your borrow request is answered by this booking: it is now matched."))


# -- a loan's message ----------------------------------------------------------------------------


def loan(booking: EquipmentBooking, item: Equipment, borrower: str, holder: str, timezone: str
         ) -> tuple[str, Keyboard | None]:
    """The booking as borrower and holder see it, with the hand-over buttons its state allows."""
    lines = [bold(_("Booking #{number}: {item}").format(number=booking.id, item=item.name[:NAME_SHOWN])),
             esc(_("When: {period}").format(period=period(booking.starts_at, booking.ends_at,
                                                          timezone))),
             esc(_("Borrower: {name}").format(name=borrower[:80])),
             esc(_("Holder: {name}").format(name=holder[:80]))]
    if item.location:
        lines.append(esc(_("Stays at: {place}").format(place=item.location[:300])))
    deposit, fee = money(item.deposit, item.currency), money(item.fee, item.currency)
    if deposit:
        lines.append(esc(_("Deposit: {amount}").format(amount=deposit)))
    if fee:
        lines.append(esc(_("Fee: {amount}").format(amount=fee)))
    lines.append(esc(_("Status: {status}").format(status=STATUS[booking.status])))
    return "\n".join(lines), loan_keyboard(booking)


def loan_keyboard(booking: EquipmentBooking) -> Keyboard | None:
    bid = booking.id
    if booking.status == gear.BOOKED:
        return InlineKeyboardMarkup(inline_keyboard=[
            [_button(_("📦 Picked up"), LoanCb(action="pick", id=bid)),
             _button(_("↩ Returned"), LoanCb(action="ret", id=bid))],
            [_button(_("✖ Cancel booking"), LoanCb(action="cancel", id=bid))]])
    if booking.status == gear.PICKED_UP:
        return InlineKeyboardMarkup(inline_keyboard=[
            [_button(_("↩ Returned"), LoanCb(action="ret", id=bid))]])
    return None


def new_booking_notice(borrower: str) -> str:
    return esc(_("{name} booked an item you hold.").format(name=borrower[:80]))


def moved_notice(status: str, by: str) -> str:
    notices = {
        gear.PICKED_UP: _("{name} marked the item as picked up."),
        gear.RETURNED: _("{name} marked the item as returned."),
        gear.CANCELLED: _("{name} cancelled the booking."),
    }
    return esc(notices[status].format(name=by[:80]))


def done() -> str:
    return _("Done.")


# -- notices -------------------------------------------------------------------------------------


def notice(kind: str, booking: EquipmentBooking, item: Equipment, borrower: str, holder: str,
           timezone: str) -> tuple[str, Keyboard | None]:
    """The return reminder (borrower), the overdue notice (borrower, then holder)."""
    ends = format_datetime(booking.ends_at, timezone)
    name = item.name[:NAME_SHOWN]
    if kind == gear.REMINDER:
        head = "⏰ " + _("Reminder: please return “{item}” to {holder} by {end}.").format(
            item=name, holder=holder[:80], end=ends)
    elif kind == gear.OVERDUE_BORROWER:
        head = "⚠ " + _("“{item}” was due back at {end}. Please return it to {holder} and press "
                        "Returned.").format(item=name, end=ends, holder=holder[:80])
    else:
        head = "⚠ " + _("{borrower} has not returned “{item}”, due back at {end}.").format(
            borrower=borrower[:80], item=name, end=ends)
    text, keyboard = loan(booking, item, borrower, holder, timezone)
    return f"{esc(head)}\n\n{text}", keyboard


# -- the "add an item" wizard ---------------------------------------------------------------------


def ask_name() -> tuple[str, Keyboard]:
    text = "\n".join((bold(_("Add a shared item")),
                      esc(_("What is it called? (e.g. Tyre changer, Hunter TCX 57)")),
                      esc(_("/cancel stops at any time."))))
    return text, InlineKeyboardMarkup(inline_keyboard=[_nav(back=False)])


def ask_location() -> tuple[str, Keyboard]:
    return (esc(_("Where does it stay? (e.g. Wang's workshop, Lane 12, Zhongshan Rd)")),
            InlineKeyboardMarkup(inline_keyboard=[_nav()]))


def ask_holder(members: Sequence[Sequence[Any]]) -> tuple[str, Keyboard]:
    """``members``: (id, name) of the active members."""
    rows = [[_wiz(str(name)[:NAME_SHOWN], "holder", int(mid))]
            for mid, name in members[:ITEM_BUTTONS]]
    return (esc(_("Which member holds it and hands it over?")),
            InlineKeyboardMarkup(inline_keyboard=[*rows, _nav()]))


def ask_conditions() -> tuple[str, Keyboard]:
    return (esc(_("Conditions of use? (e.g. clean it after use; trained staff only) — or Skip.")),
            InlineKeyboardMarkup(inline_keyboard=[[_wiz(_("Skip"), "skip")], _nav()]))


def ask_deposit(currency: str) -> tuple[str, Keyboard]:
    return (esc(_("Deposit, in {currency}? Send the amount, or Skip.").format(
                currency=currency_name(currency))),
            InlineKeyboardMarkup(inline_keyboard=[[_wiz(_("Skip"), "skip")], _nav()]))


def ask_fee(currency: str) -> tuple[str, Keyboard]:
    return (esc(_("Fee per booking, in {currency}? Send the amount, or Skip.").format(
                currency=currency_name(currency))),
            InlineKeyboardMarkup(inline_keyboard=[[_wiz(_("Skip"), "skip")], _nav()]))


def confirm_item(name: str, location: str, holder: str, conditions: str,
                 deposit: Decimal | None, fee: Decimal | None, currency: str
                 ) -> tuple[str, Keyboard]:
    lines = [bold(_("Add “{item}”?").format(item=name[:NAME_SHOWN]))]
    if location:
        lines.append(esc(_("Stays at: {place}").format(place=location)))
    lines.append(esc(_("Holder: {name}").format(name=holder[:80])))
    if conditions:
        lines.append(esc(_("Conditions: {text}").format(text=conditions)))
    shown_deposit, shown_fee = money(deposit, currency), money(fee, currency)
    if shown_deposit:
        lines.append(esc(_("Deposit: {amount}").format(amount=shown_deposit)))
    if shown_fee:
        lines.append(esc(_("Fee: {amount}").format(amount=shown_fee)))
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=[
        [_wiz(_("✅ Add to the list"), "save")], _nav()])


def item_added(name: str) -> str:
    return esc(_("“{item}” is on the list now. Members can book it with /equipment.").format(
        item=name[:NAME_SHOWN]))

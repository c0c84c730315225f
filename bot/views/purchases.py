"""Joint purchases' words (PRODUCT.md §4): the wizard's questions, the group card with its
progress bar and exact costs, the pledge dialogue, and the notices of the settlement.

Money is always ``format_money`` (Babel's currency format in the reader's locale, with the
currency's own digits); names and items are people's text, clipped and escaped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import (
    currency_name,
    format_datetime,
    format_money,
    format_number,
    lazy_pgettext,
    zone_name,
)
from bot.i18n import gettext as _
from bot.i18n import lazy_gettext as __
from bot.services import purchases
from bot.services.purchases import Card, Line, Settlement, Tier
from bot.views import errors
from bot.views import requests as request_views
from bot.views.html import bold, clip, esc, fit, trim

Keyboard = InlineKeyboardMarkup
Prompt = tuple[str, Keyboard | None]
BAR_CELLS = 10


class NewPurchaseCb(CallbackData, prefix="jp"):
    """"Start a joint purchase" for an alliance (the /request wizard ends with it)."""

    action: str
    alliance_id: int


class PurchaseWizCb(CallbackData, prefix="jw"):
    """The purchase wizard's buttons; the wizard's state says which purchase is meant."""

    action: str
    value: str = ""


class PurchaseCb(CallbackData, prefix="jc"):
    """A purchase's buttons (card and private messages): the action and the purchase's id."""

    action: str
    id: int


STATUS = {
    purchases.OPEN: __("open for pledges"),
    purchases.GO: __("going ahead"),
    purchases.FAILED: __("did not go ahead"),
    purchases.FULFILLED: lazy_pgettext("joint purchase status: goods handed out", "fulfilled"),
}


def error_messages() -> errors.Messages:
    """This feature's DomainError codes in words (looked up by ``bot.views.errors``)."""
    return {
        "purchase_not_found": lambda p: _("That joint purchase no longer exists."),
        "purchase_bad_item": lambda p: _(
            "Please send what you are buying in one line (at most {limit} characters).").format(
                limit=p.get("limit", 200)),
        "purchase_bad_details": lambda p: _(
            "Please send the details in at most {limit} characters, or press Skip.").format(
                limit=p.get("limit", 2000)),
        "purchase_bad_unit": lambda p: _(
            "Please send the unit in a word or two, such as litre, tyre or box (at most {limit} "
            "characters).").format(limit=p.get("limit", 32)),
        "request_bad_unit": lambda p: _(
            "Please send the unit in a word or two, such as litre, tyre or box (at most {limit} "
            "characters).").format(limit=p.get("limit", 32)),
        "purchase_bad_amount": lambda p: _(
            "Please send a price above zero, such as 310, 1,250.50 or 300 USD."),
        "purchase_bad_currency": lambda p: _(
            "“{currency}” is not a currency code I know. Use a code such as TWD, CNY, HKD or "
            "USD.").format(currency=esc(p.get("currency", ""))),
        "purchase_other_currency": lambda p: _(
            "This purchase is priced in {currency}; please send the price in {currency}.").format(
                currency=esc(currency_name(p.get("currency", "")))),
        "purchase_too_precise": lambda p: _(
            "{currency} amounts have at most {digits} decimal places.").format(
                currency=esc(currency_name(p.get("currency", ""))), digits=p.get("digits", 0)),
        "purchase_bad_tiers": lambda p: _(
            "Please send price tiers as “quantity: unit price”, separated by commas, such as "
            "“100: 310, 200: 290” (quantities rising, at most {most} tiers), or press "
            "Skip.").format(most=p.get("most", purchases.MAX_TIERS)),
        "purchase_bad_pricing": lambda p: _(
            "Price tiers work only with a price per unit."),
        "purchase_bad_moq": lambda p: _(
            "Please send the minimum total quantity as a whole number from 1 to {most}.").format(
                most=format_number(p.get("most", 9_999_999))),
        "purchase_bad_maximum": lambda p: _(
            "The maximum must be a whole number no smaller than the minimum ({moq}), or press "
            "Skip.").format(moq=format_number(p.get("moq", 1))),
        "purchase_bad_quantity": lambda p: _(
            "Please send the quantity as a whole number from 1 to {most}.").format(
                most=format_number(p.get("most", 9_999_999))),
        "purchase_bad_deadline": lambda p: _(
            "The pledge deadline must be at least an hour from now and at most {days} days "
            "away.").format(days=p.get("days", purchases.MAX_DEADLINE.days)),
        "purchase_bad_deadline_text": lambda p: _(
            "I could not read that date. Send a date and time such as 2026-12-20 18:00, or a "
            "date such as 12/20, or press a button."),
        "purchase_over_maximum": lambda p: _(
            "That is more than is left: at most {left} more can be pledged.").format(
                left=format_number(p.get("left", 0))),
        "purchase_deadline_passed": lambda p: _(
            "The pledge deadline has passed; pledges can no longer change."),
        "purchase_not_yours": lambda p: _(
            "Only the purchase's organiser or a coordinator can do that."),
        "purchase_proposal_unknown": lambda p: _("That proposal does not exist."),
        "purchase_proposal_not_passed": lambda p: _(
            "Only a proposal that passed can start a joint purchase."),
        "purchase_proposal_used": lambda p: _(
            "A joint purchase was already started from this proposal (#{id}).").format(
                id=p.get("purchase_id", "?")),
        "pledge_none": lambda p: _("You have no pledge in this purchase."),
        "purchase_wizard_gone": lambda p: _(
            "This step is over. Send /purchase to start a new joint purchase."),
        "purchase_use_buttons": lambda p: _("Please use the buttons above to answer this step."),
        "purchase_is_open": lambda p: _("This joint purchase is still open for pledges."),
        "purchase_is_go": lambda p: _("Too late: this joint purchase is already going ahead."),
        "purchase_is_failed": lambda p: _("Too late: this joint purchase did not go ahead."),
        "purchase_is_fulfilled": lambda p: _(
            "Too late: this joint purchase is already fulfilled."),
    }


def status_name(status: str) -> str:
    return str(STATUS.get(status, status))



def quantity(count: int, unit: str) -> str:
    """Plain text (escaped with the sentence around it)."""
    return f"{format_number(count)} {unit}"


# -- the wizard ------------------------------------------------------------------------------------


def _nav(back: bool = True, skip: bool = False) -> list[list[InlineKeyboardButton]]:
    rows = []
    if skip:
        rows.append([InlineKeyboardButton(text=_("Skip"),
                                          callback_data=PurchaseWizCb(action="skip").pack())])
    row = []
    if back:
        row.append(InlineKeyboardButton(text=_("« Back"),
                                        callback_data=PurchaseWizCb(action="back").pack()))
    row.append(InlineKeyboardButton(text=_("✖ Cancel"),
                                    callback_data=PurchaseWizCb(action="cancel").pack()))
    rows.append(row)
    return rows


StepNo = tuple[int, int]  # this step's number and how many steps there are, as the answers stand


def ask_item(alliance: str, step: StepNo) -> Prompt:
    text = "\n".join((
        bold(_("New joint purchase for “{alliance}”").format(alliance=alliance)),
        esc(_("Step {n} of {total}: what are you buying together? Send it in one line, e.g. "
              "“Engine oil 5W-30”.").format(n=step[0], total=step[1])),
        esc(_("/cancel stops at any step.")),
    ))
    return text, Keyboard(inline_keyboard=_nav(back=False))


def ask_details(step: StepNo) -> Prompt:
    return esc(_("Step {n} of {total}: any details — brand, supplier, delivery? Send them, or "
                 "press Skip.").format(n=step[0], total=step[1])), \
        Keyboard(inline_keyboard=_nav(skip=True))


def ask_unit(item: str, step: StepNo, proposal_id: int | None = None) -> Prompt:
    """The first step when a passed proposal starts the purchase (its item and details are
    taken from it): then it carries the wizard's header and the /cancel hint."""
    text = esc(_("Step {n} of {total}: “{item}” is counted in which unit? Send it, e.g. litre, "
                 "tyre, box (for one thing bought together: share).").format(
                     n=step[0], total=step[1], item=item))
    if proposal_id is not None and step[0] == 1:
        text = "\n".join((bold(_("Joint purchase for proposal #{id}").format(id=proposal_id)),
                          text, esc(_("/cancel stops at any step."))))
    return text, Keyboard(inline_keyboard=_nav(back=proposal_id is None or step[0] > 1))


def ask_pricing(step: StepNo) -> Prompt:
    rows = [[InlineKeyboardButton(text=_("A price per unit"),
                                  callback_data=PurchaseWizCb(action="pricing",
                                                              value=purchases.UNIT).pack())],
            [InlineKeyboardButton(text=_("One total price, split by quantity"),
                                  callback_data=PurchaseWizCb(action="pricing",
                                                              value=purchases.SPLIT).pack())]]
    return esc(_("Step {n} of {total}: how is it priced?").format(n=step[0], total=step[1])), \
        Keyboard(inline_keyboard=[*rows, *_nav()])


def ask_price(pricing: str, currency: str, unit: str, step: StepNo) -> Prompt:
    if pricing == purchases.SPLIT:
        text = _("Step {n} of {total}: the total price in {currency}, e.g. 12000. It is split "
                 "between the pledgers by quantity, and the shares add up to exactly the "
                 "total.").format(n=step[0], total=step[1], currency=currency_name(currency))
    else:
        text = _("Step {n} of {total}: the price of one {unit} in {currency}, e.g. 310.").format(
            n=step[0], total=step[1], unit=unit, currency=currency_name(currency))
    return esc(text), Keyboard(inline_keyboard=_nav())


def ask_tiers(currency: str, unit: str, step: StepNo) -> Prompt:
    text = _("Step {n} of {total} (optional): lower prices from a total quantity on. Send "
             "“quantity: price per {unit}” pairs in {currency}, e.g. “100: 290, 200: 270”, or "
             "press Skip.").format(n=step[0], total=step[1], unit=unit,
                                   currency=currency_name(currency))
    return esc(text), Keyboard(inline_keyboard=_nav(skip=True))


def ask_moq(unit: str, step: StepNo) -> Prompt:
    return esc(_("Step {n} of {total}: the minimum total quantity (in {unit}) for the purchase "
                 "to go ahead.").format(n=step[0], total=step[1], unit=unit)), \
        Keyboard(inline_keyboard=_nav())


def ask_maximum(unit: str, moq: int, step: StepNo) -> Prompt:
    return esc(_("Step {n} of {total} (optional): the most that can be pledged in all (in "
                 "{unit}, at least {moq}), or press Skip.").format(
                     n=step[0], total=step[1], unit=unit, moq=format_number(moq))), \
        Keyboard(inline_keyboard=_nav(skip=True))


DEADLINE_DAYS = (3, 7, 14)


def ask_deadline(timezone: str, step: StepNo) -> Prompt:
    buttons = [InlineKeyboardButton(text=_("{days} days").format(days=days),
                                    callback_data=PurchaseWizCb(action="days",
                                                                value=str(days)).pack())
               for days in DEADLINE_DAYS]
    text = _("Step {n} of {total}: when do pledges close? Press a button, or send a date and "
             "time in the alliance's zone ({zone}) such as 2026-12-20 18:00 (a date alone means "
             "its end).").format(n=step[0], total=step[1], zone=zone_name(timezone))
    return esc(text), Keyboard(inline_keyboard=[buttons, *_nav()])


def price_lines(pricing: str, currency: str, unit: str, unit_price: Decimal | None,
                total_price: Decimal | None, tiers: Sequence[Tier]) -> list[str]:
    if pricing == purchases.SPLIT:
        assert total_price is not None
        return [esc(_("Price: {total} in all, split by quantity").format(
            total=format_money(total_price, currency)))]
    assert unit_price is not None
    lines = [esc(_("Price: {price} per {unit}").format(price=format_money(unit_price, currency),
                                                       unit=unit))]
    lines += [esc(_("  from {quantity}: {price} each").format(
        quantity=format_number(tier.min_quantity), price=format_money(tier.unit_price, currency)))
        for tier in tiers]
    return lines


def review(data: dict[str, Any], deadline: datetime, timezone: str, step: StepNo) -> Prompt:
    currency, unit = data["currency"], data["unit"]
    lines = [bold(data["item"])]
    if data.get("details"):
        lines.append(clip(data["details"], 1500))
    lines += ["", *price_lines(data["pricing"], currency, unit, _dec(data.get("unit_price")),
                               _dec(data.get("total_price")),
                               [Tier(q, Decimal(p)) for q, p in data.get("tiers", [])])]
    lines.append(esc(_("Minimum: {moq}").format(moq=quantity(data["moq"], unit))))
    if data.get("maximum"):
        lines.append(esc(_("Maximum: {most}").format(most=quantity(data["maximum"], unit))))
    lines.append(esc(_("Pledges close: {when}").format(when=format_datetime(deadline, timezone))))
    if data.get("linked_chats"):
        lines += ["", request_views.where_line(bool(data.get("linked")))]
    lines += ["", esc(_("Step {n} of {total}: check it, then publish it in the group.").format(
        n=step[0], total=step[1]))]
    rows = [[InlineKeyboardButton(text=_("✅ Publish"),
                                  callback_data=PurchaseWizCb(action="publish").pack())],
            *_nav()]
    return "\n".join(lines), Keyboard(inline_keyboard=rows)


def _dec(value: str | None) -> Decimal | None:
    return Decimal(value) if value else None


def ask_linked(chats: list[str], linked: bool, step: StepNo) -> Prompt:
    """Also in the linked chats? The same question as the /request wizard's."""
    text, buttons = request_views.ask_linked(chats, linked, step, lambda value: PurchaseWizCb(
        action="linked", value=str(int(value))).pack())
    return text, Keyboard(inline_keyboard=[[button] for button in buttons] + _nav())


def published(purchase_id: int, copies: bool = False) -> str:
    if copies:
        return esc(_("Joint purchase #{id} is published in the group and in the linked chats. "
                     "Members pledge from its card.").format(id=purchase_id))
    return esc(_("Joint purchase #{id} is published in the group. Members pledge from its "
                 "card.").format(id=purchase_id))


def pledge_cancelled() -> str:
    return esc(_("Cancelled; your pledge is as it was."))


def wizard_cancelled() -> str:
    return esc(_("Cancelled; nothing was published."))


def purchase_in_private(username: str, alliance_id: int) -> Prompt:
    text = esc(_("Joint purchases are set up in a private chat with me."))
    return text, Keyboard(inline_keyboard=[[InlineKeyboardButton(
        text=_("Start a joint purchase"),
        url=f"https://t.me/{username}?start=purchase-{alliance_id}")]])


def start_button(alliance_id: int) -> InlineKeyboardButton:
    """For another feature's screen (the /request wizard's "joint purchase")."""
    return InlineKeyboardButton(text=_("🛒 Set up the joint purchase"),
                                callback_data=NewPurchaseCb(action="new",
                                                            alliance_id=alliance_id).pack())


def from_proposal_button(username: str, proposal_id: int) -> InlineKeyboardButton:
    """On a passed proposal's announcement: its terms become a joint purchase."""
    return InlineKeyboardButton(text=_("🛒 Start a joint purchase"),
                                url=f"https://t.me/{username}?start=buy-{proposal_id}")


# -- the card ---------------------------------------------------------------------------------------


def bar(pledged: int, moq: int) -> str:
    filled = min(BAR_CELLS, pledged * BAR_CELLS // moq) if moq > 0 else BAR_CELLS
    return "▓" * filled + "░" * (BAR_CELLS - filled)


def _line(line: Line, unit: str, currency: str) -> str:
    return "• " + esc(_("{name} — {quantity} · {cost}").format(
        name=trim(line.name, 60), quantity=quantity(line.quantity, unit),
        cost=format_money(line.cost, currency)))


def _tier_lines(card: Card) -> list[str]:
    purchase = card.purchase
    currency, unit = purchase.currency, purchase.unit
    lines = []
    if card.unit_price is not None and purchase.tiers:
        lines.append(esc(_("Price reached: {price} per {unit}").format(
            price=format_money(card.unit_price, currency), unit=unit)))
    if card.next_tier is not None and purchase.status == purchases.OPEN:
        lines.append(esc(_("{more} more for {price} each").format(
            more=quantity(card.next_tier.min_quantity - card.pledged, unit),
            price=format_money(card.next_tier.unit_price, currency))))
    return lines


def card(card: Card, organiser: str, timezone: str, username: str) -> Prompt:
    """The group card: terms, the progress bar pledged / MOQ, the tier reached and the next
    one, each pledger's quantity and cost, and the total; buttons by state."""
    purchase = card.purchase
    currency, unit = purchase.currency, purchase.unit
    lines = ["🛒 " + bold(_("Joint purchase #{id}: {item}").format(id=purchase.id,
                                                                    item=purchase.item))]
    if card.request.details:
        lines.append(clip(card.request.details, 800))
    lines += [esc(_("Organiser: {name}").format(name=organiser)), "",
              *price_lines(purchase.pricing, currency, unit, purchase.unit_price,
                           purchase.total_price, purchases.tiers_of(purchase))]
    limits = _("Minimum: {moq}").format(moq=quantity(card.moq, unit))
    if card.maximum is not None:
        limits += " · " + _("Maximum: {most}").format(most=quantity(card.maximum, unit))
    lines.append(esc(limits))
    lines.append(esc(_("Pledges close: {when}").format(
        when=format_datetime(purchase.deadline, timezone))))
    lines += ["", esc(f"{bar(card.pledged, card.moq)} {quantity(card.pledged, unit)} / "
                      f"{quantity(card.moq, unit)}"), *_tier_lines(card)]
    if card.lines:
        lines += ["", bold(_("Pledges:"))]
        lines += [_line(line, unit, currency) for line in card.lines]
        lines.append(esc(_("Total: {total}").format(total=format_money(card.total_cost,
                                                                         currency))))
    else:
        lines += ["", esc(_("No pledges yet."))]
    lines += ["", bold(_("Status: {status}").format(status=status_name(purchase.status)))]
    return fit(lines), card_keyboard(purchase.id, purchase.status, username)


def card_keyboard(purchase_id: int, status: str, username: str) -> Keyboard | None:
    if status == purchases.OPEN:
        return Keyboard(inline_keyboard=[
            [InlineKeyboardButton(text=_("🙋 Pledge"),
                                  url=f"https://t.me/{username}?start=pledge-{purchase_id}")],
            [InlineKeyboardButton(text=_("✖ Cancel the purchase"),
                                  callback_data=PurchaseCb(action="cancel",
                                                           id=purchase_id).pack())]])
    if status == purchases.GO:
        return Keyboard(inline_keyboard=[[InlineKeyboardButton(
            text=_("📦 Fulfilled"), callback_data=PurchaseCb(action="done",
                                                            id=purchase_id).pack())]])
    return None


def confirm_cancel(purchase_id: int) -> Keyboard:
    return Keyboard(inline_keyboard=[
        [InlineKeyboardButton(text=_("Yes, cancel it"),
                              callback_data=PurchaseCb(action="cancel_yes", id=purchase_id).pack()),
         InlineKeyboardButton(text=_("No, keep it"),
                              callback_data=PurchaseCb(action="keep", id=purchase_id).pack())]])


# -- pledging ---------------------------------------------------------------------------------------


def ask_pledge(card: Card, timezone: str, mine: int | None) -> Prompt:
    purchase = card.purchase
    lines = ["🛒 " + bold(_("Joint purchase #{id}: {item}").format(id=purchase.id,
                                                                    item=purchase.item)),
             *price_lines(purchase.pricing, purchase.currency, purchase.unit, purchase.unit_price,
                          purchase.total_price, purchases.tiers_of(purchase)),
             esc(_("Pledged so far: {pledged} of the minimum {moq}").format(
                 pledged=quantity(card.pledged, purchase.unit),
                 moq=quantity(card.moq, purchase.unit))),
             esc(_("Pledges close: {when}").format(
                 when=format_datetime(purchase.deadline, timezone))), ""]
    if mine:
        lines.append(esc(_("Your pledge now: {quantity}. Send a new quantity to change it.").format(
            quantity=quantity(mine, purchase.unit))))
    else:
        lines.append(esc(_("How many {unit} do you pledge? Send a whole number.").format(
            unit=purchase.unit)))
    rows = [[InlineKeyboardButton(text=_("✖ Cancel"),
                                  callback_data=PurchaseWizCb(action="cancel").pack())]]
    return "\n".join(lines), Keyboard(inline_keyboard=rows)


def pledged(card: Card, member_id: int) -> Prompt:
    purchase = card.purchase
    mine = next((line for line in card.lines if line.member_id == member_id), None)
    assert mine is not None
    text = esc(_("Pledged: {quantity} of “{item}”, {cost} at today's price. You can change or "
                 "withdraw it until the deadline.").format(
                     quantity=quantity(mine.quantity, purchase.unit), item=purchase.item,
                     cost=format_money(mine.cost, purchase.currency)))
    return text, pledge_keyboard(purchase.id)


def pledge_keyboard(purchase_id: int) -> Keyboard:
    return Keyboard(inline_keyboard=[[
        InlineKeyboardButton(text=_("✏ Change"),
                             callback_data=PurchaseCb(action="change", id=purchase_id).pack()),
        InlineKeyboardButton(text=_("↩ Withdraw"),
                             callback_data=PurchaseCb(action="withdraw", id=purchase_id).pack())]])


def withdrawn(item: str) -> str:
    return esc(_("Your pledge for “{item}” is withdrawn.").format(item=item))


def cancelled_by_you(purchase_id: int) -> str:
    return esc(_("Joint purchase #{id} is cancelled; everyone who pledged is told.").format(
        id=purchase_id))


def fulfilled_toast() -> str:
    return _("Marked as fulfilled.")


def kept() -> str:
    return _("Nothing changed.")


# -- the settlement ---------------------------------------------------------------------------------


def told_go(settlement: Settlement, line: Line) -> str:
    purchase = settlement.purchase
    return "\n".join((
        "✅ " + bold(_("Joint purchase #{id} goes ahead: {item}").format(
            id=purchase.id, item=purchase.item)),
        esc(_("Your share: {quantity}, to pay exactly {cost}.").format(
            quantity=quantity(line.quantity, purchase.unit),
            cost=format_money(line.cost, purchase.currency))),
        esc(_("The organiser will be in touch about payment and delivery.")),
    ))


def told_failed(settlement: Settlement) -> str:
    purchase = settlement.purchase
    if settlement.reason == "cancelled" and settlement.organiser_left:
        head = _("Joint purchase #{id} ({item}) is called off: its organiser is no longer a "
                 "member of the alliance. Nobody pays.")
    elif settlement.reason == "cancelled" and settlement.by_coordinator:
        head = _("Joint purchase #{id} ({item}) was cancelled by a coordinator of the alliance. "
                 "Nobody pays.")
    elif settlement.reason == "cancelled":
        head = _("Joint purchase #{id} ({item}) was cancelled by its organiser. Nobody pays.")
    else:
        head = _("Joint purchase #{id} ({item}) did not reach its minimum of {moq} by the "
                 "deadline ({pledged} pledged), so it does not go ahead. Nobody pays.")
    return "✖ " + esc(head.format(id=purchase.id, item=purchase.item,
                                  moq=quantity(purchase.moq, purchase.unit),
                                  pledged=quantity(settlement.total_quantity, purchase.unit)))


def organiser_list(settlement: Settlement) -> Prompt:
    purchase = settlement.purchase
    currency, unit = purchase.currency, purchase.unit
    lines = ["✅ " + bold(_("Your joint purchase #{id} goes ahead: {item}").format(
        id=purchase.id, item=purchase.item))]
    if settlement.unit_price is not None:
        lines.append(esc(_("Price reached: {price} per {unit}").format(
            price=format_money(settlement.unit_price, currency), unit=unit)))
    lines += ["", bold(_("Who pays what:"))]
    lines += [_line(line, unit, currency) for line in settlement.lines]
    lines += [esc(_("Total: {quantity} · {total}").format(
        quantity=quantity(settlement.total_quantity, unit),
        total=format_money(settlement.total_cost, currency))), "",
        esc(_("Press Fulfilled once the goods are handed out."))]
    return fit(lines), card_keyboard(purchase.id, purchase.status, "")


def list_fulfilled(shown_html: str) -> str:
    """The organiser's list once marked fulfilled: "Press Fulfilled once the goods are handed
    out" would ask for a button that is gone, so that line says it is done."""
    asked = esc(_("Press Fulfilled once the goods are handed out."))
    done = "📦 " + esc(_("Marked as fulfilled."))
    if asked in shown_html:
        return shown_html.replace(asked, done)
    return shown_html if shown_html.endswith(done) else f"{shown_html}\n\n{done}"


def organiser_failed(settlement: Settlement) -> str:
    return told_failed(settlement)


def csv_name(purchase_id: int) -> str:
    return f"purchase-{purchase_id}.csv"


def csv_caption(purchase_id: int) -> str:
    return esc(_("Joint purchase #{id}: the list as a spreadsheet.").format(id=purchase_id))


def csv_bytes(settlement: Settlement) -> bytes:
    """The organiser's list as CSV, UTF-8 with a BOM so that spreadsheets read the Chinese."""
    purchase = settlement.purchase
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Member"), _("Quantity"), _("Unit"), _("Cost"), _("Currency")])
    for line in settlement.lines:
        writer.writerow([line.name, line.quantity, purchase.unit, format(line.cost, "f"),
                         purchase.currency])
    writer.writerow([_("Total"), settlement.total_quantity, purchase.unit,
                     format(settlement.total_cost, "f"), purchase.currency])
    return ("\ufeff" + out.getvalue()).encode("utf-8")

"""Referral wizard prompts, the receiver's card, notices, /referrals and /ledger (PRODUCT.md §3).

The customer's contact appears only where the caller passes ``show_contact=True``, which the
callers decide with ``referrals.may_see_contact``; group cards (the thank-you) never get it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from babel.dates import format_date

from bot.i18n import (
    babel_locale,
    currency_name,
    current_locale,
    format_datetime,
    format_money,
    format_number,
    ngettext,
    zone,
)
from bot.i18n import gettext as _
from bot.i18n import lazy_gettext as __
from bot.services import referrals as refs
from bot.services.ledger import Ledger, LedgerRow, MemberStats, by_currency
from bot.services.referrals import Suggestion
from bot.views import errors
from bot.views.html import bold, clip, esc, fit
from bot.views.text import labelled, parenthesized
from storage.models import Member, Referral

Keyboard = InlineKeyboardMarkup


class RefCb(CallbackData, prefix="rf"):
    """A referral's buttons: the action, the referral's id, and one small argument."""

    action: str
    id: int
    arg: str = ""


class RefWizCb(CallbackData, prefix="rw"):
    """The /refer wizard's buttons; the wizard's state says which referral is meant."""

    action: str
    value: str = ""


URGENCY = {"hot": __("🔥 Hot"), "warm": __("🌤 Warm"), "cold": __("❄️ Cold")}
STATUS = {
    refs.SENT: __("waiting for an answer"),
    refs.ACCEPTED: __("accepted"),
    refs.DECLINED: __("declined"),
    refs.EXPIRED: __("expired (no answer)"),
    refs.CONTACTED: __("customer contacted"),
    refs.WON: __("won"),
    refs.LOST: __("lost"),
    refs.CANCELLED: __("cancelled"),
}
DECLINE_REASONS = {
    "busy": __("Too busy right now"),
    "service": __("Not a service we offer"),
    "area": __("Outside our area"),
}


def error_messages() -> errors.Messages:
    """This feature's DomainError codes in words (looked up by ``bot.views.errors``)."""
    return {
        "referral_not_found": lambda p: _("That referral no longer exists."),
        "referral_not_yours": lambda p: _("This referral is not addressed to you, so you cannot "
                                          "act on it."),
        "referral_unknown_member": lambda p: _("That member is not in your alliance."),
        "referral_not_yourself": lambda p: _("You cannot refer a customer to your own business."),
        "referral_receiver_inactive": lambda p: _(
            "“{name}” is not an active member now and cannot receive referrals.").format(
                name=esc(p["name"])),
        "referral_needs_consent": lambda p: _(
            "I can only pass the customer on if they agreed to it. Ask them first."),
        "referral_bad_urgency": lambda p: _("Please choose hot, warm or cold."),
        "referral_bad_name": lambda p: _(
            "Please send the customer's name (at most {limit} characters).").format(limit=p["limit"]),
        "referral_bad_need": lambda p: _(
            "Please describe what the customer needs (at most {limit} characters).").format(
                limit=p["limit"]),
        "referral_bad_reason": lambda p: _(
            "Please send a short reason (at most {limit} characters).").format(limit=p["limit"]),
        "referral_bad_comment": lambda p: _(
            "Please send a short comment (at most {limit} characters).").format(limit=p["limit"]),
        "referral_bad_contact": lambda p: _(
            "That does not look like a contact. Send a phone number (e.g. +886 912 345 678), an "
            "e-mail address, a Telegram @username or a website."),
        "referral_bad_amount": lambda p: _(
            "Please send an amount such as 12000, 12,000.50 or 300 USD."),
        "referral_bad_currency": lambda p: _(
            "“{currency}” is not a currency code I know. Use a code such as TWD, CNY, HKD or "
            "USD.").format(currency=esc(p["currency"])),
        "referral_too_precise": lambda p: _(
            "{currency} amounts have at most {digits} decimal places.").format(
                currency=esc(currency_name(p["currency"])), digits=p["digits"]),
        "referral_not_won": lambda p: _("Only a won referral can be rated."),
        "referral_bad_rating": lambda p: _("A rating is 1 to 5 stars."),
        "referral_rating_closed": lambda p: _(
            "Ratings can be recorded within 14 days of the win; this one is closed."),
        "referral_purged": lambda p: _(
            "The customer's details were deleted after the retention period."),
        "referral_already_passed": lambda p: _("This customer was already passed on."),
        "referral_already_declined_by": lambda p: _(
            "“{name}” already declined this customer. Please choose someone else.").format(
                name=esc(p["name"])),
        "referral_bad_period": lambda p: _(
            "Periods look like 30d (the last 30 days), 2026-11 (a month), 2026 (a year) or all."),
        "referral_no_match": lambda p: _(
            "No active member matches that name. Try part of it, or pick a category."),
        "referral_use_buttons": lambda p: _("Please use the buttons above to answer this step."),
        "referral_wizard_gone": lambda p: _(
            "This step is over. Send /refer to start a new referral."),
        **{f"referral_is_{status}": _already(status) for status in STATUS},
    }


def _already(status: str):  # type: ignore[no-untyped-def]
    return lambda p: _("Too late: this referral is already {status}.").format(
        status=str(STATUS[status]))


def status_name(status: str) -> str:
    return str(STATUS.get(status, status))


def urgency_name(urgency: str) -> str:
    return str(URGENCY.get(urgency, urgency))


def money(amount: Decimal | None, currency: str | None) -> str:
    if amount is None or not currency:
        return "—"
    return format_money(amount, currency)


def money_list(values: dict[str, Decimal], currency: str | None = None) -> str:
    """Amounts in several currencies joined; none at all is a zero in ``currency`` (NT$0 in
    the money column, not a bare 0 that reads as a count), or 0 when no currency is known."""
    if not values:
        return format_money(Decimal(0), currency) if currency else format_number(0)
    return " + ".join(format_money(amount, code) for code, amount in by_currency(values))


# -- the /refer wizard --------------------------------------------------------------------------

def _nav(back: bool = True) -> list[InlineKeyboardButton]:
    row = []
    if back:
        row.append(InlineKeyboardButton(text=_("« Back"), callback_data=RefWizCb(action="back").pack()))
    row.append(InlineKeyboardButton(text=_("✖ Cancel"), callback_data=RefWizCb(action="cancel").pack()))
    return row


def ask_receiver(categories: list[str]) -> tuple[str, Keyboard]:
    text = "\n".join((
        bold(_("New referral")),
        esc(_("Step 1 of 6: who should get the customer? Pick a category and I suggest members "
              "fairly (fewest referrals received lately first), or type part of a member's "
              "name.")),
    ))
    rows = [[InlineKeyboardButton(text=category[:40],
                                  callback_data=RefWizCb(action="cat", value=str(index)).pack())]
            for index, category in enumerate(categories[:20])]
    rows.append(_nav(back=False))
    return text, Keyboard(inline_keyboard=rows)


def suggestions(category: str | None, found: list[Suggestion]) -> tuple[str, Keyboard]:
    if found:
        head = _("Suggested for “{category}”, fairest first:").format(category=esc(category or ""))
    else:
        head = _("No active member in “{category}” can take it now. Pick another category or "
                 "type a name.").format(category=esc(category or ""))
    rows = [[InlineKeyboardButton(
        text=_("{name} · {count} received lately").format(name=s.member.name[:40],
                                                          count=s.received),
        callback_data=RefWizCb(action="mem", value=str(s.member.id)).pack())] for s in found]
    rows.append([InlineKeyboardButton(text=_("Other category"),
                                      callback_data=RefWizCb(action="cats").pack())])
    rows.append(_nav(back=False))
    return head, Keyboard(inline_keyboard=rows)


def name_matches(found: list[Member]) -> tuple[str, Keyboard]:
    rows = [[InlineKeyboardButton(text=member.name[:60],
                                  callback_data=RefWizCb(action="mem", value=str(member.id)).pack())]
            for member in found]
    rows.append(_nav(back=False))
    return esc(_("Which member do you mean?")), Keyboard(inline_keyboard=rows)


def ask_customer_name(receiver: str) -> tuple[str, Keyboard]:
    text = esc(_("Referring to “{name}”. Step 2 of 6: the customer's name?").format(name=receiver))
    return text, Keyboard(inline_keyboard=[_nav()])


def ask_contact() -> tuple[str, Keyboard]:
    text = esc(_("Step 3 of 6: the customer's contact (phone, e-mail, @username or website). Only "
                 "you and the member who accepts will see it."))
    return text, Keyboard(inline_keyboard=[_nav()])


def ask_consent() -> tuple[str, Keyboard]:
    text = esc(_("Did the customer agree that you pass their contact on to this member?"))
    return text, Keyboard(inline_keyboard=[
        [InlineKeyboardButton(text=_("✅ Yes, the customer agreed"),
                              callback_data=RefWizCb(action="consent").pack())],
        _nav()])


def ask_need() -> tuple[str, Keyboard]:
    return (esc(_("Step 4 of 6: what does the customer need?")), Keyboard(inline_keyboard=[_nav()]))


def ask_urgency() -> tuple[str, Keyboard]:
    return (esc(_("Step 5 of 6: how urgent is it?")), Keyboard(inline_keyboard=[
        [InlineKeyboardButton(text=str(label), callback_data=RefWizCb(action="urg", value=key).pack())
         for key, label in URGENCY.items()],
        _nav()]))


def ask_value(currency: str) -> tuple[str, Keyboard]:
    text = esc(_("Step 6 of 6 (optional): the expected value of the business in {currency}, e.g. "
                 "12000. Or skip.").format(currency=currency_name(currency)))
    return text, Keyboard(inline_keyboard=[
        [InlineKeyboardButton(text=_("Skip"), callback_data=RefWizCb(action="skip").pack())],
        _nav()])


def summary(data: dict, show_contact: bool = True) -> tuple[str, Keyboard]:
    amount = Decimal(data["amount"]) if data.get("amount") else None
    lines = [
        bold(_("Please check the referral")),
        esc(_("To: {name}").format(name=data.get("receiver_name", ""))),
        esc(_("Customer: {name}").format(name=data.get("customer_name", ""))),
    ]
    if show_contact:
        lines.append(esc(_("Contact: {contact}").format(contact=data.get("contact", ""))))
    lines += [
        esc(_("Need: {need}").format(need=data.get("need", ""))),
        esc(_("Urgency: {urgency}").format(urgency=urgency_name(data.get("urgency", "")))),
        esc(_("Expected value: {value}").format(value=money(amount, data.get("currency")))),
    ]
    return "\n".join(lines), Keyboard(inline_keyboard=[
        [InlineKeyboardButton(text=_("📨 Send"), callback_data=RefWizCb(action="send").pack())],
        _nav()])


def refer_in_private() -> str:
    return esc(_("Referrals are made in private: open a chat with me and send /refer."))


def rate_prompt(referral_id: int) -> str:
    return esc(_("Your customer's rating of the service for referral #{id}:").format(id=referral_id))


def wizard_cancelled() -> str:
    return esc(_("Cancelled. Nothing was sent."))


def sent_to_referrer(referral: Referral, receiver: str) -> str:
    return esc(_("Referral #{id} is on its way to “{name}”. I will tell you when they answer.")
               .format(id=referral.id, name=receiver))


# -- the receiver's private card ----------------------------------------------------------------

def receiver_card(referral: Referral, referrer: str, receiver: str, timezone: str,
                  show_contact: bool) -> tuple[str, Keyboard | None]:
    lines = [
        bold(_("Referral #{id} from “{name}”").format(id=referral.id, name=referrer)),
        esc(_("For: {name}").format(name=receiver)),
        esc(_("Need: {need}").format(need=referral.need)),
        esc(_("Urgency: {urgency}").format(urgency=urgency_name(referral.urgency))),
    ]
    if referral.expected_value is not None:
        lines.append(esc(_("Expected value: {value}").format(
            value=money(referral.expected_value, referral.expected_currency))))
    lines.append(esc(_("Sent: {when}").format(when=format_datetime(referral.created_at, timezone))))
    if show_contact:
        lines.append(esc(_("Customer: {name}").format(name=referral.customer_name or "")))
        lines.append(esc(_("Contact: {contact}").format(contact=referral.customer_contact or "")))
    elif referral.status == refs.SENT:
        lines.append(esc(_("The customer's contact is shown once you accept.")))
    elif referral.purged_at is not None:
        lines.append(esc(_("The customer's details were deleted after the retention period.")))
    status = _("Status: {status}").format(status=status_name(referral.status))
    if referral.reason and referral.status in (refs.DECLINED, refs.LOST):
        status += " — " + referral.reason
    if referral.status == refs.WON:
        status += " — " + money(referral.won_value, referral.won_currency)
    lines += ["", f"<i>{esc(status)}</i>"]
    return "\n".join(lines), receiver_keyboard(referral)


def _button(text: str, action: str, referral_id: int, arg: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=RefCb(action=action, id=referral_id,
                                                               arg=arg).pack())


def receiver_keyboard(referral: Referral) -> Keyboard | None:
    if referral.status == refs.SENT:
        return Keyboard(inline_keyboard=[[_button(_("✅ Accept"), "acc", referral.id),
                                          _button(_("✖ Decline"), "dec", referral.id)]])
    row = []
    if referral.status == refs.ACCEPTED:
        row.append(_button(_("📞 Contacted"), "con", referral.id))
    if referral.status in refs.IN_HAND:
        row += [_button(_("🏆 Won"), "won", referral.id), _button(_("Lost"), "lost", referral.id)]
        return Keyboard(inline_keyboard=[row])
    return None


def decline_reasons(referral_id: int) -> Keyboard:
    rows = [[_button(str(label), "dr", referral_id, key)] for key, label in DECLINE_REASONS.items()]
    rows.append([_button(_("Other reason…"), "dro", referral_id)])
    rows.append([_button(_("« Back"), "card", referral_id)])
    return Keyboard(inline_keyboard=rows)


def decline_reason_text(key: str) -> str:
    return str(DECLINE_REASONS[key])


def ask_reason() -> str:
    return esc(_("Please send the reason in one short message (/cancel to stop)."))


def ask_won_value(currency: str) -> str:
    return esc(_("Congratulations! What was the business worth? Send the amount in {currency}, "
                 "e.g. 12000 (/cancel to stop).").format(currency=currency_name(currency)))


def done() -> str:
    return esc(_("Done."))


def toast_accepted() -> str:
    return _("Accepted: the customer's contact is on the card now.")


# -- what the referrer and the receiver are told -----------------------------------------------

def new_referral_notice(referrer: str) -> str:
    return esc(_("“{name}” passed you a customer:").format(name=referrer))


def told_accepted(referral: Referral, receiver: str) -> str:
    return esc(_("“{name}” accepted your referral #{id}.").format(name=receiver, id=referral.id))


def told_declined(referral: Referral, receiver: str) -> tuple[str, Keyboard]:
    text = esc(_("“{name}” declined your referral #{id}: {reason}").format(
        name=receiver, id=referral.id, reason=referral.reason or ""))
    text += "\n" + esc(_("You can pass the customer on to another member."))
    return text, Keyboard(inline_keyboard=[[_button(_("↪ Pass it on"), "pass", referral.id)]])


def told_expired(referral: Referral, receiver: str) -> tuple[str, Keyboard]:
    text = esc(_("“{name}” did not answer your referral #{id} within 72 hours, so it expired.")
               .format(name=receiver, id=referral.id))
    text += "\n" + esc(_("You can pass the customer on to another member."))
    return text, Keyboard(inline_keyboard=[[_button(_("↪ Pass it on"), "pass", referral.id)]])


def told_contacted(referral: Referral, receiver: str) -> str:
    return esc(_("“{name}” contacted the customer of referral #{id}.").format(
        name=receiver, id=referral.id))


def told_won(referral: Referral, receiver: str) -> tuple[str, Keyboard]:
    text = esc(_("🏆 “{name}” won the business of referral #{id}: {value}. Thank you!").format(
        name=receiver, id=referral.id, value=money(referral.won_value, referral.won_currency)))
    text += "\n" + esc(_("How did the customer find the service? Your rating (within 14 days):"))
    return text, rating_keyboard(referral.id)


def rating_keyboard(referral_id: int) -> Keyboard:
    return Keyboard(inline_keyboard=[[_button(f"{stars}⭐", "rate",
                                              referral_id, str(stars)) for stars in range(1, 6)]])


def told_lost(referral: Referral, receiver: str) -> str:
    return esc(_("“{name}” did not win the business of referral #{id}: {reason}").format(
        name=receiver, id=referral.id, reason=referral.reason or ""))


def told_cancelled(referral: Referral, referrer: str) -> str:
    return esc(_("“{name}” withdrew referral #{id}.").format(name=referrer, id=referral.id))


def rated(stars: int) -> tuple[str, Keyboard]:
    text = esc(_("Thank you: {stars} recorded. Add a short comment? Send it as a message, or "
                 "skip.").format(stars="⭐" * stars))
    return text, Keyboard(inline_keyboard=[[InlineKeyboardButton(
        text=_("Skip"), callback_data=RefWizCb(action="nocomment").pack())]])


def reminder(referral: Referral, referrer: str) -> str:
    return esc(_("⏰ Referral #{id} from “{name}” is still waiting for your answer. Please "
                 "accept or decline it on its card; it expires 72 hours after it was sent.")
               .format(id=referral.id, name=referrer))


def nudge(referral: Referral, referrer: str) -> str:
    return esc(_("⏰ Referral #{id} from “{name}” has not moved for a week. Did you contact "
                 "the customer? Mark it contacted, won or lost on its card.").format(
                     id=referral.id, name=referrer))


def thank_you_card(referrer: str, receiver: str) -> str:
    return esc(_("🎉 A referral from “{referrer}” to “{receiver}” became business. Thank you "
                 "for passing customers on!").format(referrer=referrer, receiver=receiver))


# -- /referrals ---------------------------------------------------------------------------------

def my_referrals(member: Member, items: list[Referral], names: dict[int, str], timezone: str,
                 contacts: set[int]) -> tuple[str, Keyboard | None]:
    if not items:
        return esc(_("“{name}” has no open referrals.").format(name=member.name)), None
    lines = [bold(_("Open referrals of “{name}”").format(name=member.name))]
    rows: list[list[InlineKeyboardButton]] = []
    for referral in items:
        given = referral.referrer_id == member.id
        other = names.get(referral.receiver_id if given else referral.referrer_id, "?")
        head = (_("#{id} to “{name}”") if given else _("#{id} from “{name}”")).format(
            id=referral.id, name=other)
        line = f"• {esc(head)} — {esc(status_name(referral.status))}, " \
               f"{esc(urgency_name(referral.urgency))}, " \
               f"{esc(format_datetime(referral.created_at, timezone))}"
        line += "\n  " + clip(referral.need, 80)
        if referral.id in contacts:
            line += "\n  " + esc(_("Contact: {contact}").format(
                contact=f"{referral.customer_name or ''} · {referral.customer_contact or ''}"))
        lines.append(line)
        if given and referral.status == refs.SENT:
            rows.append([_button(_("#{id}: withdraw").format(id=referral.id), "cancel", referral.id)])
        elif given and referral.status == refs.WON:
            rows.append([_button(_("#{id}: rate").format(id=referral.id), "ratep", referral.id)])
        elif not given and referral.status == refs.SENT:
            rows.append([_button(_("#{id}: accept").format(id=referral.id), "acc", referral.id),
                         _button(_("#{id}: decline").format(id=referral.id), "dec", referral.id)])
        elif not given and referral.status in refs.IN_HAND:
            buttons = []
            if referral.status == refs.ACCEPTED:
                buttons.append(_button(_("#{id}: contacted").format(id=referral.id), "con",
                                       referral.id))
            buttons += [_button(_("#{id}: won").format(id=referral.id), "won", referral.id),
                        _button(_("#{id}: lost").format(id=referral.id), "lost", referral.id)]
            rows.append(buttons)
    text = fit(lines)
    return text, Keyboard(inline_keyboard=rows) if rows else None


# -- /ledger and the directory card ------------------------------------------------------------

def ledger(book: Ledger, alliance_name: str, timezone: str, currency: str | None = None) -> str:
    if book.since is None:
        period = _("all time")
    elif book.until is None:
        period = _("since {when}").format(when=format_datetime(book.since, timezone))
    else:  # whole days in the alliance's zone; the end is exclusive
        period = _("{start} – {end}").format(start=_day(book.since, timezone),
                                            end=_day(book.until - timedelta(days=1), timezone))
    lines = [bold(_("Referral ledger of “{name}”").format(name=alliance_name)),
             esc(_("Period: {period}").format(period=period)),
             esc(_("given / received / accepted / won · won value · balance (given − received) "
                   "· credit: given and won")),
             ""]
    for row in book.rows:
        lines.append(_ledger_line(row, row.name, currency=currency))
    lines += ["", _ledger_line(book.totals, _("Alliance total"), balance=False, currency=currency)]
    return fit(lines)


def _day(moment: datetime, timezone: str) -> str:
    return format_date(moment.astimezone(zone(timezone)), "medium",
                       locale=babel_locale(current_locale()))


def _ledger_line(row: LedgerRow, name: str, *, balance: bool = True,
                 currency: str | None = None) -> str:
    figures = " / ".join(format_number(n) for n in (row.given, row.received, row.accepted, row.won))
    line = labelled(f"<b>{esc(name)}</b>", f"{figures} · {esc(money_list(row.won_value, currency))}")
    if balance:
        line += f" · {'+' if row.balance > 0 else ''}{format_number(row.balance)}"
        line += f" · {format_number(row.credited)}"
        if row.credited_value:
            line = parenthesized(esc(money_list(row.credited_value)), after=line)
    return line


def member_stats_lines(stats: MemberStats) -> list[str]:
    """For the directory's member card: referral figures and, from 3 ratings, the average."""
    lines = [esc(_("Referrals: {given} given ({credited} of them won), {received} received, "
                   "{won} won ({value})").format(
        given=format_number(stats.given), credited=format_number(stats.credited),
        received=format_number(stats.received), won=format_number(stats.won),
        value=money_list(stats.won_value)))]
    if stats.average is not None:
        lines.append(esc(ngettext("Customer rating: {average} ★ from {count} rating",
                                  "Customer rating: {average} ★ from {count} ratings",
                                  stats.ratings).format(
            average=format_number(stats.average), count=format_number(stats.ratings))))
    return lines

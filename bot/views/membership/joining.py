"""Joining in words (PRODUCT.md §2): the questionnaire, the coordinators' card, the decision's
messages (welcome card, private welcome, rejection), join requests, the newcomer's nudge and the
settings that shape joining (/approval, /categories, /joinlink).
"""

from __future__ import annotations

from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import gettext as _
from bot.i18n import lazy_gettext as __
from bot.i18n import territory_name
from bot.services.errors import DomainError
from bot.services.membership.joining import Decision
from bot.views import errors
from bot.views.common import contact_text, person_name, stale_button
from bot.views.html import bold, clip, esc, fit
from bot.views.membership.fields import FIELD_LABELS, applicant_label, button, field_line
from bot.views.text import listing
from storage.models import Alliance, Application, Member, Person

STEPS = 7  # name, category, region, services, contact, sponsor, charter


# -- callback data: ids and fixed words only ---------------------------------------------------


class ApplyCb(CallbackData, prefix="ap"):
    action: str  # back | cancel | other | nosponsor | accept | submit


class CategoryCb(CallbackData, prefix="apc"):
    index: int


class SponsorCb(CallbackData, prefix="aps"):
    member_id: int


class DecideCb(CallbackData, prefix="ad"):
    application_id: int
    approve: bool


class ModeCb(CallbackData, prefix="am"):
    alliance_id: int
    mode: str


VIA_LABELS = {
    "request": __("a join request to the group"),
    "link": __("an invitation link"),
    "command": __("the /join command"),
}


# -- errors -----------------------------------------------------------------------------------


def error_messages() -> errors.Messages:
    """This feature's DomainError codes in words (looked up by ``bot.views.errors``)."""
    decided = {
        "approved": _("This application was already approved."),
        "rejected": _("This application was already rejected."),
    }
    return {
        "charter_not_accepted": lambda p: _("Please accept the charter first."),
        "already_member": lambda p: _(
            "You are already a member of “{alliance}”, as “{member}”. /profile shows your card."
        ).format(alliance=esc(p["alliance"]), member=esc(p["member"])),
        "application_open": lambda p: _(
            "Your application to “{alliance}” is waiting for a decision. I will tell you as soon "
            "as there is one.").format(alliance=esc(p["alliance"])),
        "application_decided": lambda p: decided.get(
            p.get("status"), _("This application is no longer open.")),
        "unknown_application": lambda p: _("That application no longer exists."),
        "unknown_approval_mode": lambda p: _(
            "Choose how new members are approved: /approval coordinators or /approval vote."),
        "category_too_long": lambda p: _(
            "A category can be at most {limit} characters long.").format(limit=p["limit"]),
        "categories_empty": lambda p: _(
            "Send the categories after the command, separated by commas, e.g. "
            "/categories repair, tyres, parts"),
        "categories_too_many": lambda p: _(
            "At most {limit} categories, please.").format(limit=p["limit"]),
        "join_where": lambda p: _(
            "Which alliance? Open the invitation link a member shared with you, or send /join in "
            "the alliance's group."),
        "nothing_to_cancel": lambda p: _("There is nothing to cancel."),
        "unknown_country": lambda p: _(
            "“{code}” is not a country code I know. Use two letters, e.g. TW, HK, CN or SG."
        ).format(code=esc(p["country"])),
        "use_buttons": lambda p: _("Please use the buttons under my last question."),
        "stale": lambda p: stale_button(),
    }


# -- questionnaire ----------------------------------------------------------------------------


def _nav(back: bool = True) -> list[InlineKeyboardButton]:
    row = [button(_("« Back"), ApplyCb(action="back"))] if back else []
    return [*row, button(_("Cancel"), ApplyCb(action="cancel"))]


def _step(number: int, question: str) -> str:
    head = _("Step {number} of {total}").format(number=number, total=STEPS)
    return f"<b>{esc(head)}</b>\n{esc(question)}"


def intro(alliance_name: str, *, join_request: bool) -> str:
    if join_request:
        text = _("You asked to join “{alliance}”. Before I let you in, please answer a few "
                 "questions about your business. Tap “Open our chat” below so that I can keep "
                 "writing to you.")
    else:
        text = _("Welcome! To join “{alliance}”, please answer a few questions about your "
                 "business.")
    tail = _("Send /cancel at any time to stop.")
    return f"{text.format(alliance=esc(alliance_name))}\n{esc(tail)}"


def open_chat_keyboard(url: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=_("Open our chat"), url=url)]])


def ask_name() -> tuple[str, InlineKeyboardMarkup]:
    return (_step(1, _("What is your business called?")),
            InlineKeyboardMarkup(inline_keyboard=[_nav(back=False)]))


def ask_category(choices: list[str]) -> tuple[str, InlineKeyboardMarkup]:
    if not choices:
        return (_step(2, _("Which category does your business belong to (e.g. car repair, "
                           "tyres, parts)?")),
                InlineKeyboardMarkup(inline_keyboard=[_nav()]))
    rows: list[list[InlineKeyboardButton]] = []
    buttons = [button(name[:60], CategoryCb(index=i)) for i, name in enumerate(choices)]
    buttons.append(button(_("Other…"), ApplyCb(action="other")))
    for start in range(0, len(buttons), 2):
        rows.append(buttons[start:start + 2])
    rows.append(_nav())
    return (_step(2, _("Which category fits your business best? Pick one, or “Other…” to type "
                       "your own.")), InlineKeyboardMarkup(inline_keyboard=rows))


def ask_category_text() -> tuple[str, InlineKeyboardMarkup]:
    return (_step(2, _("Type your category:")), InlineKeyboardMarkup(inline_keyboard=[_nav()]))


def ask_region() -> tuple[str, InlineKeyboardMarkup]:
    return (_step(3, _("Where is your business (city or region)?")),
            InlineKeyboardMarkup(inline_keyboard=[_nav()]))


def ask_services() -> tuple[str, InlineKeyboardMarkup]:
    return (_step(4, _("Which services do you offer? A few lines are enough.")),
            InlineKeyboardMarkup(inline_keyboard=[_nav()]))


def ask_contact(country: str | None) -> tuple[str, InlineKeyboardMarkup]:
    question = _("How can members reach you? Send a phone number, an e-mail address or a "
                 "website.")
    if country:
        hint = _("Phone numbers without a country code are read as {country} numbers.").format(
            country=territory_name(country))
    else:
        hint = _("Start phone numbers with + and the country code.")
    return (f"{_step(5, question)}\n<i>{esc(hint)}</i>",
            InlineKeyboardMarkup(inline_keyboard=[_nav()]))


def ask_sponsor(matches: list[Member] | None = None,
                tried: str | None = None) -> tuple[str, InlineKeyboardMarkup]:
    rows = [[button(m.name[:60], SponsorCb(member_id=m.id))] for m in matches or []]
    rows.append([button(_("No sponsor"), ApplyCb(action="nosponsor"))])
    rows.append(_nav())
    if matches:
        text = _step(6, _("Which of these members vouches for you?"))
    elif tried is not None:
        text = _step(6, _("No active member has a name like that. Try another part of the name, "
                          "or press “No sponsor”."))
    else:
        text = _step(6, _("Does a member vouch for you? Type part of the member's name, or press "
                          "“No sponsor”."))
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def ask_charter(charter: str) -> tuple[str, InlineKeyboardMarkup]:
    if charter.strip():
        body = _("Please read the alliance's charter and accept it:")
        text = f"{_step(7, body)}\n\n{clip(charter, 3500)}"
    else:
        text = _step(7, _("The alliance has no written charter yet. Do you agree to follow the "
                          "rules its members agree on?"))
    keyboard = InlineKeyboardMarkup(inline_keyboard=[
        [button(_("I accept the charter"), ApplyCb(action="accept"))], _nav()])
    return text, keyboard


def answers_lines(answers: dict[str, Any]) -> list[str]:
    lines = []
    for key in ("name", "category", "region", "services", "contact"):
        value = answers.get(key)
        if value:
            shown = contact_text(value) if key == "contact" else value
            lines.append(field_line(FIELD_LABELS[key], esc(shown)))
    sponsor = answers.get("sponsor_name")
    lines.append(field_line(_("Sponsor"), esc(sponsor) if sponsor else esc(_("none"))))
    return lines


def summary(alliance_name: str, answers: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    head = _("Please check your application to “{alliance}”:").format(alliance=esc(alliance_name))
    tail = _("Send it to the coordinators?")
    keyboard = InlineKeyboardMarkup(inline_keyboard=[
        [button(_("Submit"), ApplyCb(action="submit"))], _nav()])
    return fit([head, "", *answers_lines(answers), "", esc(tail)]), keyboard


def submitted(vote: bool) -> str:
    if vote:
        return esc(_("Thank you! Your application was sent; the members will vote on it. I will "
                     "tell you here as soon as it is decided."))
    return esc(_("Thank you! Your application was sent to the coordinators. I will tell you "
                 "here as soon as they decide."))


def cancelled() -> str:
    return esc(_("Cancelled; nothing was sent. You can start again with /join."))


def cancelled_plain() -> str:
    return esc(_("Cancelled."))


def use_buttons() -> str:
    return errors.error_text(DomainError("use_buttons"))


def resumed() -> str:
    return esc(_("Let's continue where we left off."))


# -- the coordinators' card -------------------------------------------------------------------


def application_card(application: Application, alliance: Alliance,
                     applicant: Person | None) -> tuple[str, InlineKeyboardMarkup]:
    head = _("📝 New application to “{alliance}”").format(alliance=esc(alliance.name))
    who = applicant_label(applicant)
    lines = [f"<b>{head}</b>", "", *answers_lines(application.answers or {}),
             field_line(_("Applicant"), who),
             field_line(_("Came through"), esc(VIA_LABELS.get(application.via, application.via)))]
    keyboard = InlineKeyboardMarkup(inline_keyboard=[[
        button(_("✅ Approve"), DecideCb(application_id=application.id, approve=True)),
        button(_("❌ Reject"), DecideCb(application_id=application.id, approve=False)),
    ]])
    return fit(lines), keyboard


def decided_card(decision: Decision) -> str:
    name = esc(decision.answers.get("name", ""))
    who = esc(person_name(decision.decided_by_name))
    if decision.approved:
        if decision.decided_by is not None:
            result = _("✅ “{name}” was approved by {who}.").format(name=name, who=who)
        else:
            result = _("✅ “{name}” was approved by the members' vote.").format(name=name)
    elif decision.decided_by is not None:
        result = _("❌ “{name}” was rejected by {who}. Reason: {reason}").format(
            name=name, who=who, reason=esc(decision.reason or ""))
    else:
        result = _("❌ “{name}” was rejected by the members' vote.").format(name=name)
    return fit([result, "", *answers_lines(decision.answers)])


def ask_reason(name: str) -> str:
    return _("Why do you reject “{name}”? Send the reason — the applicant will read it — or "
             "/cancel.").format(name=esc(name))


def approved_toast() -> str:
    return _("Approved.")


def rejected_done() -> str:
    return esc(_("Rejected. I have told the applicant."))


def no_coordinator_reachable() -> str:
    return esc(_("A new application is waiting, but I cannot write to any coordinator. "
                 "Coordinators: send me /start in a private chat, then /applications."))


def no_pending() -> str:
    return esc(_("No applications are waiting."))


# -- after the decision -----------------------------------------------------------------------


def welcome_card(answers: dict[str, Any]) -> str:
    head = _("👋 Please welcome our new member: {name}!").format(
        name=bold(answers.get("name", "")))
    lines = [head]
    place = " · ".join(esc(answers[k]) for k in ("category", "region") if answers.get(k))
    if place:
        lines.append(place)
    if answers.get("services"):
        lines.append(field_line(_("Services"), clip(str(answers["services"]), 600)))
    return "\n".join(lines)


def private_welcome(decision: Decision, invite_link: str | None, in_group: bool) -> str:
    head = _("🎉 Welcome to “{alliance}”! “{name}” is now a member.").format(
        alliance=esc(decision.alliance_name), name=esc(decision.answers.get("name", "")))
    lines = [head, ""]
    if invite_link:
        lines += [esc(_("Join the alliance's group with this link — it is for you alone and "
                        "works for 24 hours:")), esc(invite_link), ""]
    elif not in_group and decision.join_chat_id is None:
        lines += [esc(_("Ask a coordinator to add you to the alliance's group.")), ""]
    if decision.charter.strip():
        lines += [bold(_("The charter")), clip(decision.charter, 2500), ""]
    lines += [esc(_("What next:")),
              "• " + esc(_("/members — the directory of members;")),
              "• " + esc(_("/profile — check and edit your card;")),
              "• " + esc(_("/team — let colleagues act for your business;")),
              "• " + esc(_("/help — everything else."))]
    return fit(lines)


def rejection(decision: Decision) -> str:
    return _("I am sorry: your application to “{alliance}” was not accepted.\nReason: {reason}").format(
        alliance=esc(decision.alliance_name), reason=esc(decision.reason or ""))


def already_active(alliance: str, member: str) -> str:
    return _("Welcome back! You are already a member of “{alliance}” as “{member}”, so I let you "
             "in.").format(alliance=esc(alliance), member=esc(member))


def request_waits(alliance: str) -> str:
    return _("Your application to “{alliance}” is still waiting for a decision. I will let you in "
             "as soon as it is approved.").format(alliance=esc(alliance))


def request_suspended(alliance: str) -> str:
    return _("Your membership in “{alliance}” is suspended; a coordinator will look at your "
             "request.").format(alliance=esc(alliance))


def nudge(first_name: str, url: str) -> str:
    return _("Welcome, {name}! To appear in the members' directory and take part, please "
             "introduce your business: {link}").format(name=esc(first_name), link=esc(url))


def join_in_group(url: str) -> tuple[str, InlineKeyboardMarkup]:
    text = esc(_("To join the alliance, open a private chat with me through this button:"))
    return text, InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=_("Apply to join"), url=url)]])


# -- settings ---------------------------------------------------------------------------------


def join_link(url: str, coordinator: bool) -> str:
    lines = [esc(_("Invitation link for new members — share it with businesses you "
                   "recommend:")), esc(url)]
    if coordinator:
        lines.append(esc(_("/joinlink new makes a new link; the old one stops working.")))
    return "\n".join(lines)


def mode_name(mode: str) -> str:
    return _("a members' vote") if mode == "vote" else _("the coordinators")


def approval_card(alliance_id: int, mode: str) -> tuple[str, InlineKeyboardMarkup]:
    text = esc(_("New members are approved by {mode}.").format(mode=mode_name(mode)))
    keyboard = InlineKeyboardMarkup(inline_keyboard=[[
        button(("✓ " if mode == m else "") + mode_name(m), ModeCb(alliance_id=alliance_id, mode=m))
        for m in ("coordinators", "vote")]])
    return text, keyboard


def categories_text(items: list[str]) -> str:
    if not items:
        return esc(_("No categories are set: applicants type their own. A coordinator sets them "
                     "with /categories followed by a comma-separated list."))
    return esc(_("Categories: {list}").format(list=listing(items)))

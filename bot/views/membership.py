"""Onboarding, decision cards, welcome cards, the directory and lifecycle texts (PRODUCT.md §2)."""

from __future__ import annotations

from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import format_datetime
from bot.i18n import gettext as _
from bot.i18n import lazy_gettext as __
from bot.services.errors import DomainError
from bot.services.ledger import MemberStats
from bot.services.membership import PAGE_SIZE, Decision
from bot.views import errors
from bot.views.common import stale_button
from bot.views.html import clip, esc, fit
from bot.views.referrals import member_stats_lines
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


class PageCb(CallbackData, prefix="mp"):
    alliance_id: int
    page: int
    query: str = ""


class CardCb(CallbackData, prefix="mc"):
    member_id: int


class ProfileCb(CallbackData, prefix="pf"):
    alliance_id: int
    field: str


class LeaveCb(CallbackData, prefix="lv"):
    alliance_id: int
    confirm: bool


class TeamCb(CallbackData, prefix="tm"):
    alliance_id: int
    person_id: int = 0  # 0: invite a colleague; otherwise remove this person


class ModeCb(CallbackData, prefix="am"):
    alliance_id: int
    mode: str


def _field(label: object, value_html: str) -> str:
    """"Label: value", with the colon each language uses."""
    return _("{label}: {value}").format(label=_bold(label), value=value_html)


def _bold(text: object) -> str:
    return f"<b>{esc(text)}</b>"


def _italic(text: object) -> str:
    return f"<i>{esc(text)}</i>"


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


FIELD_LABELS = {
    "name": __("Business name"),
    "category": __("Category"),
    "region": __("Region / city"),
    "services": __("Services"),
    "contact": __("Contact"),
}

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
        "answer_empty": lambda p: _("This answer cannot be empty. Please try again."),
        "answer_too_long": lambda p: _(
            "This answer is {length} characters long; the limit is {limit}. Please shorten it."
        ).format(length=p["length"], limit=p["limit"]),
        "bad_phone": lambda p: _(
            "That phone number is not valid. Please check it and send it again, with the "
            "country code if it is from abroad (e.g. +886 2 2345 6789)."),
        "phone_needs_country": lambda p: _(
            "Please start the phone number with + and the country code, e.g. +886 912 345 678."),
        "bad_email": lambda p: _("That e-mail address is not valid. Please check it."),
        "bad_contact": lambda p: _(
            "Please send a phone number, an e-mail address or a website address."),
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
        "unknown_member": lambda p: _("I cannot find that member. /members lists them with their #id."),
        "unknown_approval_mode": lambda p: _(
            "Choose how new members are approved: /approval coordinators or /approval vote."),
        "category_too_long": lambda p: _(
            "A category can be at most {limit} characters long.").format(limit=p["limit"]),
        "categories_empty": lambda p: _(
            "Send the categories after the command, separated by commas, e.g. "
            "/categories repair, tyres, parts"),
        "categories_too_many": lambda p: _(
            "At most {limit} categories, please.").format(limit=p["limit"]),
        "reason_needed": lambda p: _("Please give a reason after the member, e.g. /suspend #12 unpaid fees."),
        "member_not_active": lambda p: _("“{name}” is not an active member.").format(
            name=esc(p["name"])),
        "member_not_suspended": lambda p: _("“{name}” is not suspended.").format(name=esc(p["name"])),
        "member_reference_needed": lambda p: _(
            "Say which member, by #id or name (the ids are in /members)."),
        "ambiguous_member": lambda p: _("Several members match: {names}. Please use the #id.").format(
            names=esc(p["names"])),
        "person_reference_needed": lambda p: _(
            "Say who: reply to one of their messages, or give their @username."),
        "unknown_person_in_alliance": lambda p: _("That person is not in this alliance."),
        "already_coordinator": lambda p: _("{name} is already a coordinator.").format(
            name=esc(p["name"])),
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
        "unknown_field": lambda p: _("That field cannot be edited."),
        "join_where": lambda p: _(
            "Which alliance? Open the invitation link a member shared with you, or send /join in "
            "the alliance's group."),
        "nothing_to_cancel": lambda p: _("There is nothing to cancel."),
        "text_please": lambda p: _("Please answer with text."),
        "unknown_country": lambda p: _(
            "“{code}” is not a country code I know. Use two letters, e.g. TW, HK, CN or SG."
        ).format(code=esc(p["country"])),
        "use_buttons": lambda p: _("Please use the buttons under my last question."),
        "stale": lambda p: stale_button(),
    }


# -- questionnaire ----------------------------------------------------------------------------


def _nav(back: bool = True) -> list[InlineKeyboardButton]:
    row = [_button(_("« Back"), ApplyCb(action="back"))] if back else []
    return [*row, _button(_("Cancel"), ApplyCb(action="cancel"))]


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
    buttons = [_button(name[:60], CategoryCb(index=i)) for i, name in enumerate(choices)]
    buttons.append(_button(_("Other…"), ApplyCb(action="other")))
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
            country=country)
    else:
        hint = _("Start phone numbers with + and the country code.")
    return (f"{_step(5, question)}\n<i>{esc(hint)}</i>",
            InlineKeyboardMarkup(inline_keyboard=[_nav()]))


def ask_sponsor(matches: list[Member] | None = None,
                tried: str | None = None) -> tuple[str, InlineKeyboardMarkup]:
    rows = [[_button(m.name[:60], SponsorCb(member_id=m.id))] for m in matches or []]
    rows.append([_button(_("No sponsor"), ApplyCb(action="nosponsor"))])
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
        [_button(_("I accept the charter"), ApplyCb(action="accept"))], _nav()])
    return text, keyboard


def answers_lines(answers: dict[str, Any]) -> list[str]:
    lines = []
    for key in ("name", "category", "region", "services", "contact"):
        value = answers.get(key)
        if value:
            lines.append(_field(FIELD_LABELS[key], esc(value)))
    sponsor = answers.get("sponsor_name")
    lines.append(_field(_("Sponsor"), esc(sponsor) if sponsor else esc(_("none"))))
    return lines


def summary(alliance_name: str, answers: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    head = _("Please check your application to “{alliance}”:").format(alliance=esc(alliance_name))
    tail = _("Send it to the coordinators?")
    keyboard = InlineKeyboardMarkup(inline_keyboard=[
        [_button(_("Submit"), ApplyCb(action="submit"))], _nav()])
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
             _field(_("Applicant"), who),
             _field(_("Came through"), esc(VIA_LABELS.get(application.via, application.via)))]
    keyboard = InlineKeyboardMarkup(inline_keyboard=[[
        _button(_("✅ Approve"), DecideCb(application_id=application.id, approve=True)),
        _button(_("❌ Reject"), DecideCb(application_id=application.id, approve=False)),
    ]])
    return fit(lines), keyboard


def applicant_label(person: Person | None) -> str:
    if person is None:
        return "—"
    name = " ".join(p for p in (person.first_name, person.last_name) if p) or str(person.id)
    if person.username:
        return f"{esc(name)} (@{esc(person.username)})"
    return esc(name)


def decided_card(decision: Decision) -> str:
    name = esc(decision.answers.get("name", ""))
    if decision.approved:
        if decision.decided_by_name:
            result = _("✅ “{name}” was approved by {who}.").format(
                name=name, who=esc(decision.decided_by_name))
        else:
            result = _("✅ “{name}” was approved by the members' vote.").format(name=name)
    elif decision.decided_by_name:
        result = _("❌ “{name}” was rejected by {who}. Reason: {reason}").format(
            name=name, who=esc(decision.decided_by_name), reason=esc(decision.reason or ""))
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
        name=_bold(answers.get("name", "")))
    lines = [head]
    place = " · ".join(esc(answers[k]) for k in ("category", "region") if answers.get(k))
    if place:
        lines.append(place)
    if answers.get("services"):
        lines.append(_field(_("Services"), clip(str(answers["services"]), 600)))
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
        lines += [_bold(_("The charter")), clip(decision.charter, 2500), ""]
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
        _button(("✓ " if mode == m else "") + mode_name(m), ModeCb(alliance_id=alliance_id, mode=m))
        for m in ("coordinators", "vote")]])
    return text, keyboard


def categories_text(items: list[str]) -> str:
    if not items:
        return esc(_("No categories are set: applicants type their own. A coordinator sets them "
                     "with /categories followed by a comma-separated list."))
    return esc(_("Categories: {list}").format(list=", ".join(items)))


# -- directory --------------------------------------------------------------------------------

STATUS_LABELS = {"suspended": __("suspended")}
QUERY_SHOWN = 60  # of the search words, in the directory's heading


def directory(alliance: Alliance, members: list[Member], page: int, query: str,
              *, private: bool) -> tuple[str, InlineKeyboardMarkup | None]:
    pages = max(1, -(-len(members) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = members[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    if query:
        head = _("Members of “{alliance}” matching “{query}”: {count}").format(
            alliance=esc(alliance.name), query=clip(query, QUERY_SHOWN), count=len(members))
    else:
        head = _("Members of “{alliance}”: {count}").format(alliance=esc(alliance.name),
                                                           count=len(members))
    lines = [f"<b>{head}</b>"]
    if not members:
        lines.append(esc(_("No member matches. Try another word.")) if query
                     else esc(_("No members yet.")))
    category = None
    for member in shown:
        if member.category != category or category is None:
            category = member.category
            lines += ["", _bold(member.category or _("Other"))]
        row = f"#{member.id} {esc(member.name)}"
        if member.region:
            row += f" — {esc(member.region)}"
        if member.status == "suspended":
            row += f" <i>({esc(STATUS_LABELS['suspended'])})</i>"
        lines.append(row)
    if pages > 1:
        lines += ["", esc(_("Page {page} of {pages}").format(page=page + 1, pages=pages))]
    if private and shown:
        lines += ["", esc(_("Tap a member for their card."))]
    rows: list[list[InlineKeyboardButton]] = []
    if private:
        buttons = [_button(m.name[:30], CardCb(member_id=m.id)) for m in shown]
        rows += [buttons[i:i + 3] for i in range(0, len(buttons), 3)]
    nav = []
    short = _short(query)
    if page > 0:
        nav.append(_button(_("‹ Previous"), PageCb(alliance_id=alliance.id, page=page - 1, query=short)))
    if page < pages - 1:
        nav.append(_button(_("Next ›"), PageCb(alliance_id=alliance.id, page=page + 1, query=short)))
    if nav:
        rows.append(nav)
    return fit(lines), InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


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
            lines.append(_field(FIELD_LABELS[key], esc(value)))
    if member.contact:
        contact = esc(member.contact) if show_contact else esc(_("visible to active members only"))
        lines.append(_field(FIELD_LABELS["contact"], contact))
    if sponsor:
        lines.append(_field(_("Sponsor"), esc(sponsor)))
    if member.joined_at is not None:
        since = format_datetime(member.joined_at, alliance.timezone)
        lines.append(_field(_("Member since"), esc(since)))
    if stats is not None:
        lines += member_stats_lines(stats)
    return lines


def profile(member: Member, alliance: Alliance) -> tuple[str, InlineKeyboardMarkup]:
    text = fit([esc(_("Your card in “{alliance}”:").format(alliance=alliance.name)), "",
                *_card_lines(member, alliance, True, None, None), "",
                esc(_("Choose what to change:"))])
    buttons = [_button(str(FIELD_LABELS[f]), ProfileCb(alliance_id=alliance.id, field=f))
               for f in FIELD_LABELS]
    return text, InlineKeyboardMarkup(inline_keyboard=[buttons[:3], buttons[3:]])


def ask_field(field: str) -> str:
    return esc(_("Send the new value for “{field}”, or /cancel.").format(field=FIELD_LABELS[field]))


def saved() -> str:
    return esc(_("Saved."))


# -- lifecycle --------------------------------------------------------------------------------


def leave_confirm(alliance_id: int, member: str, alliance: str) -> tuple[str, InlineKeyboardMarkup]:
    text = esc(_("Do you really want “{member}” to leave “{alliance}”? Its history stays "
                 "recorded.").format(member=member, alliance=alliance))
    return text, InlineKeyboardMarkup(inline_keyboard=[[
        _button(_("Yes, leave"), LeaveCb(alliance_id=alliance_id, confirm=True)),
        _button(_("No, stay"), LeaveCb(alliance_id=alliance_id, confirm=False))]])


def left(member: str) -> str:
    return esc(_("“{member}” has left the alliance. Thank you for the time together.").format(
        member=member))


def stayed() -> str:
    return esc(_("Good: nothing changed."))


def suspended(member: Member) -> str:
    return esc(_("“{name}” is suspended. Reason: {reason}").format(
        name=member.name, reason=member.status_reason or ""))


def reinstated(member: Member) -> str:
    return esc(_("“{name}” is active again.").format(name=member.name))


def removed(member: Member, banned: int, failed: int) -> str:
    lines = [esc(_("“{name}” was removed from the alliance.").format(name=member.name))]
    if banned:
        lines.append(esc(_("Removed from the alliance's chats: {count}.").format(count=banned)))
    if failed:
        lines.append(esc(_("I could not remove them from {count} chat(s): I need the right to "
                           "ban users there.").format(count=failed)))
    return "\n".join(lines)


def status_notice(member: Member, alliance: str) -> str:
    if member.status == "suspended":
        return esc(_("Your membership in “{alliance}” is suspended. Reason: {reason}").format(
            alliance=alliance, reason=member.status_reason or ""))
    if member.status == "active":
        return esc(_("Your membership in “{alliance}” is active again.").format(alliance=alliance))
    return esc(_("“{member}” was removed from “{alliance}”.").format(member=member.name,
                                                                   alliance=alliance))


def promoted(name: str) -> str:
    return esc(_("{name} is now a coordinator.").format(name=name))


def demoted(name: str) -> str:
    return esc(_("{name} is no longer a coordinator.").format(name=name))


def team_card(alliance_id: int, member: Member, people: list[Person],
              owner_id: int) -> tuple[str, InlineKeyboardMarkup]:
    lines = [esc(_("People acting for “{member}”:").format(member=member.name))]
    rows = []
    for person in people:
        lines.append(f"• {applicant_label(person)}")
        if person.id != owner_id:
            rows.append([_button(_("Remove {name}").format(name=(person.first_name or str(person.id))[:40]),
                                 TeamCb(alliance_id=alliance_id, person_id=person.id))])
    rows.insert(0, [_button(_("Invite a colleague"), TeamCb(alliance_id=alliance_id))])
    return fit(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def team_link(url: str) -> str:
    return "\n".join([esc(_("Send this link to your colleague; it works once:")), esc(url)])


def team_joined(member: str, alliance: str) -> str:
    return esc(_("You now act for “{member}” in “{alliance}”.").format(member=member,
                                                                     alliance=alliance))


def colleague_removed(name: str) -> str:
    return esc(_("{name} no longer acts for your business.").format(name=name))

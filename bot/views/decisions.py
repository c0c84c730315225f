"""Proposal cards, outcomes, the decision log and the /propose wizard's screens (PRODUCT.md §5).

A secret ballot's views take tallies only: nothing here is ever given who chose what for one.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from pydantic import Field

from bot.i18n import format_datetime, format_number, zone_name
from bot.i18n import gettext as _
from bot.i18n import lazy_gettext as __
from bot.services import tally
from bot.services.decisions import (
    ALL_VOTED,
    COORDINATORS,
    DEADLINE,
    EARLY,
    OPEN,
    PAGE,
    SETTLED,
    Details,
    Draft,
    Standing,
)
from bot.services.tally import Result
from bot.views.html import bold, clip, esc, trim
from bot.views.text import labelled, listing, parenthesized
from storage.models import Alliance, Proposal

FIXED_LABELS = {
    "yes": __("Yes"), "no": __("No"), "abstain": __("Abstain"),
    "agree": __("Agree"), "disagree": __("Disagree"), "block": __("Block"),
}
KIND_NAMES = {
    tally.YES_NO: __("Yes / No / Abstain"),
    tally.SINGLE: __("Single choice"),
    tally.MULTIPLE: __("Multiple choice"),
    tally.CONSENSUS: __("Consensus (Agree / Abstain / Disagree / Block)"),
}
THRESHOLD_NAMES = {
    tally.MAJORITY: __("simple majority"),
    tally.TWO_THIRDS: __("two thirds"),
    tally.UNANIMOUS: __("unanimous"),
}
REASON_NAMES = {
    tally.PASSED: __("Passed"),
    tally.REJECTED: __("Rejected"),
    tally.BLOCKED: __("Blocked"),
    tally.NO_WINNER: __("No option won"),
    tally.NO_QUORUM: __("Not decided: no quorum"),
}
CLOSE_NAMES = {
    DEADLINE: __("at the deadline"),
    ALL_VOTED: __("every eligible member voted"),
    SETTLED: __("the outcome could no longer change"),
    EARLY: __("closed early"),
}
QUORUM_STEPS = (0, 25, 33, 50, 66, 75, 100)


class VoteCb(CallbackData, prefix="v"):
    """A press on a proposal card's option: ids only, re-checked by the service. Numbers no
    database column holds make a forged press a stale button, not a failed batch."""

    p: int = Field(ge=1, lt=2**31)
    o: int = Field(ge=0, lt=100)


class DecisionsPageCb(CallbackData, prefix="dl"):
    a: int
    n: int


class WizardCb(CallbackData, prefix="pw"):
    a: str
    v: str = ""


def label(proposal_kind: str, option: str) -> str:
    fixed = FIXED_LABELS.get(option) if proposal_kind in tally.FIXED_OPTIONS else None
    return str(fixed) if fixed is not None else option


def labels(proposal: Proposal) -> list[str]:
    return [label(proposal.kind, option) for option in proposal.options]


def _rules_line(proposal: Proposal) -> str:
    parts = [str(KIND_NAMES[proposal.kind])]
    if proposal.kind == tally.MULTIPLE:
        parts.append(_("up to {k} choices").format(k=proposal.max_choices))
    parts.append(str(THRESHOLD_NAMES[proposal.threshold]))
    parts.append(_("quorum {pct}%").format(pct=proposal.quorum_pct))
    parts.append(_("secret ballot") if proposal.secret else _("open ballot"))
    if proposal.electorate == COORDINATORS:
        parts.append(_("coordinators vote"))
    return esc(" · ".join(parts))


def _counts_line(proposal: Proposal, counts: tuple[int, ...] | list[int]) -> str:
    return " · ".join(f"{esc(name)} <b>{format_number(n)}</b>"
                      for name, n in zip(labels(proposal), counts, strict=True))


def _turnout(voted: int, eligible: int, needed: int) -> str:
    return esc(_("Turnout: {voted} of {eligible} members (quorum {needed})").format(
        voted=format_number(voted), eligible=format_number(eligible),
        needed=format_number(needed)))


def outcome_plain(proposal: Proposal, result: Result) -> str:
    head = str(REASON_NAMES[result.reason])
    if result.passed and proposal.kind in (tally.SINGLE, tally.MULTIPLE):
        names = listing(labels(proposal)[w] for w in result.winners)
        head = _("Passed: {options}").format(options=names)
    return head


def outcome_text(proposal: Proposal, result: Result) -> str:
    return esc(outcome_plain(proposal, result))



def _heading(proposal: Proposal, heading: str) -> str:
    return "🗳 " + bold(_("{heading}: {title}").format(heading=heading, title=proposal.title))


def card(proposal: Proposal, alliance: Alliance, now_standing: Standing | None,
         result: Result | None) -> tuple[str, InlineKeyboardMarkup | None]:
    """The group card: open with its buttons, or closed with the final state and no buttons."""
    heading = _("Proposal #{id}").format(id=proposal.id)
    lines = [_heading(proposal, heading), "", clip(proposal.text, 1200), "",
             _rules_line(proposal)]
    if proposal.status == OPEN and now_standing is not None:
        current = now_standing.result
        lines.append(esc(_("Closes: {when}").format(
            when=format_datetime(proposal.closes_at, alliance.timezone))))
        lines += ["", _turnout(current.voted, current.eligible, current.quorum_needed)]
        if proposal.results_while_open:
            lines.append(_counts_line(proposal, current.counts))
        else:
            lines.append(esc(_("Results are shown after the close.")))
        if proposal.kind == tally.MULTIPLE:
            lines.append(esc(_("Press an option to choose it, again to take it back.")))
        keyboard = InlineKeyboardMarkup(inline_keyboard=[
            [InlineKeyboardButton(text=name, callback_data=VoteCb(p=proposal.id, o=index).pack())]
            for index, name in enumerate(labels(proposal))])
        return "\n".join(lines), keyboard
    assert result is not None and proposal.closed_at is not None
    lines += [esc(_("Closed: {when} ({why})").format(
        when=format_datetime(proposal.closed_at, alliance.timezone),
        why=str(CLOSE_NAMES.get(proposal.close_reason or "", "")))), "",
        f"<b>{outcome_text(proposal, result)}</b>",
        _turnout(result.voted, result.eligible, result.quorum_needed),
        _counts_line(proposal, result.counts)]
    return "\n".join(lines), None


def announcement(proposal: Proposal, result: Result) -> str:
    heading = _("Decision on proposal #{id}").format(id=proposal.id)
    lines = [_heading(proposal, heading),
             f"<b>{outcome_text(proposal, result)}</b>",
             _counts_line(proposal, result.counts),
             _turnout(result.voted, result.eligible, result.quorum_needed),
             esc(_("Details: /proposal {id}").format(id=proposal.id))]
    return "\n".join(lines)


def reminder(proposal: Proposal, alliance: Alliance) -> str:
    return "\n".join((
        f"⏰ <b>{esc(proposal.title)}</b>",
        esc(_("The vote in “{alliance}” closes on {when}, and your business has not voted yet. "
              "Vote with the buttons on the card in the group.").format(
            alliance=alliance.name,
            when=format_datetime(proposal.closes_at, alliance.timezone)))))


def vote_toast(proposal: Proposal, choices: frozenset[int], closed: bool) -> str:
    if not choices:
        text = _("Your choices are withdrawn.")
    else:
        names = listing(labels(proposal)[c] for c in sorted(choices))
        text = _("Your vote: {choice}. You can change it until the close.").format(choice=names)
    if closed:
        text += " " + _("The vote is now closed.")
    return esc(text)


def rules_section(proposal: Proposal) -> list[str]:
    """The counting rules in words, for this proposal (see ``bot.services.tally``)."""
    rules = [
        _("One ballot per member, changeable until the close; the last one counts."),
        _("Eligible: the active members now{who}.").format(
            who=_(" for whom a coordinator acts") if proposal.electorate == COORDINATORS else ""),
        # "{pct}% (" and not "{pct}% of": Babel would read "% o" as a printf directive, flag
        # the msgid python-format, and `msgfmt -c` would then reject every translation.
        _("Quorum: at least {pct}% (rounded up) of the eligible members must vote, or nothing "
          "is decided.").format(pct=proposal.quorum_pct),
    ]
    if proposal.kind in tally.FIXED_OPTIONS:
        rules.append(_("Abstentions count toward the quorum, not toward the threshold."))
    rules.append({
        tally.MAJORITY: _("Simple majority: more than half of the counted ballots; a tie is "
                          "not a majority."),
        tally.TWO_THIRDS: _("Two thirds: at least two thirds of the counted ballots."),
        tally.UNANIMOUS: _("Unanimous: every counted ballot, and at least one."),
    }[proposal.threshold])
    rules.append({
        tally.YES_NO: _("Passes when Yes reaches the threshold among Yes and No."),
        tally.CONSENSUS: _("Passes when nobody blocks and Agree reaches the threshold among "
                           "Agree, Disagree and Block; one Block stops it."),
        tally.SINGLE: _("The option chosen on enough ballots to reach the threshold wins; "
                        "otherwise no option wins."),
        tally.MULTIPLE: _("Each option chosen on enough ballots to reach the threshold is "
                          "adopted."),
    }[proposal.kind])
    rules.append(_("Closes at the deadline, when every eligible member has voted, when the "
                   "missing votes can no longer change the outcome, or early by its author or "
                   "a coordinator (/close)."))
    if proposal.secret:
        rules.append(_("Secret ballot: only tallies are ever shown."))
    return [f"• {esc(rule)}" for rule in rules]


def _voters_lines(info: Details) -> list[str]:
    proposal = info.proposal
    if info.by_option is None or (proposal.status == OPEN and not proposal.results_while_open):
        return []
    return [labelled(esc(name), clip(listing(voters), 500))
            for name, voters in zip(labels(proposal), info.by_option, strict=True) if voters]


def _timeline(info: Details) -> list[str]:
    proposal, tz = info.proposal, info.alliance.timezone
    timeline = ["", bold(_("Timeline")),
                esc(_("Opened: {when}").format(when=format_datetime(proposal.opened_at, tz)))]
    if proposal.reminded_at is not None:
        timeline.append(esc(_("Reminder sent: {when}").format(
            when=format_datetime(proposal.reminded_at, tz))))
    if info.changes:
        timeline.append(esc(_("Ballots changed: {n}").format(n=format_number(info.changes))))
    if proposal.closed_at is not None:
        timeline.append(esc(_("Closed: {when} ({why})").format(
            when=format_datetime(proposal.closed_at, tz),
            why=str(CLOSE_NAMES.get(proposal.close_reason or "", "")))))
    else:
        timeline.append(esc(_("Closes: {when}").format(
            when=format_datetime(proposal.closes_at, tz))))
    return timeline


def details_text(info: Details, result: Result | None) -> str:
    proposal = info.proposal
    heading = _("Proposal #{id}").format(id=proposal.id)
    lines = [_heading(proposal, heading), "", clip(proposal.text, 1000), "",
             _rules_line(proposal), "", bold(_("Rules")), *rules_section(proposal),
             ""]
    if proposal.status == OPEN:
        current = info.standing.result
        lines.append(bold(_("Standing")))
        lines.append(_turnout(current.voted, current.eligible, current.quorum_needed))
        if proposal.results_while_open:
            lines.append(_counts_line(proposal, current.counts))
        else:
            lines.append(esc(_("Results are shown after the close.")))
        if info.not_voted:
            lines.append(esc(_("Not voted yet: {names}").format(
                names=trim(listing(info.not_voted), 400))))
    elif result is not None:
        outcome_head = _("Outcome: {outcome}").format(outcome=outcome_plain(proposal, result))
        lines.append(f"<b>{esc(outcome_head)}</b>")
        lines.append(_turnout(result.voted, result.eligible, result.quorum_needed))
        lines.append(_counts_line(proposal, result.counts))
    voters_lines = _voters_lines(info)
    timeline = _timeline(info)
    # Whole lines only (each is balanced HTML): who chose what gives way first if it is long.
    budget = 4000 - len("\n".join([*lines, *timeline]))
    for line in voters_lines:
        if len(line) + 1 > budget:
            lines.append("…")
            break
        lines.append(line)
        budget -= len(line) + 1
    return "\n".join([*lines, *timeline])


def log_page(proposals: list[Proposal], total: int, number: int, alliance_id: int
             ) -> tuple[str, InlineKeyboardMarkup | None]:
    if not proposals:
        return esc(_("No proposals yet. Start one with /propose.")), None
    pages = max(1, -(-total // PAGE))
    where = _("page {n} of {pages}").format(n=number + 1, pages=pages)
    title = _("Decision log")
    lines = [parenthesized(esc(where), after=bold(title)), ""]
    for proposal in proposals:
        if proposal.status == OPEN:
            state = _("open")
        else:
            result = proposal.result or {}
            state = str(REASON_NAMES.get(result.get("reason", ""), ""))
        lines.append(f"#{proposal.id} {clip(proposal.title, 80)} — {esc(state)}")
    lines += ["", esc(_("Details: /proposal <number>"))]
    buttons = []
    if number > 0:
        buttons.append(InlineKeyboardButton(
            text="◀", callback_data=DecisionsPageCb(a=alliance_id, n=number - 1).pack()))
    if number + 1 < pages:
        buttons.append(InlineKeyboardButton(
            text="▶", callback_data=DecisionsPageCb(a=alliance_id, n=number + 1).pack()))
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=[buttons]) if buttons else None


# -- the wizard --------------------------------------------------------------------------------


def _nav(back: bool = True) -> list[InlineKeyboardButton]:
    row = []
    if back:
        row.append(InlineKeyboardButton(text=_("◀ Back"), callback_data=WizardCb(a="back").pack()))
    row.append(InlineKeyboardButton(text=_("Cancel"), callback_data=WizardCb(a="cancel").pack()))
    return row


def ask_title(alliance: Alliance) -> tuple[str, InlineKeyboardMarkup]:
    text = _("New proposal for “{alliance}”. Step 1 of 5: send its title (one line).").format(
        alliance=alliance.name)
    return esc(text) + "\n" + esc(_("/cancel stops at any step.")), InlineKeyboardMarkup(
        inline_keyboard=[_nav(back=False)])


def ask_text() -> tuple[str, InlineKeyboardMarkup]:
    return esc(_("Step 2 of 5: send the proposal's text — what is proposed, and why.")), \
        InlineKeyboardMarkup(inline_keyboard=[_nav()])


def ask_kind() -> tuple[str, InlineKeyboardMarkup]:
    rows = [[InlineKeyboardButton(text=str(name), callback_data=WizardCb(a="kind", v=kind).pack())]
            for kind, name in KIND_NAMES.items()]
    return esc(_("Step 3 of 5: how do members answer?")), InlineKeyboardMarkup(
        inline_keyboard=[*rows, _nav()])


def ask_options() -> tuple[str, InlineKeyboardMarkup]:
    return esc(_("Send the options, one per line (2 to 10, each at most 40 characters).")), \
        InlineKeyboardMarkup(inline_keyboard=[_nav()])


def ask_max(options: int) -> tuple[str, InlineKeyboardMarkup]:
    buttons = [InlineKeyboardButton(text=str(k), callback_data=WizardCb(a="max", v=str(k)).pack())
               for k in range(1, options + 1)]
    rows = [buttons[i:i + 5] for i in range(0, len(buttons), 5)]
    return esc(_("How many options may one member choose at most?")), InlineKeyboardMarkup(
        inline_keyboard=[*rows, _nav()])


def ask_deadline(alliance: Alliance, default_hours: float) -> tuple[str, InlineKeyboardMarkup]:
    choices = [(24, _("24 hours")), (72, _("3 days")), (168, _("7 days"))]
    buttons = [InlineKeyboardButton(text=("✓ " if hours == default_hours else "") + name,
                                    callback_data=WizardCb(a="hours", v=str(hours)).pack())
               for hours, name in choices]
    text = _("Step 4 of 5: when does the vote close? Press a button, or send a duration such as 36h "
             "or 10d, or a date and time in the alliance's zone ({zone}) such as 2026-12-01 "
             "18:00. Between 1 hour and 30 days.").format(zone=zone_name(alliance.timezone))
    return esc(text), InlineKeyboardMarkup(inline_keyboard=[buttons, _nav()])


def review(draft: Draft, alliance: Alliance, closes_at_text: str
           ) -> tuple[str, InlineKeyboardMarkup]:
    def cycle(field: str, text: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(text=text, callback_data=WizardCb(a="cycle", v=field).pack())

    options = draft.options if draft.kind in (tally.SINGLE, tally.MULTIPLE) else [
        label(draft.kind, o) for o in tally.FIXED_OPTIONS[draft.kind]]
    lines = [f"<b>{esc(draft.title)}</b>", "", clip(draft.text, 1500), "",
             esc(str(KIND_NAMES[draft.kind]))]
    lines += [f"• {esc(option)}" for option in options]
    if draft.kind == tally.MULTIPLE:
        lines.append(esc(_("up to {k} choices").format(k=draft.max_choices)))
    lines += ["", esc(_("Closes: {when}").format(when=closes_at_text)), "",
              esc(_("Step 5 of 5: check the rules (press one to change it), then publish."))]
    rows = [
        [cycle("quorum", _("Quorum: {pct}%").format(pct=draft.quorum_pct)),
         cycle("threshold", _("Threshold: {name}").format(
             name=str(THRESHOLD_NAMES[draft.threshold])))],
        [cycle("secret", _("Secret ballot: yes") if draft.secret else _("Secret ballot: no")),
         cycle("results", _("Results: while open") if draft.results_while_open
               else _("Results: after the close"))],
        [cycle("electorate", _("Voters: coordinators") if draft.electorate == COORDINATORS
               else _("Voters: all members"))],
        [InlineKeyboardButton(text=_("✅ Publish"), callback_data=WizardCb(a="publish").pack())],
        _nav(),
    ]
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def published(proposal: Proposal) -> str:
    return esc(_("Proposal #{id} is published in the group. Members vote there.").format(
        id=proposal.id))


def cancelled() -> str:
    return esc(_("The proposal is cancelled; nothing was published."))


def closed_by_command(proposal: Proposal) -> str:
    return esc(_("Proposal #{id} is closed.").format(id=proposal.id))


def propose_in_private() -> tuple[str, str]:
    return esc(_("Proposals are written in a private chat with me.")), _("Write a proposal")


def close_usage() -> str:
    return esc(_("Send /close followed by the proposal's number, e.g. /close 12."))


def proposal_usage() -> str:
    return esc(_("Send /proposal followed by the proposal's number, e.g. /proposal 12."))


def error_messages() -> dict:
    """This feature's DomainError codes in words (looked up by ``bot.views.errors``)."""
    return {
        "proposal_unknown": lambda p: _("There is no such proposal in your alliance."),
        "proposal_closed": lambda p: _("This vote is closed."),
        "proposal_close_refused": lambda p: _(
            "Only the proposal's author or a coordinator can close it early."),
        "proposal_coordinators_vote": lambda p: _("Only coordinators vote on this proposal."),
        "proposal_too_many": lambda p: _(
            "At most {most} choices: press a chosen option to take it back first.").format(
                most=p["most"]),
        "proposal_title_empty": lambda p: _("The title cannot be empty. Send it as text."),
        "proposal_title_long": lambda p: _(
            "The title is {length} characters long; the limit is {limit}.").format(
                length=p["length"], limit=p["limit"]),
        "proposal_text_empty": lambda p: _("The text cannot be empty. Send it as a message."),
        "proposal_text_long": lambda p: _(
            "The text is {length} characters long; the limit is {limit}.").format(
                length=p["length"], limit=p["limit"]),
        "proposal_options_count": lambda p: _(
            "Send between 2 and {most} options, one per line.").format(most=p["most"]),
        "proposal_option_long": lambda p: _(
            "Each option can be at most {limit} characters long.").format(limit=p["limit"]),
        "proposal_options_repeat": lambda p: _("Two options are the same; make each one "
                                               "different."),
        "proposal_deadline_format": lambda p: _(
            "I could not read that. Send e.g. 36h, 10d or 2026-12-01 18:00."),
        "proposal_deadline_range": lambda p: _(
            "The vote must stay open between 1 hour and 30 days."),
        "proposal_bad_rules": lambda p: _("These rules do not fit together. Please check them."),
        "proposal_no_draft": lambda p: _("This proposal draft is gone. Start again with /propose."),
        "proposal_use_buttons": lambda p: _("Please use the buttons under my last question."),
    }

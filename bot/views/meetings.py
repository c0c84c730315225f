"""Meetings (PRODUCT.md §6): the availability card, the result, reminders, the wizards' prompts.

Dates are shown with their weekday in the reader's locale and the alliance's zone, the zone
named, so that nobody has to guess whose 19:00 it is.
"""

from __future__ import annotations

from datetime import datetime

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from babel.dates import format_skeleton
from babel.dates import format_time as _format_time

from bot.i18n import babel_locale, current_locale, format_datetime, pgettext, zone, zone_name
from bot.i18n import gettext as _
from bot.i18n import lazy_gettext as __
from bot.services.meetings import (
    DEFAULT_DURATION,
    MAYBE,
    NO,
    NOTHING,
    OPEN,
    PAUSED,
    SCHEDULED,
    YES,
    SlotTally,
)
from bot.services.recurrence import RRULE_DAYS
from bot.views import errors
from bot.views.html import bold, clip, esc, fit, trim
from bot.views.text import labelled, parenthesized
from storage.models import Meeting, MeetingSeries

MARKS = {YES: "✅", MAYBE: "🤔", NO: "❌"}
SLOT_SHOWN = 80  # of a candidate time the wizard could not read, quoted back
PROBLEMS_SHOWN = 5  # lines it could not read, listed under the times it understood


class AnswerCb(CallbackData, prefix="ma"):
    slot_id: int
    choice: str


class WizardCb(CallbackData, prefix="mw"):
    action: str
    value: int = 0


class SeriesCb(CallbackData, prefix="ms"):
    action: str
    series_id: int = 0
    alliance_id: int = 0


# -- formatting ----------------------------------------------------------------------------------

def when(moment: datetime, timezone: str) -> str:
    """``Thu, Dec 3, 2026 7:00 PM`` / ``2026年12月3日周四 19:00``, in the alliance's zone."""
    local = moment.astimezone(zone(timezone))
    locale = babel_locale(current_locale())
    return f"{format_skeleton('yMMMEd', local, locale=locale)} {_format_time(local, 'short', locale=locale)}"


def duration_text(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return _("{hours} h {minutes} min").format(hours=hours, minutes=rest)
    if hours:
        return _("{hours} h").format(hours=hours)
    return _("{minutes} min").format(minutes=rest)



def _place_line(place: str | None) -> str:
    return esc(_("Place: {place}").format(place=place)) if place else ""


# -- the availability card --------------------------------------------------------------------------

def card(meeting: Meeting, counted: list[SlotTally], answered: int, eligible: int,
         timezone: str) -> tuple[str, InlineKeyboardMarkup | None]:
    lines = [f"📅 <b>{esc(meeting.title)}</b>"]
    if meeting.status == OPEN:
        lines.append(esc(_("When can your business come? Answer for each time: ✅ yes, 🤔 if need "
                           "be, ❌ no. One answer per member; press again to change it.")))
    lines.append(esc(_("Length: {length}").format(length=duration_text(meeting.duration_min))))
    if meeting.place:
        lines.append(_place_line(meeting.place))
    lines.append(esc(_("Times in {zone}.").format(zone=zone_name(timezone))))
    lines.append("")
    for number, tally in enumerate(counted, start=1):
        star = "⭐ " if meeting.winner_slot_id == tally.slot_id else ""
        lines.append(f"{star}<b>{number}.</b> {esc(when(tally.starts_at, timezone))}\n"
                     f"    ✅ {tally.yes} · 🤔 {tally.maybe} · ❌ {tally.no}")
    lines.append("")
    lines.append(esc(_("Answered: {answered} of {eligible} members.").format(
        answered=answered, eligible=eligible)))
    if meeting.status == OPEN:
        lines.append(esc(_("The poll closes {deadline}.").format(
            deadline=format_datetime(meeting.deadline, timezone))))
        rows = [[InlineKeyboardButton(text=f"{number} {MARKS[choice]}",
                                      callback_data=AnswerCb(slot_id=tally.slot_id, choice=choice).pack())
                 for choice in (YES, MAYBE, NO)]
                for number, tally in enumerate(counted, start=1)]
        return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)
    if meeting.status == SCHEDULED and meeting.starts_at is not None:
        lines.append(esc(_("Closed. The meeting is on {when}.").format(
            when=when(meeting.starts_at, timezone))))
    elif meeting.status == NOTHING:
        lines.append(esc(_("Closed. Nobody could come at any of these times: nothing was "
                           "scheduled.")))
    return "\n".join(lines), None


def answer_saved(choice: str, slot_start: datetime, timezone: str) -> str:
    # Not the ballot words "Yes"/"No": Chinese says "can come", not "agree".
    label = {YES: _("Yes, I can come"), MAYBE: _("If need be"), NO: _("No, I cannot come")}[choice]
    return _("Saved for {when}: {answer}.").format(when=when(slot_start, timezone), answer=label)


# -- the outcome ------------------------------------------------------------------------------------

def announcement(meeting: Meeting, tally: SlotTally, timezone: str) -> str:
    assert meeting.starts_at is not None
    lines = [
        # Not 📌: the bot pins this only when it holds the pin right, and a pin mark on an
        # unpinned message says something false.
        f"🗓 <b>{esc(meeting.title)}</b>",
        esc(_("The meeting is on {when} ({zone}), for {length}.").format(
            when=when(meeting.starts_at, timezone), zone=zone_name(timezone),
            length=duration_text(meeting.duration_min))),
    ]
    if meeting.place:
        lines.append(_place_line(trim(meeting.place, 300)))  # a caption holds 1024 characters
    lines.append(esc(_("✅ {yes} can come, 🤔 {maybe} if need be. They get a reminder 24 hours and "
                       "1 hour before.").format(yes=tally.yes, maybe=tally.maybe)))
    lines.append(esc(_("The calendar file adds it to your calendar.")))
    return "\n".join(lines)


def reminder(meeting: Meeting, lead: str, timezone: str) -> str:
    assert meeting.starts_at is not None
    head = _("⏰ In 24 hours: {title}") if lead == "24h" else _("⏰ In 1 hour: {title}")
    lines = [f"<b>{esc(head.format(title=meeting.title))}</b>",
             esc(_("{when} ({zone}), for {length}.").format(
                 when=when(meeting.starts_at, timezone), zone=zone_name(timezone),
                 length=duration_text(meeting.duration_min)))]
    if meeting.place:
        lines.append(_place_line(meeting.place))
    return "\n".join(lines)


def nothing_scheduled(meeting: Meeting, answered: int) -> str:
    if answered == 0:
        text = _("Nobody answered the meeting poll “{title}”, so nothing was scheduled. You may "
                 "call a new one with /meeting.")
    else:
        text = _("In the meeting poll “{title}” nobody could come at any of the times, so nothing "
                 "was scheduled. You may call a new one with /meeting.")
    return esc(text.format(title=meeting.title))


# -- /meetings ------------------------------------------------------------------------------------

LIST_LIMIT = 8


def overview(polls: list[Meeting], upcoming: list[Meeting], series: list[MeetingSeries],
             timezone: str, coordinator: bool) -> str:
    """Bounded whatever the numbers: at most LIST_LIMIT lines per section, shortened names."""
    lines = [bold(_("Meetings")), "", bold(_("Upcoming"))]
    if not upcoming:
        lines.append(esc(_("No meeting is scheduled.")))
    for meeting in upcoming[:LIST_LIMIT]:
        assert meeting.starts_at is not None
        place = f" — {clip(meeting.place, 40)}" if meeting.place else ""
        lines.append("• " + labelled(esc(when(meeting.starts_at, timezone)), clip(meeting.title, 60)) + place)
    lines += _more(len(upcoming))
    lines += ["", bold(_("Open polls"))]
    if not polls:
        lines.append(esc(_("No poll is open. Call one with /meeting.")))
    for meeting in polls[:LIST_LIMIT]:
        lines.append("• " + esc(_("{title}: answers until {deadline}").format(
            title=trim(meeting.title, 60), deadline=format_datetime(meeting.deadline, timezone))))
    lines += _more(len(polls))
    if series or coordinator:
        lines += ["", bold(_("Recurring"))]
        if not series:
            lines.append(esc(_("No recurring meeting yet.")))
        for item in series[:LIST_LIMIT]:
            state = _("paused") if item.status == PAUSED else _("active")
            rule = parenthesized(esc(state), after=esc(series_rule_text(item)))
            lines.append("• " + labelled(clip(item.title, 60), rule))
        lines += _more(len(series))
    lines.append("")
    lines.append(esc(_("Times in {zone}.").format(zone=zone_name(timezone))))
    return "\n".join(lines)


def _more(count: int) -> list[str]:
    if count <= LIST_LIMIT:
        return []
    return [esc(_("…and {count} more.").format(count=count - LIST_LIMIT))]


def overview_keyboard(series: list[MeetingSeries], *, private: bool, coordinator: bool,
                      bot_username: str, alliance_id: int) -> InlineKeyboardMarkup | None:
    if not coordinator:
        return None
    if not private:
        return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
            text=_("Manage recurring meetings"),
            url=f"https://t.me/{bot_username}?start=series-{alliance_id}")]])
    rows = [[InlineKeyboardButton(text=_("➕ New recurring meeting"),
                                  callback_data=SeriesCb(action="new", alliance_id=alliance_id).pack())]]
    for item in series[:LIST_LIMIT]:
        toggle = (InlineKeyboardButton(text=_("▶ Resume {title}").format(title=item.title[:20]),
                                       callback_data=SeriesCb(action="resume", series_id=item.id).pack())
                  if item.status == PAUSED else
                  InlineKeyboardButton(text=_("⏸ Pause {title}").format(title=item.title[:20]),
                                       callback_data=SeriesCb(action="pause", series_id=item.id).pack()))
        rows.append([toggle, InlineKeyboardButton(
            text=_("🗑 Delete {title}").format(title=item.title[:20]),
            callback_data=SeriesCb(action="delete", series_id=item.id).pack())])
    return InlineKeyboardMarkup(inline_keyboard=rows)


WEEKDAYS = (__("Monday"), __("Tuesday"), __("Wednesday"), __("Thursday"), __("Friday"),
            __("Saturday"), __("Sunday"))
ORDINAL_NAMES = {1: __("first"), 2: __("second"), 3: __("third"), 4: __("fourth"), -1: __("last")}


def series_rule_text(series: MeetingSeries) -> str:
    parts = dict(part.split("=", 1) for part in series.rule.split(";"))
    at = series.local_time
    if parts["FREQ"] == "WEEKLY":
        return _("every {weekday} at {time}").format(weekday=WEEKDAYS[RRULE_DAYS.index(parts["BYDAY"])],
                                                    time=at)
    if "BYDAY" in parts:
        byday = parts["BYDAY"]
        nth = int(byday[:-2])
        return _("monthly, the {ordinal} {weekday} at {time}").format(
            ordinal=ORDINAL_NAMES[nth], weekday=WEEKDAYS[RRULE_DAYS.index(byday[-2:])], time=at)
    day = max(int(d) for d in parts["BYMONTHDAY"].split(","))
    return _("monthly, on day {day} at {time}").format(day=day, time=at)


def series_changed(series: MeetingSeries) -> str:
    text = {"active": _("“{title}” is active again: its polls are posted by themselves."),
            "paused": _("“{title}” is paused: no poll is posted until you resume it."),
            "deleted": _("“{title}” is deleted. Polls already open go on.")}[series.status]
    return esc(text.format(title=series.title))


# -- the /meeting wizard --------------------------------------------------------------------------

def _keyboard(rows: list[list[tuple[str, str, int]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=label, callback_data=WizardCb(action=action, value=value).pack())
         for label, action, value in row] for row in rows])


def _back_row() -> list[tuple[str, str, int]]:
    return [(_("◀ Back"), "back", 0), (_("✖ Cancel"), "cancel", 0)]


def go_private(bot_username: str, alliance_id: int) -> tuple[str, InlineKeyboardMarkup]:
    text = esc(_("Let's plan the meeting in a private chat, so the group stays readable."))
    return text, InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
        text=_("Plan a meeting"), url=f"https://t.me/{bot_username}?start=meeting-{alliance_id}")]])


def ask_title(alliance_name: str) -> tuple[str, InlineKeyboardMarkup]:
    text = "\n".join((
        bold(_("New meeting poll for “{alliance}”").format(alliance=alliance_name)),
        esc(_("Step 1 of 5: what is the meeting called? (e.g. Monthly members' meeting)")),
        esc(_("/cancel stops at any time.")),
    ))
    return text, _keyboard([[(_("✖ Cancel"), "cancel", 0)]])


def ask_slots(chosen: list[datetime], timezone: str, minimum: int, maximum: int,
              understood: list[datetime] | None = None, problems: list[str] | None = None,
              ) -> tuple[str, InlineKeyboardMarkup]:
    lines = [esc(_("Step 2 of 5: send the candidate times ({minimum}–{maximum}), one per line, in "
                   "{zone}. For example:").format(minimum=minimum, maximum=maximum,
                                                  zone=zone_name(timezone))),
             "\n".join(f"<code>{esc(example)}</code>" for example in slot_examples())]
    if understood:
        lines += ["", esc(_("Understood:"))]
        lines += [f"＋ {esc(when(moment, timezone))}" for moment in understood]
    if problems:
        lines += ["", *problems[:PROBLEMS_SHOWN]]
        if len(problems) > PROBLEMS_SHOWN:
            lines.append(esc(_("…and {count} more.").format(count=len(problems) - PROBLEMS_SHOWN)))
    if chosen:
        lines += ["", bold(_("Candidate times so far:"))]
        lines += [f"{number}. {esc(when(moment, timezone))}" for number, moment in
                  enumerate(chosen, start=1)]
    rows: list[list[tuple[str, str, int]]] = []
    if len(chosen) >= minimum:
        rows.append([(_("✔ These times: go on"), "slots_done", 0)])
    if chosen:
        rows.append([(_("↩ Remove the last time"), "undo", 0)])
    rows.append(_back_row())
    return fit(lines), _keyboard(rows)


def slot_examples() -> list[str]:
    """Times written as the reader writes them, each one the slot parser reads (a unit test
    parses every locale's): the dates, then a weekday and a next week's day in the reader's
    words (週二 19:00、下週四 晚上6點半 in zh_Hant; Tue 19:00 in English)."""
    words = pgettext("meeting slot examples, one per line; each must be readable by the bot",
                     "Tue 19:00\nnext Thu 6:30 pm")
    return ["2026-12-03 19:00", "12/3 19:00", *words.splitlines()]


def ask_duration() -> tuple[str, InlineKeyboardMarkup]:
    text = esc(_("Step 3 of 5: how long is the meeting? Pick one, or send it (e.g. 90 min, "
                 "1h30)."))
    return text, _keyboard([[(("✓ " if minutes == DEFAULT_DURATION else "") + duration_text(minutes),
                              "duration", minutes) for minutes in (30, 60, 90, 120)], _back_row()])


def ask_place() -> tuple[str, InlineKeyboardMarkup]:
    text = esc(_("Step 4 of 5: where? Send the place or a video-call link."))
    return text, _keyboard([[(_("No place yet: skip"), "no_place", 0)], _back_row()])


def ask_deadline(first_slot: datetime, timezone: str, options: list[int]) -> tuple[str, InlineKeyboardMarkup]:
    text = "\n".join((
        esc(_("Step 5 of 5: until when can people answer? Pick one, or send a date and time like "
              "the candidate times (in {zone}).").format(zone=zone_name(timezone))),
        esc(_("It must be before the first candidate time, {when}.").format(
            when=when(first_slot, timezone))),
    ))
    buttons = [(_("{hours} h").format(hours=hours), "deadline", hours) for hours in options]
    rows = [buttons] if buttons else []
    return text, _keyboard([*rows, _back_row()])


def meeting_posted(title: str) -> str:
    return esc(_("Done: the poll “{title}” is in the alliance's group.").format(title=title))


def wizard_cancelled() -> str:
    return esc(_("Cancelled. Nothing was saved."))


# -- the series wizard ------------------------------------------------------------------------------

def series_ask_title() -> tuple[str, InlineKeyboardMarkup]:
    text = "\n".join((bold(_("New recurring meeting")),
                      esc(_("What is it called? (e.g. Monthly members' meeting)"))))
    return text, _keyboard([[(_("✖ Cancel"), "cancel", 0)]])


def series_ask_kind() -> tuple[str, InlineKeyboardMarkup]:
    return esc(_("How often?")), _keyboard([
        [(_("Weekly"), "kind", 0)],
        [(_("Monthly, on a weekday (e.g. first Tuesday)"), "kind", 1)],
        [(_("Monthly, on a day of the month"), "kind", 2)],
        _back_row()])


def series_ask_weekday() -> tuple[str, InlineKeyboardMarkup]:
    days = [(str(WEEKDAYS[index]), "weekday", index) for index in range(7)]
    return esc(_("Which day of the week?")), _keyboard([days[:4], days[4:], _back_row()])


def series_ask_nth() -> tuple[str, InlineKeyboardMarkup]:
    return esc(_("Which one in the month?")), _keyboard([
        [(str(ORDINAL_NAMES[n]), "nth", n) for n in (1, 2, 3, 4, -1)], _back_row()])


def series_ask_day() -> tuple[str, InlineKeyboardMarkup]:
    return esc(_("Which day of the month (1–31)? Send the number. In a shorter month the meeting "
                 "is on its last day.")), _keyboard([_back_row()])


def series_ask_time(timezone: str) -> tuple[str, InlineKeyboardMarkup]:
    return esc(_("At what time (in {zone})? Send it, e.g. 19:00 or 晚上7点.").format(
        zone=zone_name(timezone))), \
        _keyboard([_back_row()])


def series_ask_offsets() -> tuple[str, InlineKeyboardMarkup]:
    return esc(_("Which candidate times should each poll offer around the meeting?")), _keyboard([
        [(_("The day before, the day, the day after"), "offsets", 0)],
        [(_("An hour earlier, on time, an hour later"), "offsets", 1)],
        [(_("The day and the next two days"), "offsets", 2)],
        _back_row()])


def series_ask_open_days() -> tuple[str, InlineKeyboardMarkup]:
    return esc(_("How many days before the meeting should the poll open?")), _keyboard([
        [(str(days), "open_days", days) for days in (3, 5, 7, 10, 14)], _back_row()])


def series_ask_poll_hours() -> tuple[str, InlineKeyboardMarkup]:
    return esc(_("How long does each poll stay open?")), _keyboard([
        [(_("{hours} h").format(hours=hours), "poll_hours", hours) for hours in (24, 48, 72)],
        _back_row()])


def series_created(series: MeetingSeries) -> str:
    return esc(_("Saved: “{title}”, {rule}. I will post each poll by myself.").format(
        title=series.title, rule=series_rule_text(series)))


# -- errors -----------------------------------------------------------------------------------------

def error_messages() -> errors.Messages:
    """This feature's DomainError codes in words (looked up by ``bot.views.errors``)."""
    return {
        "slot_unparsed": lambda p: _("I could not read “{text}” as a date and time. Try "
                                     "2026-12-03 19:00, 12/3 19:00 or Tue 19:00.").format(
            text=clip(p.get("text", ""), SLOT_SHOWN)),
        "slot_bad_date": lambda p: _("“{text}” is not a real date.").format(
            text=clip(p.get("text", ""), SLOT_SHOWN)),
        "slot_in_past": lambda p: _("“{text}” is already past. Please give a time in the future."
                                    ).format(text=clip(p.get("text", ""), SLOT_SHOWN)),
        "meeting_title_empty": lambda p: _("Please send the meeting's title as text."),
        "meeting_title_too_long": lambda p: _("The title is too long: at most {limit} characters."
                                              ).format(limit=p["limit"]),
        "meeting_place_too_long": lambda p: _("The place is too long: at most {limit} characters."
                                              ).format(limit=p["limit"]),
        "meeting_bad_duration": lambda p: _("Please send a length between 5 minutes and 24 hours, "
                                            "e.g. 45, 90 min or 1h30."),
        "meeting_too_few_slots": lambda p: _("A poll needs at least {minimum} candidate times."
                                             ).format(minimum=p["minimum"]),
        "meeting_too_many_slots": lambda p: _("A poll can have at most {maximum} candidate times."
                                              ).format(maximum=p["maximum"]),
        "deadline_in_past": lambda p: _("That deadline is already past."),
        "deadline_after_slot": lambda p: _("The poll must close before the first candidate time."),
        "meeting_closed": lambda p: _("This poll is closed."),
        "series_bad_rule": lambda p: _("That is not a rule I can repeat. Please start again."),
        "series_poll_too_long": lambda p: _("The poll would still be open when the first candidate "
                                            "time comes: open it earlier or make it shorter."),
        "series_gone": lambda p: _("That recurring meeting no longer exists."),
        "series_bad_day": lambda p: _("Please send a day of the month from 1 to 31."),
        "series_bad_time": lambda p: _("I could not read that time. Send it like 19:00, 7pm or "
                                       "晚上7点."),
        "meeting_use_buttons": lambda p: _("Please use the buttons under my last question."),
        "wizard_expired": lambda p: _("This step is over. Send /meeting or /meetings to start "
                                      "again."),
        "meeting_not_posted": lambda p: _("I could not post the poll in the alliance's group (am I "
                                          "still in it?). Nothing was saved."),
    }

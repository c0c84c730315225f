"""The words of /stats, /scorecard and the monthly report: captions, the charts' labels, periods
and durations in the reader's language (the pictures themselves: ``bot.views.charts``)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_date, format_skeleton

from bot.i18n import babel_locale, current_locale, format_money, format_number, ngettext
from bot.i18n import gettext as _
from bot.services.stats import Period, Scorecard, Stats
from bot.views import errors
from bot.views.html import esc, trim

NAME_IN_CAPTION = 60  # a caption holds 1024 characters: long names are clipped


def month_name(month: date) -> str:
    """“October 2026”, “2026年10月”."""
    return format_skeleton("yMMMM", month, locale=babel_locale(current_locale()))


def month_day(day: date) -> str:
    return format_date(day, "medium", locale=babel_locale(current_locale()))


def short_month(month: date) -> str:
    return format_skeleton("yMMM", month, locale=babel_locale(current_locale()))


def period_name(period: Period) -> str:
    if period.kind == "days":
        return ngettext("the last {n} day", "the last {n} days", period.days).format(
            n=format_number(period.days))
    if period.kind == "month":
        return month_name(period.start)
    if period.kind == "quarter":
        return _("Q{quarter} {year}").format(quarter=(period.start.month - 1) // 3 + 1,
                                             year=period.start.year)
    return str(period.start.year)


def duration(span: timedelta | None) -> str:
    """An average answer time, as people say it: minutes, hours or days."""
    if span is None:
        return "—"
    minutes = span.total_seconds() / 60
    if minutes < 60:
        return _("{n} min").format(n=format_number(round(minutes)))
    hours = Decimal(minutes / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if hours < 48:
        return _("{n} h").format(n=format_number(hours))
    days = Decimal(minutes / 1440).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return _("{n} d").format(n=format_number(days))


def money(amount: Decimal, currency: str) -> str:
    return format_money(amount, currency)


# -- the stats chart's labels ------------------------------------------------------------------


def stats_title(stats: Stats) -> str:
    return _("{alliance} — {period}").format(alliance=stats.alliance_name,
                                             period=period_name(stats.period))


def summary_lines(stats: Stats) -> list[str]:
    """The figures of the period, one per line (the chart's panel and the captions)."""
    lines = [
        _("Referrals made: {n}").format(n=format_number(stats.referrals)),
        _("Referrals won: {n}, worth {value}").format(
            n=format_number(stats.won), value=money(stats.won_value, stats.currency)),
        _("Decisions taken: {n}").format(n=format_number(stats.decisions)),
        _("Meetings held: {n}").format(n=format_number(stats.meetings)),
        _("New members: {n}").format(n=format_number(stats.new_members)),
    ]
    if stats.won_elsewhere:
        lines.append(ngettext("{n} won in another currency is not added in.",
                              "{n} won in other currencies are not added in.",
                              stats.won_elsewhere).format(n=format_number(stats.won_elsewhere)))
    return lines


def stats_caption(stats: Stats) -> str:
    head = _("📊 “{alliance}”, {period}").format(
        alliance=trim(stats.alliance_name, NAME_IN_CAPTION), period=period_name(stats.period))
    return "\n".join([f"<b>{esc(head)}</b>", *(esc(line) for line in summary_lines(stats))])


def report_caption(stats: Stats) -> str:
    head = _("🗓 Monthly report of “{alliance}”: {month}").format(
        alliance=trim(stats.alliance_name, NAME_IN_CAPTION), month=month_name(stats.period.start))
    return "\n".join([f"<b>{esc(head)}</b>", *(esc(line) for line in summary_lines(stats)),
                      "", esc(_("Send /stats for other periods, /scorecard for your own card."))])


# -- the scorecard -----------------------------------------------------------------------------


def scorecard_tiles(card: Scorecard) -> list[tuple[str, str]]:
    """(label, value) for each tile of the card, in reading order."""
    return [
        (_("Referrals given"), format_number(card.given)),
        (_("Referrals received"), format_number(card.received)),
        (_("Accepted"), format_number(card.accepted)),
        (_("Won"), format_number(card.won)),
        (_("Won value"), money(card.won_value, card.currency)),
        (_("Average answer time"), duration(card.average_answer)),
        (_("Meetings attended"), _("{attended} of {held}").format(
            attended=format_number(card.meetings_attended),
            held=format_number(card.meetings_held))),
        (_("Votes cast"), format_number(card.votes_cast)),
    ]


def scorecard_title(card: Scorecard) -> str:
    return _("Scorecard: {member}").format(member=card.name)


def scorecard_subtitle(card: Scorecard, today: str) -> str:
    return _("{alliance} · all time, as of {day}").format(alliance=card.alliance_name, day=today)


def scorecard_caption(card: Scorecard) -> str:
    text = _("🪪 Scorecard of {member}").format(member=trim(card.name, NAME_IN_CAPTION))
    lines = [f"<b>{esc(text)}</b>"]
    if card.won_elsewhere:
        lines.append(esc(ngettext("{n} won in another currency is not added in.",
                                  "{n} won in other currencies are not added in.",
                                  card.won_elsewhere).format(n=format_number(card.won_elsewhere))))
    return "\n".join(lines)


def error_messages() -> errors.Messages:
    """This feature's DomainError codes in words (looked up by ``bot.views.errors``)."""
    return {
        "stats_bad_period": lambda p: _(
            "I did not understand that period. Send /stats alone (the last 30 days), or with "
            "month, quarter, year, a number of days like 90d, a month like 2026-10 or a year "
            "like 2026."),
        "scorecard_own_only": lambda p: _(
            "You can see your own business's scorecard: send /scorecard alone. Only "
            "coordinators can see other members' cards."),
        "scorecard_no_member": lambda p: _(
            "You do not act for a member business, so you have no scorecard. A coordinator can "
            "name a member: /scorecard followed by its name."),
    }

"""Meetings' pure rules: slot parsing (en, zh_Hans, zh_Hant), series occurrences across a year and
across daylight-saving changes, the winner and its ties, the .ics file read back by two parsers."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
from hypothesis import given
from hypothesis import strategies as st

from bot.services.calendar_file import ics_bytes, meeting_uid
from bot.services.errors import DomainError
from bot.services.meetings import SlotTally, best_slot, parse_duration
from bot.services.recurrence import MONTHLY_DAY, MONTHLY_NTH, WEEKLY, Plan, build_rule, check_poll_fits
from bot.services.slots import parse_clock, parse_slot

TAIPEI = ZoneInfo("Asia/Taipei")
BERLIN = ZoneInfo("Europe/Berlin")
# Monday 23 November 2026, 17:00 in Taipei.
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def local(text: str, now: datetime = NOW, zone: ZoneInfo = TAIPEI) -> datetime:
    return parse_slot(text, now=now, zone=zone).local.replace(tzinfo=None)


# -- slot parsing ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("2026-12-03 19:00", datetime(2026, 12, 3, 19, 0)),
    ("2026/12/3 7pm", datetime(2026, 12, 3, 19, 0)),
    ("12/3 19:00", datetime(2026, 12, 3, 19, 0)),
    ("Tue 19:00", datetime(2026, 11, 24, 19, 0)),
    ("tuesday at 7:30 pm", datetime(2026, 11, 24, 19, 30)),
    ("next Tue 19:00", datetime(2026, 12, 1, 19, 0)),
    ("tomorrow 9am", datetime(2026, 11, 24, 9, 0)),
    ("Mon 18:00", datetime(2026, 11, 23, 18, 0)),  # today, still ahead
    ("Mon 16:00", datetime(2026, 11, 30, 16, 0)),  # today's is past: next week's
    ("1/5 10:00", datetime(2027, 1, 5, 10, 0)),  # January is past this year: next year's
    ("2026-12-03T19:00", datetime(2026, 12, 3, 19, 0)),
    ("12/3 7:30pm", datetime(2026, 12, 3, 19, 30)),
    ("Thu 12:00pm", datetime(2026, 11, 26, 12, 0)),
    ("Thu 12am", datetime(2026, 11, 26, 0, 0)),
])
def test_english_slots(text: str, expected: datetime) -> None:
    assert local(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("周二 19:00", datetime(2026, 11, 24, 19, 0)),
    ("下周二 19:00", datetime(2026, 12, 1, 19, 0)),
    ("星期五 晚上7点", datetime(2026, 11, 27, 19, 0)),
    ("12月3日 19:00", datetime(2026, 12, 3, 19, 0)),
    ("明天 下午3点15分", datetime(2026, 11, 24, 15, 15)),
    ("后天 晚上7点半", datetime(2026, 11, 25, 19, 30)),
    ("２０２６年１２月３日 １９：００", datetime(2026, 12, 3, 19, 0)),  # full-width
    ("下周三下午3点", datetime(2026, 12, 2, 15, 0)),  # no spaces
    ("周五19点30分", datetime(2026, 11, 27, 19, 30)),
])
def test_simplified_chinese_slots(text: str, expected: datetime) -> None:
    assert local(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("週二 19:00", datetime(2026, 11, 24, 19, 0)),
    ("下週二 19:00", datetime(2026, 12, 1, 19, 0)),
    ("禮拜六 上午10點", datetime(2026, 11, 28, 10, 0)),
    ("12月3號 晚上7點", datetime(2026, 12, 3, 19, 0)),
    ("後天 19:00", datetime(2026, 11, 25, 19, 0)),
    ("週日 下午2點半", datetime(2026, 11, 29, 14, 30)),
    ("週二晚上7點", datetime(2026, 11, 24, 19, 0)),
    ("星期天 中午12點", datetime(2026, 11, 29, 12, 0)),
    ("12月3日19:00", datetime(2026, 12, 3, 19, 0)),
])
def test_traditional_chinese_slots(text: str, expected: datetime) -> None:
    assert local(text) == expected


# Friday 27 November 2026, 10:00 in Taipei: 下週二 is Tuesday of next calendar week (1 December),
# as a Chinese speaker means it, not the Tuesday after the coming one.
FRIDAY = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "expected"), [
    ("下週二 19:00", datetime(2026, 12, 1, 19, 0)),
    ("下周二 19:00", datetime(2026, 12, 1, 19, 0)),
    ("下个星期二 晚上7点", datetime(2026, 12, 1, 19, 0)),
    ("下個禮拜二 19:00", datetime(2026, 12, 1, 19, 0)),
    ("下週日 10:00", datetime(2026, 12, 6, 10, 0)),
    ("下週一 10:00", datetime(2026, 11, 30, 10, 0)),
    ("這週六 10:00", datetime(2026, 11, 28, 10, 0)),
    ("本周日 10:00", datetime(2026, 11, 29, 10, 0)),
    ("这周五 晚上8点", datetime(2026, 11, 27, 20, 0)),
    ("下下週二 19:00", datetime(2026, 12, 8, 19, 0)),
    ("下下周二19:00", datetime(2026, 12, 8, 19, 0)),
    ("週二 19:00", datetime(2026, 12, 1, 19, 0)),  # alone: the coming one
    ("Tue 19:00", datetime(2026, 12, 1, 19, 0)),
    ("next Tue 19:00", datetime(2026, 12, 8, 19, 0)),  # English keeps "a week after the coming one"
])
def test_named_weeks_count_calendar_weeks_in_chinese(text: str, expected: datetime) -> None:
    assert local(text, now=FRIDAY) == expected


@pytest.mark.parametrize("text", ["本週二 19:00", "这周三 19:00", "這週五 09:00"])
def test_this_weeks_day_already_past_is_refused(text: str) -> None:
    with pytest.raises(DomainError) as caught:
        parse_slot(text, now=FRIDAY, zone=TAIPEI)
    assert caught.value.code == "slot_in_past"


@pytest.mark.parametrize(("text", "code"), [
    ("hello", "slot_unparsed"), ("Tue", "slot_unparsed"), ("19:00", "slot_unparsed"),
    ("Tue 25:00", "slot_unparsed"), ("13pm Tue", "slot_unparsed"), ("Tue 19:00 banana", "slot_unparsed"),
    ("2026-02-30 10:00", "slot_bad_date"), ("2026-01-01 10:00", "slot_in_past"),
    ("今天 10:00", "slot_in_past"), ("", "slot_unparsed"),
])
def test_bad_slots_are_refused_with_a_reason(text: str, code: str) -> None:
    with pytest.raises(DomainError) as caught:
        parse_slot(text, now=NOW, zone=TAIPEI)
    assert caught.value.code == code


def test_slot_is_the_utc_instant_of_the_local_time() -> None:
    assert parse_slot("2026-12-03 19:00", now=NOW, zone=TAIPEI).utc == \
        datetime(2026, 12, 3, 11, 0, tzinfo=UTC)
    assert parse_slot("2026-07-01 19:00", now=NOW - timedelta(days=365), zone=BERLIN).utc == \
        datetime(2026, 7, 1, 17, 0, tzinfo=UTC)


def test_time_skipped_by_daylight_saving_moves_forward() -> None:
    march = datetime(2026, 3, 1, tzinfo=UTC)
    slot = parse_slot("2026-03-29 02:30", now=march, zone=BERLIN)
    assert slot.utc == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert slot.local.hour == 3 and slot.local.minute == 30


def test_clock_alone() -> None:
    assert parse_clock("19:00") == time(19, 0)
    assert parse_clock("晚上7點") == time(19, 0)
    assert parse_clock("7pm") == time(19, 0)
    assert parse_clock("tue 19:00") is None
    assert parse_clock("nonsense") is None


@given(st.text(max_size=100))
def test_any_text_parses_or_is_refused_cleanly(text: str) -> None:
    try:
        slot = parse_slot(text, now=NOW, zone=TAIPEI)
    except DomainError as error:
        assert error.code in {"slot_unparsed", "slot_bad_date", "slot_in_past"}
    else:
        assert slot.utc > NOW


@pytest.mark.parametrize(("text", "minutes"), [("90", 90), ("90 min", 90), ("1h30", 90), ("1.5h", 90),
                                               ("2小時", 120), ("45分钟", 45),
                                               ("1小時30分", 90), ("1小时30分钟", 90), ("90分鐘", 90),
                                               ("１小時３０分", 90), ("一个半小时", 90),
                                               ("一個半小時", 90), ("兩小時", 120), ("半小時", 30),
                                               ("九十分钟", 90), ("一小时三十分", 90)])
def test_durations(text: str, minutes: int) -> None:
    assert parse_duration(text) == minutes


@pytest.mark.parametrize("text", ["", "0", "abc", "100h", "3"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(DomainError):
        parse_duration(text)


# -- series ----------------------------------------------------------------------------------------

def plan(rule: str, zone: ZoneInfo, at: time, *, offsets: tuple[int, ...] = (0, 1440),
         anchor: date = date(2026, 1, 1), open_days: int = 7, poll_hours: int = 72) -> Plan:
    return Plan(rule=rule, anchor=anchor, at=at, zone=zone, offsets=offsets, open_days=open_days,
                poll_hours=poll_hours)


def test_monthly_first_tuesday_over_a_year() -> None:
    series = plan(build_rule(MONTHLY_NTH, weekday=1, nth=1, at=time(19, 0)), TAIPEI, time(19, 0))
    found = series.occurrences(datetime(2026, 12, 31, tzinfo=UTC), 12)
    assert [o.local.date() for o in found] == [
        date(2027, 1, 5), date(2027, 2, 2), date(2027, 3, 2), date(2027, 4, 6), date(2027, 5, 4),
        date(2027, 6, 1), date(2027, 7, 6), date(2027, 8, 3), date(2027, 9, 7), date(2027, 10, 5),
        date(2027, 11, 2), date(2027, 12, 7)]
    assert all(o.local.weekday() == 1 and o.local.day <= 7 for o in found)
    # Taipei has no daylight saving: always 11:00 UTC.
    assert {o.at.time() for o in found} == {time(11, 0)}


def test_last_friday_and_day_of_month_past_the_end() -> None:
    fridays = plan(build_rule(MONTHLY_NTH, weekday=4, nth=-1, at=time(18, 0)), TAIPEI, time(18, 0))
    assert [o.local.date() for o in fridays.occurrences(datetime(2027, 1, 1, tzinfo=UTC), 2)] == [
        date(2027, 1, 29), date(2027, 2, 26)]
    thirty_first = plan(build_rule(MONTHLY_DAY, day=31, at=time(9, 0)), TAIPEI, time(9, 0))
    assert [o.local.date() for o in thirty_first.occurrences(datetime(2027, 1, 1, tzinfo=UTC), 4)] == [
        date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30)]


def test_weekly_in_berlin_keeps_wall_clock_across_both_dst_changes() -> None:
    series = plan(build_rule(WEEKLY, weekday=1, at=time(19, 0)), BERLIN, time(19, 0),
                  offsets=(-60, 0, 60))
    found = series.occurrences(datetime(2026, 3, 16, tzinfo=UTC), 3)  # over 29 March
    assert [o.local for o in found] == [datetime(2026, 3, 17, 19), datetime(2026, 3, 24, 19),
                                        datetime(2026, 3, 31, 19)]
    assert [o.at.hour for o in found] == [18, 18, 17]  # CET, CET, CEST
    autumn = series.occurrences(datetime(2026, 10, 19, tzinfo=UTC), 2)  # over 25 October
    assert [o.at.hour for o in autumn] == [17, 18]
    assert all(o.local.hour == 19 for o in autumn)
    # Slots around the occurrence stay at local 18:00/19:00/20:00 too.
    last = autumn[1]
    assert [s.astimezone(BERLIN).hour for s in last.slots] == [18, 19, 20]
    # The poll opens 7 days earlier at the same wall time, on the other side of the change.
    assert last.opens_at.astimezone(BERLIN).replace(tzinfo=None) == datetime(2026, 10, 20, 19)
    assert last.opens_at == datetime(2026, 10, 20, 17, tzinfo=UTC)
    # A 48-hour poll opening on Saturday 28 March 19:00 closes on Monday 19:00, summer time.
    short = plan(build_rule(WEEKLY, weekday=1, at=time(19, 0)), BERLIN, time(19, 0),
                 offsets=(-60, 0, 60), open_days=3, poll_hours=48)
    spring = short.occurrences(datetime(2026, 3, 25, tzinfo=UTC), 1)[0]
    assert spring.opens_at == datetime(2026, 3, 28, 18, tzinfo=UTC)
    assert spring.closes_at == datetime(2026, 3, 30, 17, tzinfo=UTC)


def test_poll_closes_before_the_earliest_slot() -> None:
    series = plan(build_rule(WEEKLY, weekday=3, at=time(9, 0)), TAIPEI, time(9, 0),
                  offsets=(-1440, 0, 1440), open_days=3, poll_hours=47)
    found = series.occurrences(datetime(2026, 11, 23, tzinfo=UTC), 1)[0]
    assert found.local == datetime(2026, 11, 26, 9)
    assert found.opens_at == datetime(2026, 11, 23, 1, tzinfo=UTC)
    assert found.closes_at == datetime(2026, 11, 25, 0, tzinfo=UTC)
    assert found.slots[0] == datetime(2026, 11, 25, 1, tzinfo=UTC)
    with pytest.raises(DomainError):
        check_poll_fits(3, 48, (-1440, 0, 1440))


def test_pending_skips_occurrences_whose_first_slot_began() -> None:
    series = plan(build_rule(WEEKLY, weekday=1, at=time(19, 0)), TAIPEI, time(19, 0),
                  offsets=(-1440, 0))
    monday_evening = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)  # 18:30, before Monday's 19:00 slot
    assert next(series.pending(monday_evening)).local == datetime(2026, 11, 24, 19)
    after_first = datetime(2026, 11, 23, 11, 30, tzinfo=UTC)
    assert next(series.pending(after_first)).local == datetime(2026, 12, 1, 19)


def test_bad_rules() -> None:
    for kwargs in ({"weekday": 7}, {"weekday": None}):
        with pytest.raises(DomainError):
            build_rule(WEEKLY, at=time(9, 0), **kwargs)
    with pytest.raises(DomainError):
        build_rule(MONTHLY_NTH, weekday=1, nth=5, at=time(9, 0))
    with pytest.raises(DomainError):
        build_rule(MONTHLY_DAY, day=32, at=time(9, 0))


# -- the winner --------------------------------------------------------------------------------------

def tally(slot_id: int, hour: int, yes: int = 0, maybe: int = 0, no: int = 0) -> SlotTally:
    return SlotTally(slot_id=slot_id, starts_at=datetime(2026, 12, 1, hour, tzinfo=UTC), yes=yes,
                     maybe=maybe, no=no)


def test_most_yes_wins() -> None:
    assert best_slot([tally(1, 9, yes=1, maybe=5), tally(2, 10, yes=2)]).slot_id == 2


def test_tie_on_yes_goes_to_most_if_need_be() -> None:
    assert best_slot([tally(1, 9, yes=2, no=3), tally(2, 10, yes=2, maybe=1)]).slot_id == 2


def test_full_tie_goes_to_the_earliest_whatever_the_order() -> None:
    assert best_slot([tally(5, 11, yes=2, maybe=1), tally(9, 9, yes=2, maybe=1),
                      tally(1, 10, yes=2, maybe=1)]).slot_id == 9


def test_no_answers_or_only_no_means_no_winner() -> None:
    assert best_slot([tally(1, 9), tally(2, 10)]) is None
    assert best_slot([tally(1, 9, no=3), tally(2, 10, no=1)]) is None
    assert best_slot([tally(1, 9, no=3), tally(2, 10, maybe=1)]).slot_id == 2


# -- the calendar file --------------------------------------------------------------------------

def test_ics_parses_back_with_two_libraries_at_the_right_instant() -> None:
    starts = datetime(2026, 3, 31, 17, 0, tzinfo=UTC)  # 19:00 in Berlin, summer time
    data = ics_bytes(meeting_id=42, title="Monthly <meeting>, 第一次", starts_at=starts,
                     duration_min=90, place="Room 3, https://meet.example.org/abc",
                     timezone="Europe/Berlin", now=NOW)
    calendar = icalendar.Calendar.from_ical(data)
    event = next(iter(calendar.walk("VEVENT")))
    assert str(event["uid"]) == meeting_uid(42)
    start = event.decoded("dtstart")
    assert start.tzinfo is not None and start.astimezone(UTC) == starts
    assert event["dtstart"].params["TZID"] == "Europe/Berlin"
    assert event.decoded("duration") == timedelta(minutes=90)
    assert str(event["location"]) == "Room 3, https://meet.example.org/abc"
    assert str(event["url"]) == "https://meet.example.org/abc"
    assert calendar.walk("VTIMEZONE"), "the zone travels with the file"

    parsed = vobject.readOne(data.decode())
    vevent = parsed.vevent
    assert vevent.uid.value == meeting_uid(42)
    assert vevent.dtstart.value.astimezone(UTC) == starts
    assert vevent.duration.value == timedelta(minutes=90)
    assert vevent.summary.value == "Monthly <meeting>, 第一次"


def test_ics_uid_is_stable_per_meeting() -> None:
    kwargs = {"title": "T", "starts_at": NOW + timedelta(days=1), "duration_min": 60, "place": None,
              "timezone": "Asia/Taipei"}
    first = icalendar.Calendar.from_ical(ics_bytes(meeting_id=7, now=NOW, **kwargs))
    again = icalendar.Calendar.from_ical(ics_bytes(meeting_id=7, now=NOW + timedelta(hours=1), **kwargs))
    other = icalendar.Calendar.from_ical(ics_bytes(meeting_id=8, now=NOW, **kwargs))
    uid = [str(next(iter(c.walk("VEVENT")))["uid"]) for c in (first, again, other)]
    assert uid[0] == uid[1] != uid[2]
    assert "url" not in next(iter(first.walk("VEVENT")))


@given(st.text(max_size=600))
def test_any_title_place_or_length_is_kept_or_refused_cleanly(text: str) -> None:
    from bot.services.meetings import clean_place, clean_title

    for clean in (clean_title, clean_place, parse_duration):
        try:
            value = clean(text)
        except DomainError as error:
            assert error.code.startswith("meeting_")
        else:
            assert value is None or isinstance(value, int) or 0 < len(value) <= 500

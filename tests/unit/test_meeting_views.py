"""Whatever people call a meeting or its place, the cards are valid Telegram HTML within limits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.emulator.telegram_text import parse_html
from bot.i18n import LOCALES, use_locale
from bot.services.meetings import OPEN, SCHEDULED, SlotTally
from bot.views import meetings as views
from storage.models import Meeting, MeetingSeries

TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
               min_size=1, max_size=200)
PLACE = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                min_size=1, max_size=500)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def meeting(title: str, place: str, status: str) -> Meeting:
    return Meeting(id=1, alliance_id=1, title=title, place=place, duration_min=90,
                   deadline=NOW + timedelta(days=1), status=status, chat_id=-100, message_id=5,
                   winner_slot_id=10 if status == SCHEDULED else None,
                   starts_at=NOW + timedelta(days=2) if status == SCHEDULED else None, created_at=NOW)


@settings(max_examples=120, deadline=None)
@given(title=TEXT, place=PLACE, locale=st.sampled_from(LOCALES), many=st.integers(0, 12))
def test_meeting_texts_are_valid_html_within_limits(title: str, place: str, locale: str,
                                                    many: int) -> None:
    slots = [SlotTally(slot_id=10 + i, starts_at=NOW + timedelta(days=2, hours=i), yes=i, maybe=1, no=2)
             for i in range(10)]
    with use_locale(locale):
        for status in (OPEN, SCHEDULED):
            text, keyboard = views.card(meeting(title, place, status), slots, 3, 12, "Asia/Taipei")
            plain, _ = parse_html(text)
            assert title in plain and place in plain and len(plain) <= 4096
            if keyboard is not None:
                assert all(len(button.callback_data or "") <= 64
                           for row in keyboard.inline_keyboard for button in row)
        decided = meeting(title, place, SCHEDULED)
        caption, _ = parse_html(views.announcement(decided, slots[0], "Europe/Berlin"))
        assert title in caption and len(caption) <= 1024
        reminder, _ = parse_html(views.reminder(decided, "1h", "Asia/Taipei"))
        assert title in reminder
        series = MeetingSeries(id=1, alliance_id=1, title=title, place=place,
                               rule="FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=19;BYMINUTE=0;BYSECOND=0",
                               anchor=date(2026, 1, 1), local_time="19:00", timezone="Asia/Taipei",
                               offsets=[0, 1440], open_days=7, poll_hours=48, status="active")
        listing, _ = parse_html(views.overview([meeting(title, place, OPEN)] * many,
                                               [decided] * many, [series] * many, "Asia/Taipei", True))
        assert len(listing) <= 4096
        if many:
            assert title[:59] in listing


def test_every_locales_slot_examples_are_its_own_and_the_bot_reads_them() -> None:
    """Step 2 shows times as the reader writes them (no 週二 in English, no 周二 in zh_Hant), and
    every example shown is one the slot parser accepts."""
    from zoneinfo import ZoneInfo

    from bot.services.slots import parse_slot
    now = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # a Friday
    shown = {}
    for locale in LOCALES:
        with use_locale(locale):
            shown[locale] = views.slot_examples()
            text, _keyboard = views.ask_slots([], "Asia/Taipei", 2, 10)
        for example in shown[locale]:
            assert example in text
            parse_slot(example, now=now, zone=ZoneInfo("Asia/Taipei"))
    assert "Tue 19:00" in shown["en"] and not any("週" in e or "周" in e for e in shown["en"])
    assert "週二 19:00" in shown["zh_Hant"] and "下週四 晚上6點半" in shown["zh_Hant"]
    assert "周二 19:00" in shown["zh_Hans"] and "下周四 晚上6点半" in shown["zh_Hans"]
    assert not any("Tue" in e for e in shown["zh_Hant"] + shown["zh_Hans"])

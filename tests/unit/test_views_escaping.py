"""Whatever people type, the cards are valid Telegram HTML that shows their text as typed."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.emulator.telegram_text import parse_html
from bot.i18n import LOCALES, use_locale
from bot.services.errors import DomainError
from bot.views import meetings as meeting_views
from bot.views import setup as views
from bot.views.errors import error_text
from bot.views.html import MESSAGE_LIMIT, clip, esc, fit
from bot.views.membership import directory
from storage.models import Alliance, Member
from tests.texts import SHARP

# Telegram strips surrogates and NUL on its side; people cannot send them.
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
               min_size=1, max_size=300)


def alliance(name: str, charter: str, locale: str) -> Alliance:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return Alliance(id=1, name=name, charter=charter, locale=locale, timezone="Asia/Taipei",
                    settings={}, created_at=now, updated_at=now)


@settings(max_examples=150, deadline=None)
@given(name=TEXT, charter=TEXT, locale=st.sampled_from(LOCALES))
def test_cards_are_valid_html_and_keep_user_text(name: str, charter: str, locale: str) -> None:
    with use_locale(locale):
        subject = alliance(name, charter, locale)
        card = views.charter_card(subject)
        text, _entities = parse_html(card)
        assert charter in text
        for html in (views.setup_language_card(subject, True)[0], views.setup_done_card(subject, [], True),
                     views.linked(subject), views.charter_saved(subject), views.timezone_saved(subject)):
            plain, _ = parse_html(html)
            assert name in plain


# -- user text bounded before it is escaped; long cards cut between lines -------------------------

BIG = st.one_of(TEXT, st.sampled_from(SHARP), st.text(min_size=1000, max_size=4096))


@settings(max_examples=200, deadline=None)
@given(value=BIG, limit=st.integers(1, 4096))
def test_clip_never_cuts_an_entity(value: str, limit: int) -> None:
    clipped = clip(value, limit)
    plain, _ = parse_html(f"<b>{clipped}</b>")
    assert len(plain) <= limit and value.startswith(plain.removesuffix("…"))


@settings(max_examples=100, deadline=None)
@given(lines=st.lists(st.one_of(BIG.map(esc), BIG.map(lambda v: f"<b>{esc(v)}</b>")), max_size=30))
def test_fit_keeps_whole_lines_within_the_limit(lines: list[str]) -> None:
    text = fit(lines)
    assert len(text) <= MESSAGE_LIMIT
    if text:
        parse_html(text)  # balanced: only whole lines were kept
    cut = ["\n".join([*lines[:k], "…"]) for k in range(len(lines))]
    assert text == "\n".join(lines) or text in cut


def _member(number: int, name: str, text: str) -> Member:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return Member(id=number, alliance_id=1, name=name, category=text[:200], region=text,
                  services=text, contact=text, status="suspended" if number % 2 else "active",
                  joined_at=now, created_at=now, updated_at=now)


@settings(max_examples=40, deadline=None)
@given(query=BIG, name=BIG, locale=st.sampled_from(LOCALES), private=st.booleans())
def test_the_directory_fits_whatever_the_search_and_the_names(query: str, name: str, locale: str,
                                                             private: bool) -> None:
    with use_locale(locale):
        subject = alliance(name[:255], "", locale)
        found = [_member(number, name, query) for number in range(1, 16)]
        text, _keyboard = directory.directory(subject, found, 0, query, private=private)
        plain, _ = parse_html(text)
        assert len(plain) <= MESSAGE_LIMIT
        card = directory.member_card(found[0], subject, True, name)
        assert len(parse_html(card)[0]) <= MESSAGE_LIMIT
        profile, _ = directory.profile(found[1], subject)
        assert len(parse_html(profile)[0]) <= MESSAGE_LIMIT


def test_a_long_search_is_quoted_short() -> None:
    subject = alliance("Taipei", "", "en")
    text, _ = directory.directory(subject, [], 0, "<b>&" * 1024, private=True)
    plain, _ = parse_html(text)
    assert "<b>&" * 14 in plain and len(plain) < 300


@settings(max_examples=30, deadline=None)
@given(lines=st.lists(st.sampled_from(SHARP), min_size=1, max_size=50))
def test_the_candidate_times_step_fits_whatever_could_not_be_read(lines: list[str]) -> None:
    problems = ["⚠ " + error_text(DomainError("slot_unparsed", text=line[:80])) for line in lines]
    moments = [datetime(2026, 12, day, 11, tzinfo=UTC) for day in range(1, 11)]
    text, _ = meeting_views.ask_slots(moments, "Asia/Taipei", 2, 10, moments, problems)
    plain, _ = parse_html(text)
    assert len(plain) <= MESSAGE_LIMIT
    assert "Candidate times so far" in plain  # the times it understood are never cut off

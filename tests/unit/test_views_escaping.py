"""Whatever people type, the cards are valid Telegram HTML that shows their text as typed."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.emulator.telegram_text import parse_html
from bot.i18n import LOCALES, use_locale
from bot.views import setup as views
from storage.models import Alliance

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

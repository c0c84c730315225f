"""The words of /announce that depend on the alliance's state rather than on a chat."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.i18n import use_locale
from bot.views.announcements import on_its_way


@pytest.mark.parametrize(("locale", "expected"), [
    ("en", "wait until Nov 27, 2026 8:00 AM"),
    ("zh_Hant", "私訊副本會等到 2026年11月27日 上午8:00 再傳送"),
    ("zh_Hans", "私信副本会等到 2026年11月27日 08:00 再发"),
])
def test_the_author_is_told_when_quiet_hours_hold_the_private_copies(locale: str,
                                                                     expected: str) -> None:
    morning = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)  # 08:00 in Taipei
    with use_locale(locale):
        held = on_its_way(2, 30, held_until=morning, timezone="Asia/Taipei")
        now = on_its_way(2, 30, held_until=None, timezone="Asia/Taipei")
        groups_only = on_its_way(2, 0, held_until=morning, timezone="Asia/Taipei")
    assert expected in held.replace("\u202f", " ")
    assert "\n" not in now and "\n" not in groups_only

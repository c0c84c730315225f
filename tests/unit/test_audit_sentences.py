"""The audit log says settings in the reader's words: a language as its picker names it, a time
zone as the reader says it (台北時間), the approval mode and the country by name — never the
stored codes (zh_Hant, Asia/Taipei, coordinators, TW) in a Chinese sentence."""

from __future__ import annotations

import re

import pytest

from bot.i18n import use_locale
from bot.services.reports import AuditPage
from bot.views.reports import audit_sentence
from storage.models import AuditEntry
from tests.conftest import NOW


def entry(action: str, subject: str | None = None, **details: str) -> AuditEntry:
    return AuditEntry(alliance_id=1, actor_id=7, action=action, subject=subject, details=details,
                      created_at=NOW)


PAGE = AuditPage(entries=[], offset=0, size=10, total=0, people={7: "Lin"}, members={},
                 proposals={})
ENTRIES = [entry("alliance.language", **{"from": "en", "to": "zh_Hant"}),
           entry("alliance.timezone", **{"from": "UTC", "to": "Asia/Taipei"}),
           entry("settings.approval_mode", "coordinators"),
           entry("settings.approval_mode", "vote"),
           entry("settings.country", "TW")]


@pytest.mark.parametrize(("locale", "expected"), [
    ("zh_Hant", ["English", "繁體中文", "台北時間", "協調人", "成員投票", "台灣"]),
    ("zh_Hans", ["English", "繁體中文", "台北时间", "协调人", "成员投票", "台湾"]),
    ("en", ["English", "繁體中文", "Asia/Taipei", "the coordinators", "a members' vote", "Taiwan"]),
])
def test_audit_lines_name_settings_not_codes(locale: str, expected: list[str]) -> None:
    with use_locale(locale):
        lines = "\n".join(audit_sentence(PAGE, item) for item in ENTRIES)
    for word in expected:
        assert word in lines, (word, lines)
    for code in ("zh_Hant", "(coordinators", "（coordinators", "(vote", "（vote", "TW)", "（TW）"):
        assert code not in lines, (code, lines)
    if locale != "en":
        assert not re.search(r"[A-Za-z]+/[A-Za-z_]+", lines), lines  # no IANA id in Chinese

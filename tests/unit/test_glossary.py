"""The Chinese catalogs follow locales/glossary.toml: one word per concept, the locale's quote
marks and register, no ASCII separators glued into Chinese. Re-run after any merge that adds
strings; the failure names each msgid."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import glossary


@pytest.mark.parametrize("locale", glossary.CHINESE)
def test_catalog_follows_the_glossary(locale: str) -> None:
    found = glossary.violations(locale)
    assert not found, f"{len(found)} {locale} message(s) break the glossary:\n" + "\n".join(found)


@pytest.mark.parametrize("locale", glossary.CHINESE)
def test_glossary_terms_do_not_ban_themselves(locale: str) -> None:
    for term in glossary.load()["term"]:
        for rule in glossary.rules(locale):
            assert not rule.pattern.search(term[locale].split(" (")[0]) or "ASCII" in rule.why, \
                (term["concept"], rule.why)


def test_rendered_glossary_is_current() -> None:
    assert glossary.RENDERED.read_text(encoding="utf-8") == glossary.render(), \
        "run `python tools/glossary.py` to re-render docs/glossary.md"


def test_the_check_catches_todays_variants(tmp_path: Path) -> None:
    """The rules fail on the variants the catalogs had before the glossary (issue 15)."""
    before = {"zh_Hans": "协调员、在籍成员、贵商号、担保人、「引号」、2 个成员、联盟群组、类别：维修, 轮胎",
              "zh_Hant": "協調員、在籍成員、擔保人、私人對話、“引號”、你、2 個成員"}
    for locale, text in before.items():
        hits = [rule.why for rule in glossary.rules(locale) if rule.pattern.search(text)]
        assert len(hits) >= 7, hits

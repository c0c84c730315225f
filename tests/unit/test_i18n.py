"""Catalog completeness and freshness, locale negotiation, and formatting."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import Catalogs, format_datetime, format_money, resolve_locale, use_locale

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("bot", "handlers", "storage")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "__": None, "lazy_gettext": None,
            "pgettext": ((1, "c"), 2), "lazy_pgettext": ((1, "c"), 2)}
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
# Characters that exist in only one script: a zh_Hant string must not contain the first kind.
SIMPLIFIED_ONLY = set("们这来说为对时会发个过还没后请设联权释译转则员视频关议账户应选项务"
                      "开启动态类网络页级载线总间认证签删复归当书单价审")
TRADITIONAL_ONLY = set("們這來說為對時會發個過還沒後請設聯權釋譯轉則員視頻關議賬帳戶應選項務"
                       "開啟動態類網絡頁級載線總間認證簽刪複歸當書單價審")


def extracted() -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for source in SOURCES:
        for filename, lineno, message, _comments, _context in extract_from_dir(
                ROOT / source, keywords=KEYWORDS, method_map=[("**.py", "python")]):
            msgid = message if isinstance(message, str) else message[0]
            found[msgid] = (lineno, f"{source}/{filename}")
    return found


def catalog(locale: str) -> dict[str, str]:
    with (ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        po = read_po(handle, locale=locale)
    return {(m.id if isinstance(m.id, str) else m.id[0]):
            (m.string if isinstance(m.string, str) else m.string[0]) if "fuzzy" not in m.flags else ""
            for m in po if m.id}


def test_source_has_messages() -> None:
    assert len(extracted()) > 50


@pytest.mark.parametrize("locale", ["zh_Hans", "zh_Hant"])
def test_every_message_is_translated(locale: str) -> None:
    translations = catalog(locale)
    missing = [f"{where}:{line}: {msgid!r}" for msgid, (line, where) in extracted().items()
               if not translations.get(msgid)]
    assert not missing, f"{len(missing)} message(s) lack a {locale} translation " \
                        f"(run `make locales`, then translate):\n" + "\n".join(missing)


@pytest.mark.parametrize("locale", ["zh_Hans", "zh_Hant"])
def test_translations_keep_placeholders_and_script(locale: str) -> None:
    wrong_script = SIMPLIFIED_ONLY if locale == "zh_Hant" else TRADITIONAL_ONLY
    problems = []
    for msgid, text in catalog(locale).items():
        if not text:
            continue
        if sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(text)):
            problems.append(f"placeholders differ: {msgid!r} -> {text!r}")
        if set(text) & wrong_script:
            problems.append(f"wrong script {sorted(set(text) & wrong_script)}: {text!r}")
        if "<" in text and "<" not in msgid:
            problems.append(f"markup added: {text!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("locale", ["en", "zh_Hans", "zh_Hant"])
def test_catalogs_pass_the_format_checks(locale: str) -> None:
    """A msgid Babel flags python-format ("{pct}% of" reads as the directive "% o") makes
    `msgfmt -c` reject the catalog: Babel's own checkers and, where installed, msgfmt must agree
    that every catalog is well formed."""
    path = ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        po = read_po(handle, locale=locale)
    problems = [f"{message.id!r}: {'; '.join(map(str, errors))}"
                for message, errors in po.check() if errors]
    assert not problems, "\n".join(problems)
    if shutil.which("msgfmt") is None:
        pytest.skip("msgfmt (GNU gettext) is not installed; Babel's checkers ran alone")
    run = subprocess.run(["msgfmt", "-c", "-o", os.devnull, str(path)],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr


def test_what_the_bot_loads_matches_the_po_files() -> None:
    catalogs = Catalogs(ROOT / "locales")
    for locale in ("zh_Hans", "zh_Hant"):
        with (ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            po = read_po(handle, locale=locale)
        for message in po:
            if not message.id or not isinstance(message.id, str) or not message.string:
                continue
            loaded = catalogs.get(locale)
            shown = (loaded.gettext(message.id) if message.context is None
                     else loaded.pgettext(message.context, message.id))
            assert shown == message.string, (message.context, message.id)


def test_a_context_tells_the_same_word_apart() -> None:
    """"fulfilled" is a request solved (已解决) and a joint purchase handed out (已交付)."""
    from bot.views.purchases import STATUS
    from bot.views.requests import status_label
    with use_locale("zh_Hans"):
        assert status_label("fulfilled") == "已解决"
        assert str(STATUS["fulfilled"]) == "已交付"
    with use_locale("en"):
        assert status_label("fulfilled") == str(STATUS["fulfilled"]) == "fulfilled"


def test_no_gettext_inside_fstrings() -> None:
    """Babel cannot see a call inside an f-string on Python 3.11: it would never be translated."""
    offenders = []
    for source in SOURCES:
        for path in (ROOT / source).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.JoinedStr):
                    for inner in ast.walk(node):
                        if (isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name)
                                and inner.func.id in KEYWORDS):
                            offenders.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
    assert not offenders, offenders


@pytest.mark.parametrize(("code", "locale"), [
    ("zh-hans", "zh_Hans"), ("zh-CN", "zh_Hans"), ("zh-sg", "zh_Hans"), ("zh", "zh_Hans"),
    ("zh-hant", "zh_Hant"), ("zh-TW", "zh_Hant"), ("zh-hk", "zh_Hant"), ("zh-mo", "zh_Hant"),
    ("zh-hans-raw", "zh_Hans"), ("zh-hant-raw", "zh_Hant"), ("en", "en"), ("en-GB", "en"),
    ("de", "en"), ("", "en"), (None, "en"), ("???", "en"),
    ("yue", "zh_Hant"), ("yue-HK", "zh_Hant"), ("zh-yue", "zh_Hant"),
])
def test_language_code_mapping(code: str | None, locale: str) -> None:
    assert resolve_locale(code) == locale


def test_formatting_follows_locale_and_zone() -> None:
    moment = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    with use_locale("en"):
        assert format_datetime(moment, "Europe/Berlin") == "Mar 29, 2026 3:30\u202fAM"
        assert format_money(Decimal("1234.50"), "EUR") == "€1,234.50"
    with use_locale("zh_Hans"):
        assert format_datetime(moment, "Asia/Shanghai") == "2026年3月29日 09:30"
        assert format_money(Decimal("1234.5"), "CNY") == "¥1,234.50"
    with use_locale("zh_Hant"):
        assert format_datetime(moment, "Asia/Taipei") == "2026年3月29日 上午9:30"


@pytest.mark.parametrize(("locale", "expected"), [
    ("en", ("tyres, parts", "Total: 3", "Log (page 1)", "A: 1; B: 2")),
    ("zh_Hans", ("tyres、parts", "Total：3", "Log（page 1）", "A：1；B：2")),
    ("zh_Hant", ("tyres、parts", "Total：3", "Log（page 1）", "A：1；B：2")),
])
def test_separators_follow_the_locale(locale: str, expected: tuple[str, ...]) -> None:
    from bot.views.text import clauses, labelled, listing, parenthesized
    with use_locale(locale):
        shown = (listing(["tyres", "parts"]), labelled("Total", "3"),
                 parenthesized("page 1", after="Log"),
                 clauses([labelled("A", "1"), labelled("B", "2")]))
    assert shown == expected


@pytest.mark.parametrize(("locale", "shown"), [
    ("en", ("NT$12,000", "CN¥12,000", "HK$12,000", "$12,000", "NT$29,966.67")),
    ("zh_Hans", ("NT$12,000", "¥12,000", "HK$12,000", "US$12,000", "NT$29,966.67")),
    ("zh_Hant", ("NT$12,000", "CN¥12,000", "HK$12,000", "US$12,000", "NT$29,966.67")),
])
def test_money_per_locale(locale: str, shown: tuple[str, ...]) -> None:
    """A whole amount whole in every currency, never a bare $ for TWD (that is US$ next to it);
    an amount with cents keeps them."""
    with use_locale(locale):
        assert tuple(format_money(Decimal(a), c) for a, c in (
            ("12000", "TWD"), ("12000", "CNY"), ("12000", "HKD"), ("12000", "USD"),
            ("29966.67", "TWD"))) == shown
        assert format_money(Decimal("12.5"), "CNY").endswith("12.50")
        assert format_money(Decimal("12000.00"), "USD").endswith("12,000")


@pytest.mark.parametrize(("locale", "zones", "countries"), [
    ("en", ("Asia/Taipei", "Asia/Shanghai", "Asia/Hong_Kong", "UTC"), ("Taiwan", "China", "Hong Kong")),
    ("zh_Hans", ("台北时间", "北京时间", "香港时间", "UTC"), ("台湾", "中国", "香港")),
    ("zh_Hant", ("台北時間", "北京時間", "香港時間", "UTC"), ("台灣", "中國", "香港")),
])
def test_zones_and_countries_in_words(locale: str, zones: tuple[str, ...],
                                      countries: tuple[str, ...]) -> None:
    """Chinese sentences name the clock people use (北京时间 for all of mainland China), English
    keeps the id a coordinator types; an unknown zone stays as typed."""
    from bot.i18n import territory_name, zone_name
    with use_locale(locale):
        assert tuple(zone_name(z) for z in ("Asia/Taipei", "Asia/Shanghai", "Asia/Hong_Kong", None)) == zones
        assert tuple(territory_name(c) for c in ("TW", "cn", "HK")) == countries
        assert zone_name("Mars/Olympus") == "Mars/Olympus"


def test_an_unknown_language_gets_the_configured_default() -> None:
    """pt-br or no language at all: the deployment's defaults.locale (or the alliance's, when
    the caller passes it), never a hard-coded English; a language we speak stays."""
    from bot.i18n import configure_fallback
    try:
        configure_fallback("zh_Hant")
        assert [resolve_locale(c) for c in ("pt-br", None, "", "en-GB", "zh-cn")] == \
            ["zh_Hant", "zh_Hant", "zh_Hant", "en", "zh_Hans"]
        assert resolve_locale("pt-br", fallback="zh_Hans") == "zh_Hans"
    finally:
        configure_fallback("en")


@pytest.mark.parametrize(("given", "locale"), [
    ("zh_Hant", "zh_Hant"), ("zh-hant", "zh_Hant"), ("zh-Hant", "zh_Hant"), ("zh-TW", "zh_Hant"),
    ("zh_Hans", "zh_Hans"), ("zh-hans", "zh_Hans"), ("en", "en"),
])
def test_demo_accepts_both_spellings(given: str, locale: str) -> None:
    from bot.__main__ import _parser
    assert _parser().parse_args(["demo", "--lang", given]).lang == locale

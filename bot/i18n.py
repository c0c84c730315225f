"""Locale negotiation, translations and Babel formatting.

aiogram's stock i18n keeps only the language part of Telegram's ``language_code`` ("zh"), which
would show Chinese users English, and it needs compiled ``.mo`` files a fresh clone lacks. So the
catalogs are read from the ``.po`` files with Babel at start-up and the locale travels in a
context variable: handlers set it per update, scheduled jobs and the outbox per recipient.
"""

from __future__ import annotations

import contextvars
import copy
import gettext as _gettext
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _format_date
from babel.dates import format_time as _format_time
from babel.dates import get_timezone_location
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal as _format_decimal
from babel.numbers import get_currency_name as _currency_name
from babel.numbers import get_currency_precision

LOCALES: tuple[str, ...] = ("en", "zh_Hans", "zh_Hant")
DEFAULT_LOCALE = "en"
DOMAIN = "messages"
LOCALES_DIR = Path(os.environ.get("ALLIANCE_LOCALES_DIR", Path(__file__).resolve().parent.parent / "locales"))

# Telegram sends IETF-ish tags in any case and with scripts or regions; these mean Traditional.
# Cantonese (yue, zh-yue) is written in Traditional characters in Hong Kong and Macao.
_HANT_PREFIXES = ("zh-hant", "zh-tw", "zh-hk", "zh-mo", "yue", "zh-yue")

_current: contextvars.ContextVar[str] = contextvars.ContextVar("alliance_locale", default=DEFAULT_LOCALE)
_fallback = DEFAULT_LOCALE  # the configured defaults.locale, set once at start (configure_fallback)


def configure_fallback(locale: str) -> None:
    """The language for someone whose Telegram language we do not speak (pt-br, none): the
    deployment's ``defaults.locale`` rather than a hard-coded English."""
    global _fallback
    _fallback = locale if locale in LOCALES else DEFAULT_LOCALE


def resolve_locale(language_code: str | None, fallback: str | None = None) -> str:
    """Map Telegram's ``language_code`` onto one of our three locales; a code we do not speak
    (or none) gets ``fallback``, else the configured default."""
    tag = (language_code or "").strip().lower().replace("_", "-")
    if tag.startswith(_HANT_PREFIXES):
        return "zh_Hant"
    if tag == "zh" or tag.startswith("zh-"):  # zh-hans, zh-cn, zh-sg and any other Chinese
        return "zh_Hans"
    if tag == "en" or tag.startswith("en-"):
        return "en"
    return fallback if fallback in LOCALES else _fallback  # type: ignore[return-value]


def normalize_locale(value: str | None) -> str:
    """Our own stored value, or anything Telegram-shaped, to a supported locale."""
    if value in LOCALES:
        return value  # type: ignore[return-value]
    return resolve_locale(value)


@cache
def babel_locale(locale: str) -> Locale:
    """Babel raises ValueError as well as UnknownLocaleError for odd tags: fall back to English."""
    try:
        return Locale.parse(locale)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT_LOCALE)


def _load(locale: str, directory: Path) -> _gettext.NullTranslations:
    po_path = directory / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_path.exists():
        return _gettext.NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=str(babel_locale(locale)))
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


class Catalogs:
    """All translations, read once from the .po files (never from possibly stale .mo files)."""

    def __init__(self, directory: Path = LOCALES_DIR) -> None:
        self.directory = directory
        self._translations = {locale: _load(locale, directory) for locale in LOCALES}

    def get(self, locale: str) -> _gettext.NullTranslations:
        return self._translations.get(locale) or self._translations[DEFAULT_LOCALE]


_catalogs: Catalogs | None = None


def catalogs() -> Catalogs:
    global _catalogs
    if _catalogs is None:
        _catalogs = Catalogs()
    return _catalogs


def current_locale() -> str:
    return _current.get()


@contextmanager
def use_locale(locale: str | None) -> Iterator[str]:
    """Speak ``locale`` inside the block — how jobs and the outbox address each recipient."""
    token = _current.set(normalize_locale(locale))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def set_locale(locale: str | None) -> None:
    """For the per-update middleware, whose context ends with the update's task."""
    _current.set(normalize_locale(locale))


def gettext(message: str) -> str:
    return catalogs().get(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return catalogs().get(_current.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """For a short msgid that means different things in different places ("fulfilled": a
    request solved, a joint purchase delivered): the context tells translators which."""
    return catalogs().get(_current.get()).pgettext(context, message)


_ = gettext


class LazyString:
    """A message translated when shown, for module-level tables (button labels, categories)."""

    __slots__ = ("context", "message")

    def __init__(self, message: str, context: str | None = None) -> None:
        self.message = message
        self.context = context

    def __str__(self) -> str:
        return gettext(self.message) if self.context is None else pgettext(self.context, self.message)

    def __repr__(self) -> str:
        return f"LazyString({self.message!r})"


def lazy_gettext(message: str) -> LazyString:
    return LazyString(message)


def lazy_pgettext(context: str, message: str) -> LazyString:
    return LazyString(message, context)


__ = lazy_gettext


def zone(name: str | None) -> tzinfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ValueError, KeyError, OSError):  # KeyError: ZoneInfoNotFoundError; OSError: odd names
        return ZoneInfo("UTC")


# What people in each place call their clock, where the city name would be wrong: the whole of
# mainland China keeps Beijing time, whichever city the IANA id names.
_ZONE_WORDS = {
    "zh_Hans": {"Asia/Shanghai": "北京时间", "Asia/Chongqing": "北京时间", "Asia/Harbin": "北京时间",
                "PRC": "北京时间", "UTC": "UTC", "Etc/UTC": "UTC"},
    "zh_Hant": {"Asia/Shanghai": "北京時間", "Asia/Chongqing": "北京時間", "Asia/Harbin": "北京時間",
                "PRC": "北京時間", "UTC": "UTC", "Etc/UTC": "UTC"},
}
_TIME_WORD = {"zh_Hans": "时间", "zh_Hant": "時間"}


def zone_name(name: str | None) -> str:
    """A time zone as the reader says it in a sentence: 台北時間, 北京时间, 柏林时间. English keeps
    the IANA id, which is also what a coordinator types (/timezone Asia/Taipei)."""
    name = name or "UTC"
    locale = _current.get()
    if locale not in _TIME_WORD:
        return name
    if name in _ZONE_WORDS[locale]:
        return _ZONE_WORDS[locale][name]
    try:
        city = get_timezone_location(ZoneInfo(name), locale=babel_locale(locale), return_city=True)
    except (ValueError, KeyError, OSError, LookupError):
        return name
    if not city or city.isascii():  # no Chinese name for it: the id is clearer than a guess
        return name
    return city + _TIME_WORD[locale]


# CLDR's full names ("中國香港特別行政區") are for forms; in a sentence people say 香港.
_SHORT_TERRITORIES = {"HK": {"en": "Hong Kong", "zh_Hans": "香港", "zh_Hant": "香港"},
                      "MO": {"en": "Macao", "zh_Hans": "澳门", "zh_Hant": "澳門"}}


def territory_name(code: str | None) -> str:
    """A country or region by its name in the reader's language (台灣, 台湾, Taiwan); the code
    when Babel does not know it."""
    if not code:
        return ""
    code = code.upper()
    locale = _current.get()
    if code in _SHORT_TERRITORIES and locale in _SHORT_TERRITORIES[code]:
        return _SHORT_TERRITORIES[code][locale]
    return babel_locale(locale).territories.get(code, code)


def format_datetime(moment: datetime, timezone: str | None) -> str:
    """A stored UTC instant, shown in the alliance's zone and the reader's locale (no seconds)."""
    local = moment.astimezone(zone(timezone))
    locale = babel_locale(_current.get())
    return f"{_format_date(local, 'medium', locale=locale)} {_format_time(local, 'short', locale=locale)}"


def format_number(value: int | Decimal | float) -> str:
    return _format_decimal(value, locale=babel_locale(_current.get()))


def format_money(amount: Decimal, currency: str) -> str:
    """The amount in the reader's locale. A whole amount is shown whole, as price tags and
    invoices write it (NT$12,000, ¥12,000, not ¥12,000.00); an amount with cents keeps the
    currency's decimals (NT$29,966.67, US$20.50)."""
    locale = babel_locale(_current.get())
    pattern = copy.copy(locale.currency_formats["standard"])
    digits = 0 if amount == amount.to_integral_value() else get_currency_precision(currency)
    pattern.frac_prec = (digits, digits)
    text = pattern.apply(amount, locale, currency=currency, currency_digits=False)
    if currency != "USD" and locale.currency_symbols.get(currency) == "$":
        # A bare "$" for the local dollar (TWD in zh_Hant) reads as US dollars next to US$:
        # the international form is unambiguous (NT$).
        text = text.replace("$", Locale("en").currency_symbols.get(currency, currency), 1)
    return text


def currency_name(code: str | None) -> str:
    """A currency as a sentence names it: 新台幣 / 新台币 / 人民币 in Chinese (a shop owner
    does not say TWD), the ISO code in English, where it is the usual shorthand. Where people
    type a code (a refused one), show the code instead."""
    code = (code or "").upper()
    locale = _current.get()
    if locale not in _TIME_WORD or not code:
        return code
    try:
        name = _currency_name(code, locale=babel_locale(locale))
    except (ValueError, KeyError, LookupError):
        return code
    return name or code


def locale_name(locale: str) -> str:
    """Each language named in itself, as language pickers do."""
    return {"en": "English", "zh_Hans": "简体中文", "zh_Hant": "繁體中文"}[locale]

"""Every alliance setting in one place: its name, type, default and what a valid value is.

``Alliance.settings`` is a JSON column that coordinators (and, one day, the /settings menu)
write and many features read. Declaring the settings once here means a feature cannot invent a
second default for the same name, a stored value that stopped being valid (an older release, a
hand edit) falls back to the default instead of crashing a job, and the menu can list them all
with :func:`entries`.

Two ways in: :func:`read` (lenient: a bad stored value is ignored, the way the features have
always read them) and :func:`change` (strict: a bad value is refused with a ``DomainError`` —
the feature's own code where it had one, else a ``setting_*`` code — so whatever a person types
into /settings gets a sentence back, never a crash). :func:`update` is the one way a person
changes a setting: the coordinator check, the validation, the write and the audit entry, routed
through the feature's own setter where one exists (/timezone, /approval, /categories), so the
menu and the old commands cannot drift apart. Like every service: no aiogram, never commits.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal, NoReturn
from zoneinfo import ZoneInfo

import phonenumbers
from babel.numbers import list_currencies
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, ValidationInfo

from bot.services import alliances, tally
from bot.services.errors import DomainError
from bot.services.inputs import capped
from storage.models import Alliance

MIN_DEADLINE, MAX_DEADLINE = timedelta(hours=1), timedelta(days=30)
CATEGORY_LIMIT, CATEGORIES_MAX = 40, 20
MODE_COORDINATORS, MODE_VOTE = "coordinators", "vote"
APPROVAL_MODES = (MODE_COORDINATORS, MODE_VOTE)
MEMBERS, COORDINATORS = "members", "coordinators"
MAX_SLA_HOURS, MAX_RETENTION_DAYS = 24 * 30, 365 * 10
OFF = "off"  # quiet hours: none, every private notice goes at once
QUIET_OFF = frozenset((OFF, "none", "关", "關", "关闭", "關閉", "无", "無"))
QUIET_HOURS = re.compile(r"^\s*(\d{1,2})[:：.](\d{2})\s*[-–—~至到]\s*(\d{1,2})[:：.](\d{2})\s*$")
# Not alliance.settings but columns of the alliance: the menu shows and changes them too.
LANGUAGE, TIMEZONE = "language", "timezone"
TYPED_LIMIT = 200  # a typed value longer than this is no setting's value

_ZONE_CURRENCY = {"Asia/Taipei": "TWD", "Asia/Shanghai": "CNY", "Asia/Hong_Kong": "HKD"}
_READING = "reading"  # the validation context's flag: lenient, a bad value is only ignored


@cache
def currencies() -> frozenset[str]:
    """ISO 4217 codes Babel can format (read once: the list is long and never changes)."""
    return frozenset(list_currencies())


@cache
def zone_countries() -> dict[str, str]:
    """Time zone → ISO 3166 country, from tzdata's zone.tab (a fallback for the three homes)."""
    table: dict[str, str] = {}
    try:
        text = (resources.files("tzdata.zoneinfo") / "zone.tab").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return {"Asia/Taipei": "TW", "Asia/Shanghai": "CN", "Asia/Hong_Kong": "HK"}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) >= 3:
            table[parts[2]] = parts[0]
    return table


# -- one validator per kind of value: lenient when reading, refusing when changing ---------------


def _reading(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get(_READING))


def _refuse(info: ValidationInfo, error: DomainError | None = None) -> NoReturn:
    """Reading: ValueError (pydantic reports it, read() falls back). Changing: the domain's
    error if it has one (its words already exist), else ``setting_bad_value`` naming it."""
    if _reading(info):
        raise ValueError("not a valid value for this setting")
    raise error or DomainError("setting_bad_value", name=info.field_name or "")


def _flag(value: Any, info: ValidationInfo) -> bool:
    # Stored flags were always read with bool(); a new value must be a real boolean.
    if not _reading(info) and not isinstance(value, bool):
        _refuse(info)
    return bool(value)


def _whole(high: int) -> BeforeValidator:
    """A whole number from 1 to ``high``. Stored counts were always read with int() ("48" and
    48.7 are 48); a new one must be an int."""
    def check(value: Any, info: ValidationInfo) -> int:
        if not _reading(info) and (isinstance(value, bool) or not isinstance(value, int)):
            _refuse(info, DomainError("setting_not_a_number"))
        try:
            number = int(value)
        except (TypeError, ValueError, OverflowError):
            number = 0
        if not 1 <= number <= high:
            _refuse(info, DomainError("setting_out_of_range", low=1, high=high))
        return number
    return BeforeValidator(check)


def _quiet_hours(value: Any, info: ValidationInfo) -> str:
    """``HH:MM-HH:MM`` in the alliance's time (the end may be the next morning), or ``off``."""
    if isinstance(value, str) and value.strip().casefold() in QUIET_OFF:
        return OFF
    found = QUIET_HOURS.match(value) if isinstance(value, str) else None
    if found is None:
        _refuse(info, DomainError("quiet_hours_format"))
    h1, m1, h2, m2 = (int(part) for part in found.groups())
    if not (h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60) or (h1, m1) == (h2, m2):
        _refuse(info, DomainError("quiet_hours_format"))
    return f"{h1:02d}:{m1:02d}-{h2:02d}:{m2:02d}"


def _hours(value: Any, info: ValidationInfo) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        _refuse(info, DomainError("proposal_deadline_format"))
    if not MIN_DEADLINE.total_seconds() <= value * 3600 <= MAX_DEADLINE.total_seconds():
        _refuse(info, DomainError("proposal_deadline_range"))
    return value


def _quorum(value: Any, info: ValidationInfo) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        _refuse(info, DomainError("proposal_bad_rules"))
    return value


def _one_of(choices: tuple[str, ...], error: str) -> BeforeValidator:
    def check(value: Any, info: ValidationInfo) -> str:
        if value not in choices:
            _refuse(info, DomainError(error))
        return value
    return BeforeValidator(check)


def _currency(value: Any, info: ValidationInfo) -> str:
    """"" means: follow the time zone (read() derives it)."""
    code = str(value or "").upper()  # stored codes were read unstripped
    if not _reading(info):
        code = code.strip()
    if code and code not in currencies():
        _refuse(info, DomainError("referral_bad_currency", currency=str(value)))
    return code


def _country(value: Any, info: ValidationInfo) -> str | None:
    """None means: follow the time zone. Stored codes were only checked for shape; a new one
    must be a region phone numbers know."""
    if _reading(info):
        if isinstance(value, str) and len(value) == 2 and value.isalpha():
            return value.upper()
        raise ValueError("not a country code")
    if value is not None and not isinstance(value, str):
        _refuse(info)
    code = (value or "").strip().upper() or None
    if code is not None and phonenumbers.country_code_for_region(code) == 0:
        _refuse(info, DomainError("unknown_country", country=value or ""))
    return code


def _categories(value: Any, info: ValidationInfo) -> list[str]:
    if _reading(info):  # as always read: what is a non-blank string, the first CATEGORIES_MAX
        if not isinstance(value, list):
            raise ValueError("not a list")
        return [str(item) for item in value
                if isinstance(item, str) and item.strip()][:CATEGORIES_MAX]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        _refuse(info)
    items = [item for item in value if item.strip()]
    if any(len(item) > CATEGORY_LIMIT for item in items):
        _refuse(info, DomainError("category_too_long", limit=CATEGORY_LIMIT))
    if not items:
        _refuse(info, DomainError("categories_empty"))
    if len(items) > CATEGORIES_MAX:
        _refuse(info, DomainError("categories_too_many", limit=CATEGORIES_MAX))
    return items


Flag = Annotated[bool, BeforeValidator(_flag)]


class AllianceSettings(BaseModel):
    """The alliance's settings with defaults filled in; build it with :func:`read` (which also
    derives ``currency`` and ``country`` from the time zone when they are not set)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    # decisions (PRODUCT.md §5): the defaults a new proposal starts from
    proposal_deadline_hours: Annotated[int | float, BeforeValidator(_hours)] = 72
    proposal_quorum_pct: Annotated[int, BeforeValidator(_quorum)] = 50
    proposal_threshold: Annotated[str, _one_of(tally.THRESHOLDS, "proposal_bad_rules")] = (
        tally.MAJORITY)
    who_may_propose: Annotated[str, _one_of((MEMBERS, COORDINATORS), "proposal_bad_rules")] = (
        MEMBERS)
    pin_decisions: Flag = False
    # referrals (PRODUCT.md §3)
    referral_sla_hours: Annotated[int, _whole(MAX_SLA_HOURS)] = 24
    referral_expiry_hours: Annotated[int, _whole(MAX_SLA_HOURS)] = 72
    retention_days: Annotated[int, _whole(MAX_RETENTION_DAYS)] = 180
    thank_you_cards: Flag = True
    currency: Annotated[str, BeforeValidator(_currency)] = ""
    # membership (PRODUCT.md §2)
    approval_mode: Annotated[Literal["coordinators", "vote"],
                             _one_of(APPROVAL_MODES, "unknown_approval_mode")] = "coordinators"
    country: Annotated[str | None, BeforeValidator(_country)] = None
    categories: Annotated[list[str], BeforeValidator(_categories)] = []
    # coordinators (PRODUCT.md §7, §8): private notices wait out the quiet hours (see
    # quiet_end and bot.services.outgoing); the monthly report is posted by bot.effects.stats.
    quiet_hours: Annotated[str, BeforeValidator(_quiet_hours)] = "22:00-08:00"
    monthly_report: Flag = True

    @property
    def referral_sla(self) -> timedelta:
        return timedelta(hours=self.referral_sla_hours)

    @property
    def referral_expiry(self) -> timedelta:
        return timedelta(hours=self.referral_expiry_hours)

    @property
    def quiet(self) -> tuple[time, time] | None:
        """Quiet hours' start and end, in the alliance's time; None when they are off."""
        if self.quiet_hours == OFF:
            return None
        start, _, end = self.quiet_hours.partition("-")
        return time.fromisoformat(start), time.fromisoformat(end)

    @property
    def retention(self) -> timedelta:
        return timedelta(days=self.retention_days)


NAMES: tuple[str, ...] = tuple(AllianceSettings.model_fields)
_DEFAULTS = AllianceSettings()


def _stored(raw: Any) -> dict[str, Any]:
    """The known settings among a stored ``settings`` column's keys."""
    return {name: raw[name] for name in NAMES if name in raw} if isinstance(raw, dict) else {}


def _valid_stored(stored: dict[str, Any]) -> dict[str, Any]:
    """The stored values that are still valid, as their fields' types; the rest are dropped."""
    context = {_READING: True}
    try:
        model = AllianceSettings.model_validate(stored, context=context)
        return {name: getattr(model, name) for name in stored}
    except ValidationError:
        pass
    valid: dict[str, Any] = {}
    for name, value in stored.items():
        try:
            valid[name] = getattr(AllianceSettings.model_validate({name: value}, context=context),
                                  name)
        except ValidationError:
            continue
    return valid


def read(alliance: Alliance) -> AllianceSettings:
    """Stored values over the defaults; a value that is not valid counts as unset. Currency
    unset: the time zone's (TWD, CNY, HKD, else USD); country unset: the time zone's."""
    return read_stored(alliance.settings, alliance.timezone)


def read_stored(raw: Any, timezone: str) -> AllianceSettings:
    """``read`` from an alliance's stored ``settings`` column and time zone (a read over many
    alliances takes them as plain columns, and reads each distinct pair once)."""
    values = _valid_stored(_stored(raw))
    values["currency"] = values.get("currency") or _ZONE_CURRENCY.get(timezone, "USD")
    values["country"] = values.get("country") or zone_countries().get(timezone)
    return _DEFAULTS.model_copy(update=values)


def read_many(rows: Iterable[tuple[int, Any, str]]) -> dict[int, AllianceSettings]:
    """Each alliance's settings from (id, stored settings, time zone) rows; alliances that
    store the same (most store none) share one read, so 1,000 cost a few, not 1,000."""
    read: dict[str, AllianceSettings] = {}
    found: dict[int, AllianceSettings] = {}
    for alliance_id, raw, timezone in rows:
        key = json.dumps([raw, timezone], sort_keys=True, default=str)
        if key not in read:
            read[key] = read_stored(raw, timezone)
        found[alliance_id] = read[key]
    return found


def defaults() -> AllianceSettings:
    """Every setting's default (what an alliance that stores none has, but for the currency and
    country its time zone implies)."""
    return _DEFAULTS


def stored_value(raw: Any, name: str) -> Any:
    """One setting from a stored ``settings`` column, as ``read`` would give it, for a read
    over many alliances that needs one flag (the monthly report's armer): no model per
    alliance, and an unset value (the usual case) costs a dict lookup."""
    if not isinstance(raw, dict) or name not in raw:
        return getattr(_DEFAULTS, name)
    return _valid_stored({name: raw[name]}).get(name, getattr(_DEFAULTS, name))


def quiet_end(alliance: Alliance, at: datetime) -> datetime | None:
    """When the quiet hours that ``at`` falls in end (UTC), or None when ``at`` is not quiet.

    Read in the alliance's zone, so 22:00-08:00 means the members' night wherever the server
    is; a window may cross midnight (then its end is the next morning).
    """
    window = read(alliance).quiet
    if window is None:
        return None
    start, end = window
    zone = ZoneInfo(alliance.timezone)
    local = at.astimezone(zone)
    clock, day = local.time().replace(tzinfo=None), local.date()
    if start < end:
        inside = start <= clock < end
    else:
        inside = clock >= start or clock < end
        if clock >= start:
            day += timedelta(days=1)
    if not inside:
        return None
    return datetime.combine(day, end, tzinfo=zone).astimezone(UTC)


def change(alliance: Alliance, name: str, value: Any, now: datetime) -> Any:
    """Validate one setting and write it; returns the value as stored (None for currency or
    country: follow the time zone). Refuses with the feature's ``DomainError`` where it has one,
    else a ``setting_*`` code. The JSON dict is replaced, not mutated, so SQLAlchemy sees the
    change."""
    stored = valid(name, value)
    settings = dict(alliance.settings or {})
    settings[name] = stored
    alliance.settings = settings
    alliance.updated_at = now
    return stored


def valid(name: str, value: Any) -> Any:
    """The value as it would be stored (None: follow the time zone), or the refusal."""
    if name not in NAMES:
        raise DomainError("setting_unknown", name=str(name)[:40])
    try:
        checked = getattr(AllianceSettings.model_validate({name: value}), name)
    except ValidationError:
        raise DomainError("setting_bad_value", name=name) from None
    return checked if checked != "" else None  # currency "": follow the time zone


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of a settings menu: the current value, and whether it is the default."""

    name: str
    value: Any
    default: bool


def entries(alliance: Alliance) -> list[Entry]:
    """Every setting with its current value, in declaration order (for the /settings menu)."""
    current, valid = read(alliance), _valid_stored(_stored(alliance.settings))
    return [Entry(name, getattr(current, name), valid.get(name) in (None, "")) for name in NAMES]


# -- what a coordinator changes through /settings ------------------------------------------------

# The menu's settings, in the order a coordinator reads them (every setting, and the alliance's
# two columns, exactly once).
MENU: tuple[str, ...] = (
    LANGUAGE, TIMEZONE, "approval_mode", "categories", "proposal_quorum_pct",
    "proposal_threshold", "proposal_deadline_hours", "who_may_propose", "pin_decisions",
    "referral_sla_hours", "referral_expiry_hours", "retention_days", "thank_you_cards",
    "currency", "country", "quiet_hours", "monthly_report")
assert sorted(MENU) == sorted((LANGUAGE, TIMEZONE, *NAMES)), "a setting is missing from MENU"
NUMBERS = ("proposal_quorum_pct", "proposal_deadline_hours", "referral_sla_hours",
           "referral_expiry_hours", "retention_days")
_NUMBER = re.compile(r"^\s*(\d{1,6})\s*(%|h|d|hours?|days?|小[时時]|天)?\s*$", re.IGNORECASE)


def current(alliance: Alliance, name: str) -> Any:
    """A menu setting's value as the alliance reads it now (defaults and derivations applied)."""
    if name == LANGUAGE:
        return alliance.locale
    if name == TIMEZONE:
        return alliance.timezone
    if name not in NAMES:
        raise DomainError("setting_unknown", name=str(name)[:40])
    return getattr(read(alliance), name)


def follows_zone(alliance: Alliance, name: str) -> bool:
    """Currency or country not chosen: derived from the time zone."""
    return name in ("currency", "country") and not _valid_stored(_stored(alliance.settings)).get(name)


def parse(name: str, text: str) -> Any:
    """A typed value for ``name``, read and validated, not yet written (the wizard's step)."""
    text = capped(text, TYPED_LIMIT, "setting_bad_value", name=name).strip()
    if name == TIMEZONE:
        return alliances.valid_timezone(text)
    if name in NUMBERS:
        found = _NUMBER.match(text)
        if found is None:
            raise DomainError("setting_not_a_number")
        value: Any = int(found.group(1))
    elif name in ("currency", "country"):
        value = text.upper()
    elif name == "quiet_hours":
        value = text
    else:  # a setting answered with buttons only
        raise DomainError("settings_use_buttons")
    valid(name, value)
    return value


def category_tag(name: str) -> str:
    """A short fingerprint of a category's name, for a button that must not act on another
    category once the list has changed (the name itself may not fit in callback data)."""
    return hashlib.sha256(name.encode()).hexdigest()[:8]


def category_at(alliance: Alliance, ref: str) -> tuple[int, str, str]:
    """A category button's ``<index>.<tag>``: the index, the tag and the name it still holds."""
    raw_index, _dot, tag = (ref or "").partition(".")
    index = int(raw_index) if raw_index.isascii() and raw_index.isdigit() else -1
    items = categories_checked(alliance, index, tag)
    return index, tag, items[index]


def categories_checked(alliance: Alliance, index: int, tag: str) -> list[str]:
    items = list(read(alliance).categories)
    if not 0 <= index < len(items) or len(tag) != len(category_tag("")) or (
            category_tag(items[index]) != tag):
        raise DomainError("category_gone")
    return items

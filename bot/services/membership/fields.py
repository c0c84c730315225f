"""What people type for a member's card (name, category, region, services, contact) and for a
coordinator's reason, cleaned and validated.

One set of rules wherever it is typed: the questionnaire (joining), profile edits (directory),
reasons (joining, roster), and the names that look-ups take. ``bot.views.membership.fields``
words the refusals and labels the fields.
"""

from __future__ import annotations

import re

import phonenumbers

from bot.services.errors import DomainError
from bot.services.inputs import capped
from bot.services.settings import CATEGORY_LIMIT

NAME_LIMIT, REGION_LIMIT, SERVICES_LIMIT, CONTACT_LIMIT = 100, 100, 1000, 200
REASON_LIMIT = 500

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_HOST = re.compile(r"^([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
_PHONE_CHARS = re.compile(r"^[+()\d\s.\-/]+$")


def cleaned(text: str | None) -> str:
    """Control and invisible characters out, runs of spaces collapsed, ends trimmed."""
    text = _CONTROL.sub("", text or "")
    return re.sub(r"[ \t]+", " ", text).strip()


def _too_long(text: str | None, limit: int) -> str:
    """Bounded before cleaning: invisible characters and spaces may go, but not four times the
    limit's worth of them."""
    return capped(text, 4 * limit, "answer_too_long", length=len(text or ""), limit=limit)


def _required(text: str | None, limit: int, *, multiline: bool = False) -> str:
    value = cleaned(_too_long(text, limit))
    if not multiline:
        value = " ".join(value.split())
    if not value:
        raise DomainError("answer_empty")
    if len(value) > limit:
        raise DomainError("answer_too_long", length=len(value), limit=limit)
    return value


def valid_name(text: str | None) -> str:
    return _required(text, NAME_LIMIT)


def valid_region(text: str | None) -> str:
    return _required(text, REGION_LIMIT)


def valid_services(text: str | None) -> str:
    return _required(text, SERVICES_LIMIT, multiline=True)


def valid_category(text: str | None) -> str:
    return _required(text, CATEGORY_LIMIT)


def valid_reason(text: str | None) -> str:
    return _required(text, REASON_LIMIT, multiline=True)


def valid_contact(text: str | None, default_country: str | None) -> tuple[str, str]:
    """(kind, value): a phone number in E.164, an e-mail address, or a website URL."""
    value = cleaned(_too_long(text, CONTACT_LIMIT))
    if not value:
        raise DomainError("answer_empty")
    if len(value) > CONTACT_LIMIT:
        raise DomainError("answer_too_long", length=len(value), limit=CONTACT_LIMIT)
    if "@" in value and "/" not in value:
        if _EMAIL.match(value) and len(value) <= 254:
            return "email", value
        raise DomainError("bad_email")
    if _PHONE_CHARS.match(value) and sum(ch.isdigit() for ch in value) >= 3:
        if not value.startswith("+") and default_country is None:
            raise DomainError("phone_needs_country")
        try:
            number = phonenumbers.parse(value, None if value.startswith("+") else default_country)
        except phonenumbers.NumberParseException as error:
            raise DomainError("bad_phone") from error
        if not phonenumbers.is_valid_number(number):
            raise DomainError("bad_phone")
        return "phone", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    url = value
    if not re.match(r"^https?://", url, re.IGNORECASE):
        url = "https://" + url
    rest = url.split("://", 1)[1]
    host = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if " " in url or not _HOST.match(host.split(":")[0]):
        raise DomainError("bad_contact")
    return "website", url

"""Reading what people type: numbers and ids, and a bound on length before anything is parsed.

A message can hold 4,096 characters; no answer the bot asks for needs that many. Each parser
refuses text beyond its bound first, so none of them (nor the regular expressions, ``zoneinfo``
or Babel behind them) ever works on more than a sensible answer could be.

Numbers are ASCII digits only: ``str.isdigit`` also accepts ``²`` or ``١٢``, which ``int``
refuses or reads in ways nobody meant.
"""

from __future__ import annotations

import unicodedata

from bot.services.errors import DomainError

ROW_ID_MAX = 2**31 - 1  # an id column (INTEGER on PostgreSQL)
PERSON_ID_MAX = 2**63 - 1  # Telegram's user and chat ids (BIGINT)


def number(text: str | None, *, digits: int) -> int | None:
    """A whole number of at most ``digits`` ASCII digits (spaces around it allowed), or None."""
    raw = (text or "").strip()
    if not 0 < len(raw) <= digits or not (raw.isascii() and raw.isdigit()):
        return None
    return int(raw)


def row_id(text: str | None, *, most: int = ROW_ID_MAX) -> int | None:
    """An id as people type it — ``12`` or ``#12`` — if a database row could have it."""
    raw = (text or "").strip().removeprefix("#")
    value = number(raw, digits=len(str(most)))
    return value if value is not None and 0 < value <= most else None


def capped(text: str | None, most: int, code: str, /, **params: object) -> str:
    """``text`` (None reads as empty), or ``DomainError(code)`` when it is longer than ``most``:
    the first thing every parser of typed text does."""
    value = text or ""
    if len(value) > most:
        raise DomainError(code, **params)
    return value


def cleaned(text: str | None, most: int, code: str, /, *, required: bool = True,
            multiline: bool = False) -> str:
    """Typed text to store: bounded first (``capped`` at four times ``most``), control characters
    dropped (PostgreSQL refuses NUL), spaces collapsed (line breaks kept when ``multiline``),
    then at most ``most`` characters. Empty (when ``required``) or a /command — a person who
    meant to leave the form — is ``DomainError(code, limit=most)`` like too long."""
    raw = capped(text, 4 * most, code, limit=most)
    kept = "".join(ch for ch in raw if ch.isspace() or unicodedata.category(ch) != "Cc")
    if multiline:
        value = "\n".join(" ".join(line.split()) for line in kept.splitlines()).strip()
    else:
        value = " ".join(kept.split())
    if (required and not value) or value.startswith("/") or len(value) > most:
        raise DomainError(code, limit=most)
    return value

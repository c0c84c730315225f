"""A readable story of what happened, for ``demo`` output and for failing tests.

Lines are written as things happen (a later edit does not rewrite an earlier line), so the
transcript reads as a conversation: who said what, what the bot answered, what it edited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .state import Chat, Message


@dataclass(frozen=True, slots=True)
class Entry:
    time: float
    chat: str
    text: str

    def __str__(self) -> str:
        prefix = f"[{self.chat}] " if self.chat else ""
        first, *rest = self.text.split("\n")
        return "\n".join([prefix + first, *(f"    {line}" if line else "" for line in rest)])


def buttons_of(markup: dict[str, Any] | None) -> list[list[str]]:
    if not markup:
        return []
    rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
    return [[b if isinstance(b, str) else b.get("text", "") for b in row] for row in rows]


def describe_message(message: Message) -> str:
    """Text, caption, attachment and buttons of a message on one logical line."""
    parts: list[str] = []
    if message.document is not None:
        doc = message.document
        parts.append(f"📎 {doc.file_name or 'document'} ({_size(doc.size)})")
    if message.photo is not None:
        parts.append(f"🖼 photo ({_size(message.photo.size)})")
    body = message.text if message.text is not None else message.caption
    if body:
        parts.append(body)
    buttons = " ".join(f"[{label}]" for row in buttons_of(message.reply_markup) for label in row)
    if buttons:
        parts.append(buttons)
    return " ".join(parts) if parts else "(empty)"


def _size(size: int) -> str:
    return f"{size} B" if size < 1024 else f"{size / 1024:.1f} kB"


class Journal:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.entries: list[Entry] = []
        self._listeners: list[Callable[[Entry], None]] = []

    def add(self, chat: Chat | str | None, text: str) -> None:
        label = chat.label if isinstance(chat, Chat) else (chat or "")
        entry = Entry(self._clock(), label, text)
        self.entries.append(entry)
        for listener in self._listeners:
            listener(entry)

    def follow(self, listener: Callable[[Entry], None]) -> None:
        """Call ``listener`` with every new entry (``demo`` prints them live)."""
        self._listeners.append(listener)

    def transcript(self, since: int = 0) -> str:
        return "\n".join(str(entry) for entry in self.entries[since:])

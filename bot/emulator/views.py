"""Read-only views of messages for tests and the demo: plain text, HTML, buttons, files.

A view reads the live record, so it always shows the message's *current* state — after the
bot's edits — which is what a person looking at the chat sees.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from .state import Message, StoredFile
from .wire import message_json


class WorldError(Exception):
    """A test asked the simulated world for something impossible (no such button...)."""


@dataclass(frozen=True, slots=True)
class Button:
    text: str
    callback_data: str | None = None
    url: str | None = None

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Button:
        return cls(raw.get("text", ""), raw.get("callback_data"), raw.get("url"))


@dataclass(frozen=True, slots=True)
class Attachment:
    file_id: str
    file_name: str | None
    mime_type: str | None
    data: bytes

    @classmethod
    def of(cls, stored: StoredFile) -> Attachment:
        return cls(stored.file_id, stored.file_name, stored.mime_type, stored.data)

    @property
    def size(self) -> int:
        return len(self.data)


def find_button(message: Message, label: str) -> Button:
    """The button whose text equals ``label``, else the one that contains it (any case)."""
    markup = message.reply_markup or {}
    buttons = [Button.of(b) for row in markup.get("inline_keyboard", []) for b in row]
    exact = [b for b in buttons if b.text == label]
    if len(exact) == 1:
        return exact[0]
    wanted = label.casefold()
    partial = exact or [b for b in buttons if wanted in b.text.casefold()]
    if len(partial) == 1:
        return partial[0]
    labels = ", ".join(f"[{b.text}]" for b in buttons) or "none"
    problem = "matches several buttons" if partial else "matches no button"
    raise WorldError(f"{label!r} {problem} on message #{message.message_id}; buttons: {labels}")


class ChatMessage:
    """A message as a person sees it now."""

    __slots__ = ("record",)

    def __init__(self, record: Message) -> None:
        self.record = record

    @property
    def message_id(self) -> int:
        return self.record.message_id

    @property
    def chat_id(self) -> int:
        return self.record.chat.id

    @property
    def text(self) -> str:
        """Plain text (HTML already turned into entities), or the caption of a file."""
        record = self.record
        if record.text is not None:
            return record.text
        return record.caption or ""

    @property
    def html(self) -> str:
        """The text as the bot sent it when it used HTML; escaped plain text otherwise."""
        record = self.record
        if record.text is not None:
            source, text = record.source, record.text
        else:
            source, text = record.caption_source, record.caption or ""
        if record.parse_mode and record.parse_mode.lower() == "html" and source is not None:
            return source
        return html.escape(text, quote=False)

    @property
    def caption(self) -> str | None:
        return self.record.caption

    @property
    def entities(self) -> list[dict[str, Any]]:
        record = self.record
        return record.entities if record.text is not None else record.caption_entities

    @property
    def button_rows(self) -> list[list[Button]]:
        markup = self.record.reply_markup or {}
        return [[Button.of(b) for b in row] for row in markup.get("inline_keyboard", [])]

    @property
    def buttons(self) -> list[list[str]]:
        """Inline button labels, row by row."""
        return [[b.text for b in row] for row in self.button_rows]

    @property
    def keyboard(self) -> list[list[str]]:
        """Reply-keyboard labels, if the message set one."""
        markup = self.record.reply_markup or {}
        rows = markup.get("keyboard", [])
        return [[b if isinstance(b, str) else b.get("text", "") for b in row] for row in rows]

    def button(self, label: str) -> Button:
        return find_button(self.record, label)

    @property
    def document(self) -> Attachment | None:
        stored = self.record.document
        return Attachment.of(stored) if stored is not None else None

    @property
    def photo(self) -> Attachment | None:
        stored = self.record.photo
        return Attachment.of(stored) if stored is not None else None

    @property
    def edited(self) -> bool:
        return bool(self.record.edits)

    @property
    def versions(self) -> list[str | None]:
        """Earlier texts (or captions), oldest first."""
        return [e.text if e.text is not None else e.caption for e in self.record.edits]

    @property
    def deleted(self) -> bool:
        return self.record.deleted

    @property
    def pinned(self) -> bool:
        return self.record.pinned

    @property
    def from_bot(self) -> bool:
        return self.record.from_bot

    @property
    def sender(self) -> str:
        record = self.record
        if record.sender_chat is not None:
            return record.sender_chat.title or ""
        return record.sender.name if record.sender is not None else ""

    @property
    def reply_to(self) -> ChatMessage | None:
        target = self.record.reply_to
        return ChatMessage(target) if target is not None else None

    @property
    def thread_id(self) -> int | None:
        return self.record.thread_id

    @property
    def date(self) -> int:
        return self.record.date

    @property
    def raw(self) -> dict[str, Any]:
        """The Bot API Message object."""
        return message_json(self.record)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ChatMessage) and other.record is self.record

    def __hash__(self) -> int:
        return id(self.record)

    def __repr__(self) -> str:
        flags = "".join(
            f" {flag}"
            for flag, on in (
                ("edited", self.edited),
                ("deleted", self.deleted),
                ("pinned", self.pinned),
            )
            if on
        )
        buttons = " ".join(f"[{label}]" for row in self.buttons for label in row)
        return f"<#{self.message_id} {self.sender}: {self.text!r} {buttons}{flags}>"

"""Where did private data go? Everything the emulator recorded, searched for secrets.

Any end-to-end test can call ``assert_private(harness, secrets, allowed=[...], logs=caplog.records)``
at its end: it looks at every message the bot left in every chat (current text, earlier versions
of edited messages, captions, buttons, documents), every answer to a button press, and every
request the bot made — including ones Telegram refused — and fails if a secret reached a chat
other than the private chats of ``allowed`` people, or any log line.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

from bot.emulator import SimUser
from bot.emulator.state import Chat, Message
from tests.e2e.harness import Harness


def _message_texts(message: Message) -> list[str]:
    texts: list[Any] = [message.text, message.source, message.caption, message.caption_source,
                        json.dumps(message.reply_markup or {}, ensure_ascii=False)]
    for edit in message.edits:
        texts += [edit.text, edit.caption, json.dumps(edit.reply_markup or {}, ensure_ascii=False)]
    for stored in (message.document, message.photo):
        if stored is not None:
            texts += [stored.file_name, stored.data.decode("utf-8", errors="ignore")]
    return [text for text in texts if text]


def _place(chat: Chat) -> str:
    return f"{chat.type} chat {chat.label}"


def collect(harness: Harness) -> list[tuple[int, str, str]]:
    """(chat id, where, text) for everything recorded: messages, callback answers, requests."""
    found: list[tuple[int, str, str]] = []
    store = harness.emulator.store
    for chat in store.chats.values():
        for message in chat.messages.values():
            for text in _message_texts(message):
                found.append((chat.id, f"message #{message.message_id} in {_place(chat)}", text))
    for answer in store.callbacks.values():
        if answer.text:
            found.append((answer.user.id, f"button answer to {answer.user.first_name}",
                          answer.text))
    for call in harness.emulator.calls:
        params = json.dumps(call.params, ensure_ascii=False, default=str)
        chat_id = call.params.get("chat_id")
        target = int(chat_id) if isinstance(chat_id, int | str) and str(chat_id).lstrip("-").isdigit() \
            else None
        if call.method == "answerCallbackQuery":
            continue  # answers are checked by who pressed, above
        found.append((target if target is not None else 0, f"request {call.method}", params))
    return found


def leaks(harness: Harness, secrets: Iterable[str], *, allowed: Iterable[SimUser],
          logs: Iterable[logging.LogRecord] = ()) -> list[str]:
    wanted = [secret for secret in secrets if secret]
    allowed_ids = {user.id for user in allowed}
    problems = []
    for chat_id, where, text in collect(harness):
        if chat_id in allowed_ids:
            continue
        for secret in wanted:
            if secret in text:
                problems.append(f"{secret!r} reached {where}")
    for record in logs:
        line = record.getMessage()
        if record.exc_text:
            line += record.exc_text
        for secret in wanted:
            if secret in line:
                problems.append(f"{secret!r} in a log line of {record.name}: {line[:200]}")
    return problems


def assert_private(harness: Harness, secrets: Iterable[str], *, allowed: Iterable[SimUser],
                   logs: Iterable[logging.LogRecord] = ()) -> None:
    problems = leaks(harness, list(secrets), allowed=list(allowed), logs=list(logs))
    assert not problems, "private data leaked:\n" + "\n".join(problems[:20])


def seen_by(harness: Harness, secret: str) -> set[int]:
    """Chat ids where ``secret`` was shown (for tests that it did reach who should see it)."""
    return {chat_id for chat_id, _where, text in collect(harness) if secret in text}

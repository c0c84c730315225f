"""The bot's own settings (commands, descriptions), callback answers and files."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .access import resolve_chat, resolve_user
from .errors import bad_request
from .media import DOWNLOAD_LIMIT
from .wire import file_json

if TYPE_CHECKING:
    from .server import Emulator

_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE = re.compile(r"[a-z]{2}")
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"

ScopeKey = tuple[str, int | None, int | None, str]


def _language(p: dict[str, Any]) -> str:
    language = p.get("language_code", "")
    if language and not _LANGUAGE.fullmatch(language):
        raise bad_request(f'invalid language code "{language}": a two-letter ISO 639-1 code')
    return language


def scope_key(emu: Emulator, scope: dict[str, Any] | None, language: str) -> ScopeKey:
    """Commands are stored per (scope type, chat, user, language), exactly as set."""
    scope = scope or {"type": "default"}
    kind = scope["type"]
    chat_id = user_id = None
    if "chat_id" in scope:
        chat = resolve_chat(emu, scope["chat_id"])
        if kind in ("chat_administrators", "chat_member") and not chat.is_group:
            raise bad_request("chat must be a group chat")
        chat_id = chat.id
    if "user_id" in scope:
        user = resolve_user(emu, scope["user_id"])
        user_id = user.id
    return kind, chat_id, user_id, language


def set_my_commands(emu: Emulator, p: dict[str, Any]) -> bool:
    commands = p["commands"]
    if len(commands) > 100:
        raise bad_request("too many commands: at most 100")
    for command in commands:
        if not _COMMAND.fullmatch(command["command"]):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(command["description"]) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    key = scope_key(emu, p.get("scope"), _language(p))
    if commands:
        emu.store.commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
    else:
        emu.store.commands.pop(key, None)
    return True


def get_my_commands(emu: Emulator, p: dict[str, Any]) -> list[dict[str, str]]:
    key = scope_key(emu, p.get("scope"), _language(p))
    return list(emu.store.commands.get(key, []))


def delete_my_commands(emu: Emulator, p: dict[str, Any]) -> bool:
    emu.store.commands.pop(scope_key(emu, p.get("scope"), _language(p)), None)
    return True


def _setter(kind: str, limit: int) -> Callable[[Emulator, dict[str, Any]], bool]:
    def handler(emu: Emulator, p: dict[str, Any]) -> bool:
        value = p.get(kind, "")
        if len(value) > limit:
            raise bad_request(f"{kind} is too long: at most {limit} characters")
        language = _language(p)
        if value:
            emu.store.bot_texts[(kind, language)] = value
        else:
            emu.store.bot_texts.pop((kind, language), None)
        return True

    return handler


def _getter(kind: str) -> Callable[[Emulator, dict[str, Any]], dict[str, str]]:
    def handler(emu: Emulator, p: dict[str, Any]) -> dict[str, str]:
        language = _language(p)
        texts = emu.store.bot_texts
        value = texts.get((kind, language), texts.get((kind, ""), ""))
        if kind == "name" and not value:
            value = emu.bot.first_name
        return {kind: value}

    return handler


def answer_callback_query(emu: Emulator, p: dict[str, Any]) -> bool:
    answer = emu.store.callbacks.get(p["callback_query_id"])
    if (
        answer is None
        or answer.answered
        or emu.clock.monotonic() - answer.created > emu.callback_answer_window
    ):
        raise bad_request(QUERY_INVALID)
    text = p.get("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    url = p.get("url")
    if url is not None and not url.startswith(("https://t.me/", "t.me/", "http://t.me/")):
        raise bad_request("URL_INVALID")
    answer.answered = True
    answer.text = text
    answer.show_alert = bool(p.get("show_alert", False))
    answer.url = url
    answer.cache_time = p.get("cache_time", 0)
    emu.touch()
    if text:
        kind = "alert" if answer.show_alert else "toast"
        chat = answer.message.chat if answer.message is not None else None
        emu.journal.add(chat, f"bot → {answer.user.name}: {kind} “{text}”")
    return True


def get_file(emu: Emulator, p: dict[str, Any]) -> dict[str, Any]:
    stored = emu.store.files.get(p["file_id"])
    if stored is None:
        raise bad_request("invalid file_id")
    if stored.url is not None and not stored.data:
        raise bad_request("file was sent by URL; the emulator has no bytes for it")
    if stored.size > DOWNLOAD_LIMIT:
        raise bad_request("file is too big")
    return file_json(stored)


HANDLERS = {
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "setMyDescription": _setter("description", 512),
    "getMyDescription": _getter("description"),
    "setMyShortDescription": _setter("short_description", 120),
    "getMyShortDescription": _getter("short_description"),
    "setMyName": _setter("name", 64),
    "getMyName": _getter("name"),
    "answerCallbackQuery": answer_callback_query,
    "getFile": get_file,
}

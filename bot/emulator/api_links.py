"""Invite links: create, edit, revoke, export — with Telegram's restrictions."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from .access import require_group, require_right, resolve_chat
from .errors import bad_request
from .state import Chat, InviteLink
from .wire import invite_link_json

if TYPE_CHECKING:
    from .server import Emulator

INVITE_RIGHTS = "not enough rights to manage chat invite links"
COMBINED = "member_limit can't be combined with creates_join_request"


def _chat(emu: Emulator, p: dict[str, Any]) -> Chat:
    chat = resolve_chat(emu, p["chat_id"])
    require_group(chat, "can't invite members to a private chat")
    require_right(emu, chat, "can_invite_users", INVITE_RIGHTS)
    return chat


def _new_link(emu: Emulator, chat: Chat, **options: Any) -> InviteLink:
    link = InviteLink(f"https://t.me/+{secrets.token_urlsafe(12)}", chat, emu.bot, **options)
    chat.invite_links[link.link] = link
    return link


def _options(emu: Emulator, p: dict[str, Any]) -> dict[str, Any]:
    name = p.get("name")
    if name is not None and len(name) > 32:
        raise bad_request("invite link name must be at most 32 characters long")
    limit = p.get("member_limit")
    if limit is not None and not 1 <= limit <= 99999:
        raise bad_request("member_limit must be between 1 and 99999")
    request = bool(p.get("creates_join_request", False))
    if request and limit is not None:
        raise bad_request(COMBINED)
    expire = p.get("expire_date")
    if expire is not None and expire != 0 and expire <= emu.clock.now():
        raise bad_request("EXPIRE_DATE_INVALID")
    return {
        "name": name,
        "member_limit": limit,
        "creates_join_request": request,
        "expire_date": expire or None,
    }


def _existing(chat: Chat, url: str) -> InviteLink:
    link = chat.invite_links.get(url)
    if link is None or link.is_revoked:
        raise bad_request("INVITE_HASH_EXPIRED")
    return link


def create_chat_invite_link(emu: Emulator, p: dict[str, Any]) -> dict[str, Any]:
    options = _options(emu, p)
    chat = _chat(emu, p)
    link = _new_link(emu, chat, **options)
    emu.journal.add(chat, f"bot created an invite link {_describe(link)}")
    return invite_link_json(link)


def edit_chat_invite_link(emu: Emulator, p: dict[str, Any]) -> dict[str, Any]:
    options = _options(emu, p)
    chat = _chat(emu, p)
    link = _existing(chat, p["invite_link"])
    if link.is_primary:
        raise bad_request("can't edit the primary invite link")
    for key, value in options.items():
        setattr(link, key, value)
    return invite_link_json(link, full=link.creator is emu.bot)


def revoke_chat_invite_link(emu: Emulator, p: dict[str, Any]) -> dict[str, Any]:
    chat = _chat(emu, p)
    link = _existing(chat, p["invite_link"])
    link.is_revoked = True
    if link.is_primary:
        chat.primary_link = _new_link(emu, chat, is_primary=True)
    emu.journal.add(chat, "bot revoked an invite link")
    return invite_link_json(link, full=link.creator is emu.bot)


def export_chat_invite_link(emu: Emulator, p: dict[str, Any]) -> str:
    chat = _chat(emu, p)
    if chat.primary_link is not None:
        chat.primary_link.is_revoked = True
    chat.primary_link = _new_link(emu, chat, is_primary=True)
    return chat.primary_link.link


def _describe(link: InviteLink) -> str:
    details = []
    if link.creates_join_request:
        details.append("join requests")
    if link.member_limit is not None:
        details.append(f"limit {link.member_limit}")
    if link.expire_date is not None:
        details.append("expiring")
    return f"({', '.join(details)})" if details else ""


HANDLERS = {
    "createChatInviteLink": create_chat_invite_link,
    "editChatInviteLink": edit_chat_invite_link,
    "revokeChatInviteLink": revoke_chat_invite_link,
    "exportChatInviteLink": export_chat_invite_link,
}

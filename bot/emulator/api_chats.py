"""Chats and their members: reading them, and the bot acting on them."""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Any

from .access import bot_member, require_group, require_right, resolve_chat, resolve_user
from .errors import bad_request
from .events import joined, service_message, set_member
from .state import RESTRICTION_FIELDS, BotRights, Chat, JoinRequest, Member, User
from .wire import chat_full_info_json, member_json, user_json

if TYPE_CHECKING:
    from .server import Emulator

RESTRICT_RIGHTS = "not enough rights to restrict/unrestrict chat member"
INVITE_RIGHTS = "not enough rights to manage chat invite links"
_RIGHT_NAMES = tuple(f.name for f in fields(BotRights))


def _group(emu: Emulator, p: dict[str, Any]) -> Chat:
    chat = resolve_chat(emu, p["chat_id"])
    if chat.is_group:
        bot_member(emu, chat)
    return chat


def get_chat(emu: Emulator, p: dict[str, Any]) -> dict[str, Any]:
    chat = _group(emu, p)
    with_link = False
    if chat.is_group:
        with_link = bot_member(emu, chat).can("can_invite_users")
    return chat_full_info_json(chat, with_invite_link=with_link)


def get_chat_member(emu: Emulator, p: dict[str, Any]) -> dict[str, Any]:
    chat = _group(emu, p)
    user = resolve_user(emu, p["user_id"])
    if chat.type == "private":
        if user is not chat.user and user is not emu.bot:
            raise bad_request("user not found")
        return {"status": "member", "user": user_json(user)}
    return member_json(chat, chat.members.get(user.id) or Member(user, "left"))


def get_chat_administrators(emu: Emulator, p: dict[str, Any]) -> list[dict[str, Any]]:
    chat = _group(emu, p)
    if not chat.is_group:
        raise bad_request("there are no administrators in the private chat")
    admins = [m for m in chat.members.values() if m.is_admin]
    admins.sort(key=lambda m: m.status != "creator")
    return [member_json(chat, m) for m in admins]


def get_chat_member_count(emu: Emulator, p: dict[str, Any]) -> int:
    chat = _group(emu, p)
    if not chat.is_group:
        return 2
    return sum(1 for m in chat.members.values() if m.active)


def leave_chat(emu: Emulator, p: dict[str, Any]) -> bool:
    chat = resolve_chat(emu, p["chat_id"])
    require_group(chat)
    bot_member(emu, chat)
    set_member(emu, chat, emu.bot, "left", actor=emu.bot)
    service_message(emu, chat, emu.bot, {"left_chat_member": user_json(emu.bot)})
    emu.journal.add(chat, "bot left the group")
    return True


def _target(chat: Chat, user: User, emu: Emulator) -> Member:
    member = chat.members.get(user.id) or Member(user, "left")
    if member.status == "creator":
        raise bad_request("can't remove chat owner")
    if member.status == "administrator" and not member.promoted_by_bot:
        raise bad_request("user is an administrator of the chat")
    if user is emu.bot:
        raise bad_request("can't restrict self")
    return member


def _until(emu: Emulator, until: int | None) -> int:
    """Telegram treats bans shorter than 30 s or longer than 366 days as forever (0)."""
    if not until:
        return 0
    left = until - emu.clock.now()
    return 0 if left < 30 or left > 366 * 86400 else until


def ban_chat_member(emu: Emulator, p: dict[str, Any]) -> bool:
    chat = resolve_chat(emu, p["chat_id"])
    require_group(chat)
    require_right(emu, chat, "can_restrict_members", RESTRICT_RIGHTS)
    user = resolve_user(emu, p["user_id"])
    member = _target(chat, user, emu)
    was_in = member.active
    until = _until(emu, p.get("until_date"))
    set_member(emu, chat, user, "kicked", actor=emu.bot, until_date=until)
    request = chat.join_requests.get(user.id)
    if request is not None:
        _close(request)
    if was_in:
        service_message(emu, chat, emu.bot, {"left_chat_member": user_json(user)})
    emu.journal.add(chat, f"bot banned {user.name}")
    return True


def unban_chat_member(emu: Emulator, p: dict[str, Any]) -> bool:
    chat = resolve_chat(emu, p["chat_id"])
    require_group(chat)
    require_right(emu, chat, "can_restrict_members", RESTRICT_RIGHTS)
    user = resolve_user(emu, p["user_id"])
    member = chat.members.get(user.id) or Member(user, "left")
    if member.status == "kicked":
        set_member(emu, chat, user, "left", actor=emu.bot)
        emu.journal.add(chat, f"bot unbanned {user.name}")
    elif member.active and not p.get("only_if_banned"):
        # Telegram's guarantee: afterwards the user is not a member but may join again.
        _target(chat, user, emu)
        set_member(emu, chat, user, "left", actor=emu.bot)
        service_message(emu, chat, emu.bot, {"left_chat_member": user_json(user)})
        emu.journal.add(chat, f"bot removed {user.name} (unbanChatMember without only_if_banned)")
    return True


def restrict_chat_member(emu: Emulator, p: dict[str, Any]) -> bool:
    chat = resolve_chat(emu, p["chat_id"])
    if chat.type != "supergroup":
        raise bad_request("method is available only for supergroups")
    require_right(emu, chat, "can_restrict_members", RESTRICT_RIGHTS)
    user = resolve_user(emu, p["user_id"])
    member = _target(chat, user, emu)
    given: dict[str, bool] = p["permissions"]
    permissions = {name: bool(given.get(name, False)) for name in RESTRICTION_FIELDS}
    until = _until(emu, p.get("until_date"))
    if all(permissions.values()):
        status = "member" if member.active else member.status
        set_member(emu, chat, user, status, actor=emu.bot)
    else:
        was_member = member.active
        set_member(
            emu, chat, user, "restricted", actor=emu.bot, permissions=permissions, until_date=until
        )
        chat.members[user.id].is_member = was_member
    emu.journal.add(chat, f"bot restricted {user.name}")
    return True


def promote_chat_member(emu: Emulator, p: dict[str, Any]) -> bool:
    chat = resolve_chat(emu, p["chat_id"])
    require_group(chat)
    me = require_right(emu, chat, "can_promote_members", "not enough rights")
    user = resolve_user(emu, p["user_id"])
    member = _target(chat, user, emu)
    if not member.active:
        raise bad_request("USER_NOT_PARTICIPANT")
    wanted = {name: bool(p.get(name, False)) for name in _RIGHT_NAMES}
    if any(value and not me.can(name) for name, value in wanted.items() if name != "is_anonymous"):
        raise bad_request("RIGHT_FORBIDDEN")
    if not any(value for name, value in wanted.items() if name != "is_anonymous"):
        set_member(emu, chat, user, "member", actor=emu.bot)
        emu.journal.add(chat, f"bot demoted {user.name}")
        return True
    set_member(
        emu,
        chat,
        user,
        "administrator",
        actor=emu.bot,
        rights=BotRights(**wanted),
        promoted_by_bot=True,
    )
    emu.journal.add(chat, f"bot promoted {user.name}")
    return True


def _join_request(emu: Emulator, p: dict[str, Any]) -> JoinRequest:
    chat = resolve_chat(emu, p["chat_id"])
    require_group(chat, "HIDE_REQUESTER_MISSING")
    require_right(emu, chat, "can_invite_users", INVITE_RIGHTS)
    user = resolve_user(emu, p["user_id"])
    request = chat.join_requests.get(user.id)
    if request is None:
        raise bad_request("HIDE_REQUESTER_MISSING")
    return request


def _close(request: JoinRequest) -> None:
    """A handled request also ends the bot's 5-minute window to write to the applicant."""
    request.chat.join_requests.pop(request.user.id, None)
    if request in request.user.pending_requests:
        request.user.pending_requests.remove(request)


def approve_chat_join_request(emu: Emulator, p: dict[str, Any]) -> bool:
    request = _join_request(emu, p)
    chat, user = request.chat, request.user
    if chat.member(user).active:
        _close(request)
        raise bad_request("USER_ALREADY_PARTICIPANT")
    _close(request)
    emu.journal.add(chat, f"bot approved {user.name}'s join request")
    joined(
        emu,
        chat,
        user,
        actor=emu.bot,
        message_from=user,
        invite_link=request.invite_link,
        via_join_request=True,
    )
    return True


def decline_chat_join_request(emu: Emulator, p: dict[str, Any]) -> bool:
    request = _join_request(emu, p)
    _close(request)
    emu.journal.add(request.chat, f"bot declined {request.user.name}'s join request")
    return True


HANDLERS = {
    "getChat": get_chat,
    "getChatMember": get_chat_member,
    "getChatAdministrators": get_chat_administrators,
    "getChatMemberCount": get_chat_member_count,
    "leaveChat": leave_chat,
    "banChatMember": ban_chat_member,
    "unbanChatMember": unban_chat_member,
    "restrictChatMember": restrict_chat_member,
    "promoteChatMember": promote_chat_member,
    "approveChatJoinRequest": approve_chat_join_request,
    "declineChatJoinRequest": decline_chat_join_request,
}

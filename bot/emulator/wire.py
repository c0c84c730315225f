"""State records → Bot API JSON objects, shaped as Telegram shapes them.

Messages are built once and cached until they change: callback queries and edits send the same
message again and again, and benchmarks do that hundreds of times a second.
"""

from __future__ import annotations

from typing import Any

from .state import (
    RESTRICTION_FIELDS,
    Chat,
    InviteLink,
    Member,
    Message,
    StoredFile,
    User,
)

ACCEPTED_GIFT_TYPES = {
    "unlimited_gifts": True,
    "limited_gifts": True,
    "unique_gifts": True,
    "premium_subscription": True,
    "gifts_from_channels": True,
}


def user_json(user: User) -> dict[str, Any]:
    out: dict[str, Any] = {"id": user.id, "is_bot": user.is_bot, "first_name": user.first_name}
    if user.last_name:
        out["last_name"] = user.last_name
    if user.username:
        out["username"] = user.username
    if user.language_code and not user.is_bot:
        out["language_code"] = user.language_code
    if user.is_premium:
        out["is_premium"] = True
    return out


def chat_json(chat: Chat) -> dict[str, Any]:
    if chat.json_cache is not None:
        return chat.json_cache
    out: dict[str, Any] = {"id": chat.id, "type": chat.type}
    if chat.type == "private" and chat.user is not None:
        out["first_name"] = chat.user.first_name
        if chat.user.last_name:
            out["last_name"] = chat.user.last_name
        if chat.user.username:
            out["username"] = chat.user.username
    else:
        out["title"] = chat.title or ""
        if chat.username:
            out["username"] = chat.username
        if chat.is_forum:
            out["is_forum"] = True
    chat.json_cache = out
    return out


def document_json(stored: StoredFile) -> dict[str, Any]:
    out: dict[str, Any] = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
    if stored.file_name:
        out["file_name"] = stored.file_name
    if stored.mime_type:
        out["mime_type"] = stored.mime_type
    out["file_size"] = stored.size
    return out


def photo_json(stored: StoredFile) -> list[dict[str, Any]]:
    return [
        {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": stored.width,
            "height": stored.height,
            "file_size": stored.size,
        }
    ]


def file_json(stored: StoredFile) -> dict[str, Any]:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
        "file_path": stored.file_path,
    }


def message_json(message: Message, nested: bool = False) -> dict[str, Any]:
    """The Message object; a replied-to message is included one level deep, as on Telegram."""
    if not nested and message.json_cache is not None:
        return message.json_cache
    out: dict[str, Any] = {"message_id": message.message_id}
    if message.thread_id is not None:
        out["message_thread_id"] = message.thread_id
    if message.sender is not None:
        out["from"] = user_json(message.sender)
    if message.sender_chat is not None:
        out["sender_chat"] = chat_json(message.sender_chat)
    out["date"] = message.date
    out["chat"] = chat_json(message.chat)
    if message.forward_origin is not None:
        out["forward_origin"] = message.forward_origin
    if message.is_topic_message:
        out["is_topic_message"] = True
    if message.reply_to is not None and not nested:
        out["reply_to_message"] = message_json(message.reply_to, nested=True)
    if message.edit_date is not None:
        out["edit_date"] = message.edit_date
    if message.text is not None:
        out["text"] = message.text
        if message.entities:
            out["entities"] = message.entities
    if message.document is not None:
        out["document"] = document_json(message.document)
    if message.photo is not None:
        out["photo"] = photo_json(message.photo)
    if message.caption:
        out["caption"] = message.caption
        if message.caption_entities:
            out["caption_entities"] = message.caption_entities
    if message.service:
        out.update(message.service)
    markup = message.reply_markup
    if markup is not None and "inline_keyboard" in markup:
        out["reply_markup"] = markup
    if not nested:
        message.json_cache = out
    return out


def member_json(chat: Chat, member: Member) -> dict[str, Any]:
    user = user_json(member.user)
    status = member.status
    if status == "creator":
        out: dict[str, Any] = {"status": status, "user": user, "is_anonymous": False}
        if member.custom_title:
            out["custom_title"] = member.custom_title
        return out
    if status == "administrator":
        rights = member.rights.as_dict() if member.rights is not None else {}
        if chat.type != "supergroup":
            rights.pop("can_manage_topics", None)
        out = {"status": status, "user": user, "can_be_edited": member.promoted_by_bot, **rights}
        if member.custom_title:
            out["custom_title"] = member.custom_title
        return out
    if status == "member":
        out = {"status": status, "user": user}
        if member.until_date:
            out["until_date"] = member.until_date
        return out
    if status == "restricted":
        permissions = {name: member.permissions.get(name, True) for name in RESTRICTION_FIELDS}
        return {
            "status": status,
            "user": user,
            "is_member": member.is_member,
            **permissions,
            "until_date": member.until_date,
        }
    if status == "kicked":
        return {"status": status, "user": user, "until_date": member.until_date}
    return {"status": "left", "user": user}


def invite_link_json(link: InviteLink, *, full: bool = True) -> dict[str, Any]:
    """``full=False`` hides the tail of links the bot did not create, as Telegram does."""
    text = link.link if full else link.link[: len("https://t.me/+") + 4] + "..."
    out: dict[str, Any] = {
        "invite_link": text,
        "creator": user_json(link.creator),
        "creates_join_request": link.creates_join_request,
        "is_primary": link.is_primary,
        "is_revoked": link.is_revoked,
    }
    if link.name:
        out["name"] = link.name
    if link.expire_date is not None:
        out["expire_date"] = link.expire_date
    if link.member_limit is not None:
        out["member_limit"] = link.member_limit
    if link.creates_join_request:
        pending = sum(1 for r in link.chat.join_requests.values() if r.invite_link is link)
        out["pending_join_request_count"] = pending
    return out


def chat_full_info_json(chat: Chat, *, with_invite_link: bool) -> dict[str, Any]:
    out: dict[str, Any] = dict(chat_json(chat))
    out["accent_color_id"] = 0
    out["max_reaction_count"] = 11
    out["accepted_gift_types"] = ACCEPTED_GIFT_TYPES
    if chat.is_group:
        out["permissions"] = {name: chat.permissions.get(name, True) for name in RESTRICTION_FIELDS}
        if chat.description:
            out["description"] = chat.description
        if chat.join_by_request:
            out["join_by_request"] = True
        if with_invite_link and chat.primary_link is not None:
            out["invite_link"] = chat.primary_link.link
    pinned = [m for m in chat.messages.values() if m.pinned and not m.deleted]
    if pinned:
        out["pinned_message"] = message_json(pinned[-1])
    return out

"""Every request is checked against the spec and answered as Telegram answers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.exceptions import TelegramBadRequest, TelegramNotFound, TelegramUnauthorizedError
from aiogram.methods import TelegramMethod
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    BotCommandScopeChatMember,
    BufferedInputFile,
    ChatPermissions,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    LinkPreviewOptions,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)

from bot.emulator import BotRights, Emulator, World

from .helpers import PNG, make_bot


@pytest.fixture
async def http(emu: Emulator) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=emu.base_url) as session:
        yield session


async def post(
    http: aiohttp.ClientSession, emu: Emulator, method: str, **kwargs: Any
) -> tuple[int, dict[str, Any]]:
    async with http.post(f"/bot{emu.token}/{method}", **kwargs) as response:
        return response.status, await response.json()


async def test_unknown_method_is_404_and_wrong_token_401(
    http: aiohttp.ClientSession, emu: Emulator, bot: Bot
) -> None:
    assert await post(http, emu, "sendMesage", data={"chat_id": "1"}) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    _, body = await post(http, emu, "SENDMESSAGE", data={"chat_id": "1", "text": "x"})
    assert body["description"] == "Bad Request: chat not found"  # names are case-insensitive
    async with http.post("/bot999:WRONG/getMe") as response:
        assert response.status == 401
        assert await response.json() == {
            "ok": False,
            "error_code": 401,
            "description": "Unauthorized",
        }
    wrong = make_bot(emu, token="999:WRONG")
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await wrong.get_me()
    finally:
        await wrong.session.close()
    with pytest.raises(TelegramNotFound):
        await bot(_Misspelt())


class _Misspelt(TelegramMethod[bool]):
    __returning__ = bool
    __api_method__ = "getMee"


async def test_missing_unknown_and_mistyped_parameters(
    http: aiohttp.ClientSession, emu: Emulator
) -> None:
    cases = [
        ({"text": "hi"}, 'Bad Request: parameter "chat_id" is required'),
        ({"chat_id": "1"}, "Bad Request: message text is empty"),
        ({"chat_id": "1", "text": ""}, "Bad Request: message text is empty"),
        (
            {"chat_id": "1", "text": "x", "colour": "red"},
            'Bad Request: unknown parameter "colour" for method sendMessage',
        ),
        (
            {"chat_id": "1", "text": "x", "disable_notification": "maybe"},
            'Bad Request: parameter "disable_notification" must be Boolean',
        ),
        (
            {"chat_id": "1", "text": "x", "message_thread_id": "12a"},
            'Bad Request: parameter "message_thread_id" must be Integer',
        ),
        (
            {"chat_id": "1", "text": "x", "reply_markup": "{not json"},
            "Bad Request: can't parse reply_markup JSON object",
        ),
    ]
    for data, description in cases:
        status, body = await post(http, emu, "sendMessage", data=data)
        assert (status, body["description"]) == (400, description), data
    assert all(not call.ok for call in emu.calls)


async def test_nested_json_is_checked_recursively(
    http: aiohttp.ClientSession, emu: Emulator
) -> None:
    def markup(button: dict[str, Any]) -> dict[str, str]:
        keyboard = json.dumps({"inline_keyboard": [[button]]})
        return {"chat_id": "1", "text": "x", "reply_markup": keyboard}

    status, body = await post(
        http, emu, "sendMessage", data=markup({"text": "A", "callback_dat": "a"})
    )
    assert status == 400
    assert body["description"] == (
        'Bad Request: can\'t parse reply_markup: field "inline_keyboard[0][0].callback_dat" '
        "is not a field of InlineKeyboardButton"
    )
    status, body = await post(http, emu, "sendMessage", data=markup({"callback_data": "a"}))
    assert 'inline_keyboard[0][0].text" is required in InlineKeyboardButton' in body["description"]
    status, body = await post(http, emu, "sendMessage", data=markup({"text": 5, "url": "x"}))
    assert 'inline_keyboard[0][0].text" must be String' in body["description"]
    status, body = await post(
        http,
        emu,
        "setMyCommands",
        data={"commands": '[{"command": "a", "description": "b"}]', "scope": '{"type": "al"}'},
    )
    assert 'field "type" must be one of "default", "all_private_chats"' in body["description"]
    status, body = await post(http, emu, "setMyCommands", data={"commands": '{"command": "a"}'})
    assert body["description"] == (
        "Bad Request: can't parse commands: value must be Array of BotCommand"
    )


async def test_json_bodies_and_query_strings_are_accepted(
    http: aiohttp.ClientSession, emu: Emulator, world: World
) -> None:
    alice = world.user("Alice")
    keyboard = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    status, body = await post(
        http, emu, "sendMessage", json={"chat_id": alice.id, "text": "hi", "reply_markup": keyboard}
    )
    assert status == 200 and body["result"]["reply_markup"] == keyboard
    async with http.get(
        f"/bot{emu.token}/sendMessage", params={"chat_id": alice.id, "text": "q"}
    ) as response:
        assert (await response.json())["result"]["text"] == "q"
    status, body = await post(
        http, emu, "sendMessage", json={"chat_id": alice.id, "text": "x", "protect_content": "yes"}
    )
    assert body["description"] == 'Bad Request: parameter "protect_content" must be Boolean'


async def test_valid_but_unsupported_method_fails_loudly(
    http: aiohttp.ClientSession, emu: Emulator
) -> None:
    status, body = await post(http, emu, "sendDice", data={"chat_id": "1"})
    assert (status, body["description"]) == (
        400,
        "Bad Request: method sendDice is not supported by the emulator",
    )
    assert emu.calls_to("sendDice")[0].unsupported
    assert emu.unsupported == emu.calls_to("sendDice")
    status, body = await post(http, emu, "sendDice", data={})  # still validated first
    assert body["description"] == 'Bad Request: parameter "chat_id" is required'


async def test_aiogram_everyday_calls_pass_validation(emu: Emulator, world: World) -> None:
    """What a real bot sends, with aiogram's defaults switched on, is all valid."""
    defaults = DefaultBotProperties(
        parse_mode="HTML",
        link_preview=LinkPreviewOptions(is_disabled=True),
        protect_content=False,
        allow_sending_without_reply=True,
    )
    bot = make_bot(emu)
    bot.default = defaults
    alice, bob = world.user("Alice", lang="en"), world.user("Bob")
    group = world.group("G", members=[alice, bob], admins=[alice], bot=BotRights.all())
    try:
        card = await bot.send_message(
            alice.id,
            "<b>Card</b>",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        InlineKeyboardButton(text="Yes", callback_data="vote:1:yes"),
                        InlineKeyboardButton(text="Docs", url="https://example.org/a?b=c"),
                    ],
                ]
            ),
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
        await bot.send_message(
            alice.id, "reply", reply_parameters=ReplyParameters(message_id=card.message_id)
        )
        await bot.send_message(
            alice.id,
            "keyboard",
            reply_markup=ReplyKeyboardMarkup(
                keyboard=[[KeyboardButton(text="Cancel")]], resize_keyboard=True
            ),
        )
        await bot.send_message(alice.id, "remove", reply_markup=ReplyKeyboardRemove())
        await bot.send_message(
            alice.id, "force", reply_markup=ForceReply(input_field_placeholder="Name")
        )
        await bot.edit_message_text("<i>Card</i>", chat_id=alice.id, message_id=card.message_id)
        await bot.edit_message_reply_markup(  # the text edit dropped the keyboard: add one
            chat_id=alice.id,
            message_id=card.message_id,
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="No", callback_data="vote:1:no")]]
            ),
        )
        document = await bot.send_document(
            alice.id,
            BufferedInputFile(b"BEGIN:VCALENDAR\r\n", filename="meeting.ics"),
            caption="<b>Meeting</b>",
        )
        assert document.document is not None and document.document.file_name == "meeting.ics"
        await bot.send_photo(
            group.id, BufferedInputFile(PNG, filename="chart.png"), caption="chart"
        )
        await bot.send_document(bob.id, document.document.file_id)  # re-send by file_id
        await bot.send_chat_action(alice.id, "typing")
        await bot.set_my_commands([BotCommand(command="start", description="Start")])
        await bot.set_my_commands(
            [BotCommand(command="setup", description="Set up")],
            scope=BotCommandScopeAllGroupChats(),
            language_code="zh",
        )
        await bot.set_my_commands(
            [BotCommand(command="settings", description="Settings")],
            scope=BotCommandScopeChat(chat_id=group.id),
        )
        await bot.set_my_commands(
            [BotCommand(command="vote", description="Vote")],
            scope=BotCommandScopeChatMember(chat_id=group.id, user_id=bob.id),
        )
        assert await bot.get_my_commands(scope=BotCommandScopeAllGroupChats(), language_code="zh")
        await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id=group.id))
        await bot.set_my_description("Coordinates alliances", language_code="en")
        await bot.set_my_short_description("Alliance coordinator")
        link = await bot.create_chat_invite_link(
            group.id, name="one person", member_limit=1, expire_date=timedelta(hours=24)
        )
        await bot.edit_chat_invite_link(group.id, link.invite_link, member_limit=2)
        await bot.revoke_chat_invite_link(group.id, link.invite_link)
        await bot.export_chat_invite_link(group.id)
        await bot.create_chat_invite_link(group.id, creates_join_request=True)
        assert (await bot.get_chat_member(group.id, alice.id)).status == "creator"
        assert (await bot.get_chat_member(group.id, emu.bot.id)).status == "administrator"
        assert len(await bot.get_chat_administrators(group.id)) == 2
        assert await bot.get_chat_member_count(group.id) == 3
        assert (await bot.get_chat(group.id)).invite_link is not None
        pinned = await bot.send_message(group.id, "pin me")
        await bot.pin_chat_message(group.id, pinned.message_id, disable_notification=True)
        await bot.unpin_chat_message(group.id, message_id=pinned.message_id)
        await bot.copy_message(bob.id, alice.id, card.message_id)
        await bot.forward_message(bob.id, group.id, pinned.message_id)
        await bot.restrict_chat_member(
            group.id,
            bob.id,
            ChatPermissions(can_send_messages=False),
            until_date=timedelta(hours=1),
        )
        await bot.ban_chat_member(group.id, bob.id)
        await bot.unban_chat_member(group.id, bob.id, only_if_banned=True)
        await bot.delete_message(alice.id, card.message_id)
        await bot.get_webhook_info()
        await bot.delete_webhook(drop_pending_updates=True)
        await bot.get_updates(offset=-1, timeout=0, allowed_updates=["message", "callback_query"])
    finally:
        await bot.session.close()
    failures = [call for call in emu.calls if not call.ok]
    assert failures == []


async def test_the_deprecated_link_preview_default_is_refused(emu: Emulator, world: World) -> None:
    """Bot API 10.1 lists only link_preview_options: the strict check must see the old field."""
    bot = make_bot(emu)
    bot.default = DefaultBotProperties(parse_mode="HTML", link_preview_is_disabled=True)
    alice = world.user("Alice")
    try:
        with pytest.raises(TelegramBadRequest, match='unknown parameter "disable_web_page_preview"'):
            await bot.send_message(alice.id, "hello")
    finally:
        await bot.session.close()


async def test_fields_aiogram_fills_from_the_bots_defaults_are_in_the_spec() -> None:
    """aiogram fills some fields from the bot's defaults: each one our defaults set must be a
    field Bot API 10.1 lists (``link_preview_is_disabled`` would add the deprecated
    ``disable_web_page_preview``), or every message would be refused."""
    import inspect

    import aiogram.methods as methods
    from aiogram.client.default import Default

    from bot.emulator.spec import load_spec
    from bot.runtime.app import BOT_DEFAULTS

    spec = load_spec()
    missing = []
    for _, cls in inspect.getmembers(methods, inspect.isclass):
        name = getattr(cls, "__api_method__", None)
        if name not in spec.methods:
            continue
        for field_name, field in cls.model_fields.items():
            if (isinstance(field.default, Default) and BOT_DEFAULTS[field.default.name] is not None
                    and field_name not in spec.methods[name].fields):
                missing.append(f"{name}.{field_name}")
    assert missing == []


async def test_callback_data_and_button_rules(bot: Bot, world: World) -> None:
    alice = world.user("Alice")

    def button(**fields: Any) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="B", **fields)]])

    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(alice.id, "x", reply_markup=button(callback_data="x" * 65))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(alice.id, "x", reply_markup=button(callback_data="é" * 33))
    with pytest.raises(TelegramBadRequest, match="Text buttons are unallowed"):
        await bot.send_message(alice.id, "x", reply_markup=button())
    with pytest.raises(TelegramBadRequest, match="Wrong HTTP URL"):
        await bot.send_message(alice.id, "x", reply_markup=button(url="example.org"))
    await bot.send_message(alice.id, "x", reply_markup=button(callback_data="x" * 64))

"""The simulated world driving a real aiogram Dispatcher in polling mode."""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters import Command, CommandStart
from aiogram.types import (
    CallbackQuery,
    ChatJoinRequest,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from bot.emulator import BotRights, Emulator, SettleTimeout, World, WorldError

from .helpers import polling


def keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=t.lower()) for t in labels]]
    )


def story_router(seen: list[object]) -> Router:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        seen.append(("start", message.text, message.from_user.language_code))
        await message.answer(
            "<b>Welcome</b>, pick one:",
            parse_mode="HTML",
            reply_markup=keyboard("Approve", "Reject"),
        )

    @router.message(Command("setup"))
    async def setup(message: Message) -> None:
        seen.append(("setup", message.chat.id, message.entities[0].type))
        await message.answer(f"Set up {message.chat.title}")

    @router.callback_query(F.data == "approve")
    async def approve(query: CallbackQuery) -> None:
        await query.message.edit_text("Approved ✅")
        await query.answer("Done")

    @router.callback_query(F.data == "reject")
    async def reject(query: CallbackQuery) -> None:
        await query.answer("Only coordinators may reject", show_alert=True)

    @router.my_chat_member()
    async def added(event: ChatMemberUpdated) -> None:
        seen.append(("my_chat_member", event.new_chat_member.status))

    @router.chat_member()
    async def member(event: ChatMemberUpdated) -> None:
        seen.append(
            ("chat_member", event.new_chat_member.user.first_name, event.new_chat_member.status)
        )

    @router.chat_join_request()
    async def join_request(request: ChatJoinRequest) -> None:
        seen.append(("join_request", request.user_chat_id))
        await request.bot.send_message(request.user_chat_id, "Tell me about your business")

    @router.message(F.new_chat_members)
    async def new_members(message: Message) -> None:
        seen.append(("new_chat_members", [u.first_name for u in message.new_chat_members]))

    @router.message(F.text)
    async def any_text(message: Message) -> None:
        seen.append(("text", message.chat.type, message.text))

    return router


async def test_private_story_with_buttons_edits_and_alerts(bot: Bot, world: World) -> None:
    seen: list[object] = []
    dp = Dispatcher()
    dp.include_router(story_router(seen))
    alice = world.user("Alice", lang="zh-hant", username="alice")
    async with polling(dp, bot, world):
        await alice.start()
        await world.settle()
        card = world.last(alice)
        assert card.text == "Welcome, pick one:"
        assert card.html == "<b>Welcome</b>, pick one:"
        assert card.buttons == [["Approve", "Reject"]]

        answer = await alice.press(card, "Reject")
        assert answer.answered and answer.show_alert
        assert answer.text == "Only coordinators may reject"

        answer = await alice.press(card, "appr")  # a unique part of a label is enough
        assert answer.text == "Done" and not answer.show_alert
        assert world.messages_to(alice)[0].text == "Approved ✅"
        assert world.messages_to(alice)[0].edited
        assert world.messages_to(alice)[0].buttons == []  # an edit without markup drops it
    assert seen[0] == ("start", "/start", "zh-hant")
    assert [a.text for a in world.alerts_to(alice)] == ["Only coordinators may reject", "Done"]
    transcript = world.transcript()
    assert "[private: Alice] Alice: /start" in transcript
    assert "[private: Alice] bot: Welcome, pick one: [Approve] [Reject]" in transcript
    assert "bot (edited #2): Approved ✅" in transcript
    assert "bot → Alice: alert “Only coordinators may reject”" in transcript


async def test_press_names_the_buttons_when_the_label_is_wrong(bot: Bot, world: World) -> None:
    alice = world.user("Alice")
    await bot.send_message(alice.id, "Vote", reply_markup=keyboard("Yes", "Yes, but", "No"))
    card = world.last(alice)
    with pytest.raises(WorldError, match=r"matches no button.*\[Yes\], \[Yes, but\], \[No\]"):
        await alice.press(card, "Maybe", wait=False)
    with pytest.raises(WorldError, match="several buttons"):
        await alice.press(card, "ye", wait=False)
    answer = await alice.press(card, "Yes", wait=False)  # exact match wins over partial
    assert answer.data == "yes"


async def test_group_setup_bot_added_commands_and_privacy(bot: Bot, world: World) -> None:
    seen: list[object] = []
    dp = Dispatcher()
    dp.include_router(story_router(seen))
    alice = world.user("Alice")
    bob = world.user("Bob")
    group = world.group("Repair Alliance", members=[alice, bob], admins=[alice])
    async with polling(dp, bot, world):
        await world.add_bot(group, by=alice)
        await alice.send(group, "/setup@alliance_test_bot")
        await bob.send(group, "just chatting")  # privacy mode: a plain member's text is not seen
        await bob.send(group, "/setup@other_bot")  # addressed to another bot: not seen
        await world.settle()
    assert ("my_chat_member", "member") in seen
    assert ("new_chat_members", ["Alliance Bot"]) in seen
    assert ("setup", group.id, "bot_command") in seen
    assert not any(s[0] == "text" for s in seen if isinstance(s, tuple))
    assert [m.text for m in world.messages_in(group)] == ["Set up Repair Alliance"]
    texts = [m.text for m in world.messages_in(group, people=True)]
    assert texts == [
        "/setup@alliance_test_bot",
        "just chatting",
        "/setup@other_bot",
        "Set up Repair Alliance",
    ]


async def test_admin_bot_sees_all_group_messages(bot: Bot, world: World) -> None:
    seen: list[object] = []
    dp = Dispatcher()
    dp.include_router(story_router(seen))
    alice = world.user("Alice")
    group = world.group("G", members=[alice], bot=BotRights())
    async with polling(dp, bot, world):
        await alice.send(group, "hello there")
        await world.settle()
    assert ("text", "supergroup", "hello there") in seen


async def test_join_request_lets_the_bot_write_to_the_applicant(bot: Bot, world: World) -> None:
    seen: list[object] = []
    dp = Dispatcher()
    dp.include_router(story_router(seen))
    alice = world.user("Alice")
    bob = world.user("Bob", started=False)
    group = world.group("G", members=[alice], bot=BotRights(can_invite_users=True))
    link = world.invite_link(group, by=alice, creates_join_request=True)
    async with polling(dp, bot, world):
        await bob.request_join(group, link)
        await world.settle()
    assert ("join_request", bob.id) in seen
    assert [m.text for m in world.messages_to(bob)] == ["Tell me about your business"]


async def test_chat_member_updates_only_when_asked(bot: Bot, world: World) -> None:
    seen: list[object] = []
    dp = Dispatcher()
    dp.include_router(story_router(seen))
    alice, bob, carol = world.user("Alice"), world.user("Bob"), world.user("Carol")
    group = world.group("G", members=[alice], bot=BotRights())
    async with polling(dp, bot, world, allowed_updates=["message"]):
        await bob.join(group)
        await world.settle()
    assert ("new_chat_members", ["Bob"]) in seen
    assert not [s for s in seen if s[0] == "chat_member"]
    async with polling(dp, bot, world, allowed_updates=dp.resolve_used_update_types()):
        await carol.join(group)
        await bob.leave(group)
        await world.settle()
    assert ("chat_member", "Carol", "member") in seen
    assert ("chat_member", "Bob", "left") in seen


async def test_anonymous_admin_speaks_as_the_group(emu: Emulator, world: World) -> None:
    alice = world.user("Alice")
    bob = world.user("Bob")
    group = world.group("G", members=[alice, bob], admins=[alice], bot=BotRights())
    await alice.send(group, "/setup", anonymous=True)
    update = emu.updates.pending[-1]
    assert update["message"]["from"]["id"] == 1087968824
    assert update["message"]["from"]["username"] == "GroupAnonymousBot"
    assert update["message"]["sender_chat"]["id"] == group.id
    with pytest.raises(WorldError, match="only an administrator"):
        await bob.send(group, "hi", anonymous=True)


async def test_reply_and_mention_reach_the_bot_in_privacy_mode(
    bot: Bot, emu: Emulator, world: World
) -> None:
    alice = world.user("Alice")
    group = world.group("G", members=[alice], bot=True)
    sent = await bot.send_message(group.id, "Question?")
    card = next(m for m in world.messages_in(group) if m.message_id == sent.message_id)
    await alice.reply(card, "Answer")
    await alice.send(group, "hey @alliance_test_bot look")
    await alice.send(group, "no one is addressed")
    messages = [u["message"] for u in emu.updates.pending]
    assert [m["text"] for m in messages] == ["Answer", "hey @alliance_test_bot look"]
    assert messages[0]["reply_to_message"]["message_id"] == sent.message_id
    assert messages[1]["entities"] == [{"type": "mention", "offset": 4, "length": 18}]


async def test_migration_to_supergroup(bot: Bot, emu: Emulator, world: World) -> None:
    alice = world.user("Alice")
    group = world.group("Old", members=[alice], supergroup=False, bot=True)
    old_id = group.id
    await world.migrate_to_supergroup(group)
    assert group.id != old_id and group.type == "supergroup"
    updates = [u["message"] for u in emu.updates.pending]
    assert updates[0]["chat"]["id"] == old_id and updates[0]["migrate_to_chat_id"] == group.id
    assert updates[1]["chat"]["id"] == group.id and updates[1]["migrate_from_chat_id"] == old_id
    sent = await bot.send_message(group.id, "still here")  # membership moved with the chat
    assert sent.chat.type == "supergroup"


async def test_settle_waits_for_slow_handlers_and_reports_a_stuck_bot(
    bot: Bot, emu: Emulator, world: World
) -> None:
    dp = Dispatcher()

    @dp.message()
    async def slow(message: Message) -> None:
        await asyncio.sleep(0.3)  # e.g. database work between the update and the answer
        await message.answer("done")

    alice = world.user("Alice")
    async with polling(dp, bot, world):
        await alice.dm("hi")
        await world.settle()
        assert world.last(alice).text == "done"
    await alice.dm("nobody polls now")
    with pytest.raises(SettleTimeout, match="1 update"):
        await world.settle(timeout=0.3)


async def test_user_documents_can_be_downloaded_by_the_bot(bot: Bot, world: World) -> None:
    alice = world.user("Alice")
    message = await alice.send_document(alice.private, "price list.csv", b"item,price\n")
    file_id = message.raw["document"]["file_id"]
    file = await bot.get_file(file_id)
    data = await bot.download_file(file.file_path)
    assert data is not None and data.read() == b"item,price\n"


async def test_command_menu_follows_telegram_scope_rules(bot: Bot, world: World) -> None:
    from aiogram.types import (
        BotCommand,
        BotCommandScopeAllChatAdministrators,
        BotCommandScopeAllPrivateChats,
    )

    alice = world.user("Alice", lang="zh-hans")
    bob = world.user("Bob", lang="en")
    group = world.group("G", members=[alice, bob], admins=[alice], bot=True)
    await bot.set_my_commands([BotCommand(command="help", description="Help")])
    await bot.set_my_commands(
        [BotCommand(command="join", description="加入")],
        scope=BotCommandScopeAllPrivateChats(),
        language_code="zh",
    )
    await bot.set_my_commands(
        [BotCommand(command="settings", description="Settings")],
        scope=BotCommandScopeAllChatAdministrators(),
    )
    assert world.command_menu(alice) == [("join", "加入")]
    assert world.command_menu(bob) == [("help", "Help")]
    assert world.command_menu(alice, group) == [("settings", "Settings")]
    assert world.command_menu(bob, group) == [("help", "Help")]

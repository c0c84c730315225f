"""Telegram's answers about who may do what — the cases a real bot has to handle."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.emulator import BotRights, Emulator, World, WorldError


async def test_private_chat_needs_start_and_no_block(bot: Bot, emu: Emulator, world: World) -> None:
    bob = world.user("Bob", started=False)
    with pytest.raises(TelegramForbiddenError, match="bot can't initiate conversation with a user"):
        await bot.send_message(bob.id, "hello?")
    await bob.start()
    await bot.send_message(bob.id, "hello!")
    await bob.block_bot()
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(bob.id, "still there?")
    with pytest.raises(WorldError, match="unblock_bot"):
        await bob.dm("hi")
    await bob.unblock_bot()
    await bot.send_message(bob.id, "welcome back")
    statuses = [
        u["my_chat_member"]["new_chat_member"]["status"]
        for u in emu.updates.pending
        if "my_chat_member" in u
    ]
    assert statuses == ["kicked", "member"]


async def test_join_request_opens_a_five_minute_window(
    bot: Bot, emu: Emulator, world: World
) -> None:
    alice = world.user("Alice")
    bob, carol = world.user("Bob", started=False), world.user("Carol", started=False)
    group = world.group("G", members=[alice], bot=BotRights(can_invite_users=True))
    await bob.request_join(group)
    await carol.request_join(group)
    request = next(u["chat_join_request"] for u in emu.updates.pending if "chat_join_request" in u)
    assert request["user_chat_id"] == bob.id and request["from"]["id"] == bob.id
    await bot.send_message(request["user_chat_id"], "Tell me about your business")
    emu.clock.advance(301)
    with pytest.raises(TelegramForbiddenError, match="can't initiate conversation"):
        await bot.send_message(bob.id, "too late")
    await bot.decline_chat_join_request(group.id, carol.id)
    with pytest.raises(TelegramBadRequest, match="HIDE_REQUESTER_MISSING"):
        await bot.approve_chat_join_request(group.id, carol.id)
    await bot.approve_chat_join_request(group.id, bob.id)
    assert (await bot.get_chat_member(group.id, bob.id)).status == "member"
    joined = [u["message"] for u in emu.updates.pending if "message" in u]
    assert joined[-1]["new_chat_members"][0]["id"] == bob.id


async def test_window_closes_when_the_request_is_handled(bot: Bot, world: World) -> None:
    alice, bob = world.user("Alice"), world.user("Bob", started=False)
    group = world.group("G", members=[alice], bot=BotRights(can_invite_users=True))
    await bob.request_join(group)
    await bot.send_message(bob.id, "first question")
    await bot.approve_chat_join_request(group.id, bob.id)
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(bob.id, "welcome")  # Bob never wrote back
    await bob.dm("hi!")
    await bot.send_message(bob.id, "welcome")


async def test_group_membership_answers(bot: Bot, world: World) -> None:
    alice = world.user("Alice")
    supergroup = world.group("Super", members=[alice])
    basic = world.group("Basic", members=[alice], supergroup=False)
    with pytest.raises(TelegramForbiddenError, match="bot is not a member of the supergroup chat"):
        await bot.send_message(supergroup.id, "hi")
    with pytest.raises(TelegramForbiddenError, match="bot is not a member of the group chat"):
        await bot.send_message(basic.id, "hi")
    await world.add_bot(supergroup, by=alice)
    await bot.send_message(supergroup.id, "hi")
    await world.remove_bot(supergroup, by=alice)
    with pytest.raises(TelegramForbiddenError, match="bot was kicked from the supergroup chat"):
        await bot.send_message(supergroup.id, "hi")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(-1009999999999, "hi")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message("@nowhere", "hi")


async def test_rights_for_pins_links_and_bans(bot: Bot, world: World) -> None:
    alice, bob = world.user("Alice"), world.user("Bob")
    group = world.group("G", members=[alice, bob], admins=[alice], bot=True)
    card = await bot.send_message(group.id, "card")
    pin_rights = "not enough rights to manage pinned messages in the chat"
    with pytest.raises(TelegramBadRequest, match=pin_rights):
        await bot.pin_chat_message(group.id, card.message_id)
    with pytest.raises(TelegramBadRequest, match="not enough rights to manage chat invite links"):
        await bot.create_chat_invite_link(group.id)
    with pytest.raises(TelegramBadRequest, match="not enough rights to restrict"):
        await bot.ban_chat_member(group.id, bob.id)
    await world.set_bot_rights(group, BotRights.all(), by=alice)
    await bot.pin_chat_message(group.id, card.message_id)
    assert world.last(group).pinned
    assert (await bot.get_chat(group.id)).pinned_message.message_id == card.message_id
    with pytest.raises(TelegramBadRequest, match="member_limit can't be combined"):
        await bot.create_chat_invite_link(group.id, creates_join_request=True, member_limit=1)
    with pytest.raises(TelegramBadRequest, match="can't remove chat owner"):
        await bot.ban_chat_member(group.id, alice.id)
    await bot.ban_chat_member(group.id, bob.id)
    with pytest.raises(WorldError, match="banned"):
        await bob.join(group)
    await bot.unban_chat_member(group.id, bob.id, only_if_banned=True)
    await bob.join(group)
    await bot.unban_chat_member(group.id, bob.id)  # without only_if_banned: removes a member
    assert (await bot.get_chat_member(group.id, bob.id)).status == "left"


async def test_one_person_invite_link(bot: Bot, world: World) -> None:
    alice, bob, carol = world.user("Alice"), world.user("Bob"), world.user("Carol")
    group = world.group("G", members=[alice], bot=BotRights(can_invite_users=True))
    link = await bot.create_chat_invite_link(group.id, member_limit=1)
    await bob.join(group, link.invite_link)
    with pytest.raises(WorldError, match="used up"):
        await carol.join(group, link.invite_link)
    await bot.revoke_chat_invite_link(group.id, link.invite_link)
    with pytest.raises(TelegramBadRequest, match="INVITE_HASH_EXPIRED"):
        await bot.edit_chat_invite_link(group.id, link.invite_link, member_limit=5)


async def test_migrated_group_answers_with_the_new_id(bot: Bot, world: World) -> None:
    alice = world.user("Alice")
    group = world.group("Old", members=[alice], supergroup=False, bot=True)
    old_id = group.id
    await world.migrate_to_supergroup(group)
    with pytest.raises(TelegramMigrateToChat) as raised:
        await bot.send_message(old_id, "hello?")
    assert raised.value.migrate_to_chat_id == group.id


async def test_edits_deletes_and_callback_answers(bot: Bot, emu: Emulator, world: World) -> None:
    alice, bob = world.user("Alice"), world.user("Bob")
    group = world.group("G", members=[alice, bob], bot=True)
    said = await bob.send(group, "/hello")
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=group.id, message_id=999)
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.edit_message_text("x", chat_id=group.id, message_id=said.message_id)
    with pytest.raises(TelegramBadRequest, match="message can't be deleted"):
        await bot.delete_message(group.id, said.message_id)
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Vote", callback_data="v")]]
    )
    card = await bot.send_message(group.id, "Vote now", reply_markup=keyboard)
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(
            chat_id=group.id, message_id=card.message_id, reply_markup=keyboard
        )
    answer = await alice.press(world.last(group), "Vote", wait=False)
    await bot.answer_callback_query(answer.query_id, text="Counted")
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(answer.query_id, text="Twice")
    late = await alice.press(world.last(group), "Vote", wait=False)
    emu.clock.advance(16)
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(late.query_id)
    assert [a.text for a in world.alerts_to(alice)] == ["Counted"]
    await bot.delete_message(group.id, card.message_id)
    assert world.messages_in(group) == []
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(group.id, card.message_id)

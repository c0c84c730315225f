"""The Telegram side of a membership decision, whoever made it.

A coordinator's press (``handlers.membership``) and a membership vote closed by the scheduler
(``bot.membership_votes``) must have the same effects: the coordinators' cards show the outcome,
the join request is approved or declined (or a one-person invite link is sent), the group gets a
welcome card and the applicant a private message. Each step stands on its own: one failing (a
user who blocked the bot, a request already gone) does not stop the others.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from bot.i18n import use_locale
from bot.services.membership import Decision
from bot.views import membership as views

log = logging.getLogger(__name__)

INVITE_LIFETIME = timedelta(hours=24)


async def carry_out(bot: Bot, decision: Decision, now: datetime) -> None:
    """Everything Telegram must see of a decision. Each step on its own: one failing (a user who
    blocked the bot, a request already gone) does not stop the others."""
    for chat_id, message_id, locale in decision.cards:
        with use_locale(locale):
            await quietly(bot.edit_message_text(text=views.decided_card(decision), chat_id=chat_id,
                                                 message_id=message_id))
    if not decision.approved:
        # The reason goes first: declining the request may close the way to write to them.
        with use_locale(decision.person_locale):
            await quietly(bot.send_message(decision.person_id, views.rejection(decision)))
        if decision.join_chat_id is not None:
            await quietly(bot.decline_chat_join_request(decision.join_chat_id, decision.person_id))
        return
    in_group = False
    if decision.join_chat_id is not None:
        in_group = await quietly(bot.approve_chat_join_request(decision.join_chat_id,
                                                                decision.person_id)) is not None
    link = None
    if not in_group and decision.home_chat_id is not None:
        member = await quietly(bot.get_chat_member(decision.home_chat_id, decision.person_id))
        in_group = member is not None and member.status in ("creator", "administrator", "member",
                                                            "restricted")
        if not in_group:
            created = await quietly(bot.create_chat_invite_link(
                decision.home_chat_id, name=decision.answers.get("name", "")[:32] or None,
                expire_date=now + INVITE_LIFETIME, member_limit=1))
            link = created.invite_link if created is not None else None
    if decision.home_chat_id is not None:
        with use_locale(decision.alliance_locale):
            await quietly(bot.send_message(decision.home_chat_id, views.welcome_card(decision.answers),
                                            message_thread_id=decision.home_thread_id))
    with use_locale(decision.person_locale):
        await quietly(bot.send_message(decision.person_id,
                                        views.private_welcome(decision, link, in_group)))


async def quietly(call: Any) -> Any:
    try:
        return await call
    except TelegramAPIError as error:
        log.info("%s failed: %s", getattr(call, "__qualname__", "call"), type(error).__name__)
        return None

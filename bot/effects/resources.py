"""Shared resources when a member is removed: what they held is withdrawn in the removing
transaction (``bot.services.resources.on_member_removed``), then each feature's cards are
refreshed and each person it concerns is told privately, in their own language.

Installed as a removal hook of the membership feature, so that membership knows nothing of
requests, equipment or purchases.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession

from bot.effects import membership as membership_effects
from bot.effects import purchases as purchase_effects
from bot.effects import requests as request_effects
from bot.runtime import me
from bot.runtime.cards import CardEditor
from bot.runtime.notices import tell
from bot.services import resources
from bot.views import resources as views
from storage.models import Alliance, Member

if TYPE_CHECKING:
    from bot.runtime.app import AllianceApp


def withdrawer(bot: Bot, cards: CardEditor) -> membership_effects.RemovedHook:
    async def withdraw(session: AsyncSession, alliance: Alliance, member: Member,
                       now: datetime) -> None:
        removed = await resources.on_member_removed(session, member.id, now)
        username = await me.username(bot)
        for purchase in removed.purchases:
            purchase_effects.touch(session, cards, purchase.id, username)
        for settled in removed.cancelled_purchases:  # pledgers told by the purchase's own notice
            await purchase_effects.announce(session, settled, now, cards=cards,
                                            bot_username=username)
        for request_id in {request.id for request in removed.requests} | {
                offer.request_id for offer in removed.offers}:
            request_effects.refresh_card(session, cards, request_id, username)
        for person_id, kinds in removed.tell.items():
            if kinds & views.SHOWN:
                await tell(session, [person_id], lambda kinds=kinds: (  # type: ignore[misc]
                    views.removal_notice(member.name, alliance.name, kinds), None),
                    now=now, alliance_id=alliance.id, key=f"member_removed:{member.id}")

    return withdraw


def install(app: AllianceApp) -> None:
    membership_effects.on_removed("resources", withdrawer(app.bot, app.cards))

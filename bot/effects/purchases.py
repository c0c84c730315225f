"""Joint purchases on Telegram beyond the reply to the current update.

- The card in the home group (the request's chat and topic): posted through the outbox (its
  message id stored on the request by the ``purchase_card`` on_sent hook), then edited in place
  and coalesced through the card editor after every pledge, withdrawal and settlement.
- The settlement at the pledge deadline: ``purchase.settle`` jobs, one per open purchase, derived
  from the purchases table (so a restart re-arms them; a deadline passed while the bot was down
  settles once when it is back). The settlement and its notices commit together in the job's
  transaction, and each notice is deduplicated in the outbox: nobody is told twice.
- A passed proposal's announcement gets a "start a joint purchase" deep link (registered with
  ``bot.effects.decisions.on_announcement``, so decisions knows nothing of purchases).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING

from aiogram import Bot
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.effects import decisions as decision_effects
from bot.effects import requests as request_effects
from bot.i18n import use_locale
from bot.runtime import me
from bot.runtime.cards import CardEdit, CardEditor, keyboard_json
from bot.runtime.notices import Attachment, tell
from bot.runtime.scheduler import JobContext, JobSpec, Scheduler
from bot.services import members as roster
from bot.services import purchases
from bot.services import requests as asks
from bot.services.outgoing import Outgoing, enqueue
from bot.services.purchases import Settlement
from bot.services.tally import Result
from bot.views import purchases as views
from storage.models import Alliance, Proposal, Purchase

if TYPE_CHECKING:
    from bot.runtime.app import AllianceApp

log = logging.getLogger(__name__)



# -- the card --------------------------------------------------------------------------------------


def card_key(purchase_id: int) -> str:
    return f"purchase:{purchase_id}"


async def render_card(session: AsyncSession, purchase_id: int, bot_username: str
                      ) -> tuple[str, InlineKeyboardMarkup | None, int | None, int | None]:
    """The card in the alliance's language, and where it is (chat, message) if posted."""
    shown = await purchases.card(session, purchase_id)
    alliance = await session.get(Alliance, shown.purchase.alliance_id)
    assert alliance is not None
    names = await roster.member_names(session, {shown.purchase.organiser_id})
    with use_locale(alliance.locale):
        text, keyboard = views.card(shown, names.get(shown.purchase.organiser_id, "?"),
                                    alliance.timezone, bot_username)
    return text, keyboard, shown.request.chat_id, shown.request.message_id


def card_renderer(purchase_id: int, bot_username: str
                  ) -> Callable[[AsyncSession], Awaitable[list[CardEdit] | None]]:
    """The card in the home group and in every copy in a linked chat (the request's)."""

    async def render(session: AsyncSession) -> list[CardEdit] | None:
        text, keyboard, _chat, _message = await render_card(session, purchase_id, bot_username)
        purchase = await purchases.get(session, purchase_id)
        request = await asks.get(session, purchase.request_id)
        return await request_effects.card_edits(session, request, text, keyboard)

    return render


def touch(session: AsyncSession, cards: CardEditor, purchase_id: int, bot_username: str) -> None:
    cards.touch(session, card_key(purchase_id), card_renderer(purchase_id, bot_username))


async def post_card(session: AsyncSession, purchase: Purchase, now: datetime,
                    bot_username: str, *, linked: bool = False) -> None:
    """Queue the card for the home group and, if ``linked``, a copy for each linked chat,
    committed with the purchase (sent by the outbox)."""
    request = await asks.get(session, purchase.request_id)
    if request.chat_id is None:
        log.warning("purchase %s: the alliance has no home group; no card", purchase.id)
        return
    text, keyboard, _chat, _message = await render_card(session, purchase.id, bot_username)
    outgoing = Outgoing(chat_id=request.chat_id, thread_id=request.thread_id, text=text,
                        reply_markup=keyboard_json(keyboard))
    await enqueue(session, outgoing, now=now, alliance_id=purchase.alliance_id,
                  dedup_key=f"purchase.card:{purchase.id}",
                  purpose=f"purchase_card:{purchase.id}")
    if linked:
        await request_effects.post_copies(session, request, outgoing, now=now)


async def _card_sent(session: AsyncSession, argument: str, chat_id: int, message_id: int) -> None:
    purchase = await purchases.get(session, int(argument))
    await asks.set_card(session, purchase.request_id, chat_id, message_id)


async def opened(session: AsyncSession, purchase: Purchase, now: datetime, *, bot: Bot,
                 scheduler: Scheduler, linked: bool = False) -> None:
    """After ``open_purchase``: the card (and its copies if asked), and the settlement armed at
    the deadline."""
    await post_card(session, purchase, now, await me.username(bot), linked=linked)
    scheduler.arm(session, jobs_for(purchase.id, purchase.deadline))


# -- messages --------------------------------------------------------------------------------------


async def announce(session: AsyncSession, settlement: Settlement, now: datetime, *,
                   cards: CardEditor, bot_username: str) -> None:
    """What a settlement (or a cancellation) owes: every pledger told privately (their exact
    cost, or that nobody pays), the organiser the list (and a CSV), the card its outcome."""
    purchase = settlement.purchase
    pid, aid = purchase.id, purchase.alliance_id
    if settlement.went_ahead:
        for line in settlement.lines:
            if line.member_id == purchase.organiser_id:
                continue  # his share is on his list below; "the organiser will be in touch" is not for him
            await tell(session, line.people,
                       lambda line=line: (views.told_go(settlement, line), None),  # type: ignore[misc]
                       now=now, alliance_id=aid, key=f"purchase:{pid}:go")
        await tell(session, settlement.organiser_people,
                   lambda: views.organiser_list(settlement), now=now, alliance_id=aid,
                   key=f"purchase:{pid}:list")
        await tell(session, settlement.organiser_people,
                   lambda: (views.csv_caption(pid), None), now=now, alliance_id=aid,
                   key=f"purchase:{pid}:csv",
                   attachment=Attachment(views.csv_name(pid), lambda: views.csv_bytes(settlement)))
    else:
        told = [person for line in settlement.lines for person in line.people]
        await tell(session, [*told, *settlement.organiser_people],
                   lambda: (views.told_failed(settlement), None), now=now, alliance_id=aid,
                   key=f"purchase:{pid}:failed")
    touch(session, cards, pid, bot_username)


# -- scheduled work --------------------------------------------------------------------------------


def jobs_for(purchase_id: int, deadline: datetime) -> list[JobSpec]:
    return [JobSpec(f"purchase.settle:{purchase_id}", deadline, "purchase.settle",
                    {"purchase_id": purchase_id})]


async def jobs(session: AsyncSession, now: datetime, until: datetime) -> list[JobSpec]:
    return [spec for purchase_id, deadline in await purchases.scheduled(session, until)
            for spec in jobs_for(purchase_id, deadline)]


async def settle(job: JobContext, purchase_id: int) -> None:
    """At the deadline: go or fail, once (the service is idempotent; the notices deduplicated)."""
    settlement = await purchases.settle(job.session, purchase_id, job.now)
    if settlement is None:
        return
    await announce(job.session, settlement, job.now, cards=job.cards,
                   bot_username=await me.username(job.bot))


# -- a passed proposal starts one ------------------------------------------------------------------


def proposal_buttons(proposal: Proposal, result: Result, bot_username: str
                     ) -> list[InlineKeyboardButton]:
    """On the announcement of a passed proposal of the alliance's own (not a membership vote)."""
    if not result.passed or proposal.subject_kind is not None or not bot_username:
        return []
    return [views.from_proposal_button(bot_username, proposal.id)]


def install(app: AllianceApp) -> None:
    """Plug joint purchases into the runtime: the card's message id, the settlement jobs, the
    button on a passed proposal's announcement."""
    app.outbox.on_sent("purchase_card", _card_sent)
    app.scheduler.add_armer(jobs)
    app.scheduler.add_runner("purchase.settle", settle)
    decision_effects.on_announcement("purchases", proposal_buttons)

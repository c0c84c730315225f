"""What a request's life owes beyond the reply to the current update.

- The card in the home group (its topic if ``/here`` chose one): posted through the outbox when
  the request is made (``request_card:<id>`` remembers its message id), then edited in place
  and coalesced by the card editor after every change, rendered in the alliance's language.
- Private messages, each in the recipient's language, through the outbox: the requester's
  people are told of each new offer (with *Accept*), of the close choices, of an expiry; on an
  accepted offer each side's people get the other side's contact — the only moment contacts
  move, and never written to a log line.
- ``request.expire:<id>`` at the request's needed-by moment; armed from the stored open
  requests, so a restart re-arms it, and the runner re-checks the state, so it acts once.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import use_locale
from bot.runtime import me
from bot.runtime.cards import CardEdit, CardEditor, Renderer, keyboard_json
from bot.runtime.notices import tell, tell_now
from bot.runtime.scheduler import JobContext, JobSpec, Scheduler
from bot.services import members as roster
from bot.services import requests as asks
from bot.services.outgoing import Outgoing, enqueue
from bot.views import requests as views
from storage.models import Alliance, ResourceOffer, ResourceRequest

if TYPE_CHECKING:
    from bot.runtime.app import AllianceApp

EXPIRE = "request.expire"
COPY = "request_copy"  # the outbox purpose of a card's copy in a linked chat


def expire_job(request_id: int, needed_by: datetime) -> JobSpec:
    return JobSpec(f"{EXPIRE}:{request_id}", needed_by, EXPIRE, {"request_id": request_id})


async def jobs(session: AsyncSession, _now: datetime, until: datetime) -> list[JobSpec]:
    return [expire_job(request_id, needed_by)
            for request_id, needed_by in await asks.scheduled(session, until)]


def arm(session: AsyncSession, plan: Scheduler, request: ResourceRequest) -> None:
    """After a change: the expiry an open request still needs, or none once it has moved."""
    if request.status == asks.OPEN and request.needed_by is not None:
        plan.arm(session, [expire_job(request.id, request.needed_by)])
    else:
        plan.disarm(session, [f"{EXPIRE}:{request.id}"])


# -- messages -----------------------------------------------------------------------------------

async def _requester_name(session: AsyncSession, request: ResourceRequest) -> str:
    return (await roster.member_names(session, {request.requester_id})).get(request.requester_id, "?")


# -- the card -------------------------------------------------------------------------------------

async def _render(session: AsyncSession, request: ResourceRequest,
                  bot_username: str) -> tuple[str, InlineKeyboardMarkup | None]:
    alliance = await session.get(Alliance, request.alliance_id)
    assert alliance is not None
    offers = [(name, found.status) for found, name in await asks.offers_of(session, request.id)]
    requester = await _requester_name(session, request)
    with use_locale(alliance.locale):
        return views.card(request, requester, offers, alliance.timezone, bot_username)


async def card_edits(session: AsyncSession, request: ResourceRequest, text: str,
                     keyboard: InlineKeyboardMarkup | None) -> list[CardEdit]:
    """The card as it should look in the home group and in every copy still worth editing
    (a request's card and a joint purchase's alike: the copies are the request's)."""
    places = [(request.chat_id, request.message_id)] if (
        request.chat_id is not None and request.message_id is not None) else []
    places += await asks.copies_of(session, request)
    return [CardEdit(chat_id=chat_id, message_id=message_id, text=text, reply_markup=keyboard)
            for chat_id, message_id in places]


def card_renderer(request_id: int, bot_username: str) -> Renderer:
    """The card as the database has it when the editor gets to it, for every copy."""

    async def render(session: AsyncSession) -> list[CardEdit] | None:
        request = await session.get(ResourceRequest, request_id)
        if request is None:
            return None
        text, keyboard = await _render(session, request, bot_username)
        return await card_edits(session, request, text, keyboard)

    return render


def refresh_card(session: AsyncSession, cards: CardEditor, request_id: int,
                 bot_username: str) -> None:
    cards.touch(session, f"request:{request_id}", card_renderer(request_id, bot_username))


async def post_copies(session: AsyncSession, request: ResourceRequest, outgoing: Outgoing, *,
                      now: datetime) -> int:
    """The card's copies to the alliance's linked chats, through the outbox like the home card;
    each copy's message id is kept by ``copy_posted``. Returns how many were queued."""
    chats = await asks.linked_chat_ids(session, request.alliance_id)
    for chat_id, thread_id in chats:
        await enqueue(session, replace(outgoing, chat_id=chat_id, thread_id=thread_id), now=now,
                      alliance_id=request.alliance_id,
                      dedup_key=f"request:{request.id}:card:{chat_id}",
                      purpose=f"{COPY}:{request.id}")
    return len(chats)


async def post_card(session: AsyncSession, request: ResourceRequest, *, now: datetime,
                    bot_username: str, linked: bool = False) -> bool:
    """The new request's card to the home group (its topic) and, if ``linked``, a copy to each
    linked chat; False if there is no home group (then no copy either)."""
    if request.chat_id is None:
        return False
    text, keyboard = await _render(session, request, bot_username)
    outgoing = Outgoing(chat_id=request.chat_id, thread_id=request.thread_id, text=text,
                        reply_markup=keyboard_json(keyboard))
    await enqueue(session, outgoing, now=now, alliance_id=request.alliance_id,
                  dedup_key=f"request:{request.id}:card", purpose=f"request_card:{request.id}")
    if linked:
        await post_copies(session, request, outgoing, now=now)
    return True


async def card_posted(session: AsyncSession, argument: str, chat_id: int, message_id: int) -> None:
    await asks.set_card(session, int(argument), chat_id, message_id)


async def copy_posted(session: AsyncSession, argument: str, chat_id: int, message_id: int) -> None:
    await asks.remember_copy(session, int(argument), chat_id, message_id, datetime.now(UTC))


# -- what each change owes -----------------------------------------------------------------------

async def offered(session: AsyncSession, request: ResourceRequest, offer: ResourceOffer, *,
                  now: datetime) -> None:
    """The requester's people learn of the offer, with a button to accept it."""
    names = await roster.member_names(session, {offer.member_id})
    offerer = names.get(offer.member_id, "?")
    stamp = int(offer.updated_at.timestamp())
    await tell(session, await roster.people_of(session, request.requester_id),
               lambda: views.new_offer(request.id, request.title, offerer, offer.note, offer.id),
               now=now, alliance_id=request.alliance_id,
               key=f"request:{request.id}:offer:{offer.id}:{stamp}")


async def matched(session: AsyncSession, match: asks.Match, *, now: datetime,
                  actor: int | None = None) -> None:
    """Each side gets the other's contact: the one moment contacts move. The person who
    accepted (``actor``) gets it at once, even in quiet hours: it answers their press."""
    request = match.request
    aid, rid, title = request.alliance_id, request.id, request.title
    requesters = [person.id for person in match.requester.people]
    for send in (tell_now, tell):
        await send(session, [p for p in requesters if (p == actor) == (send is tell_now)],
                   lambda: (views.matched_requester(rid, title, match.offerer), None),
                   now=now, alliance_id=aid, key=f"request:{rid}:matched:requester")
    await tell(session, [person.id for person in match.offerer.people],
               lambda: (views.matched_offerer(rid, title, match.requester), None),
               now=now, alliance_id=aid, key=f"request:{rid}:matched:offerer")
    await declined(session, request, now=now)


async def declined(session: AsyncSession, request: ResourceRequest, *, now: datetime) -> None:
    """Every offerer whose offer the request no longer needs is told privately, in their
    language, once per offer (the key), whichever way the request was answered or closed."""
    rid, aid, title = request.id, request.alliance_id, request.title
    answered = request.status == asks.MATCHED
    for offer in await asks.declined_offers(session, rid):
        await tell(session, await roster.people_of(session, offer.member_id),
                   lambda: (views.offer_declined(rid, title, answered=answered), None),
                   now=now, alliance_id=aid, key=f"request:{rid}:offer:{offer.id}:declined")


async def close_options(session: AsyncSession, request: ResourceRequest, person_id: int, *,
                        now: datetime) -> None:
    """The Close button of the group's card: the choices go to the presser's private chat."""
    await tell_now(session, [person_id],
                   lambda: views.close_options(request.id, request.title), now=now,
                   alliance_id=request.alliance_id,
                   key=f"request:{request.id}:close:{int(now.timestamp())}")


# -- the runner ---------------------------------------------------------------------------------

async def expire(job: JobContext, request_id: int) -> None:
    request = await asks.expire(job.session, request_id, job.now)
    if request is None:
        return
    await tell(job.session, await roster.people_of(job.session, request.requester_id),
               lambda: (views.expired(request.id, request.title), None), now=job.now,
               alliance_id=request.alliance_id, key=f"request:{request.id}:expired")
    await declined(job.session, request, now=job.now)
    refresh_card(job.session, job.cards, request.id, await me.username(job.bot))


def install(app: AllianceApp) -> None:
    """Plug requests into the runtime: their expiry and their cards' message ids."""
    app.scheduler.add_armer(jobs)
    app.scheduler.add_runner(EXPIRE, expire)
    app.outbox.on_sent("request_card", card_posted)
    app.outbox.on_sent(COPY, copy_posted)

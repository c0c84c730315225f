"""A press on a proposal card's option (PRODUCT.md §5): recorded through the ballot box, answered
with a short toast in the presser's language, or an alert saying why it was refused."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Update

from bot.i18n import use_locale
from bot.runtime.ballot_box import BallotBox
from bot.runtime.replies import plain, refuse
from bot.services.ballots import Press
from bot.views import decisions as views
from bot.views.decisions import VoteCb

log = logging.getLogger(__name__)



async def vote(query: CallbackQuery, callback_data: VoteCb, event_update: Update,
               ballot_box: BallotBox) -> None:
    counted = await ballot_box.cast(event_update.update_id, Press(
        proposal_id=callback_data.p, person_id=query.from_user.id, option=callback_data.o))
    if counted is None:
        return  # a re-delivered press: its first delivery was answered
    try:
        with use_locale(counted.locale):
            if counted.refused is not None:
                await refuse(query, counted.refused)
                return
            assert counted.proposal is not None
            await query.answer(plain(views.vote_toast(counted.proposal, counted.choices,
                                                      counted.closed)))
    except TelegramAPIError as error:  # the ballot is recorded; only the toast is lost
        log.info("press %s not answered: %s", event_update.update_id, type(error).__name__)


def setup_router() -> Router:
    router = Router(name="ballots")
    router.callback_query.register(vote, VoteCb.filter())
    return router

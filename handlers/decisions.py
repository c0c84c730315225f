"""/propose (private wizard), voting on the card, /close, /decisions and /proposal (PRODUCT.md §5)."""

from __future__ import annotations

from datetime import timedelta

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from bot.effects import decisions as effects
from bot.i18n import format_datetime
from bot.runtime.cards import CardEditor
from bot.runtime.context import Ctx
from bot.runtime.outbox import OutboxWorker
from bot.runtime.replies import refuse
from bot.runtime.scheduler import Scheduler
from bot.services import alliances, decisions, tally
from bot.services.decisions import Draft
from bot.services.errors import DomainError
from bot.services.inputs import number, row_id
from bot.services.membership.lookups import get_alliance
from bot.views import decisions as views
from bot.views.decisions import DecisionsPageCb, WizardCb


class Proposing(StatesGroup):
    title = State()
    text = State()
    kind = State()
    options = State()
    max = State()
    deadline = State()
    review = State()



# -- the wizard ----------------------------------------------------------------------------------


async def propose_in_group(message: Message, bot: Bot, ctx: Ctx) -> None:
    if ctx.alliance_id is None:
        raise DomainError("not_home_chat")
    assert ctx.place is not None and ctx.place.alliance is not None
    await decisions.require_may_propose(ctx.session, ctx.place.alliance, ctx.person_id)
    me = await bot.me()
    text, button = views.propose_in_private()
    url = f"https://t.me/{me.username}?start=propose-{ctx.alliance_id}"
    await message.reply(text, reply_markup=InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=button, url=url)]]))


async def propose(message: Message, state: FSMContext, ctx: Ctx) -> None:
    alliance = await alliances.alliance_in_context(
        ctx.session, None, ctx.person_id, private=True, coordinating=False)
    await _begin(message, state, ctx, alliance)


async def propose_link(message: Message, command: CommandObject, state: FSMContext,
                       ctx: Ctx) -> None:
    """``/start propose-<alliance id>``: the group's /propose sent the person here."""
    argument = (command.args or "").partition("-")[2]
    alliance = await decisions.alliance_of(
        ctx.session, row_id(argument), ctx.speaker_id)
    await _begin(message, state, ctx, alliance)


async def _begin(message: Message, state: FSMContext, ctx: Ctx, alliance: decisions.Alliance) -> None:
    draft = await decisions.start_draft(ctx.session, alliance, ctx.person_id)
    await state.set_state(Proposing.title)
    await state.set_data({"draft": draft.as_json()})
    text, keyboard = views.ask_title(alliance)
    await message.answer(text, reply_markup=keyboard)


async def _draft(state: FSMContext) -> Draft:
    data = await state.get_data()
    if "draft" not in data:
        raise DomainError("proposal_no_draft")
    return Draft.from_json(data["draft"])


async def _show(target: Message, state: FSMContext, ctx: Ctx, step: State, draft: Draft,
                *, edit: bool = False) -> None:
    """Move to ``step`` and ask its question."""
    await state.set_state(step)
    await state.update_data(draft=draft.as_json())
    alliance = await get_alliance(ctx.session, draft.alliance_id)
    if step == Proposing.title:
        text, keyboard = views.ask_title(alliance)
    elif step == Proposing.text:
        text, keyboard = views.ask_text()
    elif step == Proposing.kind:
        text, keyboard = views.ask_kind()
    elif step == Proposing.options:
        text, keyboard = views.ask_options()
    elif step == Proposing.max:
        text, keyboard = views.ask_max(len(draft.options))
    elif step == Proposing.deadline:
        text, keyboard = views.ask_deadline(alliance, draft.hours)
    else:
        closes = format_datetime(ctx.now + timedelta(hours=draft.hours), alliance.timezone)
        text, keyboard = views.review(draft, alliance, closes)
    if edit:
        await target.edit_text(text, reply_markup=keyboard)
    else:
        await target.answer(text, reply_markup=keyboard)


def _before(step: str | None, draft: Draft) -> State:
    if step == Proposing.review.state:
        return Proposing.deadline
    if step == Proposing.deadline.state:
        return {tally.MULTIPLE: Proposing.max, tally.SINGLE: Proposing.options}.get(
            draft.kind, Proposing.kind)
    if step == Proposing.max.state:
        return Proposing.options
    if step == Proposing.options.state:
        return Proposing.kind
    if step == Proposing.kind.state:
        return Proposing.text
    return Proposing.title


async def wizard_text(message: Message, state: FSMContext, ctx: Ctx) -> None:
    step = await state.get_state()
    try:
        draft = await _draft(state)
        if message.text is None:
            raise DomainError({
                Proposing.title.state: "proposal_title_empty",
                Proposing.options.state: "proposal_options_count",
                Proposing.deadline.state: "proposal_deadline_format",
            }.get(step or "", "proposal_text_empty"), limit=0, length=0,
                most=decisions.MAX_OPTIONS)
        if step == Proposing.title.state:
            draft.title = decisions.clean_title(message.text)
            following = Proposing.text
        elif step == Proposing.text.state:
            draft.text = decisions.clean_text(message.text)
            following = Proposing.kind
        elif step == Proposing.options.state:
            draft.options = decisions.clean_options(message.text)
            draft.max_choices = min(draft.max_choices, len(draft.options))
            following = Proposing.max if draft.kind == tally.MULTIPLE else Proposing.deadline
        elif step == Proposing.deadline.state:
            alliance = await get_alliance(ctx.session, draft.alliance_id)
            draft.hours = decisions.parse_deadline(message.text, ctx.now, alliance.timezone)
            following = Proposing.review
        elif step == Proposing.review.state and (percent := _percent(message.text)) is not None:
            draft.quorum_pct = min(100, percent)
            following = Proposing.review
        else:
            await _show(message, state, ctx, _state_of(step), draft)
            return
        await _show(message, state, ctx, following, draft)
    except DomainError as error:
        await refuse(message, error)


def _percent(text: str) -> int | None:
    return number(text.strip().rstrip("%"), digits=3)


def _state_of(step: str | None) -> State:
    for state in Proposing.__states__:
        if state.state == step:
            return state
    return Proposing.title


async def wizard_button(query: CallbackQuery, callback_data: WizardCb, state: FSMContext,
                        ctx: Ctx, scheduler: Scheduler, outbox: OutboxWorker) -> None:
    message = query.message
    if not isinstance(message, Message):
        await query.answer()
        return
    step = await state.get_state()
    try:
        if step is None:
            raise DomainError("proposal_no_draft")
        draft = await _draft(state)
        action, value = callback_data.a, callback_data.v
        amount = number(value, digits=4)
        if action == "cancel":
            await state.clear()
            await query.answer()
            await message.edit_text(views.cancelled())
            return
        if action == "back":
            await query.answer()
            await _show(message, state, ctx, _before(step, draft), draft, edit=True)
            return
        if action == "kind" and step == Proposing.kind.state and value in tally.KINDS:
            draft.kind = value
            following = Proposing.options if value in (tally.SINGLE, tally.MULTIPLE) \
                else Proposing.deadline
        elif action == "max" and step == Proposing.max.state and amount is not None:
            draft.max_choices = max(1, min(amount, len(draft.options)))
            following = Proposing.deadline
        elif action == "hours" and step == Proposing.deadline.state and amount is not None:
            draft.hours = decisions.check_hours(amount)
            following = Proposing.review
        elif action == "cycle" and step == Proposing.review.state:
            _cycle(draft, value)
            following = Proposing.review
        elif action == "publish" and step == Proposing.review.state:
            proposal = await decisions.publish_draft(ctx.session, draft, ctx.person_id, ctx.now)
            await effects.opened(ctx.session, proposal, ctx.now, scheduler=scheduler,
                             outbox=outbox)
            await state.clear()
            await query.answer()
            await message.edit_text(views.published(proposal))
            return
        else:
            raise DomainError("proposal_no_draft")
        await query.answer()
        await _show(message, state, ctx, following, draft, edit=True)
    except DomainError as error:
        await refuse(query, error)


def _cycle(draft: Draft, field: str) -> None:
    def following(values: tuple, current: object) -> object:
        return values[(values.index(current) + 1) % len(values)] if current in values \
            else values[0]

    if field == "quorum":
        steps = views.QUORUM_STEPS
        draft.quorum_pct = next((q for q in steps if q > draft.quorum_pct), steps[0])
    elif field == "threshold":
        draft.threshold = str(following(tally.THRESHOLDS, draft.threshold))
    elif field == "secret":
        draft.secret = not draft.secret
    elif field == "results":
        draft.results_while_open = not draft.results_while_open
    elif field == "electorate":
        draft.electorate = str(following((decisions.MEMBERS, decisions.COORDINATORS),
                                         draft.electorate))


async def cancel(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(views.cancelled())


# -- closing and the log ------------------------------------------------------------------------


def _number(command: CommandObject) -> int | None:
    return row_id(command.args)


async def close(message: Message, command: CommandObject, ctx: Ctx, cards: CardEditor,
                scheduler: Scheduler, bot: Bot, outbox: OutboxWorker) -> None:
    number = _number(command)
    if number is None:
        await message.reply(views.close_usage())
        return
    proposal, result = await decisions.close_early(ctx.session, number, ctx.person_id,
                                                   ctx.now, alliance_id=ctx.alliance_id)
    await effects.finish(ctx.session, proposal, result, ctx.now, cards=cards, scheduler=scheduler,
                      bot=bot, outbox=outbox)
    await message.reply(views.closed_by_command(proposal))


async def decisions_log(message: Message, ctx: Ctx) -> None:
    alliance_id = (await alliances.alliance_in_context(
        ctx.session, ctx.place, ctx.speaker_id,
        private=message.chat.type == "private", coordinating=False)).id
    proposals, total, _first = await decisions.page(ctx.session, alliance_id, 0)
    text, keyboard = views.log_page(proposals, total, 0, alliance_id)
    await message.answer(text, reply_markup=keyboard)


async def decisions_page(query: CallbackQuery, callback_data: DecisionsPageCb, ctx: Ctx) -> None:
    message = query.message
    private = isinstance(message, Message) and message.chat.type == "private"
    alliance_id = (await alliances.alliance_in_context(
        ctx.session, ctx.place, ctx.speaker_id, private=private,
        coordinating=False)).id
    if alliance_id != callback_data.a:
        raise DomainError("proposal_unknown")
    proposals, total, number = await decisions.page(ctx.session, alliance_id, callback_data.n)
    text, keyboard = views.log_page(proposals, total, number, alliance_id)
    await query.answer()
    if isinstance(message, Message):
        await message.edit_text(text, reply_markup=keyboard)


async def proposal_details(message: Message, command: CommandObject, ctx: Ctx) -> None:
    number = _number(command)
    if number is None:
        await message.reply(views.proposal_usage())
        return
    proposal = await decisions.proposal_for(ctx.session, number,
                                            ctx.speaker_id,
                                            ctx.alliance_id)
    info = await decisions.details(ctx.session, proposal)
    await message.answer(views.details_text(info, decisions.stored_result(proposal)))


def setup_router() -> Router:
    router = Router(name="decisions")
    private = F.chat.type == "private"
    router.message.register(propose, Command("propose"), private)
    router.message.register(propose_link, CommandStart(deep_link=True,
                                                       magic=F.args.startswith("propose-")), private)
    router.message.register(propose_in_group, Command("propose"))
    router.message.register(cancel, Command("cancel"), StateFilter(Proposing), private)
    router.message.register(wizard_text, StateFilter(Proposing), private,
                            ~F.text.startswith("/"))
    router.callback_query.register(wizard_button, WizardCb.filter())
    router.message.register(close, Command("close"))
    router.message.register(decisions_log, Command("decisions"))
    router.callback_query.register(decisions_page, DecisionsPageCb.filter())
    router.message.register(proposal_details, Command("proposal"))
    return router


"""/propose (private wizard), voting on the card, /close, /decisions and /proposal (PRODUCT.md §5)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
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
from bot.runtime import me
from bot.runtime.cards import CardEditor
from bot.runtime.context import Ctx
from bot.runtime.scheduler import Scheduler
from bot.runtime.wizard import TYPED, Data, Deps, Event, Prompt, Step, Wizard, deliver
from bot.services import alliances, decisions, tally
from bot.services.alliances import get_alliance
from bot.services.decisions import Draft
from bot.services.errors import DomainError
from bot.services.inputs import number, row_id
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
    text, button = views.propose_in_private()
    url = await me.deep_link(bot, f"propose-{ctx.alliance_id}")
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
    await WIZARD.start(message, state, ctx, {"draft": draft.as_json()})


def _draft(data: Data) -> Draft:
    if "draft" not in data:
        raise DomainError("proposal_no_draft")
    return Draft.from_json(data["draft"])


def _drafting(change: Callable[[Draft, str], None]) -> Callable[[str, Data, Ctx], Data]:
    """A typed answer that changes the draft (kept whole in the wizard's data)."""
    def read(text: str, data: Data, _ctx: Ctx) -> Data:
        draft = _draft(data)
        change(draft, text)
        return {"draft": draft.as_json()}
    return read


def _set_title(draft: Draft, text: str) -> None:
    draft.title = decisions.clean_title(text)


def _set_text(draft: Draft, text: str) -> None:
    draft.text = decisions.clean_text(text)


def _set_options(draft: Draft, text: str) -> None:
    draft.options = decisions.clean_options(text)
    draft.max_choices = min(draft.max_choices, len(draft.options))


async def _read_deadline(text: str, data: Data, ctx: Ctx) -> Data:
    draft = _draft(data)
    alliance = await get_alliance(ctx.session, draft.alliance_id)
    draft.hours = decisions.parse_deadline(text, ctx.now, alliance.timezone)
    return {"draft": draft.as_json()}


async def _ask_title(data: Data, ctx: Ctx) -> Prompt:
    return views.ask_title(await get_alliance(ctx.session, _draft(data).alliance_id))


async def _ask_deadline(data: Data, ctx: Ctx) -> Prompt:
    draft = _draft(data)
    alliance = await get_alliance(ctx.session, draft.alliance_id)
    return views.ask_deadline(alliance, draft.hours)


async def _review(data: Data, ctx: Ctx) -> Prompt:
    draft = _draft(data)
    alliance = await get_alliance(ctx.session, draft.alliance_id)
    closes = format_datetime(ctx.now + timedelta(hours=draft.hours), alliance.timezone)
    return views.review(draft, alliance, closes)


def _kind_is(*kinds: str) -> Callable[[Data], bool]:
    return lambda data: _draft(data).kind in kinds


async def _publish(event: Event, state: FSMContext, ctx: Ctx, deps: Deps) -> None:
    draft = _draft(await state.get_data())
    proposal = await decisions.publish_draft(ctx.session, draft, ctx.person_id, ctx.now)
    await effects.opened(ctx.session, proposal, ctx.now, scheduler=deps["scheduler"])
    await state.clear()
    await deliver(event, views.published(proposal), None)


WIZARD = Wizard(
    form=Proposing,
    steps=[
        Step(Proposing.title, _ask_title, _drafting(_set_title)),
        Step(Proposing.text, lambda _data, _ctx: views.ask_text(), _drafting(_set_text)),
        Step(Proposing.kind, lambda _data, _ctx: views.ask_kind()),
        Step(Proposing.options, lambda _data, _ctx: views.ask_options(),
             _drafting(_set_options), _kind_is(tally.SINGLE, tally.MULTIPLE)),
        Step(Proposing.max, lambda data, _ctx: views.ask_max(len(_draft(data).options)),
             applies=_kind_is(tally.MULTIPLE)),
        Step(Proposing.deadline, _ask_deadline, _read_deadline),
        Step(Proposing.review, _review),
    ],
    finish=_publish, cancelled=views.cancelled, expired="proposal_no_draft",
    use_buttons="proposal_use_buttons")


async def quorum_typed(message: Message, state: FSMContext, ctx: Ctx) -> None:
    """On the review screen a number sets the quorum; anything else shows the review again."""
    draft = _draft(await state.get_data())
    percent = number((message.text or "").strip().rstrip("%"), digits=3)
    if percent is not None:
        draft.quorum_pct = min(100, percent)
    await WIZARD.stay(message, state, ctx, draft=draft.as_json())


async def kind_chosen(query: CallbackQuery, callback_data: WizardCb, state: FSMContext, ctx: Ctx,
                      **deps: Any) -> None:
    if callback_data.v not in tally.KINDS:
        raise DomainError("proposal_no_draft")
    draft = _draft(await state.get_data())
    draft.kind = callback_data.v
    await WIZARD.advance(query, state, ctx, deps, draft=draft.as_json())


async def max_chosen(query: CallbackQuery, callback_data: WizardCb, state: FSMContext, ctx: Ctx,
                     **deps: Any) -> None:
    amount = number(callback_data.v, digits=4)
    if amount is None:
        raise DomainError("proposal_no_draft")
    draft = _draft(await state.get_data())
    draft.max_choices = max(1, min(amount, len(draft.options)))
    await WIZARD.advance(query, state, ctx, deps, draft=draft.as_json())


async def hours_chosen(query: CallbackQuery, callback_data: WizardCb, state: FSMContext, ctx: Ctx,
                       **deps: Any) -> None:
    amount = number(callback_data.v, digits=4)
    if amount is None:
        raise DomainError("proposal_no_draft")
    draft = _draft(await state.get_data())
    draft.hours = decisions.check_hours(amount)
    await WIZARD.advance(query, state, ctx, deps, draft=draft.as_json())


async def rule_cycled(query: CallbackQuery, callback_data: WizardCb, state: FSMContext,
                      ctx: Ctx) -> None:
    draft = _draft(await state.get_data())
    _cycle(draft, callback_data.v)
    await WIZARD.stay(query, state, ctx, draft=draft.as_json())


async def published(query: CallbackQuery, state: FSMContext, ctx: Ctx, **deps: Any) -> None:
    await WIZARD.advance(query, state, ctx, deps)


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


# -- closing and the log ------------------------------------------------------------------------


def _number(command: CommandObject) -> int | None:
    return row_id(command.args)


async def close(message: Message, command: CommandObject, ctx: Ctx, cards: CardEditor,
                scheduler: Scheduler, bot: Bot) -> None:
    number = _number(command)
    if number is None:
        await message.reply(views.close_usage())
        return
    proposal, result = await decisions.close_early(ctx.session, number, ctx.person_id,
                                                   ctx.now, alliance_id=ctx.alliance_id)
    await effects.finish(ctx.session, proposal, result, ctx.now, cards=cards, scheduler=scheduler,
                         bot=bot)
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
    router.message.register(quorum_typed, Proposing.review, TYPED)
    step = WizardCb.filter
    router.callback_query.register(kind_chosen, step(F.a == "kind"), Proposing.kind)
    router.callback_query.register(max_chosen, step(F.a == "max"), Proposing.max)
    router.callback_query.register(hours_chosen, step(F.a == "hours"), Proposing.deadline)
    router.callback_query.register(rule_cycled, step(F.a == "cycle"), Proposing.review)
    router.callback_query.register(published, step(F.a == "publish"), Proposing.review)
    WIZARD.register(router, back=step(F.a == "back"), cancel=step(F.a == "cancel"),
                    any_button=step())
    router.message.register(close, Command("close"))
    router.message.register(decisions_log, Command("decisions"))
    router.callback_query.register(decisions_page, DecisionsPageCb.filter())
    router.message.register(proposal_details, Command("proposal"))
    return router

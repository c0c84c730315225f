"""Joining (PRODUCT.md §2): the ways in (/join, the ``join-`` link, a join request to the home
group), the questionnaire, the coordinators' decision, newcomers who skipped onboarding, and
the settings that shape joining (/approval, /categories, /joinlink).

:func:`bot.effects.membership.carry_out` is the Telegram side of a decision, shared with the
membership votes that close in a scheduled job. ``Edit`` holds this feature's other forms (the
reason for a rejection here, a profile field in ``handlers.membership.directory``), so that
/cancel finds them all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from aiogram.types import CallbackQuery, ChatJoinRequest, ChatMemberUpdated, InlineKeyboardMarkup, Message

from bot.effects.membership import (
    carry_out,
    nudge_newcomer,
    open_vote,
    queue_welcome,
    quietly,
    send_application_cards,
)
from bot.i18n import set_locale
from bot.runtime import me
from bot.runtime.context import Ctx
from bot.runtime.replies import refuse
from bot.runtime.wizard import Data, Deps, Event, Prompt, Send, Step, Wizard, deliver
from bot.services import alliances, people, settings
from bot.services.errors import DomainError
from bot.services.membership import fields, joining
from bot.views.errors import error_text
from bot.views.membership import joining as views
from bot.views.membership.joining import CategoryCb, DecideCb, ModeCb, SponsorCb
from handlers.membership.common import alliance_of

log = logging.getLogger(__name__)


class Apply(StatesGroup):
    name = State()
    category = State()
    category_text = State()
    region = State()
    services = State()
    contact = State()
    sponsor = State()
    charter = State()
    confirm = State()


class Edit(StatesGroup):
    reject_reason = State()
    profile_field = State()


# -- the questionnaire ------------------------------------------------------------------------


def _answers(data: Data) -> dict[str, Any]:
    return dict(data.get("answers", {}))


def _answer(field: str, valid: Callable[[str], str]) -> Callable[[str, Data, Ctx], Data]:
    return lambda text, data, _ctx: {"answers": _answers(data) | {field: valid(text)}}


def _category(own: bool) -> Callable[[str, Data, Ctx], Data]:
    """A typed category, from the list's step or after *Other* (then Back returns to the list)."""
    return lambda text, data, _ctx: {
        "answers": _answers(data) | {"category": fields.valid_category(text)}, "own_category": own}


async def _read_contact(text: str, data: Data, ctx: Ctx) -> Data:
    alliance = await alliances.get_alliance(ctx.session, data["alliance_id"])
    kind, contact = fields.valid_contact(text, settings.read(alliance).country)
    return {"answers": _answers(data) | {"contact_kind": kind, "contact": contact}}


async def _ask_category(data: Data, ctx: Ctx) -> Prompt:
    alliance = await alliances.get_alliance(ctx.session, data["alliance_id"])
    return views.ask_category(settings.read(alliance).categories)


async def _ask_contact(data: Data, ctx: Ctx) -> Prompt:
    alliance = await alliances.get_alliance(ctx.session, data["alliance_id"])
    return views.ask_contact(settings.read(alliance).country)


async def _ask_charter(data: Data, ctx: Ctx) -> Prompt:
    alliance = await alliances.get_alliance(ctx.session, data["alliance_id"])
    return views.ask_charter(alliance.charter or "")


async def _summary(data: Data, ctx: Ctx) -> Prompt:
    alliance = await alliances.get_alliance(ctx.session, data["alliance_id"])
    return views.summary(alliance.name, data.get("answers", {}))


async def _submit(event: Event, state: FSMContext, ctx: Ctx, deps: Deps) -> None:
    data = await state.get_data()
    try:
        done = await joining.submit_application(
            ctx.session, alliance_id=data["alliance_id"], person_id=ctx.person_id,
            answers=data.get("answers", {}), via=data.get("via", "command"),
            join_chat_id=data.get("join_chat_id"), join_user_chat_id=data.get("join_user_chat_id"),
            now=ctx.now)
    except DomainError as error:  # the questionnaire cannot go on (already a member, say): it ends
        await state.clear()
        await deliver(event, error_text(error), None)
        return
    if done.vote_wanted:
        await open_vote(ctx.session, done.application, ctx.now)
    await state.clear()
    await deliver(event, views.submitted(done.vote_wanted), None)
    if not done.vote_wanted:
        await send_application_cards(deps["bot"], ctx.session, done.application.id)


QUESTIONNAIRE = Wizard(
    form=Apply,
    steps=[
        Step(Apply.name, lambda _data, _ctx: views.ask_name(), _answer("name", fields.valid_name)),
        Step(Apply.category, _ask_category, _category(own=False)),
        Step(Apply.category_text, lambda _data, _ctx: views.ask_category_text(),
             _category(own=True), applies=lambda data: bool(data.get("own_category"))),
        Step(Apply.region, lambda _data, _ctx: views.ask_region(),
             _answer("region", fields.valid_region)),
        Step(Apply.services, lambda _data, _ctx: views.ask_services(),
             _answer("services", fields.valid_services)),
        Step(Apply.contact, _ask_contact, _read_contact),
        Step(Apply.sponsor, lambda _data, _ctx: views.ask_sponsor()),
        Step(Apply.charter, _ask_charter),
        Step(Apply.confirm, _summary),
    ],
    finish=_submit, cancelled=views.cancelled, expired="stale", use_buttons="use_buttons")


def in_questionnaire(raw: str | None) -> bool:
    return QUESTIONNAIRE.step(raw) is not None


async def begin(ctx: Ctx, state: FSMContext, alliance_id: int, *, via: str, send: Send,
                join_chat_id: int | None = None, join_user_chat_id: int | None = None,
                intro_markup: InlineKeyboardMarkup | None = None) -> None:
    """Start (or resume) the questionnaire for ``alliance_id`` in the applicant's private chat."""
    current = QUESTIONNAIRE.step(await state.get_state())
    data = await state.get_data()
    if current is not None and data.get("alliance_id") == alliance_id:
        if join_chat_id is not None:
            await state.update_data(join_chat_id=join_chat_id, join_user_chat_id=join_user_chat_id,
                                    via=via)
        await send(views.resumed(), reply_markup=intro_markup)
        await QUESTIONNAIRE.show(send, state, ctx, current.state)
        return
    alliance = await joining.may_apply(ctx.session, alliance_id, ctx.person_id)
    await send(views.intro(alliance.name, join_request=join_chat_id is not None),
               reply_markup=intro_markup)
    await QUESTIONNAIRE.start(send, state, ctx, {
        "alliance_id": alliance_id, "via": via, "join_chat_id": join_chat_id,
        "join_user_chat_id": join_user_chat_id, "answers": {}})


async def join_command(message: Message, state: FSMContext, bot: Bot, ctx: Ctx) -> None:
    person_id = ctx.person_id
    if message.chat.type != "private":
        if ctx.alliance_id is None or ctx.place is None or ctx.place.chat.role != "home":
            raise DomainError("not_home_chat")
        await joining.may_apply(ctx.session, ctx.alliance_id, person_id)
        code = await joining.join_code(ctx.session, ctx.alliance_id, ctx.now)
        text, keyboard = views.join_in_group(await me.deep_link(bot, f"join-{code}"))
        await message.reply(text, reply_markup=keyboard)
        return
    mine = await alliances.alliances_of(ctx.session, person_id)
    current = await state.get_data()
    if in_questionnaire(await state.get_state()):
        alliance_id = current["alliance_id"]
    elif len(mine) == 1:
        alliance_id = mine[0][0].id
    else:
        raise DomainError("join_where")
    await begin(ctx, state, alliance_id, via="command", send=message.answer)


async def join_deep_link(message: Message, command: CommandObject, state: FSMContext, ctx: Ctx) -> None:
    code = (command.args or "").partition("-")[2]
    alliance = await joining.alliance_by_code(ctx.session, code)
    data = await state.get_data()
    via = data.get("via", "link") if data.get("alliance_id") == alliance.id else "link"
    await begin(ctx, state, alliance.id, via=via, send=message.answer,
                join_chat_id=data.get("join_chat_id") if via == "request" else None,
                join_user_chat_id=data.get("join_user_chat_id") if via == "request" else None)


async def join_request(event: ChatJoinRequest, bot: Bot, ctx: Ctx, fsm_storage: BaseStorage) -> None:
    outcome = await joining.join_request(ctx.session, event.chat.id, event.from_user.id)
    if outcome.kind == "ignore" or outcome.alliance is None or ctx.person is None:
        return
    alliance = outcome.alliance
    set_locale(people.locale_of(ctx.person))  # the applicant's language, not the group's

    async def send(text: str, **how: Any) -> None:
        await bot.send_message(event.user_chat_id, text, **how)

    try:
        if outcome.kind == "active":
            # Written first: a handled request ends the bot's window to write to its sender.
            await quietly(send(views.already_active(alliance.name, outcome.member_name or "")))
            await bot.approve_chat_join_request(event.chat.id, event.from_user.id)
        elif outcome.kind == "suspended":
            await send(views.request_suspended(alliance.name))
        elif outcome.kind == "open":
            await send(views.request_waits(alliance.name))
        else:
            state = FSMContext(storage=fsm_storage, key=StorageKey(
                bot_id=bot.id, chat_id=event.user_chat_id, user_id=event.from_user.id))
            code = await joining.join_code(ctx.session, alliance.id, ctx.now)
            markup = views.open_chat_keyboard(await me.deep_link(bot, f"join-{code}"))
            await begin(ctx, state, alliance.id, via="request", send=send,
                        join_chat_id=event.chat.id, join_user_chat_id=event.user_chat_id,
                        intro_markup=markup)
    except DomainError as error:
        await send(error_text(error))
    except TelegramAPIError as error:  # the 5-minute window closed, or the user blocked us
        log.info("could not write to a join-request sender: %s", type(error).__name__)


async def sponsor_typed(message: Message, state: FSMContext, ctx: Ctx, **deps: Any) -> None:
    """A sponsor is found by name: one match is taken, several (or none) are shown to pick."""
    data = await state.get_data()
    text = message.text or ""
    found = await joining.sponsor_candidates(ctx.session, data["alliance_id"], text)
    if len(found) != 1:
        prompt, keyboard = views.ask_sponsor(found, tried=text)
        await message.answer(prompt, reply_markup=keyboard)
        return
    await QUESTIONNAIRE.advance(message, state, ctx, deps, answers=_answers(data) | {
        "sponsor_id": found[0].id, "sponsor_name": found[0].name})


async def not_text(message: Message) -> None:
    raise DomainError("text_please")


async def own_category_asked(query: CallbackQuery, state: FSMContext, ctx: Ctx) -> None:
    await state.update_data(own_category=True)
    await QUESTIONNAIRE.show(query, state, ctx, Apply.category_text)


async def category_picked(query: CallbackQuery, callback_data: CategoryCb, state: FSMContext,
                          ctx: Ctx, **deps: Any) -> None:
    data = await state.get_data()
    choices = settings.read(await alliances.get_alliance(ctx.session, data["alliance_id"])).categories
    if not 0 <= callback_data.index < len(choices):
        raise DomainError("stale")
    await QUESTIONNAIRE.advance(query, state, ctx, deps, own_category=False, answers=_answers(
        data) | {"category": choices[callback_data.index]})


async def sponsor_picked(query: CallbackQuery, callback_data: SponsorCb, state: FSMContext,
                         ctx: Ctx, **deps: Any) -> None:
    data = await state.get_data()
    sponsor = await joining.active_member(ctx.session, data["alliance_id"],
                                          callback_data.member_id)
    await QUESTIONNAIRE.advance(query, state, ctx, deps, answers=_answers(data) | {
        "sponsor_id": sponsor.id, "sponsor_name": sponsor.name})


async def no_sponsor(query: CallbackQuery, state: FSMContext, ctx: Ctx, **deps: Any) -> None:
    await QUESTIONNAIRE.advance(query, state, ctx, deps, answers=_answers(
        await state.get_data()) | {"sponsor_id": None, "sponsor_name": None})


async def charter_accepted(query: CallbackQuery, state: FSMContext, ctx: Ctx,
                           **deps: Any) -> None:
    await QUESTIONNAIRE.advance(query, state, ctx, deps, answers=_answers(
        await state.get_data()) | {"charter": True})


async def stale_pick(query: CallbackQuery) -> None:
    raise DomainError("stale")


async def submitted(query: CallbackQuery, state: FSMContext, ctx: Ctx, **deps: Any) -> None:
    await QUESTIONNAIRE.advance(query, state, ctx, deps)


async def cancel(message: Message, state: FSMContext, ctx: Ctx) -> None:
    raw = await state.get_state()
    if raw is None:
        await refuse(message, DomainError("nothing_to_cancel"))
        return
    if raw == Edit.reject_reason.state and await _resume(state):
        await message.answer(views.cancelled_plain())
        step = QUESTIONNAIRE.step(await state.get_state())
        if step is not None:
            await QUESTIONNAIRE.show(message, state, ctx, step.state)
        return
    await state.clear()
    await message.answer(views.cancelled_plain())


# -- the decision -----------------------------------------------------------------------------


async def decide(query: CallbackQuery, callback_data: DecideCb, state: FSMContext, bot: Bot,
                 ctx: Ctx) -> None:
    person_id = ctx.person_id
    if callback_data.approve:
        decision = await joining.decide_application(
            ctx.session, callback_data.application_id, approve=True, actor_id=person_id,
            reason=None, now=ctx.now)
    else:
        application = await joining.check_decider(ctx.session, callback_data.application_id,
                                                  person_id)
    if callback_data.approve:
        await queue_welcome(ctx.session, decision, ctx.now)
        await query.answer(views.approved_toast())
        await carry_out(bot, decision, ctx.now)
        return
    await query.answer()
    # The reason is asked where the coordinator is: their private chat with the bot.
    # A coordinator may be half-way through a form of their own there: it waits, and resumes
    # once the reason is given or cancelled.
    reason_state = FSMContext(storage=state.storage, key=StorageKey(
        bot_id=bot.id, chat_id=person_id, user_id=person_id))
    previous = await reason_state.get_state()
    if previous == Edit.reject_reason.state:
        previous = (await reason_state.get_data()).get("resume_state")
    await reason_state.update_data(reject_application_id=application.id, resume_state=previous)
    await reason_state.set_state(Edit.reject_reason)
    await bot.send_message(person_id, views.ask_reason(application.answers.get("name", "")))


async def _resume(state: FSMContext) -> bool:
    """Leave the reason prompt; back to the form it interrupted, if any. True if resumed."""
    data = await state.get_data()
    previous = data.pop("resume_state", None)
    data.pop("reject_application_id", None)
    if previous is None:
        await state.clear()
        return False
    await state.set_data(data)
    await state.set_state(previous)
    return True


async def reject_reason(message: Message, state: FSMContext, bot: Bot, ctx: Ctx) -> None:
    data = await state.get_data()
    try:
        decision = await joining.decide_application(
            ctx.session, int(data.get("reject_application_id", 0)), approve=False,
            actor_id=ctx.person_id, reason=message.text, now=ctx.now)
    except DomainError as error:
        if error.code not in ("answer_empty", "answer_too_long"):
            await _resume(state)
        await message.answer(error_text(error))
        return
    resumed = await _resume(state)
    await message.answer(views.rejected_done())
    await carry_out(bot, decision, ctx.now)
    step = QUESTIONNAIRE.step(await state.get_state()) if resumed else None
    if step is not None:
        await message.answer(views.resumed())
        await QUESTIONNAIRE.show(message, state, ctx, step.state)


async def applications(message: Message, bot: Bot, ctx: Ctx) -> None:
    person_id = ctx.person_id
    pending = await joining.pending_applications(ctx.session, person_id)
    if not await alliances.coordinated_alliances(ctx.session, person_id):
        raise DomainError("coordinators_only")
    if not pending:
        await message.answer(views.no_pending())
        return
    for application, _alliance in pending:
        await send_application_cards(bot, ctx.session, application.id, only=person_id)


# -- newcomers --------------------------------------------------------------------------------


async def newcomer(event: ChatMemberUpdated, bot: Bot, ctx: Ctx) -> None:
    user = event.new_chat_member.user
    if user.is_bot:
        return
    alliance = await joining.newcomer_needs_nudge(ctx.session, event.chat.id, user.id)
    if alliance is None:
        return
    code = await joining.join_code(ctx.session, alliance.id, ctx.now)
    await nudge_newcomer(ctx.session, alliance, event.chat.id, user.first_name, user.id,
                         await me.deep_link(bot, f"join-{code}"), ctx.now)


# -- settings ---------------------------------------------------------------------------------


async def approval(message: Message, command: CommandObject, ctx: Ctx) -> None:
    alliance = await alliance_of(message, ctx, coordinating=True)
    await alliances.require_coordinator(ctx.session, alliance.id, ctx.person_id)
    if command.args:
        alliance = await joining.set_approval_mode(ctx.session, alliance.id, ctx.person_id,
                                                   command.args.strip().lower(), ctx.now)
    text, keyboard = views.approval_card(alliance.id, settings.read(alliance).approval_mode)
    await message.reply(text, reply_markup=keyboard)


async def approval_chosen(query: CallbackQuery, callback_data: ModeCb, ctx: Ctx) -> None:
    alliance = await joining.set_approval_mode(ctx.session, callback_data.alliance_id,
                                               ctx.person_id, callback_data.mode, ctx.now)
    await query.answer()
    if query.message is not None:
        text, keyboard = views.approval_card(alliance.id, settings.read(alliance).approval_mode)
        await query.message.edit_text(text, reply_markup=keyboard)


async def categories(message: Message, command: CommandObject, ctx: Ctx) -> None:
    alliance = await alliance_of(message, ctx, coordinating=bool(command.args))
    if command.args:
        alliance = await joining.set_categories(ctx.session, alliance.id, ctx.person_id,
                                                command.args, ctx.now)
    await message.reply(views.categories_text(settings.read(alliance).categories))


async def joinlink(message: Message, command: CommandObject, bot: Bot, ctx: Ctx) -> None:
    rotate = (command.args or "").strip().lower() == "new"
    alliance = await alliance_of(message, ctx, coordinating=rotate)
    if rotate:  # rotate_join_code refuses anyone but a coordinator
        code = await joining.rotate_join_code(ctx.session, alliance.id, ctx.person_id, ctx.now)
        coordinator = True
    else:
        code = await joining.sharable_join_code(ctx.session, alliance.id, ctx.person_id, ctx.now)
        coordinator = await alliances.is_coordinator(ctx.session, alliance.id, ctx.person_id)
    await message.reply(views.join_link(await me.deep_link(bot, f"join-{code}"), coordinator))

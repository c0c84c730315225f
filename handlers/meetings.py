"""/meeting (the poll wizard), the availability buttons, /meetings and recurring series (§6).

Wizards run in private chat (a /meeting in the group answers with a deep link), one step per
state, each with *Back* and *Cancel*; /cancel works at any step. The card in the group is the
only thing the group sees: answers are button presses, the card is edited in place, coalesced.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.effects.meetings import card_renderer, jobs_for, render_new_card, series_job_id, series_jobs
from bot.i18n import use_locale, zone
from bot.runtime import me
from bot.runtime.cards import CardEditor
from bot.runtime.context import Ctx
from bot.runtime.replies import plain, refuse
from bot.runtime.scheduler import Scheduler
from bot.runtime.wizard import TYPED, Data, Deps, Event, Prompt, Step, Wizard, deliver
from bot.services import alliances, meetings, people
from bot.services.errors import DomainError
from bot.services.inputs import number, row_id
from bot.services.recurrence import KINDS, MONTHLY_DAY, MONTHLY_NTH, WEEKLY
from bot.services.slots import parse_clock, parse_slot
from bot.views import meetings as views
from bot.views.errors import error_text


class MeetingForm(StatesGroup):
    title = State()
    slots = State()
    duration = State()
    place = State()
    deadline = State()


class SeriesForm(StatesGroup):
    title = State()
    kind = State()
    weekday = State()
    nth = State()
    day = State()
    time = State()
    offsets = State()
    open_days = State()
    poll_hours = State()
    place = State()


DEADLINE_CHOICES = (24, 48, 72)
SLOT_LINES = 2 * meetings.MAX_SLOTS  # lines of one message read as candidate times


def _slots(data: Data) -> list[datetime]:
    return [datetime.fromisoformat(value) for value in data.get("slots", [])]


def _ask_deadline(data: Data, ctx: Ctx) -> Prompt:
    first = _slots(data)[0]
    options = [h for h in DEADLINE_CHOICES if ctx.now + timedelta(hours=h) <= first]
    return views.ask_deadline(first, data["timezone"], options)


def _read_deadline(text: str, data: Data, ctx: Ctx) -> Data:
    return {"deadline": parse_slot(text, now=ctx.now, zone=zone(data["timezone"])).utc.isoformat()}


def _read_day(text: str, _data: Data, _ctx: Ctx) -> Data:
    day = number(text, digits=2)
    if day is None or not 1 <= day <= 31:
        raise DomainError("series_bad_day")
    return {"day": day}


def _read_time(text: str, _data: Data, _ctx: Ctx) -> Data:
    clock = parse_clock(text)
    if clock is None:
        raise DomainError("series_bad_time")
    return {"time": clock.strftime("%H:%M")}


def _text_field(name: str, clean: Callable[[str], Any]) -> Callable[[str, Data, Ctx], Data]:
    return lambda text, _data, _ctx: {name: clean(text)}


async def _create(event: Event, state: FSMContext, ctx: Ctx, deps: Deps) -> None:
    """The poll is complete: store it, post its card in the group, arm its jobs."""
    bot: Bot = deps["bot"]
    data = await state.get_data()
    await meetings.may_call_meeting(ctx.session, data["alliance_id"], ctx.person_id)
    meeting = await meetings.create_meeting(ctx.session, meetings.NewPoll(
        alliance_id=data["alliance_id"], title=data["title"], slots=_slots(data),
        deadline=datetime.fromisoformat(data["deadline"]),
        duration_min=data.get("duration", meetings.DEFAULT_DURATION), place=data.get("place")),
        person_id=ctx.person_id, now=ctx.now)
    await state.clear()
    text, keyboard = await render_new_card(ctx.session, meeting.id)
    assert meeting.chat_id is not None
    deps["scheduler"].arm(ctx.session, jobs_for(meeting))
    try:
        posted = await bot.send_message(meeting.chat_id, text, message_thread_id=meeting.thread_id,
                                        reply_markup=keyboard)  # type: ignore[arg-type]
    except (TelegramBadRequest, TelegramForbiddenError):
        await meetings.cancel_unposted(ctx.session, meeting.id)
        await deliver(event, error_text(DomainError("meeting_not_posted")), None)
        return
    await meetings.set_card(ctx.session, meeting.id, posted.chat.id, posted.message_id)
    await deliver(event, views.meeting_posted(meeting.title), None)


async def _finish_series(event: Event, state: FSMContext, ctx: Ctx, deps: Deps) -> None:
    data = await state.get_data()
    hour, minute = (int(part) for part in data["time"].split(":"))
    new = meetings.NewSeries(
        alliance_id=data["alliance_id"], title=data["title"], kind=data["kind"],
        at=time(hour, minute), weekday=data.get("weekday"), nth=data.get("nth"),
        day=data.get("day"), offsets=meetings.OFFSET_PRESETS[data["offsets"]],
        open_days=data["open_days"], poll_hours=data["poll_hours"], place=data.get("place"))
    try:
        series = await meetings.create_series(ctx.session, new, person_id=ctx.person_id, now=ctx.now)
    except DomainError as error:
        if error.code != "series_poll_too_long":
            raise
        # Said, then the step that can fix it asked again: the answers so far are kept.
        await deliver(event, error_text(error), None)
        await SERIES.show(_private_chat(event), state, ctx, SeriesForm.open_days)
        return
    await state.clear()
    deps["scheduler"].arm(ctx.session, await series_jobs(ctx.session, series, ctx.now))
    await deliver(event, views.series_created(series), None)


def _private_chat(event: Event) -> Event:
    """Where a further question goes once ``event``'s own message was used for an answer."""
    if isinstance(event, CallbackQuery) and isinstance(event.message, Message):
        return event.message.answer  # type: ignore[return-value]
    return event


MEETING = Wizard(
    form=MeetingForm,
    steps=[
        Step(MeetingForm.title, lambda data, _ctx: views.ask_title(data.get("alliance_name", "")),
             _text_field("title", meetings.clean_title)),
        Step(MeetingForm.slots, lambda data, _ctx: views.ask_slots(
            _slots(data), data["timezone"], meetings.MIN_SLOTS, meetings.MAX_SLOTS)),
        Step(MeetingForm.duration, lambda _data, _ctx: views.ask_duration(),
             _text_field("duration", meetings.parse_duration)),
        Step(MeetingForm.place, lambda _data, _ctx: views.ask_place(),
             _text_field("place", meetings.clean_place)),
        Step(MeetingForm.deadline, _ask_deadline, _read_deadline),
    ],
    finish=_create, cancelled=views.wizard_cancelled, expired="wizard_expired",
    use_buttons="meeting_use_buttons")

SERIES = Wizard(
    form=SeriesForm,
    steps=[
        Step(SeriesForm.title, lambda _data, _ctx: views.series_ask_title(),
             _text_field("title", meetings.clean_title)),
        Step(SeriesForm.kind, lambda _data, _ctx: views.series_ask_kind()),
        Step(SeriesForm.weekday, lambda _data, _ctx: views.series_ask_weekday(),
             applies=lambda data: data.get("kind") in (WEEKLY, MONTHLY_NTH)),
        Step(SeriesForm.nth, lambda _data, _ctx: views.series_ask_nth(),
             applies=lambda data: data.get("kind") == MONTHLY_NTH),
        Step(SeriesForm.day, lambda _data, _ctx: views.series_ask_day(), _read_day,
             applies=lambda data: data.get("kind") == MONTHLY_DAY),
        Step(SeriesForm.time, lambda data, _ctx: views.series_ask_time(data["timezone"]),
             _read_time),
        Step(SeriesForm.offsets, lambda _data, _ctx: views.series_ask_offsets()),
        Step(SeriesForm.open_days, lambda _data, _ctx: views.series_ask_open_days()),
        Step(SeriesForm.poll_hours, lambda _data, _ctx: views.series_ask_poll_hours()),
        Step(SeriesForm.place, lambda _data, _ctx: views.ask_place(),
             _text_field("place", meetings.clean_place)),
    ],
    finish=_finish_series, cancelled=views.wizard_cancelled, expired="wizard_expired",
    use_buttons="meeting_use_buttons")


# -- starting ----------------------------------------------------------------------------------------

async def meeting_in_group(message: Message, bot: Bot, ctx: Ctx) -> None:
    if ctx.alliance_id is None:
        raise DomainError("not_home_chat")
    await meetings.may_call_meeting(ctx.session, ctx.alliance_id, ctx.person_id)
    text, keyboard = views.go_private(await me.username(bot), ctx.alliance_id)
    await message.reply(text, reply_markup=keyboard)


async def meeting_in_private(message: Message, state: FSMContext, ctx: Ctx) -> None:
    alliance = await alliances.alliance_in_context(ctx.session, None, ctx.person_id, private=True,
                                                   coordinating=False)
    await _start_meeting(message, state, ctx, alliance.id)


async def meeting_link(message: Message, command: CommandObject, state: FSMContext, ctx: Ctx) -> None:
    """``/start meeting-<alliance id>``: the group's /meeting sent the person here."""
    alliance_id = row_id((command.args or "").partition("-")[2])
    if alliance_id is None:
        raise DomainError("bad_link")
    await _start_meeting(message, state, ctx, alliance_id)


async def _start_meeting(message: Message, state: FSMContext, ctx: Ctx, alliance_id: int) -> None:
    alliance = await meetings.may_call_meeting(ctx.session, alliance_id, ctx.person_id)
    await MEETING.start(message, state, ctx, {"alliance_id": alliance.id,
                                              "alliance_name": alliance.name,
                                              "timezone": alliance.timezone, "slots": []})


# -- the /meeting wizard: what is not a plain answer --------------------------------------------

async def slots_given(message: Message, state: FSMContext, ctx: Ctx) -> None:
    """Candidate times add up over several messages; the step says what it understood."""
    data = await state.get_data()
    tz = zone(data["timezone"])
    chosen = _slots(data)
    understood, problems = [], []
    lines = [line for line in (message.text or "").replace(";", "\n").splitlines() if line.strip()]
    for line in lines[:SLOT_LINES]:
        try:
            slot = parse_slot(line, now=ctx.now, zone=tz)
        except DomainError as error:
            problems.append("⚠ " + error_text(error))
            continue
        if slot.utc in chosen:
            continue
        if len(chosen) >= meetings.MAX_SLOTS:
            problems.append("⚠ " + error_text(
                DomainError("meeting_too_many_slots", maximum=meetings.MAX_SLOTS)))
            break
        chosen.append(slot.utc)
        understood.append(slot.utc)
    chosen.sort()
    await state.update_data(slots=[moment.isoformat() for moment in chosen])
    text, keyboard = views.ask_slots(chosen, data["timezone"], meetings.MIN_SLOTS, meetings.MAX_SLOTS,
                                     understood, problems)
    await message.answer(text, reply_markup=keyboard)


async def slot_undone(query: CallbackQuery, state: FSMContext, ctx: Ctx) -> None:
    await MEETING.stay(query, state, ctx, slots=(await state.get_data()).get("slots", [])[:-1])


async def slots_done(query: CallbackQuery, state: FSMContext, ctx: Ctx, **deps: Any) -> None:
    if len((await state.get_data()).get("slots", [])) < meetings.MIN_SLOTS:
        raise DomainError("meeting_too_few_slots", minimum=meetings.MIN_SLOTS)
    await MEETING.advance(query, state, ctx, deps)


async def duration_chosen(query: CallbackQuery, callback_data: views.WizardCb, state: FSMContext,
                          ctx: Ctx, **deps: Any) -> None:
    if not meetings.MIN_DURATION <= callback_data.value <= meetings.MAX_DURATION:
        raise DomainError("wizard_expired")
    await MEETING.advance(query, state, ctx, deps, duration=callback_data.value)


async def no_place(query: CallbackQuery, state: FSMContext, ctx: Ctx, **deps: Any) -> None:
    wizard = SERIES if await state.get_state() == SeriesForm.place.state else MEETING
    await wizard.advance(query, state, ctx, deps, place=None)


async def deadline_chosen(query: CallbackQuery, callback_data: views.WizardCb, state: FSMContext,
                          ctx: Ctx, **deps: Any) -> None:
    if callback_data.value not in DEADLINE_CHOICES:
        raise DomainError("wizard_expired")
    deadline = ctx.now + timedelta(hours=callback_data.value)
    await MEETING.advance(query, state, ctx, deps, deadline=deadline.isoformat())


# -- the series wizard's choices: one button kind per step --------------------------------------

SERIES_CHOICES: dict[str, tuple[State, Callable[[int], Any]]] = {
    "kind": (SeriesForm.kind, lambda value: KINDS[value] if 0 <= value < len(KINDS) else None),
    "weekday": (SeriesForm.weekday, lambda value: value if 0 <= value <= 6 else None),
    "nth": (SeriesForm.nth, lambda value: value if value in (-1, 1, 2, 3, 4) else None),
    "offsets": (SeriesForm.offsets, lambda value: tuple(meetings.OFFSET_PRESETS)[value]
                if 0 <= value < len(meetings.OFFSET_PRESETS) else None),
    "open_days": (SeriesForm.open_days, lambda value: value if 1 <= value <= 60 else None),
    "poll_hours": (SeriesForm.poll_hours, lambda value: value if 1 <= value <= 24 * 30 else None),
}


def _series_choice(field: str, convert: Callable[[int], Any]) -> Callable[..., Awaitable[None]]:
    async def chosen(query: CallbackQuery, callback_data: views.WizardCb, state: FSMContext,
                     ctx: Ctx, **deps: Any) -> None:
        value = convert(callback_data.value)
        if value is None:
            raise DomainError("wizard_expired")
        await SERIES.advance(query, state, ctx, deps, **{field: value})

    chosen.__name__ = f"series_{field}_chosen"
    return chosen


# -- the card's buttons -----------------------------------------------------------------------------

async def answer_pressed(query: CallbackQuery, callback_data: views.AnswerCb, cards: CardEditor,
                         ctx: Ctx) -> None:
    answered = await meetings.answer(ctx.session, slot_id=callback_data.slot_id,
                                     person_id=ctx.person_id, choice=callback_data.choice,
                                     now=ctx.now)
    meeting_id = answered.meeting.id
    cards.touch(ctx.session, f"meeting:{meeting_id}", card_renderer(meeting_id))
    with use_locale(people.locale_of(ctx.person)):
        await query.answer(plain(views.answer_saved(callback_data.choice, answered.slot.starts_at,
                                                    answered.timezone)))


# -- /meetings and series ----------------------------------------------------------------------------

async def meetings_list(message: Message, bot: Bot, ctx: Ctx) -> None:
    private = message.chat.type == "private"
    person_id = ctx.person_id
    alliance = await alliances.alliance_in_context(ctx.session, ctx.place, person_id,
                                                   private=private, coordinating=False)
    overview = await meetings.overview(ctx.session, alliance.id, person_id, ctx.now)
    await _show_overview(message, bot, overview, private=private, edit=False)


async def _show_overview(message: Message, bot: Bot, overview: meetings.Overview, *, private: bool,
                         edit: bool) -> None:
    alliance = overview.alliance
    text = views.overview(overview.polls, overview.upcoming, overview.series, alliance.timezone,
                          overview.coordinator)
    keyboard = views.overview_keyboard(overview.series, private=private,
                                       coordinator=overview.coordinator,
                                       bot_username=await me.username(bot), alliance_id=alliance.id)
    if edit:
        await message.edit_text(text, reply_markup=keyboard)
    else:
        await message.answer(text, reply_markup=keyboard)


async def series_link(message: Message, command: CommandObject, ctx: Ctx) -> None:
    """``/start series-<alliance id>``: /meetings in the group sent a coordinator here."""
    argument = (command.args or "").partition("-")[2]
    bot = message.bot
    assert bot is not None
    alliance_id = row_id(argument)
    if alliance_id is None:
        raise DomainError("bad_link")
    overview = await meetings.overview(ctx.session, alliance_id, ctx.person_id, ctx.now)
    if not overview.coordinator:
        raise DomainError("coordinators_only")
    await _show_overview(message, bot, overview, private=True, edit=False)


async def series_button(query: CallbackQuery, callback_data: views.SeriesCb, state: FSMContext,
                        bot: Bot, scheduler: Scheduler, ctx: Ctx) -> None:
    message = query.message
    if not isinstance(message, Message):
        await refuse(query, DomainError("wizard_expired"))
        return
    person_id = ctx.person_id
    if callback_data.action == "new":
        alliance = await meetings.alliance_for_series(ctx.session, callback_data.alliance_id,
                                                      person_id)
    else:
        status = {"pause": meetings.PAUSED, "resume": meetings.ACTIVE,
                  "delete": meetings.DELETED}.get(callback_data.action)
        if status is None:
            raise DomainError("series_gone")
        series = await meetings.set_series_status(ctx.session, callback_data.series_id, person_id,
                                                  status, ctx.now)
    if callback_data.action == "new":
        await query.answer()  # the overview stays; the wizard starts below it
        await SERIES.start(message, state, ctx, {"alliance_id": alliance.id,
                                                 "timezone": alliance.timezone})
        return
    planned = await series_jobs(ctx.session, series, ctx.now)
    if series.status == meetings.ACTIVE:
        scheduler.arm(ctx.session, planned)
    else:
        scheduler.disarm(ctx.session, [series_job_id(series.id, at) for at, _ in
                                       await meetings.polls_due(ctx.session, series, ctx.now)])
    overview = await meetings.overview(ctx.session, series.alliance_id, person_id, ctx.now)
    await query.answer(plain(views.series_changed(series)))
    await _show_overview(message, bot, overview, private=True, edit=True)


def setup_router() -> Router:
    """A fresh Router each time: a router can belong to one dispatcher only."""
    router = Router(name="meetings")
    private = F.chat.type == "private"
    router.message.register(meeting_link, private,
                            CommandStart(deep_link=True, magic=F.args.regexp(r"^meeting-\d{1,12}$")))
    router.message.register(series_link, private,
                            CommandStart(deep_link=True, magic=F.args.startswith("series-")))
    router.message.register(meeting_in_group, Command("meeting"), ~private)
    router.message.register(meeting_in_private, Command("meeting"), private)
    router.message.register(meetings_list, Command("meetings"))
    router.message.register(slots_given, MeetingForm.slots, TYPED)
    button = views.WizardCb.filter
    router.callback_query.register(slot_undone, button(F.action == "undo"), MeetingForm.slots)
    router.callback_query.register(slots_done, button(F.action == "slots_done"), MeetingForm.slots)
    router.callback_query.register(duration_chosen, button(F.action == "duration"),
                                   MeetingForm.duration)
    router.callback_query.register(no_place, button(F.action == "no_place"),
                                   StateFilter(MeetingForm.place, SeriesForm.place))
    router.callback_query.register(deadline_chosen, button(F.action == "deadline"),
                                   MeetingForm.deadline)
    for field, (step, convert) in SERIES_CHOICES.items():
        router.callback_query.register(_series_choice(field, convert), button(F.action == field),
                                       step)
    for wizard, last in ((MEETING, False), (SERIES, True)):
        wizard.register(router, back=button(F.action == "back"), cancel=button(F.action == "cancel"),
                        any_button=button(), last=last)
    router.callback_query.register(answer_pressed, views.AnswerCb.filter())
    router.callback_query.register(series_button, views.SeriesCb.filter())
    return router

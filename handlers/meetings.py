"""/meeting (the poll wizard), the availability buttons, /meetings and recurring series (§6).

Wizards run in private chat (a /meeting in the group answers with a deep link), one step per
state, each with *Back* and *Cancel*; /cancel works at any step. The card in the group is the
only thing the group sees: answers are button presses, the card is edited in place, coalesced.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.effects.meetings import card_renderer, jobs_for, render_new_card, series_job_id, series_jobs
from bot.i18n import use_locale, zone
from bot.runtime.cards import CardEditor
from bot.runtime.context import Ctx
from bot.runtime.replies import plain, refuse
from bot.runtime.scheduler import Scheduler
from bot.services import alliances, meetings, people
from bot.services.errors import DomainError
from bot.services.inputs import number, row_id
from bot.services.recurrence import KINDS, MONTHLY_DAY, MONTHLY_NTH, WEEKLY
from bot.services.slots import parse_clock, parse_slot
from bot.views import meetings as views
from bot.views.errors import error_text

Prompt = tuple[str, InlineKeyboardMarkup]


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


MEETING_STEPS = [MeetingForm.title, MeetingForm.slots, MeetingForm.duration, MeetingForm.place,
                 MeetingForm.deadline]
SERIES_STEPS = [SeriesForm.title, SeriesForm.kind, SeriesForm.weekday, SeriesForm.nth, SeriesForm.day,
                SeriesForm.time, SeriesForm.offsets, SeriesForm.open_days, SeriesForm.poll_hours,
                SeriesForm.place]
DEADLINE_CHOICES = (24, 48, 72)
SLOT_LINES = 2 * meetings.MAX_SLOTS  # lines of one message read as candidate times



def _series_applies(step: State, data: dict) -> bool:
    kind = data.get("kind")
    if step is SeriesForm.weekday:
        return kind in (WEEKLY, MONTHLY_NTH)
    if step is SeriesForm.nth:
        return kind == MONTHLY_NTH
    if step is SeriesForm.day:
        return kind == MONTHLY_DAY
    return True


def _neighbour(current: str | None, steps: list[State], data: dict, direction: int) -> State | None:
    names = [step.state for step in steps]
    if current not in names:
        return None
    index = names.index(current) + direction
    while 0 <= index < len(steps):
        if steps is MEETING_STEPS or _series_applies(steps[index], data):
            return steps[index]
        index += direction
    return None


def _prompt(step: State, data: dict, ctx: Ctx) -> Prompt:
    timezone = data.get("timezone", "UTC")
    match step:
        case MeetingForm.title:
            return views.ask_title(data.get("alliance_name", ""))
        case MeetingForm.slots:
            return views.ask_slots(_slots(data), timezone, meetings.MIN_SLOTS, meetings.MAX_SLOTS)
        case MeetingForm.duration:
            return views.ask_duration()
        case MeetingForm.place:
            return views.ask_place()
        case MeetingForm.deadline:
            first = _slots(data)[0]
            options = [h for h in DEADLINE_CHOICES if ctx.now + timedelta(hours=h) <= first]
            return views.ask_deadline(first, timezone, options)
        case SeriesForm.title:
            return views.series_ask_title()
        case SeriesForm.kind:
            return views.series_ask_kind()
        case SeriesForm.weekday:
            return views.series_ask_weekday()
        case SeriesForm.nth:
            return views.series_ask_nth()
        case SeriesForm.day:
            return views.series_ask_day()
        case SeriesForm.time:
            return views.series_ask_time(timezone)
        case SeriesForm.offsets:
            return views.series_ask_offsets()
        case SeriesForm.open_days:
            return views.series_ask_open_days()
        case SeriesForm.poll_hours:
            return views.series_ask_poll_hours()
        case SeriesForm.place:
            return views.ask_place()
    raise AssertionError(step)


async def _go(message: Message, state: FSMContext, step: State, ctx: Ctx) -> None:
    await state.set_state(step)
    text, keyboard = _prompt(step, await state.get_data(), ctx)
    await message.answer(text, reply_markup=keyboard)


def _slots(data: dict) -> list[datetime]:
    return [datetime.fromisoformat(value) for value in data.get("slots", [])]


async def _next(message: Message, state: FSMContext, ctx: Ctx) -> None:
    current = await state.get_state()
    steps = SERIES_STEPS if current and current.startswith("SeriesForm") else MEETING_STEPS
    following = _neighbour(current, steps, await state.get_data(), +1)
    assert following is not None
    await _go(message, state, following, ctx)


# -- starting ----------------------------------------------------------------------------------------

async def meeting_in_group(message: Message, bot: Bot, ctx: Ctx) -> None:
    if ctx.alliance_id is None:
        raise DomainError("not_home_chat")
    await meetings.may_call_meeting(ctx.session, ctx.alliance_id, ctx.person_id)
    me = await bot.me()
    text, keyboard = views.go_private(me.username or "", ctx.alliance_id)
    await message.reply(text, reply_markup=keyboard)


async def meeting_in_private(message: Message, state: FSMContext, ctx: Ctx) -> None:
    alliance = await alliances.alliance_in_context(ctx.session, None, ctx.person_id, private=True,
                                                   coordinating=False)
    await _start_meeting(message, state, ctx, alliance.id)


async def meeting_link(message: Message, command: CommandObject, state: FSMContext, ctx: Ctx) -> None:
    """``/start meeting-<alliance id>``: the group's /meeting sent the person here."""
    alliance_id = row_id((command.args or "").partition("-")[2])
    if alliance_id is None:
        await refuse(message, DomainError("bad_link"))
        return
    await _start_meeting(message, state, ctx, alliance_id)


async def _start_meeting(message: Message, state: FSMContext, ctx: Ctx, alliance_id: int) -> None:
    alliance = await meetings.may_call_meeting(ctx.session, alliance_id, ctx.person_id)
    await state.clear()
    await state.set_data({"alliance_id": alliance.id, "alliance_name": alliance.name,
                          "timezone": alliance.timezone, "slots": []})
    await _go(message, state, MeetingForm.title, ctx)


async def cancel(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(views.wizard_cancelled())


# -- the /meeting wizard: typed answers -------------------------------------------------------------

async def title_given(message: Message, state: FSMContext, ctx: Ctx) -> None:
    title = meetings.clean_title(message.text or "")
    await state.update_data(title=title)
    await _next(message, state, ctx)


async def slots_given(message: Message, state: FSMContext, ctx: Ctx) -> None:
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


async def duration_given(message: Message, state: FSMContext, ctx: Ctx) -> None:
    minutes = meetings.parse_duration(message.text or "")
    await state.update_data(duration=minutes)
    await _next(message, state, ctx)


async def place_given(message: Message, state: FSMContext, scheduler: Scheduler, ctx: Ctx) -> None:
    place = meetings.clean_place(message.text or "")
    await state.update_data(place=place)
    if await state.get_state() == SeriesForm.place.state:
        await _finish_series(message, state, ctx, scheduler)
        return
    await _next(message, state, ctx)


async def deadline_given(message: Message, state: FSMContext, bot: Bot, scheduler: Scheduler,
                         ctx: Ctx) -> None:
    data = await state.get_data()
    deadline = parse_slot(message.text or "", now=ctx.now, zone=zone(data["timezone"])).utc
    await _create(message, state, bot, scheduler, ctx, deadline)


async def _create(message: Message, state: FSMContext, bot: Bot, scheduler: Scheduler, ctx: Ctx,
                  deadline: datetime) -> None:
    data = await state.get_data()
    await meetings.may_call_meeting(ctx.session, data["alliance_id"], ctx.person_id)
    meeting = await meetings.create_meeting(
        ctx.session, alliance_id=data["alliance_id"], person_id=ctx.person_id,
        title=data["title"], slots=_slots(data),
        duration_min=data.get("duration", meetings.DEFAULT_DURATION),
        place=data.get("place"), deadline=deadline, now=ctx.now)
    await state.clear()
    text, keyboard = await render_new_card(ctx.session, meeting.id)
    assert meeting.chat_id is not None
    scheduler.arm(ctx.session, jobs_for(meeting))
    try:
        posted = await bot.send_message(meeting.chat_id, text, message_thread_id=meeting.thread_id,
                                        reply_markup=keyboard)  # type: ignore[arg-type]
    except (TelegramBadRequest, TelegramForbiddenError):
        await meetings.cancel_unposted(ctx.session, meeting.id)
        await refuse(message, DomainError("meeting_not_posted"))
        return
    await meetings.set_card(ctx.session, meeting.id, posted.chat.id, posted.message_id)
    await message.answer(views.meeting_posted(meeting.title))


# -- the wizards' buttons ---------------------------------------------------------------------------

async def wizard_button(query: CallbackQuery, callback_data: views.WizardCb, state: FSMContext,
                        bot: Bot, scheduler: Scheduler, ctx: Ctx) -> None:
    message = query.message
    current = await state.get_state()
    if not isinstance(message, Message) or current is None:
        await refuse(query, DomainError("wizard_expired"))
        return
    await query.answer()
    data = await state.get_data()
    action, value = callback_data.action, callback_data.value
    steps = SERIES_STEPS if current.startswith("SeriesForm") else MEETING_STEPS
    if action == "cancel":
        await cancel(message, state)
    elif action == "back":
        previous = _neighbour(current, steps, data, -1)
        if previous is None:
            await cancel(message, state)
        else:
            await _go(message, state, previous, ctx)
    elif action == "undo" and current == MeetingForm.slots.state:
        await state.update_data(slots=data.get("slots", [])[:-1])
        await _go(message, state, MeetingForm.slots, ctx)
    elif action == "slots_done" and current == MeetingForm.slots.state:
        if len(data.get("slots", [])) >= meetings.MIN_SLOTS:
            await _next(message, state, ctx)
    elif action == "duration" and current == MeetingForm.duration.state \
            and meetings.MIN_DURATION <= value <= meetings.MAX_DURATION:
        await state.update_data(duration=value)
        await _next(message, state, ctx)
    elif action == "no_place" and current in (MeetingForm.place.state, SeriesForm.place.state):
        await state.update_data(place=None)
        if current == SeriesForm.place.state:
            await _finish_series(message, state, ctx, scheduler)
        else:
            await _next(message, state, ctx)
    elif action == "deadline" and current == MeetingForm.deadline.state and value in DEADLINE_CHOICES:
        await _create(message, state, bot, scheduler, ctx, ctx.now + timedelta(hours=value))
    elif action == "kind" and current == SeriesForm.kind.state and 0 <= value < 3:
        await state.update_data(kind=KINDS[value])
        await _next(message, state, ctx)
    elif action == "weekday" and current == SeriesForm.weekday.state and 0 <= value <= 6:
        await state.update_data(weekday=value)
        await _next(message, state, ctx)
    elif action == "nth" and current == SeriesForm.nth.state:
        await state.update_data(nth=value)
        await _next(message, state, ctx)
    elif action == "offsets" and current == SeriesForm.offsets.state and 0 <= value < 3:
        await state.update_data(offsets=tuple(meetings.OFFSET_PRESETS)[value])
        await _next(message, state, ctx)
    elif action == "open_days" and current == SeriesForm.open_days.state:
        await state.update_data(open_days=value)
        await _next(message, state, ctx)
    elif action == "poll_hours" and current == SeriesForm.poll_hours.state:
        await state.update_data(poll_hours=value)
        await _next(message, state, ctx)


async def stale_wizard_button(query: CallbackQuery) -> None:
    await refuse(query, DomainError("wizard_expired"))


# -- the card's buttons -----------------------------------------------------------------------------

async def answer_pressed(query: CallbackQuery, callback_data: views.AnswerCb, cards: CardEditor,
                         ctx: Ctx) -> None:
    try:
        answered = await meetings.answer(ctx.session, slot_id=callback_data.slot_id,
                                         person_id=ctx.person_id, choice=callback_data.choice,
                                         now=ctx.now)
    except DomainError as error:
        with use_locale(people.locale_of(ctx.person)):  # an alert speaks the presser's language
            await refuse(query, error)
        return
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
    me = await bot.me()
    keyboard = views.overview_keyboard(overview.series, private=private,
                                       coordinator=overview.coordinator,
                                       bot_username=me.username or "", alliance_id=alliance.id)
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
        await query.answer()
        await state.clear()
        await state.set_data({"alliance_id": alliance.id, "timezone": alliance.timezone})
        await _go(message, state, SeriesForm.title, ctx)
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


# -- the series wizard: typed answers ---------------------------------------------------------------

async def series_day_given(message: Message, state: FSMContext, ctx: Ctx) -> None:
    day = number(message.text, digits=2)
    if day is None or not 1 <= day <= 31:
        await message.reply(views.series_invalid_day())
        return
    await state.update_data(day=day)
    await _next(message, state, ctx)


async def series_time_given(message: Message, state: FSMContext, ctx: Ctx) -> None:
    clock = parse_clock(message.text or "")
    if clock is None:
        await message.reply(views.series_invalid_time())
        return
    await state.update_data(time=clock.strftime("%H:%M"))
    await _next(message, state, ctx)


async def _finish_series(message: Message, state: FSMContext, ctx: Ctx, scheduler: Scheduler) -> None:
    data = await state.get_data()
    hour, minute = (int(part) for part in data["time"].split(":"))
    try:
        series = await meetings.create_series(
            ctx.session, alliance_id=data["alliance_id"], person_id=ctx.person_id, title=data["title"],
            kind=data["kind"], at=time(hour, minute), weekday=data.get("weekday"), nth=data.get("nth"),
            day=data.get("day"), offsets=meetings.OFFSET_PRESETS[data["offsets"]],
            open_days=data["open_days"], poll_hours=data["poll_hours"], place=data.get("place"),
            now=ctx.now)
    except DomainError as error:
        await refuse(message, error)
        if error.code == "series_poll_too_long":
            await _go(message, state, SeriesForm.open_days, ctx)
        return
    await state.clear()
    scheduler.arm(ctx.session, await series_jobs(ctx.session, series, ctx.now))
    await message.answer(views.series_created(series))


def setup_router() -> Router:
    """A fresh Router each time: a router can belong to one dispatcher only."""
    router = Router(name="meetings")
    private = F.chat.type == "private"
    router.message.register(meeting_link, private,
                            CommandStart(deep_link=True, magic=F.args.regexp(r"^meeting-\d{1,12}$")))
    router.message.register(series_link, private,
                            CommandStart(deep_link=True, magic=F.args.startswith("series-")))
    router.message.register(cancel, Command("cancel"), private, StateFilter(MeetingForm, SeriesForm))
    router.message.register(meeting_in_group, Command("meeting"), ~private)
    router.message.register(meeting_in_private, Command("meeting"), private)
    router.message.register(meetings_list, Command("meetings"))
    typed = private & F.text & ~F.text.startswith("/")
    router.message.register(title_given, MeetingForm.title, typed)
    router.message.register(slots_given, MeetingForm.slots, typed)
    router.message.register(duration_given, MeetingForm.duration, typed)
    router.message.register(place_given, MeetingForm.place, typed)
    router.message.register(deadline_given, MeetingForm.deadline, typed)
    router.message.register(title_given, SeriesForm.title, typed)
    router.message.register(series_day_given, SeriesForm.day, typed)
    router.message.register(series_time_given, SeriesForm.time, typed)
    router.message.register(place_given, SeriesForm.place, typed)
    router.callback_query.register(wizard_button, views.WizardCb.filter(),
                                   StateFilter(MeetingForm, SeriesForm))
    router.callback_query.register(stale_wizard_button, views.WizardCb.filter())
    router.callback_query.register(answer_pressed, views.AnswerCb.filter())
    router.callback_query.register(series_button, views.SeriesCb.filter())
    return router

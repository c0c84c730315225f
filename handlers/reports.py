"""/export and /audit (PRODUCT.md §7, §8): coordinators' reports, always in private.

From a group either command answers with a deep link, so that nothing of the reports shows in
the group. Every press is checked again (the person must coordinate the alliance named in the
button), so forged callback data gets a refusal and nothing else.

An export is the reply to the press: its rows are streamed from the database into a temporary
file as CSV (written by a worker thread, chunk by chunk, so the event loop never waits on the
disk) and the file is uploaded from disk, so memory holds a chunk of rows, not the table;
it stops below Telegram's limit for a bot's files and says so in the caption.
"""

from __future__ import annotations

import asyncio
import io
import logging
import tempfile
from pathlib import Path

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, FSInputFile, Message

from bot.runtime import me
from bot.runtime.context import Ctx
from bot.runtime.replies import plain
from bot.services import alliances, reports
from bot.services.errors import DomainError
from bot.services.inputs import number, row_id
from bot.views import reports as views

# Telegram takes files up to 50 MB from bots; the file stops a little below that.
log = logging.getLogger(__name__)
DOCUMENT_LIMIT = 49 * 1024 * 1024
CHUNK = 256 * 1024  # bytes encoded before a worker thread writes them to the file


# -- /export ---------------------------------------------------------------------------------------


async def export_in_group(message: Message, bot: Bot, ctx: Ctx) -> None:
    alliance = await _group_alliance(ctx)
    text, keyboard = views.go_private(await me.username(bot), f"export-{alliance.id}", "export")
    await message.reply(text, reply_markup=keyboard)


async def export_in_private(message: Message, ctx: Ctx) -> None:
    alliance = await alliances.alliance_in_context(ctx.session, None, ctx.person_id, private=True,
                                                   coordinating=True)
    await _export_menu(message, ctx, alliance.id)


async def export_link(message: Message, command: CommandObject, ctx: Ctx) -> None:
    """``/start export-<alliance id>``: the group's /export sent the coordinator here."""
    await _export_menu(message, ctx, _linked_alliance(command))


async def _export_menu(message: Message, ctx: Ctx, alliance_id: int) -> None:
    alliance = await reports.coordinated(ctx.session, alliance_id, ctx.person_id)
    text, keyboard = views.export_menu(alliance.id, alliance.name)
    await message.answer(text, reply_markup=keyboard)


async def export_pressed(query: CallbackQuery, callback_data: views.ExportCb, bot: Bot,
                         ctx: Ctx) -> None:
    alliance = await reports.coordinated(ctx.session, callback_data.alliance_id, ctx.person_id)
    kind = reports.check_kind(callback_data.kind)
    await query.answer(plain(views.export_sending(kind)))
    with tempfile.TemporaryDirectory(prefix="alliance-export-") as folder:
        name = views.file_name(kind, alliance.id, ctx.now, alliance.timezone)
        path = Path(folder) / name
        count, cut = await _write(ctx, alliance.id, alliance.timezone, kind, path)
        # Always to the coordinator's own private chat, wherever the button was.
        try:
            await bot.send_document(query.from_user.id, FSInputFile(path, filename=name),
                                    caption=views.export_caption(kind, alliance.name, count, cut))
        except TelegramAPIError as error:  # blocked the bot meanwhile: nothing else to reach them
            log.info("export not delivered: %s", type(error).__name__)


async def _write(ctx: Ctx, alliance_id: int, timezone: str, kind: str,
                 path: Path) -> tuple[int, bool]:
    """The export's rows into ``path`` as they come from the database: (rows written, cut).

    Rows are encoded into an in-memory chunk and each full chunk is written by a worker thread,
    so a large export never blocks the event loop (and every other chat) on disk writes."""
    chunk = io.BytesIO()
    writer = views.CsvWriter(chunk, kind, timezone)  # the BOM and the headers
    count, size, cut = 0, chunk.tell(), False
    out = await asyncio.to_thread(path.open, "wb")
    try:
        async for row in reports.rows(ctx.session, alliance_id, kind):
            line = writer.encode(row)
            if size + len(line) > DOCUMENT_LIMIT:
                cut = True
                break
            chunk.write(line)
            size, count = size + len(line), count + 1
            if chunk.tell() >= CHUNK:
                await asyncio.to_thread(out.write, chunk.getvalue())
                chunk = io.BytesIO()
        await asyncio.to_thread(out.write, chunk.getvalue())
    finally:
        await asyncio.to_thread(out.close)
    return count, cut


# -- /audit ----------------------------------------------------------------------------------------


async def audit_in_group(message: Message, bot: Bot, ctx: Ctx) -> None:
    alliance = await _group_alliance(ctx)
    text, keyboard = views.go_private(await me.username(bot), f"audit-{alliance.id}", "audit")
    await message.reply(text, reply_markup=keyboard)


async def audit_in_private(message: Message, command: CommandObject, ctx: Ctx) -> None:
    size = _page_size(command.args)
    alliance = await alliances.alliance_in_context(ctx.session, None, ctx.person_id, private=True,
                                                   coordinating=True)
    await _audit_page(message, ctx, alliance.id, 0, size)


async def audit_link(message: Message, command: CommandObject, ctx: Ctx) -> None:
    await _audit_page(message, ctx, _linked_alliance(command), 0, reports.AUDIT_PAGE)


async def _audit_page(message: Message, ctx: Ctx, alliance_id: int, offset: int, size: int) -> None:
    alliance = await reports.coordinated(ctx.session, alliance_id, ctx.person_id)
    page = await reports.audit_page(ctx.session, alliance.id, offset, size)
    await message.answer(views.audit_text(page, alliance.name, alliance.timezone),
                         reply_markup=views.audit_keyboard(page, alliance.id))


async def audit_pressed(query: CallbackQuery, callback_data: views.AuditCb, ctx: Ctx) -> None:
    size = reports.page_size(callback_data.size)
    alliance = await reports.coordinated(ctx.session, callback_data.alliance_id, ctx.person_id)
    page = await reports.audit_page(ctx.session, alliance.id, callback_data.offset, size)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(views.audit_text(page, alliance.name, alliance.timezone),
                                      reply_markup=views.audit_keyboard(page, alliance.id))


def _page_size(args: str | None) -> int:
    if not (args or "").strip():
        return reports.page_size(None)
    size = number(args, digits=3)
    if size is None:
        raise DomainError("audit_bad_size", maximum=reports.AUDIT_MAX_PAGE)
    return reports.page_size(size)


# -- shared ----------------------------------------------------------------------------------------


async def _group_alliance(ctx: Ctx) -> reports.Alliance:
    """The group's alliance, if the person coordinates it (a plain member is refused here too)."""
    if ctx.alliance_id is None:
        raise DomainError("not_home_chat")
    return await reports.coordinated(ctx.session, ctx.alliance_id, ctx.person_id)


def _linked_alliance(command: CommandObject) -> int:
    alliance_id = row_id((command.args or "").partition("-")[2])
    if alliance_id is None:
        raise DomainError("bad_link")
    return alliance_id




def setup_router() -> Router:
    """A fresh Router each time: a router can belong to one dispatcher only."""
    router = Router(name="reports")
    private = F.chat.type == "private"
    router.message.register(export_link, private,
                            CommandStart(deep_link=True, magic=F.args.regexp(r"^export-\d{1,12}$")))
    router.message.register(audit_link, private,
                            CommandStart(deep_link=True, magic=F.args.regexp(r"^audit-\d{1,12}$")))
    router.message.register(export_in_group, Command("export"), ~private)
    router.message.register(export_in_private, Command("export"), private)
    router.message.register(audit_in_group, Command("audit"), ~private)
    router.message.register(audit_in_private, Command("audit"), private)
    router.callback_query.register(export_pressed, views.ExportCb.filter())
    router.callback_query.register(audit_pressed, views.AuditCb.filter())
    return router

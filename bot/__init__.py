"""Alliance Bot. aiogram's types are imported here first, their validators left to be built on
first use (bot/lazy_schemas.py): an idle bot holds ~100 MB less and starts seconds sooner."""

from __future__ import annotations

from bot.lazy_schemas import defer_aiogram_schemas

defer_aiogram_schemas()

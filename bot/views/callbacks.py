"""Callback data: ids only, never trusted — every press is re-checked by a service."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class LangCb(CallbackData, prefix="lang"):
    locale: str


class SetupLangCb(CallbackData, prefix="sl"):
    alliance_id: int
    locale: str


class SetupZoneCb(CallbackData, prefix="sz"):
    alliance_id: int
    zone: str


class LinkCb(CallbackData, prefix="lk"):
    alliance_id: int

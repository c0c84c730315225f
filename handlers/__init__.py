"""aiogram Routers, one module per feature: parse, call a service, render, send."""

from __future__ import annotations

from aiogram import Router

from handlers import chats, decisions, fallback, setup, start


def build_router() -> Router:
    root = Router(name="alliance")
    root.include_routers(chats.setup_router(), setup.setup_router(), start.setup_router(),
                         decisions.setup_router(),
                         fallback.setup_router())  # fallback stays last
    return root

"""aiogram Routers, one module per feature: parse, call a service, render, send."""

from __future__ import annotations

from aiogram import Router

from handlers import chats, fallback, membership, setup, start


def build_router() -> Router:
    root = Router(name="alliance")
    # membership before start: it owns the join- and team- deep links (they need the FSM context).
    root.include_routers(chats.setup_router(), setup.setup_router(), membership.setup_router(),
                         start.setup_router(),
                         fallback.setup_router())  # fallback stays last
    return root

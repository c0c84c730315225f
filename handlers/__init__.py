"""aiogram Routers, one module per feature: parse, call a service, render, send."""

from __future__ import annotations

from aiogram import Router

from handlers import (
    announcements,
    ballots,
    chats,
    decisions,
    equipment,
    fallback,
    meetings,
    membership,
    privacy,
    purchases,
    referrals,
    reports,
    requests,
    settings,
    setup,
    start,
    stats,
)


def build_router() -> Router:
    root = Router(name="alliance")
    # Ballots first: presses come in bursts, and no other handler takes a proposal's buttons —
    # each router before it would test its filters on every press for nothing.
    root.include_router(ballots.setup_router())
    # Every feature comes before start: each routes its own deep links (/start <kind>-<arg>),
    # and start answers the payloads none of them took.
    root.include_routers(chats.setup_router(), setup.setup_router(), membership.setup_router(),
                         meetings.setup_router(), referrals.setup_router(),
                         decisions.setup_router(), requests.setup_router(),
                         equipment.setup_router(), purchases.setup_router(),
                         reports.setup_router(), stats.setup_router(),
                         privacy.setup_router(),
                         settings.setup_router(), announcements.setup_router(),
                         start.setup_router(),
                         fallback.setup_router())  # fallback stays last
    return root

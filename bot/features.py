"""The one place where features plug into the runtime.

Nothing registers itself on import. Each feature's Telegram side (``bot/effects/<feature>.py``)
has an ``install(app)`` that names what it adds: job runners and armers to the scheduler,
``on_sent`` hooks to the outbox, callback prefixes to the ballot box's batching, outcome hooks
to decisions. Routers are built in ``handlers.build_router``; error texts are looked up in
``bot.views.errors``. A new feature adds one line here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.effects import (
    announcements,
    decisions,
    equipment,
    meetings,
    membership,
    purchases,
    referrals,
    requests,
    resources,
    stats,
)

if TYPE_CHECKING:
    from bot.runtime.app import AllianceApp


def install(app: AllianceApp) -> None:
    for feature in (decisions, membership, meetings, referrals, requests, equipment, purchases,
                    resources, stats, announcements):
        feature.install(app)

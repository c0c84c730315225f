"""Each feature's Telegram side beyond the reply to the current update: cards, outbox messages
and their hooks, scheduled jobs, hooks into other features — and its ``install(app)``."""

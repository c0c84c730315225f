"""Scheduled work, one module per feature: armers derive jobs from stored state, runners do them.

Importing this package registers every feature's jobs with ``bot.scheduler``. Like handlers, job
modules sit in front of the services: they call services, render views, enqueue to the outbox.
"""

from bot.jobs import decisions, meetings, referrals  # noqa: F401

"""Logging that never shows the bot token, whatever library formats the line."""

from __future__ import annotations

import logging


class Redact(logging.Filter):
    def __init__(self, *secrets: str | None) -> None:
        super().__init__()
        self.secrets = [secret for secret in secrets if secret]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "[redacted]")
            record.msg, record.args = message, None
        return True


# A line for every update handled (aiogram) and every webhook request (aiohttp's access log):
# at a few hundred updates a second they would be most of the log and a good part of its cost.
# Their warnings and errors still show.
PER_UPDATE_LOGGERS = ("aiogram.event", "aiohttp.access")


def configure(level: int = logging.INFO, *secrets: str | None) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(Redact(*secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in PER_UPDATE_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))

"""Typed configuration from a TOML file, with secrets overridable from the environment.

A bad config must stop the start with one line a human can act on, so every failure is
turned into :class:`ConfigError` naming the key and the problem — never a traceback.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.i18n import LOCALES

TOKEN_RE = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{5,100}$")
ENV_TOKEN = "ALLIANCE_BOT_TOKEN"
ENV_DATABASE_URL = "ALLIANCE_DATABASE_URL"
ENV_REDIS_URL = "ALLIANCE_REDIS_URL"


class ConfigError(Exception):
    """One line: which key, what is wrong."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TelegramConfig(_Section):
    token: str | None = None
    api_base: str = "https://api.telegram.org"
    mode: Literal["polling", "webhook"] = "polling"

    @field_validator("token")
    @classmethod
    def _token_shape(cls, value: str | None) -> str | None:
        if value is not None and not TOKEN_RE.match(value):
            raise ValueError("does not look like a bot token from @BotFather (digits:secret)")
        return value

    @field_validator("api_base")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")


class WebhookConfig(_Section):
    base_url: str | None = None
    path: str = "/telegram/webhook"
    listen_host: str = "0.0.0.0"
    listen_port: int = Field(8080, ge=1, le=65535)
    secret_token: str | None = None

    @field_validator("base_url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be the public http(s) URL Telegram will call")
        return value.rstrip("/") if value else value

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("must start with '/'")
        return value

    @field_validator("secret_token")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        # Telegram's own rule for X-Telegram-Bot-Api-Secret-Token.
        if value is not None and not re.match(r"^[A-Za-z0-9_-]{1,256}$", value):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value


class DatabaseConfig(_Section):
    url: str = "sqlite+aiosqlite:///alliance.db"
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if not (value.startswith("sqlite+aiosqlite://") or value.startswith("postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value


class DefaultsConfig(_Section):
    locale: str = "en"
    timezone: str = "UTC"

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value not in LOCALES:
            raise ValueError(f"must be one of {', '.join(LOCALES)}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("is not an IANA time zone such as Asia/Taipei") from None
        return value


class OutboxConfig(_Section):
    """Delivery limits kept a little under Telegram's so the bot is never the one throttled.

    28 a second overall (Telegram allows about 30): an announcement to 300 members is paced
    within 7 % of the fastest Telegram allows (benchmarks/broadcast.py), leaving room for the
    direct replies handlers send meanwhile; a 429 all the same is waited out, not lost.

    Per-chat command menus (``setMyCommands``) are no messages: Telegram's 30 a second does not
    count them, so they have a pace of their own, ``menus_per_second``, modest because Telegram
    documents no limit for them, and neither spend the messages' budget nor wait behind it."""

    global_per_second: float = Field(28, gt=0, le=30)
    group_per_minute: float = Field(18, gt=0, le=20)
    private_per_second: float = Field(1, gt=0, le=1)
    menus_per_second: float = Field(10, gt=0, le=30)
    max_attempts: int = Field(8, ge=1, le=50)


class SchedulerConfig(_Section):
    """How quickly another replica takes the scheduler over when the leader dies (PostgreSQL).

    A standby tries the leader lock every ``leader_retry_seconds``; the leader checks its lock's
    connection every ``leader_heartbeat_seconds``. A dead leader's lock goes with its connection
    at once when the process dies, or when PostgreSQL notices the connection is gone (its TCP
    keepalive settings) when the machine does: takeover comes within one retry after that."""

    leader_retry_seconds: float = Field(15, ge=0.5, le=3600)
    leader_heartbeat_seconds: float = Field(10, ge=0.5, le=3600)


class FsmConfig(_Section):
    """Where wizards keep their state between steps. ``db`` (the default): the bot's own
    database, in each update's transaction. ``redis``: a Redis server shared by the replicas,
    written after each update's commit (bot.runtime.redis_fsm); keys start with ``key_prefix``,
    so several bots can share one Redis database."""

    storage: Literal["db", "redis"] = "db"
    redis_url: str | None = None
    key_prefix: str = Field("alliance", min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    # A form left half-way in Redis is dropped this long after its last step (a /refer draft
    # holds a customer's contact; the database storage purges those after a day too).
    state_ttl_hours: float = Field(24, gt=0, le=24 * 30)

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^(rediss?|unix)://\S+$", value):
            raise ValueError("must be a redis://, rediss:// or unix:// URL "
                             "such as redis://127.0.0.1:6379/0")
        return value


class Config(_Section):
    telegram: TelegramConfig = Field(default_factory=TelegramConfig)
    webhook: WebhookConfig = Field(default_factory=WebhookConfig)
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    defaults: DefaultsConfig = Field(default_factory=DefaultsConfig)
    outbox: OutboxConfig = Field(default_factory=OutboxConfig)
    scheduler: SchedulerConfig = Field(default_factory=SchedulerConfig)
    fsm: FsmConfig = Field(default_factory=FsmConfig)

    def require_runnable(self) -> None:
        """Checks that only matter when the bot is really started."""
        if not self.telegram.token:
            raise ConfigError(
                f"telegram.token: is required (set it in the file or in {ENV_TOKEN})"
            )
        if self.telegram.mode == "webhook":
            if not self.webhook.base_url:
                raise ConfigError("webhook.base_url: is required when telegram.mode = \"webhook\"")
            if not self.webhook.secret_token:
                raise ConfigError(
                    "webhook.secret_token: is required when telegram.mode = \"webhook\" "
                    "(it is how the bot knows a request comes from Telegram)"
                )


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    key = ".".join(str(part) for part in first["loc"]) or "(top level)"
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "is not a known key"
    message = message.removeprefix("Value error, ")
    return f"{key}: {message}"


def parse_config(data: dict, environ: dict[str, str] | None = None) -> Config:
    env = os.environ if environ is None else environ
    data = {section: dict(values) if isinstance(values, dict) else values
            for section, values in data.items()}
    if env.get(ENV_TOKEN):
        data.setdefault("telegram", {})["token"] = env[ENV_TOKEN]
    if env.get(ENV_DATABASE_URL):
        data.setdefault("database", {})["url"] = env[ENV_DATABASE_URL]
    if env.get(ENV_REDIS_URL):
        data.setdefault("fsm", {})["redis_url"] = env[ENV_REDIS_URL]
    try:
        config = Config.model_validate(data)
    except ValidationError as error:
        raise ConfigError(_describe(error)) from None
    if config.fsm.storage == "redis" and not config.fsm.redis_url:
        raise ConfigError(
            f'fsm.redis_url: is required when fsm.storage = "redis" (such as '
            f"redis://127.0.0.1:6379/0; or set {ENV_REDIS_URL})")
    return config


def load_config(path: str | Path | None, environ: dict[str, str] | None = None) -> Config:
    """Read the file (optional: defaults + environment also make a config)."""
    data: dict = {}
    if path is not None:
        file = Path(path)
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{file}: no such file") from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{file}: not valid TOML: {error}") from None
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"{file}: cannot be read: {error}") from None
    return parse_config(data, environ)

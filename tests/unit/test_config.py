from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config, parse_config

GOOD = """
[telegram]
token = "123456:ABCdefGHIjklMNOpqr_stu-VWX"
mode = "polling"

[database]
url = "sqlite+aiosqlite:///x.db"

[defaults]
locale = "zh_Hant"
timezone = "Asia/Taipei"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD), environ={})
    config.require_runnable()
    assert config.defaults.locale == "zh_Hant"
    assert config.telegram.api_base == "https://api.telegram.org"


def test_example_config_is_valid() -> None:
    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    config = load_config(example, environ={})
    assert config.telegram.mode in ("polling", "webhook")
    assert config.outbox.menus_per_second == 10


def test_environment_overrides_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD), environ={
        "ALLIANCE_BOT_TOKEN": "999:zzzzzzzzzz",
        "ALLIANCE_DATABASE_URL": "postgresql+asyncpg://u@h/db"})
    assert config.telegram.token == "999:zzzzzzzzzz"
    assert config.database.url == "postgresql+asyncpg://u@h/db"


@pytest.mark.parametrize(("text", "expected"), [
    ('[telegram]\nmode = "push"\n', "telegram.mode: Input should be 'polling' or 'webhook'"),
    ('[telegram]\ntoken = "nonsense"\n', "telegram.token: does not look like a bot token"),
    ('[defaults]\ntimezone = "Mars/Olympus"\n', "defaults.timezone: is not an IANA time zone"),
    ('[defaults]\nlocale = "fr"\n', "defaults.locale: must be one of en, zh_Hans, zh_Hant"),
    ('[database]\nurl = "mysql://x"\n', "database.url: must start with sqlite+aiosqlite://"),
    ('[webhook]\nlisten_port = 70000\n', "webhook.listen_port: Input should be less than or equal"),
    ('[scheduler]\nleader_retry_seconds = 0\n',
     "scheduler.leader_retry_seconds: Input should be greater than or equal to 0.5"),
    ('[outbox]\nmenus_per_second = 0\n',
     "outbox.menus_per_second: Input should be greater than 0"),
    ('[telegram]\ntokn = "1:abcdef"\n', "telegram.tokn: is not a known key"),
    ('[fsm]\nstorage = "memcached"\n', "fsm.storage: Input should be 'db' or 'redis'"),
    ('[fsm]\nstorage = "redis"\n', 'fsm.redis_url: is required when fsm.storage = "redis"'),
    ('[fsm]\nstorage = "redis"\nredis_url = "127.0.0.1:6379"\n',
     "fsm.redis_url: must be a redis://, rediss:// or unix:// URL"),
    ('[fsm]\nstate_ttl_hours = 0\n', "fsm.state_ttl_hours: Input should be greater than 0"),
    ('[fsm]\nkey_prefix = "a b"\n', "fsm.key_prefix: String should match pattern"),
    ("[telegram\n", "not valid TOML"),
])
def test_bad_values_name_the_key(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), environ={})
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_fsm_storage_in_redis(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, GOOD), environ={}).fsm.storage == "db"  # the default
    config = load_config(write(tmp_path, GOOD + '[fsm]\nstorage = "redis"\n'
                               'redis_url = "redis://127.0.0.1:6379/0"\nkey_prefix = "bot-2"\n'),
                         environ={})
    assert (config.fsm.storage, config.fsm.redis_url, config.fsm.key_prefix) == (
        "redis", "redis://127.0.0.1:6379/0", "bot-2")
    assert config.fsm.state_ttl_hours == 24
    from_env = load_config(write(tmp_path, GOOD + '[fsm]\nstorage = "redis"\n'),
                           environ={"ALLIANCE_REDIS_URL": "rediss://:secret@cache:6380/1"})
    assert from_env.fsm.redis_url == "rediss://:secret@cache:6380/1"
    assert from_env.fsm.key_prefix == "alliance"


def test_missing_token_and_webhook_settings() -> None:
    with pytest.raises(ConfigError, match=r"telegram\.token: is required"):
        parse_config({}, environ={}).require_runnable()
    webhook = parse_config({"telegram": {"token": "1234:abcdefgh", "mode": "webhook"}}, environ={})
    with pytest.raises(ConfigError, match=r"webhook\.base_url: is required"):
        webhook.require_runnable()
    webhook = parse_config({"telegram": {"token": "1234:abcdefgh", "mode": "webhook"},
                            "webhook": {"base_url": "https://bot.example.org"}}, environ={})
    with pytest.raises(ConfigError, match=r"webhook\.secret_token: is required"):
        webhook.require_runnable()


@pytest.mark.parametrize("command", ["check-config", "run"])
def test_cli_prints_one_line_and_no_traceback(tmp_path: Path, command: str) -> None:
    path = write(tmp_path, '[telegram]\ntoken = "123456:ABCdefGHIjkl"\nmode = "carrier-pigeon"\n')
    result = subprocess.run([sys.executable, "-m", "bot", command, "--config", str(path)],
                            capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "config error: telegram.mode: Input should be 'polling' or 'webhook'"]


def test_cli_check_config_ok(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "bot", "check-config", "--config",
                             str(write(tmp_path, GOOD))], capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("config ok")

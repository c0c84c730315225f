"""`alliance-bot run | demo | migrate | check-config` (also `python -m bot`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.config import ConfigError, load_config


def _demo_language(value: str) -> str:
    """zh_Hant as we spell it, or a BCP 47 tag as Telegram does (zh-hant, zh-Hant, zh-TW)."""
    from bot.i18n import resolve_locale

    tag = value.strip().lower().replace("_", "-")
    if not (tag in ("en", "zh", "yue") or tag.startswith(("en-", "zh-", "yue-"))):
        raise argparse.ArgumentTypeError(f"{value!r}: use en, zh_Hans or zh_Hant (or zh-hant, zh-TW…)")
    return resolve_locale(tag, fallback="en")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="alliance-bot",
                                     description="Telegram bot for small business alliances.")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (("run", "run the bot (migrates the database first)"),
                       ("migrate", "bring the database to the latest schema"),
                       ("check-config", "validate the configuration and exit")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--config", "-c", default=None,
                         help="TOML file (default: none; environment variables still apply)")
    demo = commands.add_parser("demo", help="play a story against the built-in emulator")
    demo.add_argument("--lang", default="en", type=_demo_language,
                      help="language of the simulated people: en, zh_Hans or zh_Hant "
                           "(zh-hans, zh-Hant, zh-TW… accepted)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "demo":
        from bot.demo import play

        return asyncio.run(play(args.lang))
    try:
        config = load_config(args.config)
        if args.command in ("run", "check-config"):
            config.require_runnable()
    except ConfigError as error:
        print(f"config error: {error}", file=sys.stderr)
        return 2
    if args.command == "check-config":
        print(f"config ok: mode {config.telegram.mode}, database "
              f"{config.database.url.split('://')[0]}")
        return 0
    from bot.logging_setup import configure

    configure(logging.INFO, config.telegram.token, config.webhook.secret_token)
    if args.command == "migrate":
        from storage.migrate import upgrade

        before, after = asyncio.run(upgrade(config.database.url))
        print(f"database at {after} (was {before or 'empty'})")
        return 0
    from bot.runtime.app import run

    try:
        asyncio.run(run(config))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

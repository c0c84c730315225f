"""aiogram imported through bot/lazy_schemas.py: its types completed on first use, and what
they accept and produce the same as when aiogram builds them all at import."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHECK = textwrap.dedent("""
    import json
    import bot  # first, as `alliance-bot run` imports it: aiogram comes in deferred
    from pydantic import BaseModel
    from aiogram import methods, types
    from aiogram.methods.base import Response

    models = [model for module in (types, methods) for model in vars(module).values()
              if isinstance(model, type) and issubclass(model, BaseModel)
              and model.__module__.startswith("aiogram.")]
    waiting = sum(not model.__pydantic_complete__ for model in models)
    update = types.Update.model_validate({"update_id": 7, "message": {
        "message_id": 1, "date": 0, "chat": {"id": -5, "type": "supergroup", "title": "T"},
        "from": {"id": 2, "is_bot": False, "first_name": "Mei"}, "text": "/ledger",
        "reply_to_message": {"message_id": 0, "date": 0, "chat": {"id": -5, "type": "group"}}}})
    sent = Response[types.Message].model_validate({"ok": True, "result": {
        "message_id": 3, "date": 0, "chat": {"id": 2, "type": "private"}, "text": "hi",
        "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "b"}]]}}})
    request = methods.SendMessage(chat_id=2, text="hi", reply_markup=types.InlineKeyboardMarkup(
        inline_keyboard=[[types.InlineKeyboardButton(text="a", callback_data="b")]]))
    for model in models:  # every one of them can still be completed, wherever first used
        model.__pydantic_validator__.validate_python
    print(json.dumps({
        "waiting": waiting, "models": len(models),
        "incomplete_after": sum(not model.__pydantic_complete__ for model in models),
        "update": update.model_dump(mode="json", exclude_none=True),
        "sent": sent.model_dump(mode="json", exclude_none=True),
        "request": repr(request.model_dump(exclude_none=True))}))
""")


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout


def test_deferred_types_validate_as_eagerly_built_ones() -> None:
    import json

    lazy = json.loads(_run(CHECK))
    eager = json.loads(_run("import aiogram\n" + CHECK))  # aiogram first: built as usual
    assert lazy["waiting"] > 300, "aiogram's types were built at import after all"
    assert eager["waiting"] == 0
    assert lazy["incomplete_after"] == eager["incomplete_after"] == 0
    assert lazy["models"] == eager["models"]
    for key in ("update", "sent", "request"):
        assert lazy[key] == eager[key]
    assert lazy["update"]["message"]["from_user"]["first_name"] == "Mei"


def test_what_every_update_needs_is_built_before_the_first() -> None:
    """A started bot has built Update and its replies' models: the first burst after a start
    does not wait while they are built (AllianceApp.build_validators)."""
    out = _run(textwrap.dedent("""
        import bot
        from aiogram.methods import SendMessage
        from aiogram.types import Update
        from bot.config import parse_config
        from bot.runtime.app import AllianceApp

        before = Update.__pydantic_complete__, SendMessage.__pydantic_complete__
        app = AllianceApp(parse_config({"telegram": {"token": "7000002:BENCH-alliance-bot-token"},
                                        "database": {"url": "sqlite+aiosqlite://"}}, environ={}))
        app.build_validators()
        kept = app.response_models._kept
        print(before, (Update.__pydantic_complete__, SendMessage.__pydantic_complete__),
              all(model.__pydantic_complete__ for model in kept.values()), len(kept))
    """))
    assert out.split() == ["(False,", "False)", "(True,", "True)", "True", "4"], out

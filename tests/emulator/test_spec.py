"""The project's copy of the Bot API spec: current, faithful, and only ever extended."""

from __future__ import annotations

import json

import pytest

from bot.emulator import trim_spec
from bot.emulator.spec import OVERLAY_FILE, SPEC_FILE, UnionSpec, load_spec


def test_copy_matches_the_shared_spec() -> None:
    if not trim_spec.DEFAULT_SOURCE.exists():
        pytest.skip(f"{trim_spec.DEFAULT_SOURCE} is not available in this checkout")
    source = json.loads(trim_spec.DEFAULT_SOURCE.read_text(encoding="utf-8"))
    expected = trim_spec.dump(trim_spec.trim(source))
    assert SPEC_FILE.read_text(encoding="utf-8") == expected, (
        "botapi.json is stale: run python -m bot.emulator.trim_spec"
    )


def test_overlay_only_adds_optional_fields() -> None:
    overlay = json.loads(OVERLAY_FILE.read_text(encoding="utf-8"))
    base = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
    for section in ("methods", "types"):
        for name, body in overlay[section].items():
            for field, entry in body["fields"].items():
                assert field not in base[section][name]["fields"], f"{name}.{field} exists"
                assert entry["required"] is False, f"{name}.{field} must be optional"
                assert entry["seen"], f"{name}.{field} must say why it is there"


def test_spec_compiles_unions_with_their_discriminators() -> None:
    spec = load_spec()
    assert spec.version == "Bot API 10.1"
    assert spec.methods_lower["sendmessage"] is spec.methods["sendMessage"]
    scope = spec.types["BotCommandScope"]
    assert isinstance(scope, UnionSpec) and scope.by_const is not None
    assert scope.by_const[1]["chat_member"] == "BotCommandScopeChatMember"
    member = spec.types["ChatMember"]
    assert isinstance(member, UnionSpec) and member.by_const is not None
    assert member.by_const[0] == "status"
    assert load_spec() is spec  # parsed once per process

"""Regenerate ``botapi.json`` from the published machine-readable Bot API spec.

The full spec carries prose descriptions the emulator never reads; keeping only names, types,
required flags and discriminator constants makes the project's copy small, reviewable in a diff,
and fast to load. Run it when the shared spec moves to a newer Bot API version::

    python -m bot.emulator.trim_spec [path/to/api.json]

Fields that aiogram sends but the spec file does not list go in ``botapi_overlay.json``, never
here: this file must stay a faithful projection of the published spec.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parents[2] / "shared" / "telegram-bot-api" / "api.json"
TARGET = HERE / "botapi.json"

# Subtypes of a union are told apart by a constant in one field ("status": "creator",
# "type": "default"); the spec states it only in prose, so it is extracted here once.
_DISCRIMINATOR_FIELDS = frozenset({"type", "status", "source"})
_CONST = re.compile(r'(?:always|must be) [“"]?([a-z0-9_]+)[”"]?\s*$')


def _const_of(field: dict[str, Any]) -> str | None:
    if field["name"] not in _DISCRIMINATOR_FIELDS or field["types"] != ["String"]:
        return None
    match = _CONST.search(" ".join(field.get("description", "").split()))
    return match.group(1) if match else None


def _trim_fields(fields: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for field in fields:
        entry: dict[str, Any] = {"types": field["types"], "required": bool(field["required"])}
        const = _const_of(field)
        if const is not None:
            entry["const"] = const
        out[field["name"]] = entry
    return out


def trim(spec: dict[str, Any]) -> dict[str, Any]:
    """Project the full spec onto what validation needs."""
    methods = {
        name: {"fields": _trim_fields(method.get("fields", [])), "returns": method["returns"]}
        for name, method in spec["methods"].items()
    }
    types: dict[str, Any] = {}
    for name, kind in spec["types"].items():
        if "subtypes" in kind:
            types[name] = {"subtypes": kind["subtypes"]}
        else:
            types[name] = {"fields": _trim_fields(kind.get("fields", []))}
    return {"version": spec["version"], "methods": methods, "types": types}


def dump(trimmed: dict[str, Any]) -> str:
    """One method or type per line: small diffs when the spec changes."""
    lines = ["{", f' "version": {json.dumps(trimmed["version"])},']
    for section in ("methods", "types"):
        lines.append(f' "{section}": {{')
        items = list(trimmed[section].items())
        for index, (name, body) in enumerate(items):
            comma = "," if index < len(items) - 1 else ""
            lines.append(f"  {json.dumps(name)}: {json.dumps(body, ensure_ascii=False)}{comma}")
        lines.append(" }," if section == "methods" else " }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else DEFAULT_SOURCE
    spec = json.loads(source.read_text(encoding="utf-8"))
    TARGET.write_text(dump(trim(spec)), encoding="utf-8")
    print(f"wrote {TARGET} ({spec['version']}) from {source}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

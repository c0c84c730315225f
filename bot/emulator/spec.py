"""The Bot API spec, loaded once and compiled into lookup tables.

Validation runs on every request, including benchmarks doing hundreds of calls a second, so
type strings such as ``"Array of Array of InlineKeyboardButton"`` are parsed here, once, into
small tuples instead of on each request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SPEC_FILE = HERE / "botapi.json"
OVERLAY_FILE = HERE / "botapi_overlay.json"

PRIMITIVES = frozenset({"Integer", "String", "Boolean", "Float", "InputFile"})

# A type reference: a name ("Integer", "Message") or ("[]", inner) for "Array of inner".
TypeRef = str | tuple[str, "TypeRef"]


def parse_type(text: str) -> TypeRef:
    """``"Array of Array of X"`` → ``("[]", ("[]", "X"))``."""
    if text.startswith("Array of "):
        return ("[]", parse_type(text[len("Array of ") :]))
    return text


def describe(ref: TypeRef) -> str:
    """The spec's own spelling of a type, for error messages."""
    if isinstance(ref, tuple):
        return f"Array of {describe(ref[1])}"
    return ref


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    refs: tuple[TypeRef, ...]
    required: bool
    const: str | None = None

    @property
    def needs_json(self) -> bool:
        """Whether a form-encoded value of this field is a JSON string."""
        return any(isinstance(ref, tuple) or ref not in PRIMITIVES for ref in self.refs)


@dataclass(frozen=True, slots=True)
class ObjectSpec:
    name: str
    fields: dict[str, FieldSpec]
    required: frozenset[str]
    discriminator: tuple[str, str] | None  # (field name, constant) for union members


@dataclass(frozen=True, slots=True)
class UnionSpec:
    name: str
    members: tuple[TypeRef, ...]
    # field name → constant → member, when every object member has a constant in that field
    by_const: tuple[str, dict[str, str]] | None


@dataclass(frozen=True, slots=True)
class MethodSpec:
    name: str
    fields: dict[str, FieldSpec]
    required: tuple[str, ...]
    returns: tuple[TypeRef, ...]


@dataclass(frozen=True, slots=True)
class Spec:
    version: str
    methods: dict[str, MethodSpec]
    types: dict[str, ObjectSpec | UnionSpec]
    # Telegram matches method names case-insensitively.
    methods_lower: dict[str, MethodSpec]


def _field(name: str, body: dict[str, Any]) -> FieldSpec:
    return FieldSpec(
        name=name,
        refs=tuple(parse_type(t) for t in body["types"]),
        required=bool(body["required"]),
        const=body.get("const"),
    )


def _merge_overlay(data: dict[str, Any], overlay: dict[str, Any]) -> None:
    for section in ("methods", "types"):
        for name, body in overlay.get(section, {}).items():
            target = data[section].get(name)
            if target is None:
                raise ValueError(f"overlay adds to unknown {section[:-1]} {name}")
            for field, spec in body.get("fields", {}).items():
                if field in target["fields"]:
                    raise ValueError(f"overlay redefines {name}.{field}, which the spec defines")
                target["fields"][field] = {"types": spec["types"], "required": spec["required"]}


def _compile_union(name: str, members: list[str], raw_types: dict[str, Any]) -> UnionSpec:
    refs = tuple(parse_type(m) for m in members)
    consts: dict[str, str] = {}
    field_name: str | None = None
    for member in members:
        fields = raw_types.get(member, {}).get("fields")
        if not fields:
            return UnionSpec(name, refs, None)
        found = [(f, b["const"]) for f, b in fields.items() if "const" in b]
        if len(found) != 1 or (field_name is not None and found[0][0] != field_name):
            return UnionSpec(name, refs, None)
        field_name = found[0][0]
        consts[found[0][1]] = member
    if field_name is None or len(consts) != len(members):
        return UnionSpec(name, refs, None)
    return UnionSpec(name, refs, (field_name, consts))


def compile_spec(data: dict[str, Any]) -> Spec:
    types: dict[str, ObjectSpec | UnionSpec] = {}
    for name, body in data["types"].items():
        if "subtypes" in body:
            types[name] = _compile_union(name, body["subtypes"], data["types"])
            continue
        fields = {f: _field(f, b) for f, b in body.get("fields", {}).items()}
        consts = [(f.name, f.const) for f in fields.values() if f.const is not None]
        types[name] = ObjectSpec(
            name=name,
            fields=fields,
            required=frozenset(f.name for f in fields.values() if f.required),
            discriminator=consts[0] if len(consts) == 1 else None,  # type: ignore[arg-type]
        )
    methods = {}
    for name, body in data["methods"].items():
        fields = {f: _field(f, b) for f, b in body["fields"].items()}
        methods[name] = MethodSpec(
            name=name,
            fields=fields,
            required=tuple(f.name for f in fields.values() if f.required),
            returns=tuple(parse_type(t) for t in body["returns"]),
        )
    return Spec(
        version=data["version"],
        methods=methods,
        types=types,
        methods_lower={n.lower(): m for n, m in methods.items()},
    )


@cache
def load_spec() -> Spec:
    """The project's spec copy plus the aiogram overlay, compiled; shared by every emulator."""
    data = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
    overlay = json.loads(OVERLAY_FILE.read_text(encoding="utf-8"))
    _merge_overlay(data, overlay)
    return compile_spec(data)

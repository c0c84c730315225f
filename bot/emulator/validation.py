"""Check request parameters against the spec the way the Bot API server decodes them.

aiogram sends every parameter as a string: numbers as digits, booleans as ``true``/``false``,
nested objects and arrays as JSON text inside a form field, files as multipart parts referenced
by ``attach://<part>``. This module turns that back into typed values and rejects anything the
spec does not allow — unknown fields included, at every depth — so a typo in a bot's keyboard
fails in a test instead of being silently ignored in production.

The same checker, in strict mode, verifies the emulator's own answers (``check_results``), so
what aiogram parses is known to be spec-shaped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ApiError, bad_request
from .spec import FieldSpec, MethodSpec, ObjectSpec, Spec, TypeRef, UnionSpec, describe

_INT = re.compile(r"[+-]?\d{1,20}")
_BOOLS = {"true": True, "false": False, "True": True, "False": False, "1": True, "0": False}
_MISSING: Any = object()
_BAD_JSON: Any = object()


@dataclass(slots=True)
class UploadedFile:
    """A file part of a multipart request, kept in memory (bots send small files)."""

    filename: str
    content_type: str
    data: bytes


class Invalid(Exception):
    """A value that does not fit its type; ``path`` points inside the JSON value."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(problem)
        self.path = path
        self.problem = problem

    @property
    def depth(self) -> int:
        return self.path.count(".") + self.path.count("[") + (1 if self.path else 0)

    def __str__(self) -> str:
        return f'field "{self.path}" {self.problem}' if self.path else f"value {self.problem}"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _names(refs: tuple[TypeRef, ...]) -> str:
    return " or ".join(describe(r) for r in refs)


def check_value(spec: Spec, value: Any, ref: TypeRef, path: str, strict: bool = False) -> Any:
    """Return ``value`` normalised to ``ref`` or raise :class:`Invalid`.

    Outside strict mode digits are accepted for Integer inside JSON, as the Bot API server
    does (aiogram serialises nested datetimes that way).
    """
    if isinstance(ref, tuple):
        if not isinstance(value, list):
            raise Invalid(path, f"must be {describe(ref)}")
        inner = ref[1]
        for index, item in enumerate(value):
            checked = check_value(spec, item, inner, f"{path}[{index}]", strict)
            if checked is not item:
                value[index] = checked
        return value
    if ref == "String":
        if isinstance(value, str):
            return value
        raise Invalid(path, "must be String")
    if ref == "Integer":
        if type(value) is int:
            return value
        if not strict and isinstance(value, str) and _INT.fullmatch(value):
            return int(value)
        raise Invalid(path, "must be Integer")
    if ref == "Boolean":
        if isinstance(value, bool):
            return value
        raise Invalid(path, "must be Boolean")
    if ref == "Float":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        raise Invalid(path, "must be Float")
    if ref == "InputFile":
        if isinstance(value, str):
            return value
        raise Invalid(path, "must be InputFile")
    kind = spec.types.get(ref)
    if kind is None:
        raise Invalid(path, f"has a type the spec does not define: {ref}")
    if isinstance(kind, ObjectSpec):
        return _check_object(spec, value, kind, path, strict)
    return _check_union(spec, value, kind, path, strict)


def _check_object(spec: Spec, value: Any, kind: ObjectSpec, path: str, strict: bool) -> Any:
    if not isinstance(value, dict):
        raise Invalid(path, f"must be an object of type {kind.name}")
    fields = kind.fields
    for key in list(value):
        field = fields.get(key)
        sub = _join(path, key)
        if field is None:
            raise Invalid(sub, f"is not a field of {kind.name}")
        item = value[key]
        if item is None:
            if strict or field.required:
                raise Invalid(sub, "must not be null")
            del value[key]
            continue
        if field.const is not None and item != field.const:
            raise Invalid(sub, f'must be "{field.const}" in {kind.name}')
        if len(field.refs) == 1:
            checked = check_value(spec, item, field.refs[0], sub, strict)
        else:
            checked = check_alternatives(spec, item, field.refs, sub, strict)
        if checked is not item:
            value[key] = checked
    if not kind.required.issubset(value):
        missing = sorted(kind.required.difference(value))[0]
        raise Invalid(_join(path, missing), f"is required in {kind.name}")
    return value


def _check_union(spec: Spec, value: Any, kind: UnionSpec, path: str, strict: bool) -> Any:
    if kind.by_const is None:
        return check_alternatives(spec, value, kind.members, path, strict)
    if not isinstance(value, dict):
        raise Invalid(path, f"must be an object of type {kind.name}")
    field, members = kind.by_const
    member = members.get(value.get(field))  # type: ignore[arg-type]
    if member is None:
        allowed = ", ".join(f'"{c}"' for c in members)
        raise Invalid(_join(path, field), f"must be one of {allowed} for {kind.name}")
    return check_value(spec, value, member, path, strict)


def _likely_first(spec: Spec, value: Any, refs: tuple[TypeRef, ...]) -> list[TypeRef]:
    """Try the object types whose required fields are all present first (cheap dispatch)."""
    if not isinstance(value, dict) or len(refs) < 2:
        return list(refs)

    def fits(ref: TypeRef) -> bool:
        kind = spec.types.get(ref) if isinstance(ref, str) else None
        return isinstance(kind, ObjectSpec) and kind.required.issubset(value)

    return sorted(refs, key=lambda r: not fits(r))


def check_alternatives(
    spec: Spec, value: Any, refs: tuple[TypeRef, ...], path: str, strict: bool = False
) -> Any:
    errors: list[Invalid] = []
    for ref in _likely_first(spec, value, refs):
        try:
            return check_value(spec, value, ref, path, strict)
        except Invalid as error:
            errors.append(error)
    deepest = max(errors, key=lambda e: e.depth)
    if deepest.depth == (1 if path else 0) and deepest.path == path:
        raise Invalid(path, f"must be {_names(refs)}")
    raise deepest


def _missing_message(method: str, name: str) -> str:
    if name == "text" and method in ("sendMessage", "editMessageText"):
        return "message text is empty"
    return f'parameter "{name}" is required'


def _attachment(name: str, value: str, raw: Mapping[str, Any]) -> UploadedFile:
    part = raw.get(value[len("attach://") :])
    if not isinstance(part, UploadedFile):
        raise bad_request(f'parameter "{name}" refers to a missing file attachment "{value}"')
    return part


def _coerce_string(spec: Spec, field: FieldSpec, value: str, raw: Mapping[str, Any]) -> Any:
    parsed = _MISSING
    errors: list[Invalid] = []
    for ref in field.refs:
        if ref == "String":
            return value
        if ref == "Integer":
            if _INT.fullmatch(value):
                return int(value)
        elif ref == "Boolean":
            if value in _BOOLS:
                return _BOOLS[value]
        elif ref == "Float":
            try:
                return float(value)
            except ValueError:
                pass
        elif ref == "InputFile":
            if value.startswith("attach://"):
                return _attachment(field.name, value, raw)
        else:
            if parsed is _MISSING:
                try:
                    parsed = json.loads(value)
                except ValueError:
                    parsed = _BAD_JSON
            if parsed is _BAD_JSON:
                continue
            try:
                return check_value(spec, parsed, ref, "")
            except Invalid as error:
                errors.append(error)
    if errors:
        raise bad_request(f"can't parse {field.name}: {max(errors, key=lambda e: e.depth)}")
    if parsed is _BAD_JSON:
        raise bad_request(f"can't parse {field.name} JSON object")
    raise bad_request(f'parameter "{field.name}" must be {_names(field.refs)}')


def coerce_param(spec: Spec, field: FieldSpec, value: Any, raw: Mapping[str, Any]) -> Any:
    """One top-level parameter: a form string, a file part, or a value from a JSON body."""
    if isinstance(value, UploadedFile):
        if "InputFile" in field.refs:
            return value
        raise bad_request(f'parameter "{field.name}" must be {_names(field.refs)}, not a file')
    if isinstance(value, str):
        return _coerce_string(spec, field, value, raw)
    # A JSON body: values arrive typed already.
    try:
        return check_alternatives(spec, value, field.refs, "")
    except Invalid as error:
        if isinstance(value, (dict, list)):
            raise bad_request(f"can't parse {field.name}: {error}") from None
        raise bad_request(f'parameter "{field.name}" must be {_names(field.refs)}') from None


def validate_request(spec: Spec, method: MethodSpec, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Typed parameters of one request, or :class:`ApiError` 400 like Telegram's."""
    params: dict[str, Any] = {}
    fields = method.fields
    for name, value in raw.items():
        field = fields.get(name)
        if field is None:
            if isinstance(value, UploadedFile):
                continue  # a part referenced as attach://name
            raise bad_request(f'unknown parameter "{name}" for method {method.name}')
        if value is None:
            continue
        params[name] = coerce_param(spec, field, value, raw)
    for name in method.required:
        if name not in params:
            raise bad_request(_missing_message(method.name, name))
    return params


def check_result(spec: Spec, method: MethodSpec, result: Any) -> None:
    """Raise :class:`ApiError` 500 if the emulator itself answered off-spec."""
    try:
        check_alternatives(spec, result, method.returns, "", strict=True)
    except Invalid as error:
        raise ApiError(
            500, f"Internal Server Error: emulator answered {method.name} off-spec: {error}"
        ) from None

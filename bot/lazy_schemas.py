"""aiogram's Telegram types validated as before, their validators built on first use.

Importing aiogram rebuilds every one of its ~460 types at once (aiogram/types/__init__.py calls
``model_rebuild`` on each to resolve their forward references), and pydantic-core then holds a
validator and a serializer per type, each with the whole tree of types it reaches inlined: about
105 MB of an idle bot's RSS and most of its start-up CPU, for types it will never see (passport
data, gifts, stories, business accounts…). Here the rebuild loop only records the namespace it
would have resolved the references in; a type is completed on first use (pydantic's own lazy
path for a model not yet complete) in that same namespace, so what it accepts and produces is
unchanged, only built later. The handful a bot uses (Update, Message, User, Chat…) cost a few MB.

If aiogram was imported before this ran (a test importing it first, say) nothing changes.
"""

from __future__ import annotations

import sys
from typing import Any

from pydantic import BaseModel


def build_now(*models: type[BaseModel]) -> None:
    """Build these types' validators now: the ones every update needs, before the first update
    rather than while it waits (a burst after a start would pay for them)."""
    for model in models:
        if not model.__pydantic_complete__:
            model.model_rebuild()


def defer_aiogram_schemas() -> None:
    """Import aiogram with its types' validators left to be built on first use."""
    if "aiogram" in sys.modules:
        return
    original = BaseModel.__dict__["model_rebuild"].__func__
    namespace: dict[str, Any] = {}

    def deferred(cls: type[BaseModel], *, force: bool = False, raise_errors: bool = True,
                 _parent_namespace_depth: int = 2,
                 _types_namespace: dict[str, Any] | None = None) -> bool | None:
        """During aiogram's import: its types' rebuild loop only leaves the namespace."""
        if (_types_namespace is not None and not force and not cls.__pydantic_complete__
                and cls.__module__.startswith("aiogram.types.")):
            namespace.update(_types_namespace)
            return None
        return original(cls, force=force, raise_errors=raise_errors,  # type: ignore[no-any-return]
                        _parent_namespace_depth=_parent_namespace_depth + 1,
                        _types_namespace=_types_namespace)

    def on_use(cls: type[BaseModel], *, force: bool = False, raise_errors: bool = True,
               _parent_namespace_depth: int = 2,
               _types_namespace: dict[str, Any] | None = None) -> bool | None:
        """A type or method completed when first used, its references resolved among aiogram's
        types (not in the caller's frame: the first use may come from anywhere)."""
        return original(cls, force=force, raise_errors=raise_errors,  # type: ignore[no-any-return]
                        _parent_namespace_depth=0,
                        _types_namespace={**namespace, **(_types_namespace or {})})

    BaseModel.model_rebuild = classmethod(deferred)  # type: ignore[assignment,method-assign]
    try:
        import aiogram.methods.base
        import aiogram.types.base
    finally:
        BaseModel.model_rebuild = classmethod(original)  # type: ignore[assignment,method-assign]
    # the types, the methods, and a method's response (Response[Message]…) as first used
    for model in (aiogram.types.base.TelegramObject, aiogram.methods.base.TelegramMethod,
                  aiogram.methods.base.Response):
        model.model_rebuild = classmethod(on_use)  # type: ignore[assignment,method-assign]

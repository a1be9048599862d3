"""Guards shipped with the engine; domain apps register their own (e.g. all operations complete)."""

from __future__ import annotations

from typing import Any

from .registry import guard


@guard("has_description", "The record has a description.")
def has_description(obj: Any, actor: Any) -> str | None:
    return None if (getattr(obj, "description", "") or "").strip() else "Write a description first."


@guard("not_owner_acting_alone", "The actor is not the record's owner.")
def not_owner(obj: Any, actor: Any) -> str | None:
    return "The owner cannot do this themselves." if getattr(obj, "owner_id", None) == actor.pk else None

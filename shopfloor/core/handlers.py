"""In-process event handlers of core: tell a record's new owner that it was assigned to them.

Generic on purpose: every service that writes through `core.services.create_object` /
`update_object` emits `<app>.<model>.created` / `.updated` (with the changed fields and the
actor), so any model of any app with an `owner` foreign key to the user notifies its owner
without that app writing a handler. The model is looked up by label at run time, so core
never imports a higher app.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from . import events, notifications
from .models import OutboxEvent


def _owned_model(event_type: str) -> type[models.Model] | None:
    """The model an `<app>.<model>.<verb>` event is about, if it has an `owner` user."""
    parts = event_type.split(".")
    if len(parts) != 3:
        return None
    try:
        model = apps.get_model(parts[0], parts[1])
        field = model._meta.get_field("owner")
    except (LookupError, FieldDoesNotExist):
        return None
    if not (field.many_to_one and field.related_model is get_user_model()):
        return None
    return model


ASSIGNED = notifications.register_event_type("*.assigned", "A record was assigned to you")


def _notify_owner(model: type[models.Model], obj: models.Model | None, actor_id: Any) -> None:
    owner_id = getattr(obj, "owner_id", None)
    if obj is None or owner_id is None or owner_id == actor_id:
        return  # nobody to tell, or people assigning themselves know already
    actor = get_user_model()._default_manager.filter(pk=actor_id).first() if actor_id else None
    kind = str(model._meta.verbose_name)
    by = f"{actor.display_name} assigned" if actor is not None else "Assigned"
    notifications.notify(
        recipients=[owner_id],
        event_type=f"{model._meta.label_lower}.assigned",
        title=f"You were assigned {kind} {obj}",
        body=f"{by} {kind} {obj} to you.",
        obj=obj,
    )


@events.subscribe("*.created", name="core.notify_owner_of_new_record")
def notify_owner_of_new_record(event: OutboxEvent) -> None:
    model = _owned_model(event.event_type)
    if model is None:
        return
    obj = model._default_manager.filter(pk=event.payload.get("id")).first()
    # Services built on create_object name the actor; others leave it to created_by.
    actor_id = event.payload["actor"] if "actor" in event.payload else getattr(obj, "created_by_id", None)
    _notify_owner(model, obj, actor_id)


@events.subscribe("*.updated", name="core.notify_new_owner")
def notify_new_owner(event: OutboxEvent) -> None:
    if "owner" not in (event.payload.get("fields") or []):
        return
    model = _owned_model(event.event_type)
    if model is not None:
        obj = model._default_manager.filter(pk=event.payload.get("id")).first()
        _notify_owner(model, obj, event.payload.get("actor"))

"""The plant scope of planning reads: a member limited to some plants sees only their runs and
results; another plant's row is not found (404), like another organization's."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from shopfloor.core import access
from shopfloor.core.models import Plant

M = TypeVar("M", bound=Model)


def at_user_plants(queryset: QuerySet[M], user: Any, field: str = "plant") -> QuerySet[M]:
    """`queryset` limited to the plants `user` works at (`field` leads to the row's plant);
    unchanged for a member of every plant, empty for a user who is no member."""
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    plants = access.allowed_plant_ids(user)
    if plants is None:
        return queryset
    return queryset.filter(**{f"{field}__in": plants})


def plants_of(user: Any) -> QuerySet[Plant]:
    """The active plants `user` works at, by code."""
    return at_user_plants(Plant.objects.filter(is_active=True), user, "pk").order_by("code")

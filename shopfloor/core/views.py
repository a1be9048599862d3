"""Class-based web view bases every app uses: list, detail with history, service forms, actions.

They hold the plumbing only (permissions, tenancy, error translation, pagination); what a page
writes is always a service call made in `perform()`. Another organization's object is a 404:
the default managers are tenant-scoped, so a lookup through them cannot see it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import reduce
from operator import or_
from typing import Any

from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import models
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from . import access, audit, customfields, tenancy
from .errors import Conflict
from .forms import apply_validation_error

Column = tuple[str, str]  # (attribute path or callable name, heading)


def resolve(obj: Any, path: str) -> Any:
    """`obj.a.b` by a dotted path; `get_FOO_display` is used for fields with choices."""
    value = obj
    for part in path.split("."):
        if value is None:
            return None
        display = getattr(value, f"get_{part}_display", None)
        value = display() if callable(display) else getattr(value, part, None)
        if callable(value) and not isinstance(value, models.Manager):
            value = value()
    if isinstance(value, models.Manager):
        return ", ".join(str(v) for v in value.all())
    return value


class TenantViewMixin(access.PermissionRequiredMixin):
    """Logged in, in an organization, holding `permission_required`, seeing only their plants.

    A user with no organization in context (a new login with no membership, or a platform
    administrator who has not picked one) gets a page saying so instead of a tenant query error.

    `plant_field` is the lookup from the view's model to its plant (`"plant"`,
    `"work_order__plant"`, `"location__plant"`); when set, the list and the object lookups of the
    bases below keep to the plants the user's membership is limited to, so another plant's row
    is a 404 like another organization's. None: the model is not plant-bound.
    """

    requires_organization = True
    plant_field: str | None = None

    def at_user_plants(self, queryset: models.QuerySet) -> models.QuerySet:
        """`queryset` limited to the user's plants through `plant_field` (unchanged without one)."""
        if self.plant_field is None:
            return queryset
        return access.at_user_plants(queryset, self.request.user, self.plant_field)  # type: ignore[attr-defined]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and self.requires_organization and tenancy.current_organization() is None:
            return render(request, "core/no_organization.html", status=403)
        return super().dispatch(request, *args, **kwargs)


class ObjectListView(TenantViewMixin, ListView):
    """A searchable, filterable, paginated table of one model.

    `columns` name what the table shows; `search_fields` what `?q=` matches (icontains);
    `filters` the querystring parameters passed straight to `.filter()` as `name=value`
    (e.g. `{"active": "is_active"}`), with `filter_choices` for their select boxes.
    """

    template_name = "core/object_list.html"
    paginate_by = 25
    columns: Sequence[Column] = ()
    search_fields: Sequence[str] = ()
    filters: dict[str, str] = {}
    filter_choices: dict[str, Sequence[tuple[str, str]]] = {}
    title: str = ""
    create_url_name: str | None = None
    create_permission: str | None = None
    detail_url_name: str | None = None

    def get_permission_required(self) -> str | None:
        return self.permission_required or access.model_perm(self.model, "view")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        self.permission_required = self.get_permission_required()
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self) -> models.QuerySet:
        qs = self.at_user_plants(super().get_queryset())
        term = self.request.GET.get("q", "").strip()
        if term and self.search_fields:
            qs = qs.filter(reduce(or_, (Q(**{f"{name}__icontains": term}) for name in self.search_fields)))
        for param, lookup in self.filters.items():
            value = self.request.GET.get(param, "")
            if value in ("", None):
                continue
            if value in ("true", "false"):
                qs = qs.filter(**{lookup: value == "true"})
            else:
                qs = qs.filter(**{lookup: value})
        return qs

    def get_title(self) -> str:
        return self.title or str(self.model._meta.verbose_name_plural).capitalize()

    def row_url(self, obj: models.Model) -> str | None:
        if self.detail_url_name:
            return reverse(self.detail_url_name, args=[obj.pk])
        return None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["title"] = self.get_title()
        context["columns"] = [heading for _, heading in self.columns]
        context["rows"] = [
            {"object": obj, "url": self.row_url(obj), "cells": [resolve(obj, path) for path, _ in self.columns]}
            for obj in context["object_list"]
        ]
        context["q"] = self.request.GET.get("q", "")
        context["searchable"] = bool(self.search_fields)
        context["filter_widgets"] = [
            {
                "name": param,
                "choices": self.filter_choices.get(param, [("true", "Yes"), ("false", "No")]),
                "value": self.request.GET.get(param, ""),
                "label": param.replace("_", " ").capitalize(),
            }
            for param in self.filters
        ]
        create_perm = self.create_permission or access.model_perm(self.model, "add")
        if self.create_url_name and access.has_perm(self.request.user, create_perm):
            context["create_url"] = reverse(self.create_url_name)
        return context


def _shown(value: Any) -> Any:
    """An audited JSON value as a person reads it; None for 'nothing'."""
    if value in (None, "", [], {}):
        return None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_shown(v) if _shown(v) is not None else '—'}" for k, v in sorted(value.items()))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return value


def history_rows(obj: models.Model) -> list[dict[str, Any]]:
    """The audit events of an object as rows for the History tab: time, actor, action, changes."""
    rows = []
    for event in audit.history(obj)[:200]:
        changes = []
        for field, pair in sorted((event.changes or {}).items()):
            old, new = (pair[0], pair[1]) if isinstance(pair, list) and len(pair) == 2 else (None, pair)
            old, new = _shown(old), _shown(new)
            if old is None and new is None:
                continue  # a create lists every field; empty ones say nothing
            changes.append({"field": field.replace("_", " "), "old": old, "new": new})
        rows.append({"event": event, "changes": changes})
    return rows


class ObjectDetailView(TenantViewMixin, TemplateView):
    """One object: its fields, custom fields, and a History tab from the audit trail (`?tab=history`)."""

    model: type[models.Model]
    template_name = "core/object_detail.html"
    fields: Sequence[Column] = ()
    edit_url_name: str | None = None
    list_url_name: str | None = None
    tabs: Sequence[tuple[str, str]] = (("overview", "Overview"), ("history", "History"))

    def get_permission_required(self) -> str:
        return self.permission_required or access.model_perm(self.model, "view")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        self.permission_required = self.get_permission_required()
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self) -> models.QuerySet:
        return self.model._default_manager.all()

    def get_object(self) -> models.Model:
        if not hasattr(self, "_object"):
            self._object = get_object_or_404(self.at_user_plants(self.get_queryset()), pk=self.kwargs["pk"])
        return self._object

    def get_fields(self, obj: models.Model) -> list[dict[str, Any]]:
        fields = []
        for path, label in self.fields:
            fields.append({"label": label, "value": resolve(obj, path)})
        return fields

    def get_custom_fields(self, obj: models.Model) -> list[dict[str, Any]]:
        if not customfields.supports_custom_fields(type(obj)):
            return []
        values = getattr(obj, "custom_fields", None) or {}
        shown = []
        for definition in customfields.definitions_for(type(obj)):
            value = values.get(definition.key)
            if isinstance(value, list):
                value = ", ".join(str(v) for v in value)
            if isinstance(value, bool):
                value = "Yes" if value else "No"
            unit = f" {definition.unit}" if definition.unit and value not in (None, "") else ""
            shown.append({"label": definition.label, "value": value, "unit": unit})
        return shown

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        obj = self.get_object()
        tab = self.request.GET.get("tab", "overview")
        if tab not in {key for key, _ in self.tabs}:
            tab = "overview"
        context.update(
            object=obj,
            title=str(obj),
            tab=tab,
            tabs=self.tabs,
            model_name=str(self.model._meta.verbose_name).capitalize(),
            detail_fields=self.get_fields(obj),
            custom_field_values=self.get_custom_fields(obj),
        )
        if tab == "history":
            context["history"] = history_rows(obj)
        if self.list_url_name:
            context["list_url"] = reverse(self.list_url_name)
        if self.edit_url_name and access.has_perm(self.request.user, access.model_perm(self.model, "change")):
            context["edit_url"] = reverse(self.edit_url_name, args=[obj.pk])
        return context


def safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


class ServiceFormView(TenantViewMixin, FormView):
    """A form whose valid input goes to a service in `perform(form)`.

    ValidationError from the service lands on the form's fields (custom fields included) and
    the form is shown again with nothing written; Conflict becomes a message above the form;
    PermissionDenied propagates to the 403 page.
    """

    template_name = "core/object_form.html"
    title: str = ""
    success_message: str = ""
    cancel_url_name: str | None = None
    # Choice fields bound to a plant, by the lookup from a choice to its plant (`"pk"` for a
    # plant field itself): only the user's plants and theirs are offered. Another plant's would
    # be refused on saving anyway (services check the plant), so offering it only misleads.
    plant_choice_fields: dict[str, str] = {}

    def get_form(self, form_class: Any = None) -> Any:
        form = super().get_form(form_class)
        for name, path in self.plant_choice_fields.items():
            field = form.fields[name]
            field.queryset = access.at_user_plants(field.queryset, self.request.user, path)
        return form

    def perform(self, form: Any) -> Any:
        raise ImproperlyConfigured(f"{type(self).__name__} must implement perform(form).")

    def get_success_url(self) -> str:
        result = getattr(self, "result", None)
        if result is not None and hasattr(self, "result_url"):
            return self.result_url(result)
        return safe_next(self.request, self.request.path)

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            self.result = self.perform(form)
        except ValidationError as exc:
            apply_validation_error(form, exc)
            return self.form_invalid(form)
        except Conflict as exc:
            messages.error(self.request, exc.message)
            return self.form_invalid(form)
        if self.success_message:
            messages.success(self.request, self.success_message.format(object=self.result))
        return HttpResponseRedirect(self.get_success_url())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["title"] = self.title
        if self.cancel_url_name:
            context["cancel_url"] = reverse(self.cancel_url_name)
        return context


class ObjectCreateView(ServiceFormView):
    """Create: `permission_required` defaults to the model's add permission."""

    model: type[models.Model]
    detail_url_name: str | None = None
    service: Callable[..., Any] | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        self.permission_required = self.permission_required or access.model_perm(self.model, "add")
        return super().dispatch(request, *args, **kwargs)

    def perform(self, form: Any) -> Any:
        if self.service is None:
            raise ImproperlyConfigured(f"{type(self).__name__} needs `service` or perform().")
        return type(self).service(actor=self.request.user, data=form.service_data())  # type: ignore[misc]

    def result_url(self, obj: models.Model) -> str:
        if self.detail_url_name:
            return reverse(self.detail_url_name, args=[obj.pk])
        return safe_next(self.request, reverse(self.cancel_url_name) if self.cancel_url_name else "/")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["title"] = self.title or f"New {self.model._meta.verbose_name}"
        return context


class ObjectUpdateView(ServiceFormView):
    """Edit one object of the organization in context (404 for any other's)."""

    model: type[models.Model]
    detail_url_name: str | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        self.permission_required = self.permission_required or access.model_perm(self.model, "change")
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self) -> models.QuerySet:
        return self.model._default_manager.all()

    def get_object(self) -> models.Model:
        if not hasattr(self, "object"):
            self.object = get_object_or_404(self.at_user_plants(self.get_queryset()), pk=self.kwargs["pk"])
        return self.object

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.get_object()
        return kwargs

    def result_url(self, obj: models.Model) -> str:
        if self.detail_url_name:
            return reverse(self.detail_url_name, args=[obj.pk])
        return safe_next(self.request, reverse(self.cancel_url_name) if self.cancel_url_name else "/")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        obj = self.get_object()
        context["object"] = obj
        context["title"] = self.title or f"Edit {obj}"
        if self.detail_url_name:
            context["cancel_url"] = reverse(self.detail_url_name, args=[obj.pk])
        return context


class ObjectActionView(TenantViewMixin, View):
    """A button: POST only, calls `perform(obj)`, then back with a message.

    ValidationError and Conflict become error messages (nothing was written);
    PermissionDenied is a 403.
    """

    model: type[models.Model]
    success_message: str = "Done."
    success_url_name: str | None = None
    http_method_names = ["post"]

    def get_queryset(self) -> models.QuerySet:
        return self.model._default_manager.all()

    def get_object(self) -> models.Model:
        return get_object_or_404(self.at_user_plants(self.get_queryset()), pk=self.kwargs["pk"])

    def perform(self, obj: models.Model) -> Any:
        raise ImproperlyConfigured(f"{type(self).__name__} must implement perform(obj).")

    def get_success_url(self, obj: models.Model) -> str:
        default = reverse(self.success_url_name) if self.success_url_name else "/"
        return safe_next(self.request, default)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        obj = self.get_object()
        try:
            self.perform(obj)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except Conflict as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, self.success_message.format(object=obj))
        return HttpResponseRedirect(self.get_success_url(obj))


def field_label(model: type[models.Model], name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name).capitalize()
    except FieldDoesNotExist:
        return name.replace("_", " ").capitalize()


__all__ = [
    "ObjectActionView",
    "ObjectCreateView",
    "ObjectDetailView",
    "ObjectListView",
    "ObjectUpdateView",
    "PermissionDenied",
    "ServiceFormView",
    "TenantViewMixin",
    "field_label",
    "history_rows",
    "resolve",
]

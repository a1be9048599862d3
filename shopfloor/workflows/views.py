"""Web pages of workflows: generic transition and approval buttons, change requests, the editor.

Thin over the services: a service's ValidationError, PermissionDenied or Conflict on a button
becomes a message on the page it came from, with nothing changed.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from shopfloor.core import access
from shopfloor.core.errors import Conflict
from shopfloor.core.views import (
    ObjectCreateView,
    ObjectDetailView,
    ObjectListView,
    ServiceFormView,
    TenantViewMixin,
    safe_next,
)

from . import diagram, selectors, services
from .forms import ChangeRequestForm, WorkflowStateForm, WorkflowTransitionForm, signature_input_values
from .models import ApprovalRequest, ChangeRequest, WorkflowDefinition, WorkflowState, WorkflowTransition

# Where a record's page is, for going back after a button when the form names no `next`.
DETAIL_URLS: dict[str, str] = {"workflows.changerequest": "workflows:changerequest-detail"}


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, Conflict):
        return exc.message
    return str(exc) or "You may not do this."


def _back(request: HttpRequest, obj: models.Model | None) -> HttpResponse:
    default = "/"
    if obj is not None and obj._meta.label_lower in DETAIL_URLS:
        default = reverse(DETAIL_URLS[obj._meta.label_lower], args=[obj.pk])
    elif obj is not None and hasattr(obj, "get_absolute_url"):
        default = obj.get_absolute_url()
    target = safe_next(request, default)
    if request.htmx:
        # The badge, the buttons and the timeline all change: the page reloads as a whole.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return HttpResponseRedirect(target)


def _signature_input(request: HttpRequest, user: Any) -> services.SignatureInput | None:
    password = request.POST.get("signature_password", "")
    if not password:
        return None
    extra = signature_input_values(request.POST)
    return services.SignatureInput(
        password=password, meaning=request.POST.get("signature_meaning", ""), request=request, **extra
    )


def _workflow_object(object_type: str, object_id: str) -> models.Model:
    """The record named by the form, in this organization, of a model that has a workflow; else 404."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        raise Http404("No such kind of record.") from None
    if not hasattr(model, "organization_id") or not selectors.has_workflow(model):
        raise Http404("This kind of record has no workflow.")
    return get_object_or_404(model._default_manager.all(), pk=object_id)


class TransitionView(TenantViewMixin, View):
    """POST object_type, object_id, to_state, comment, signature_*: fire one transition."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        obj = _workflow_object(request.POST.get("object_type", ""), request.POST.get("object_id", ""))
        access.require(request.user, access.model_perm(type(obj), "view"))
        try:
            result = services.transition(
                obj,
                request.POST.get("to_state", ""),
                request.user,
                comment=request.POST.get("comment", ""),
                signature=_signature_input(request, request.user),
            )
        except (ValidationError, PermissionDenied, Conflict) as exc:
            messages.error(request, _error_text(exc))
        else:
            if result.approval_request is not None:
                messages.success(request, f"Approval requested: {result.approval_request.transition.label}.")
            else:
                messages.success(request, f"{obj} is now {result.record.transition.target.label}.")
        return _back(request, obj)


class DecideView(TenantViewMixin, View):
    """Approve or reject an approval request (POST comment and, to approve signed steps, signature_*)."""

    http_method_names = ["post"]
    approve = True

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        approval_request = get_object_or_404(ApprovalRequest.objects.select_related("transition"), pk=pk)
        obj = _workflow_object(approval_request.object_type, approval_request.object_id)
        access.require(request.user, access.model_perm(type(obj), "view"))
        try:
            decided = services.decide(
                approval_request,
                request.user,
                approve=self.approve,
                comment=request.POST.get("comment", ""),
                signature=_signature_input(request, request.user) if self.approve else None,
            )
        except (ValidationError, PermissionDenied, Conflict) as exc:
            messages.error(request, _error_text(exc))
        else:
            if not self.approve:
                messages.success(request, "You rejected the request.")
            elif decided.status == ApprovalRequest.Status.APPROVED:
                messages.success(request, f"Approved: {obj} moved on.")
            else:
                messages.success(request, "Your approval is recorded.")
        return _back(request, obj)


# --- Change requests -----------------------------------------------------------------------------


class ChangeRequestListView(ObjectListView):
    model = ChangeRequest
    template_name = "workflows/changerequest_list.html"
    title = "Change requests"
    columns = [("number", "Number"), ("title", "Title"), ("status", "Status"), ("owner.display_name", "Owner")]
    search_fields = ["number", "title", "description"]
    filters = {"status": "status"}
    create_url_name = "workflows:changerequest-create"
    detail_url_name = "workflows:changerequest-detail"

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().select_related("owner")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        states = selectors.states_by_key(ChangeRequest._meta.label_lower)
        self.filter_choices = {"status": [(key, s.label) for key, s in states.items()]}
        return super().get_context_data(**kwargs)


class ChangeRequestDetailView(ObjectDetailView):
    model = ChangeRequest
    template_name = "workflows/changerequest_detail.html"
    fields = [
        ("number", "Number"),
        ("title", "Title"),
        ("owner.display_name", "Owner"),
        ("created_by.display_name", "Created by"),
        ("created_at", "Created"),
        ("description", "Description"),
    ]
    list_url_name = "workflows:changerequest-list"
    edit_url_name = "workflows:changerequest-edit"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["model_name"] = "Change request"
        if services.edit_refusal(self.get_object()):
            context.pop("edit_url", None)
        return context


class ChangeRequestCreateView(ObjectCreateView):
    model = ChangeRequest
    form_class = ChangeRequestForm
    title = "New change request"
    detail_url_name = "workflows:changerequest-detail"
    cancel_url_name = "workflows:changerequest-list"
    success_message = "Change request {object.number} created."

    def perform(self, form: ChangeRequestForm) -> ChangeRequest:
        data = form.cleaned_data
        return services.create_change_request(
            actor=self.request.user, title=data["title"], description=data["description"]
        )


class ChangeRequestUpdateView(ServiceFormView):
    """Edit title and description while the workflow allows it (not signed, not closed)."""

    permission_required = "workflows.change_changerequest"
    form_class = ChangeRequestForm
    success_message = "Change request {object.number} saved."

    def get_object(self) -> ChangeRequest:
        if not hasattr(self, "object"):
            self.object = get_object_or_404(ChangeRequest.objects.all(), pk=self.kwargs["pk"])
        return self.object

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self._refused() or super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self._refused() or super().post(request, *args, **kwargs)

    def _refused(self) -> HttpResponse | None:
        obj = self.get_object()
        reason = services.edit_refusal(obj)
        if reason is None:
            return None
        messages.error(self.request, reason)
        return HttpResponseRedirect(reverse("workflows:changerequest-detail", args=[obj.pk]))

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "instance": self.get_object()}

    def perform(self, form: ChangeRequestForm) -> ChangeRequest:
        return services.update_change_request(
            actor=self.request.user, change_request=self.get_object(), data=form.service_data()
        )

    def result_url(self, obj: ChangeRequest) -> str:
        return reverse("workflows:changerequest-detail", args=[obj.pk])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        obj = self.get_object()
        context.update(object=obj, title=f"Edit {obj}")
        context["cancel_url"] = reverse("workflows:changerequest-detail", args=[obj.pk])
        return context


# --- Definition editor ---------------------------------------------------------------------------


class DefinitionListView(ObjectListView):
    model = WorkflowDefinition
    title = "Workflows"
    columns = [("name", "Name"), ("model", "Applies to"), ("description", "Description")]
    search_fields = ["name", "model"]
    detail_url_name = "workflows:definition-detail"


class DefinitionDetailView(TenantViewMixin, TemplateView):
    """States, transitions, validation problems and the drawn diagram of one definition."""

    permission_required = "workflows.view_workflowdefinition"
    template_name = "workflows/definition_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        definition = get_object_or_404(selectors.definitions(), pk=self.kwargs["pk"])
        parts = selectors.definition_with_parts(definition)
        errors, warnings = services.definition_problems(definition)
        context.update(
            definition=definition,
            title=definition.name,
            errors=errors,
            warnings=warnings,
            diagram=diagram.render_svg(parts["states"], parts["transitions"], ident=f"wf{definition.pk}"),
            can_change=access.has_perm(self.request.user, "workflows.change_workflowdefinition"),
            **parts,
        )
        return context


class _DefinitionPartMixin:
    """The definition (and the state or transition) named by the URL, in this organization."""

    permission_required = "workflows.change_workflowdefinition"
    kwargs: dict[str, Any]
    part_model: type[models.Model]

    def definition(self) -> WorkflowDefinition:
        if not hasattr(self, "_definition"):
            self._definition = get_object_or_404(selectors.definitions(), pk=self.kwargs["pk"])
        return self._definition

    def part(self) -> Any:
        if "part" not in self.kwargs:
            return None
        if not hasattr(self, "_part"):
            self._part = get_object_or_404(
                self.part_model._default_manager.filter(definition=self.definition()), pk=self.kwargs["part"]
            )
        return self._part

    def definition_url(self) -> str:
        return reverse("workflows:definition-detail", args=[self.definition().pk])


class StateFormView(_DefinitionPartMixin, ServiceFormView):
    part_model = WorkflowState
    form_class = WorkflowStateForm
    success_message = "State {object.label} saved."

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        state = self.part()
        kwargs["instance"] = state if state is not None else WorkflowState(definition=self.definition())
        if state is None:
            kwargs["initial"] = {"position": self.definition().states.count()}
        return kwargs

    def perform(self, form: WorkflowStateForm) -> WorkflowState:
        return services.save_state(
            actor=self.request.user, definition=self.definition(), data=form.service_data(), state=self.part()
        )

    def result_url(self, obj: Any) -> str:
        return self.definition_url()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        state = self.part()
        context["title"] = f"Edit state {state.label}" if state else f"New state of {self.definition().name}"
        context["cancel_url"] = self.definition_url()
        return context


class TransitionFormView(_DefinitionPartMixin, ServiceFormView):
    part_model = WorkflowTransition
    form_class = WorkflowTransitionForm
    success_message = "Transition {object.label} saved."

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        t = self.part()
        kwargs["instance"] = t if t is not None else WorkflowTransition(definition=self.definition())
        kwargs["definition"] = self.definition()
        return kwargs

    def perform(self, form: WorkflowTransitionForm) -> WorkflowTransition:
        return services.save_transition(
            actor=self.request.user,
            definition=self.definition(),
            data=form.service_data(),
            transition_obj=self.part(),
        )

    def result_url(self, obj: Any) -> str:
        return self.definition_url()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        t = self.part()
        context["title"] = f"Edit transition {t.label}" if t else f"New transition of {self.definition().name}"
        context["cancel_url"] = self.definition_url()
        return context


class _DeletePartView(_DefinitionPartMixin, TenantViewMixin, View):
    http_method_names = ["post"]

    def delete(self, obj: Any) -> None:
        raise NotImplementedError

    def post(self, request: HttpRequest, pk: int, part: int) -> HttpResponse:
        obj = self.part()
        try:
            self.delete(obj)
        except (ValidationError, Conflict) as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, f"{obj._meta.verbose_name.capitalize()} {obj.label} removed.")
        if request.htmx:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = self.definition_url()
            return response
        return HttpResponseRedirect(self.definition_url())


class StateDeleteView(_DeletePartView):
    part_model = WorkflowState

    def delete(self, obj: WorkflowState) -> None:
        services.delete_state(actor=self.request.user, state=obj)


class TransitionDeleteView(_DeletePartView):
    part_model = WorkflowTransition

    def delete(self, obj: WorkflowTransition) -> None:
        services.delete_transition(actor=self.request.user, transition_obj=obj)

"""Inspection pages: plans with their characteristics and a sampling preview, the inspection
queue, and an inspection with tablet-friendly reading entry and its result. Every write is a
service call; a refused one comes back as a message on the page, nothing half-written."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views import View

from shopfloor.core import access
from shopfloor.core.errors import Conflict
from shopfloor.core.views import ObjectCreateView, ObjectDetailView, ObjectListView, TenantViewMixin

from . import forms_inspection as forms
from . import selectors_inspection as selectors
from .defaults_inspection import COMPLETE_INSPECTION, RELEASE_PLAN
from .models import Inspection, InspectionPlan
from .services import inspection as services


def _refused(request: HttpRequest, exc: Exception) -> None:
    if isinstance(exc, ValidationError):
        messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, getattr(exc, "message", str(exc)))


class PlanListView(ObjectListView):
    model = InspectionPlan
    title = "Inspection plans"
    queryset = selectors.plans()
    columns = [
        ("item", "Item"),
        ("context", "Context"),
        ("operation_sequence", "Operation"),
        ("version", "Version"),
        ("status", "Status"),
        ("sampling", "Sampling"),
        ("name", "Name"),
    ]
    search_fields = ["item__number", "name"]
    filters = {"status": "status", "context": "context"}
    create_url_name = "quality:plan-create"
    detail_url_name = "quality:plan-detail"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        self.filter_choices = {
            "status": [("draft", "Draft"), ("released", "Released"), ("obsolete", "Obsolete")],
            "context": list(InspectionPlan.Context.choices),
        }
        return super().get_context_data(**kwargs)


class PlanCreateView(ObjectCreateView):
    model = InspectionPlan
    form_class = forms.InspectionPlanForm
    title = "New inspection plan"
    detail_url_name = "quality:plan-detail"
    cancel_url_name = "quality:plan-list"
    success_message = "Plan {object} drafted: add its characteristics."

    def perform(self, form: forms.InspectionPlanForm) -> InspectionPlan:
        data = form.service_data()
        item, context = data.pop("item"), data.pop("context")
        return services.create_plan(actor=self.request.user, item=item, context=context, data=data)


class PlanDetailView(ObjectDetailView):
    """The plan, its characteristics (editable while a draft), release buttons, sampling preview."""

    model = InspectionPlan
    template_name = "quality/inspection_plan_detail.html"
    fields = [
        ("item", "Item"),
        ("context", "Context"),
        ("operation_sequence", "Operation sequence"),
        ("work_center", "Work center"),
        ("version", "Version"),
        ("sampling", "Sampling"),
        ("released_at", "Released"),
    ]
    list_url_name = "quality:plan-list"

    def get_queryset(self) -> models.QuerySet:
        return selectors.plans()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        plan = self.get_object()
        user = self.request.user
        draft = plan.status == "draft"
        preview = None
        raw = self.request.GET.get("quantity", "")
        if raw:
            if raw.isdigit() and int(raw) > 0:
                n, ac, re_ = services.plan_sampling(plan, int(raw))
                preview = {"quantity": int(raw), "sample_size": n, "accept": ac, "reject": re_}
            else:
                preview = {"error": "Give the lot size as a whole number above zero."}
        context.update(
            plan=plan,
            characteristics=list(plan.characteristics.all()),
            can_edit=draft and access.has_perm(user, "quality.change_inspectionplan"),
            characteristic_form=forms.CharacteristicForm() if draft else None,
            can_release=draft and access.has_perm(user, RELEASE_PLAN),
            can_obsolete=plan.status == "released" and access.has_perm(user, RELEASE_PLAN),
            preview=preview,
        )
        return context


class PlanActionView(TenantViewMixin, View):
    http_method_names = ["post"]
    permission_required = RELEASE_PLAN

    def post(self, request: HttpRequest, pk: int, name: str) -> HttpResponse:
        plan = get_object_or_404(InspectionPlan.objects.all(), pk=pk)
        func = {"release": services.release_plan, "obsolete": services.obsolete_plan}.get(name)
        if func is None:
            return HttpResponse(status=404)
        try:
            func(actor=request.user, plan=plan)
        except (ValidationError, Conflict) as exc:
            _refused(request, exc)
        else:
            messages.success(request, f"Plan {plan} {'released' if name == 'release' else 'made obsolete'}.")
        return HttpResponseRedirect(reverse("quality:plan-detail", args=[plan.pk]))


class CharacteristicAddView(TenantViewMixin, View):
    http_method_names = ["post"]
    permission_required = "quality.change_inspectionplan"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan = get_object_or_404(InspectionPlan.objects.all(), pk=pk)
        form = forms.CharacteristicForm(request.POST)
        if form.is_valid():
            try:
                ch = services.add_characteristic(actor=request.user, plan=plan, data=form.service_data())
            except (ValidationError, Conflict) as exc:
                _refused(request, exc)
            else:
                messages.success(request, f"{ch.name} added.")
        else:
            for field, errors in form.errors.items():
                label = "" if field == "__all__" else f"{form.fields[field].label}: "
                messages.error(request, f"{label}{' '.join(errors)}")
        return HttpResponseRedirect(reverse("quality:plan-detail", args=[plan.pk]))


class InspectionQueueView(ObjectListView):
    model = Inspection
    plant_field = "plant"
    title = "Inspections"
    queryset = selectors.inspections()
    columns = [
        ("number", "Number"),
        ("item", "Item"),
        ("context", "Context"),
        ("source_number", "Source"),
        ("quantity", "Quantity"),
        ("sample_size", "Sample"),
        ("status", "Status"),
        ("ncr_number", "NCR"),
    ]
    search_fields = ["number", "item__number", "source_number", "lot__number"]
    filters = {"status": "status", "context": "context"}
    detail_url_name = "quality:inspection-detail"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        self.filter_choices = {"status": list(Inspection.Status.choices), "context": list(Inspection.Context.choices)}
        return super().get_context_data(**kwargs)


class InspectionDetailView(ObjectDetailView):
    """The inspection, one big input per sampled unit and characteristic, and its result."""

    model = Inspection
    plant_field = "plant"
    template_name = "quality/inspection_detail.html"
    fields = [
        ("item", "Item"),
        ("plan", "Plan"),
        ("quantity", "Quantity"),
        ("lot", "Lot"),
        ("serial", "Serial"),
        ("location", "Location"),
        ("source_number", "Source"),
        ("sample_size", "Sample size"),
        ("accept_number", "Accept (Ac)"),
        ("reject_number", "Reject (Re)"),
    ]
    list_url_name = "quality:inspection-list"

    def get_queryset(self) -> models.QuerySet:
        return selectors.inspections()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        inspection = self.get_object()
        user = self.request.user
        is_open = inspection.status == Inspection.Status.OPEN
        context.update(
            inspection=inspection,
            grid=selectors.entry_grid(inspection),
            can_measure=is_open and access.has_perm(user, "quality.change_inspection", plant=inspection.plant),
            can_complete=is_open and access.has_perm(user, COMPLETE_INSPECTION, plant=inspection.plant),
            missing=services.missing_readings(inspection) if is_open else 0,
            nonconforming=services.nonconforming_units(inspection),
        )
        return context


class MeasurementsView(TenantViewMixin, View):
    """Readings posted from the entry grid (`m-<characteristic>-<sample>`); blanks are skipped."""

    http_method_names = ["post"]
    permission_required = "quality.change_inspection"
    plant_field = "plant"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        inspection = get_object_or_404(self.at_user_plants(Inspection.objects.all()), pk=pk)
        entries = []
        for key, value in request.POST.items():
            parts = key.split("-")
            if len(parts) == 3 and parts[0] == "m" and str(value).strip():
                entries.append({"characteristic": parts[1], "sample": parts[2], "value": value, "field": key})
        try:
            saved = services.record_measurements(actor=request.user, inspection=inspection, entries=entries)
        except (ValidationError, Conflict) as exc:
            _refused(request, exc)
        else:
            messages.success(request, f"{len(saved)} reading(s) recorded.")
        return HttpResponseRedirect(reverse("quality:inspection-detail", args=[inspection.pk]))


class CompleteView(TenantViewMixin, View):
    http_method_names = ["post"]
    permission_required = COMPLETE_INSPECTION
    plant_field = "plant"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        inspection = get_object_or_404(self.at_user_plants(Inspection.objects.all()), pk=pk)
        decision = {"pass": True, "fail": False}.get(request.POST.get("decision", ""))
        try:
            done = services.complete_inspection(
                actor=request.user, inspection=inspection, passed=decision, note=request.POST.get("note", "")
            )
        except (ValidationError, Conflict) as exc:
            _refused(request, exc)
        else:
            text = f"{done.number} {done.status}."
            if done.ncr_number:
                text += f" {done.ncr_number} opened."
            (messages.success if done.status == "passed" else messages.warning)(request, text)
        return HttpResponseRedirect(reverse("quality:inspection-detail", args=[inspection.pk]))

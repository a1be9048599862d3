"""NCR and CAPA pages: lists, forms, and details whose buttons move the workflow.

Every write is a service call; a refused one (a guard, a frozen NCR, too much disposed, a
wrong signature) comes back as a message on the page and nothing is half-written.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from shopfloor.core import access
from shopfloor.core.errors import Conflict
from shopfloor.core.views import ObjectCreateView, ObjectDetailView, ObjectListView, TenantViewMixin
from shopfloor.partners.models import Supplier
from shopfloor.workflows import services as workflow_services
from shopfloor.workflows.services import SignatureInput

from . import forms_ncr as forms
from . import selectors_ncr as selectors
from . import supplier_quality, yields
from .defaults_ncr import CLOSE_CAPA
from .models import Capa, Ncr
from .services import ncr as services


def _refused(request: HttpRequest, exc: Exception) -> None:
    if isinstance(exc, ValidationError):
        messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, getattr(exc, "message", str(exc)))


def _form_errors(request: HttpRequest, form: Any) -> None:
    for field, errors in form.errors.items():
        label = "" if field == "__all__" else f"{form.fields[field].label}: "
        messages.error(request, f"{label}{' '.join(errors)}")


# --- NCRs -----------------------------------------------------------------------------------


class NcrListView(ObjectListView):
    model = Ncr
    plant_field = "plant"
    title = "NCRs"
    queryset = selectors.ncrs()
    columns = [
        ("number", "Number"),
        ("title", "Title"),
        ("item", "Item"),
        ("source", "Source"),
        ("quantity", "Quantity"),
        ("supplier", "Supplier"),
        ("status", "Status"),
        ("created_at", "Opened"),
    ]
    search_fields = ["number", "title", "item__number"]
    filters = {"status": "status", "source": "source"}
    create_url_name = "quality:ncr-create"
    detail_url_name = "quality:ncr-detail"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        self.filter_choices = {
            "status": [(s, s.title()) for s in ("open", "investigating", "disposition", "closed", "cancelled")],
            "source": list(Ncr.Source.choices),
        }
        return super().get_context_data(**kwargs)


class NcrCreateView(ObjectCreateView):
    model = Ncr
    form_class = forms.NcrForm
    plant_choice_fields = {"plant": "pk", "location": "plant"}
    title = "New NCR"
    detail_url_name = "quality:ncr-detail"
    cancel_url_name = "quality:ncr-list"
    success_message = "{object} opened."

    def perform(self, form: forms.NcrForm) -> Ncr:
        return services.open_ncr(actor=self.request.user, data=form.service_data())


class NcrDetailView(ObjectDetailView):
    """The NCR, its affected lots, investigation, dispositions and the buttons its state allows."""

    model = Ncr
    plant_field = "plant"
    template_name = "quality/ncr_detail.html"
    fields = [
        ("item", "Item"),
        ("plant", "Plant"),
        ("source", "Source"),
        ("quantity", "Affected quantity"),
        ("location", "Held at"),
        ("supplier", "Supplier"),
        ("customer", "Customer"),
        ("work_order", "Work order"),
        ("work_order_held", "Work order held until dispositioned"),
        ("closed_at", "Closed"),
    ]
    list_url_name = "quality:ncr-list"

    def get_queryset(self) -> models.QuerySet:
        return selectors.ncrs()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        ncr = self.get_object()
        user = self.request.user
        frozen = ncr.status in services.FROZEN_STATES
        options = _offered(ncr, user)
        closing = next((o for o in options if o.transition.target.key == "closed"), None)
        dispositions = list(selectors.dispositions().filter(ncr=ncr))
        for d in dispositions:
            d.ncr = ncr  # the rule reads the NCR's state and plant
            d.can_approve = services.may_approve_concession(actor=user, disposition=d)
        kinds = services.disposition_kinds(actor=user, ncr=ncr)
        context.update(
            ncr=ncr,
            affected=list(ncr.affected.all()),
            dispositions=dispositions,
            disposed=services.disposed_quantity(ncr),
            options=[o for o in options if o is not closing],
            can_edit=not frozen and access.has_perm(user, "quality.change_ncr", plant=ncr.plant),
            investigation_form=forms.InvestigationForm(instance=ncr),
            can_dispose=bool(kinds),
            disposition_form=forms.DispositionForm(ncr=ncr, kinds=kinds),
            can_close=closing is not None and closing.allowed,
            close_reasons=closing.reasons if closing is not None and not closing.allowed else [],
            close_form=forms.CloseForm(),
            can_open_capa=access.has_perm(user, "quality.add_capa"),
            capas=list(ncr.capas.select_related("owner")),
        )
        return context


def _offered(obj: Ncr | Capa, user: Any) -> list[workflow_services.Option]:
    """The transitions to show: those the user's permission covers (enabled, or disabled with
    the guard's reason); a transition they may never make is not offered at all."""
    plant = getattr(obj, "plant", None)
    return [
        o
        for o in workflow_services.available_transitions(obj, user)
        if access.has_perm(user, o.transition.permission or access.model_perm(type(obj), "change"), plant=plant)
    ]


class NcrActionView(TenantViewMixin, View):
    """POSTs of the NCR page: transition, investigation, disposition, concession, close."""

    http_method_names = ["post"]
    permission_required = "quality.view_ncr"
    plant_field = "plant"

    def post(self, request: HttpRequest, pk: int, name: str) -> HttpResponse:
        ncr = get_object_or_404(self.at_user_plants(Ncr.objects.all()), pk=pk)
        handler = getattr(self, f"do_{name.replace('-', '_')}", None)
        if handler is None:
            raise Http404
        try:
            text = handler(request, ncr)
        except (ValidationError, Conflict) as exc:
            _refused(request, exc)
        else:
            if text:
                messages.success(request, text)
        return HttpResponseRedirect(reverse("quality:ncr-detail", args=[ncr.pk]))

    def do_transition(self, request: HttpRequest, ncr: Ncr) -> str:
        done = services.transition_ncr(
            actor=request.user,
            ncr=ncr,
            to_state=request.POST.get("to_state", ""),
            comment=request.POST.get("comment", ""),
        )
        return f"{done.number} is {done.status}."

    def do_investigation(self, request: HttpRequest, ncr: Ncr) -> str:
        form = forms.InvestigationForm(request.POST, instance=Ncr.objects.get(pk=ncr.pk))
        if not form.is_valid():
            _form_errors(request, form)
            return ""
        services.update_ncr(actor=request.user, ncr=ncr, data=form.service_data())
        return "Investigation saved."

    def do_disposition(self, request: HttpRequest, ncr: Ncr) -> str:
        form = forms.DispositionForm(request.POST, ncr=ncr)
        if not form.is_valid():
            _form_errors(request, form)
            return ""
        done = services.add_disposition(actor=request.user, ncr=ncr, data=form.cleaned_data)
        extra = f" Work order {done.work_order.number} opened." if done.work_order else ""
        return f"{done.get_kind_display()}: {done.quantity.normalize():f} posted.{extra}"

    def do_concession(self, request: HttpRequest, ncr: Ncr) -> str:
        disposition = ncr.dispositions.filter(pk=request.POST.get("disposition") or 0).first()
        if disposition is None:
            raise Http404
        services.approve_concession(actor=request.user, disposition=disposition)
        return "Concession approved."

    def do_close(self, request: HttpRequest, ncr: Ncr) -> str:
        form = forms.CloseForm(request.POST)
        if not form.is_valid():
            _form_errors(request, form)
            return ""
        done = services.transition_ncr(
            actor=request.user,
            ncr=ncr,
            to_state="closed",
            comment=form.cleaned_data["comment"],
            signature=SignatureInput(password=form.cleaned_data["password"], request=request),
        )
        return f"{done.number} closed and signed."


# --- CAPA -----------------------------------------------------------------------------------


class CapaListView(ObjectListView):
    model = Capa
    title = "CAPA"
    queryset = selectors.capas()
    columns = [
        ("number", "Number"),
        ("title", "Title"),
        ("kind", "Kind"),
        ("ncr", "NCR"),
        ("owner", "Owner"),
        ("due_date", "Due"),
        ("status", "Status"),
    ]
    search_fields = ["number", "title", "audit_reference"]
    filters = {"status": "status", "kind": "kind"}
    create_url_name = "quality:capa-create"
    detail_url_name = "quality:capa-detail"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        self.filter_choices = {
            "status": [(s, s.replace("_", " ").title()) for s in ("open", "in_progress", "verifying", "closed")],
            "kind": list(Capa.Kind.choices),
        }
        return super().get_context_data(**kwargs)


class CapaCreateView(ObjectCreateView):
    model = Capa
    form_class = forms.CapaForm
    title = "New CAPA"
    detail_url_name = "quality:capa-detail"
    cancel_url_name = "quality:capa-list"
    success_message = "{object} opened; its owner is notified."

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        if self.request.GET.get("ncr", "").isdigit():
            initial.update(ncr=int(self.request.GET["ncr"]), source=Capa.Source.NCR)
        return initial

    def perform(self, form: forms.CapaForm) -> Capa:
        return services.create_capa(actor=self.request.user, data=form.service_data())


class CapaDetailView(ObjectDetailView):
    model = Capa
    template_name = "quality/capa_detail.html"
    fields = [
        ("kind", "Kind"),
        ("source", "Source"),
        ("ncr", "NCR"),
        ("audit_reference", "Audit finding"),
        ("owner", "Owner"),
        ("due_date", "Due"),
        ("effective", "Effective"),
        ("effectiveness_note", "Effectiveness check"),
        ("effectiveness_checked_at", "Checked"),
        ("closed_at", "Closed"),
    ]
    list_url_name = "quality:capa-list"

    def get_queryset(self) -> models.QuerySet:
        return selectors.capas()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        capa = self.get_object()
        user = self.request.user
        context.update(
            capa=capa,
            options=_offered(capa, user),
            can_check=capa.status == "verifying" and access.has_perm(user, CLOSE_CAPA),
            effectiveness_form=forms.EffectivenessForm(),
        )
        return context


class CapaActionView(TenantViewMixin, View):
    http_method_names = ["post"]
    permission_required = "quality.view_capa"

    def post(self, request: HttpRequest, pk: int, name: str) -> HttpResponse:
        capa = get_object_or_404(Capa.objects.all(), pk=pk)
        try:
            if name == "transition":
                done = services.transition_capa(
                    actor=request.user,
                    capa=capa,
                    to_state=request.POST.get("to_state", ""),
                    comment=request.POST.get("comment", ""),
                )
                messages.success(request, f"{done.number} is {done.status.replace('_', ' ')}.")
            elif name == "effectiveness":
                form = forms.EffectivenessForm(request.POST)
                if form.is_valid():
                    services.record_effectiveness(
                        actor=request.user,
                        capa=capa,
                        effective=form.cleaned_data["effective"],
                        note=form.cleaned_data["note"],
                    )
                    messages.success(request, "Effectiveness check recorded.")
                else:
                    _form_errors(request, form)
            else:
                raise Http404
        except (ValidationError, Conflict) as exc:
            _refused(request, exc)
        return HttpResponseRedirect(reverse("quality:capa-detail", args=[capa.pk]))


def _trends(rows: list[dict[str, Any]], key: str, value: str, last: int = 12) -> list[dict[str, Any]]:
    """Rows (sorted by period) per `key`, with 40-pixel SVG bars of `value` (a 0..1 share)."""
    by_key: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_key.setdefault(row[key], []).append(row)
    trends = []
    for name, series in by_key.items():
        series = sorted(series, key=lambda r: r["period"])[-last:]
        bars = [
            {"x": i * 14, "h": round((r[value] or 0) * 40, 1), "y": round(40 - (r[value] or 0) * 40, 1), **r}
            for i, r in enumerate(series)
        ]
        trends.append({"key": name, "item": name, "bars": bars, "width": max(len(bars) * 14, 14), "last": series[-1]})
    return trends


class DashboardView(TenantViewMixin, TemplateView):
    """Quality at a glance, each trend by month with bars drawn server-side in SVG: first-pass
    yield per item from operations and from inspections, the reject rate per supplier, open
    NCRs and CAPAs, and NCRs per supplier."""

    template_name = "quality/dashboard.html"
    permission_required = "quality.view_ncr"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        suppliers = dict(Supplier.objects.values_list("pk", "name"))
        counts = sorted(services.supplier_ncr_counts().items(), key=lambda kv: -kv[1])
        context.update(
            title="Quality dashboard",
            trends=_trends(yields.yield_rows(group="item", period="month"), "item", "fpy"),
            inspection_trends=_trends(yields.inspection_yield_rows(group="item", period="month"), "item", "lot_fpy"),
            supplier_trends=_trends(supplier_quality.supplier_reject_rows(period="month"), "supplier", "reject_rate"),
            open_ncrs=access.at_user_plants(
                Ncr.objects.exclude(status__in=services.FROZEN_STATES), self.request.user
            ).count(),
            open_capas=Capa.objects.exclude(status__in=("closed", "cancelled")).count(),
            supplier_ncrs=[(suppliers.get(pk, pk), n) for pk, n in counts],
        )
        return context

"""The schedule page: the plant's schedule in force as Gantt charts (per machine, per order), its
figures against the earliest-due-date rule, why orders are late, the live status of a run in
progress (htmx polling), and the planner's reschedule button and pins.

Every write is a service call; solving happens in the Celery task, never here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from shopfloor.core import access, tenancy
from shopfloor.core.errors import Conflict
from shopfloor.core.models import Plant
from shopfloor.core.views import TenantViewMixin
from shopfloor.production.models import Operation as JobCard

from . import selectors_schedule as selectors
from .forms_schedule import PinForm, RescheduleForm
from .models import OperationPin, ScheduleRun
from .services import schedule as services

ACTIVE = (ScheduleRun.Status.QUEUED, ScheduleRun.Status.RUNNING)


def _plant(request: HttpRequest) -> Plant | None:
    """The plant asked for (?plant=), else the one in context, else the user's first; only a
    plant the user works at (another one: 404)."""
    plants = access.plants_of(request.user)
    wanted = request.GET.get("plant") or request.POST.get("plant") or ""
    if wanted.isdigit():
        return get_object_or_404(plants, pk=int(wanted))
    current = tenancy.current_plant()
    if current is not None and plants.filter(pk=current.pk).exists():
        return current
    return plants.first()


def _back(plant: Plant | None, view: str = "") -> str:
    url = reverse("planning:schedule")
    query = [f"plant={plant.pk}"] if plant is not None else []
    if view:
        query.append(f"view={view}")
    return f"{url}?{'&'.join(query)}" if query else url


class ScheduleView(TenantViewMixin, TemplateView):
    template_name = "planning/schedule.html"
    permission_required = "planning.view_schedulerun"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        plant = _plant(self.request)
        view = "order" if self.request.GET.get("view") == "order" else "machine"
        context.update(
            title="Schedule",
            plant=plant,
            plants=access.plants_of(self.request.user),
            view=view,
            reschedule_form=RescheduleForm(),
            can_run=access.has_perm(self.request.user, services.RUN_SCHEDULE, plant=plant),
            can_pin=access.has_perm(self.request.user, services.PIN, plant=plant),
        )
        if plant is None:
            return context
        latest = selectors.latest_run(plant)
        current = selectors.current_run(plant)
        context.update(latest=latest, current=current, active=latest is not None and latest.status in ACTIVE)
        if current is not None:
            rows = list(selectors.scheduled_operations(run=current))
            conflicts = list(selectors.conflicts(run=current))
            late = {
                (c.work_order.number if c.work_order_id else f"Planned {c.planned_order.item.number}")
                for c in conflicts
                if c.kind != "material"
            }
            context.update(
                rows=rows,
                conflicts=conflicts,
                chart=selectors.gantt(rows, by=view, zone_name=plant.timezone, late_orders=late),
                improvement=_improvement(current),
                pins=list(selectors.pins().filter(operation__work_order__plant=plant)),
                pin_form=PinForm(plant=plant),
            )
        return context


def _improvement(run: ScheduleRun) -> int | None:
    """How much lower the weighted tardiness is than the dispatch rule's, in percent."""
    base, got = run.baseline_weighted_tardiness, run.weighted_tardiness
    if not base or got is None:
        return None
    return round(100 * (base - got) / base)


class ScheduleStatusView(TenantViewMixin, View):
    """The status panel of one run; polled by htmx while the run is queued or running. When the
    run ends, the panel asks the browser to reload the page so the new schedule shows."""

    permission_required = "planning.view_schedulerun"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = get_object_or_404(access.at_user_plants(selectors.schedule_runs(), request.user), pk=pk)
        response = render(request, "planning/_schedule_status.html", {"latest": run, "active": run.status in ACTIVE})
        if run.status not in ACTIVE and request.GET.get("was") == "active":
            response["HX-Refresh"] = "true"
        return response


class RescheduleView(TenantViewMixin, View):
    permission_required = "planning.add_schedulerun"
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        plant = _plant(request)
        if plant is None:
            raise Http404("No such plant.")
        form = RescheduleForm(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
            return HttpResponseRedirect(_back(plant))
        try:
            run = services.request_schedule(
                actor=request.user,
                plant=plant,
                time_limit=form.cleaned_data["time_limit"],
                include_planned_orders=form.cleaned_data["include_planned_orders"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Schedule run {run.pk} asked for.")
        return HttpResponseRedirect(_back(plant))


class PinView(TenantViewMixin, View):
    permission_required = "planning.add_operationpin"
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        plant = _plant(request)
        form = PinForm(request.POST, plant=plant)
        if not form.is_valid():
            messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
            return HttpResponseRedirect(_back(plant))
        operation = get_object_or_404(
            JobCard.objects.select_related("work_order__plant"), pk=form.cleaned_data["operation"]
        )
        try:
            services.pin_operation(
                actor=request.user,
                operation=operation,
                machine=form.cleaned_data["machine"],
                start=form.cleaned_data["start"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except Conflict as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Operation {operation.sequence} of {operation.work_order.number} pinned.")
        return HttpResponseRedirect(_back(plant))


class UnpinView(TenantViewMixin, View):
    permission_required = "planning.delete_operationpin"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        pin = get_object_or_404(OperationPin.objects.select_related("operation__work_order__plant"), pk=pk)
        plant = pin.operation.work_order.plant
        services.unpin_operation(actor=request.user, pin=pin)
        messages.success(request, "Pin removed: the scheduler places the operation freely again.")
        return HttpResponseRedirect(_back(plant))

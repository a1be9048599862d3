"""MRP and forecast pages: forecasts, runs with live progress, results by item with pegging both
ways, exceptions, and firming planned orders. Every write is a service call; MRP itself runs in
the Celery task, never in a request."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from shopfloor.core import access
from shopfloor.core.errors import Conflict
from shopfloor.core.views import (
    ObjectActionView,
    ObjectCreateView,
    ObjectListView,
    ObjectUpdateView,
    TenantViewMixin,
    safe_next,
)

from . import selectors_mrp_views as selectors
from .forms_mrp import FirmForm, ForecastForm, MrpRunForm
from .models import Forecast, MrpException, MrpRun, PlannedOrder
from .services import firm as firm_services
from .services import forecast as forecast_services
from .services import mrp as mrp_services

ACTIVE = (MrpRun.Status.QUEUED, MrpRun.Status.RUNNING)
VIEW_RUNS = "planning.view_mrprun"
FIRM = "planning.change_plannedorder"


# --- Forecasts ------------------------------------------------------------------------------------


class ForecastListView(ObjectListView):
    model = Forecast
    plant_field = "plant"
    title = "Forecasts"
    columns = [
        ("plant.code", "Plant"),
        ("item.number", "Item"),
        ("item.name", "Name"),
        ("period_start", "Period from"),
        ("quantity", "Quantity"),
        ("notes", "Notes"),
    ]
    search_fields = ["item__number", "item__name", "notes"]
    create_url_name = "planning:forecast-create"

    def get_queryset(self) -> Any:
        self.queryset = selectors.forecasts().order_by("plant__code", "item__number", "period_start")
        return super().get_queryset()

    def row_url(self, obj: Any) -> str | None:
        if access.has_perm(self.request.user, "planning.change_forecast"):
            return reverse("planning:forecast-edit", args=[obj.pk])
        return None


class ForecastCreateView(ObjectCreateView):
    model = Forecast
    form_class = ForecastForm
    plant_choice_fields = {"plant": "pk"}
    title = "New forecast"
    cancel_url_name = "planning:forecast-list"
    success_message = "Forecast saved."

    def perform(self, form: Any) -> Any:
        return forecast_services.create_forecast(actor=self.request.user, data=form.service_data())

    def result_url(self, obj: Any) -> str:
        return reverse("planning:forecast-list")


class ForecastUpdateView(ObjectUpdateView):
    model = Forecast
    form_class = ForecastForm
    plant_field = "plant"
    plant_choice_fields = {"plant": "pk"}
    cancel_url_name = "planning:forecast-list"
    success_message = "Forecast saved."

    def perform(self, form: Any) -> Any:
        return forecast_services.update_forecast(
            actor=self.request.user, forecast=self.get_object(), data=form.service_data()
        )

    def result_url(self, obj: Any) -> str:
        return reverse("planning:forecast-list")

    template_name = "planning/forecast_form.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["cancel_url"] = reverse("planning:forecast-list")
        context["can_delete"] = access.has_perm(
            self.request.user, "planning.delete_forecast", plant=self.get_object().plant
        )
        return context


class ForecastDeleteView(ObjectActionView):
    model = Forecast
    plant_field = "plant"
    permission_required = "planning.delete_forecast"
    success_message = "Forecast removed."
    success_url_name = "planning:forecast-list"

    def perform(self, obj: Any) -> Any:
        forecast_services.delete_forecast(actor=self.request.user, forecast=obj)


# --- Runs -----------------------------------------------------------------------------------------


class MrpRunListView(TenantViewMixin, TemplateView):
    """The plants' MRP runs, newest first, with the form asking for a new one."""

    template_name = "planning/mrp_run_list.html"
    permission_required = VIEW_RUNS

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        runs = access.at_user_plants(selectors.mrp_runs(), self.request.user)
        plant = self.request.GET.get("plant", "")
        if plant.isdigit():
            runs = runs.filter(plant_id=int(plant))
        context.update(
            title="MRP runs",
            runs=list(runs[:50]),
            form=kwargs.get("form") or MrpRunForm(user=self.request.user),
            can_run=access.has_perm(self.request.user, mrp_services.RUN_MRP),
        )
        return context


class MrpRunCreateView(TenantViewMixin, View):
    """POST: ask for a run (queued; the Celery task runs it after commit), then show it."""

    permission_required = "planning.add_mrprun"
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        form = MrpRunForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                run = mrp_services.request_mrp_run(
                    actor=request.user, plant=form.cleaned_data["plant"], horizon_days=form.cleaned_data["horizon_days"]
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, f"MRP run {run.pk} asked for.")
                return HttpResponseRedirect(reverse("planning:mrp-run-detail", args=[run.pk]))
        else:
            messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return HttpResponseRedirect(reverse("planning:mrp-run-list"))


def _run(request: HttpRequest, pk: int) -> MrpRun:
    """The run, if it is of a plant the user works at (else 404)."""
    return get_object_or_404(access.at_user_plants(selectors.mrp_runs(), request.user), pk=pk)


class MrpRunDetailView(TenantViewMixin, TemplateView):
    """One run: live status while it works, then its figures and where to look next."""

    template_name = "planning/mrp_run_detail.html"
    permission_required = VIEW_RUNS

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        run = _run(self.request, kwargs["pk"])
        counts = run.planned_orders.aggregate(
            make=Count("id", filter=Q(kind=PlannedOrder.Kind.MAKE)),
            buy=Count("id", filter=Q(kind=PlannedOrder.Kind.BUY)),
            firmed=Count("id", filter=Q(status=PlannedOrder.Status.FIRMED)),
        )
        exceptions = dict(run.exceptions.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
        context.update(
            title=str(run),
            run=run,
            active=run.status in ACTIVE,
            counts=counts,
            exception_counts=[(label, exceptions.get(kind, 0), kind) for kind, label in MrpException.Kind.choices],
            items=run.item_results.count(),
            # A dict key "items" would shadow .items in the template: hand over plain pairs.
            stats=[
                (str(key).replace("_", " "), value)
                for key, value in sorted((run.stats or {}).items())
                if isinstance(value, str | int | float)
            ],
            in_force=firm_services.plan_in_force(run.plant),
        )
        return context


class MrpRunStatusView(TenantViewMixin, View):
    """The status panel, polled by htmx while the run is queued or running; when the run ends the
    browser reloads the page so its results show."""

    permission_required = VIEW_RUNS

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = _run(request, pk)
        response = render(request, "planning/mrp_status.html", {"run": run, "active": run.status in ACTIVE})
        if run.status not in ACTIVE and request.GET.get("was") == "active":
            response["HX-Refresh"] = "true"
        return response


# --- Results by item ------------------------------------------------------------------------------


class MrpItemListView(TenantViewMixin, TemplateView):
    """The run's items (low-level code order), filtered by exceptions, make/buy and a search."""

    template_name = "planning/mrp_items.html"
    permission_required = VIEW_RUNS

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        run = _run(self.request, kwargs["pk"])
        get = self.request.GET
        filters = {
            "exceptions": get.get("exceptions") == "1",
            "make_or_buy": get.get("make_or_buy", ""),
            "q": get.get("q", "").strip(),
        }
        rows = selectors.item_results_of_run(
            run, exceptions_only=filters["exceptions"], make_or_buy=filters["make_or_buy"], search=filters["q"]
        )
        context.update(title=f"Items of {run}", run=run, rows=list(rows[:500]), filters=filters)
        return context


class MrpItemDetailView(TenantViewMixin, TemplateView):
    """An item in a run: its time-phased table, planned orders with their pegging down to the
    demands they serve and up to the child orders they caused, its exceptions, firming."""

    template_name = "planning/mrp_item.html"
    permission_required = VIEW_RUNS

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        run = _run(self.request, kwargs["pk"])
        result = get_object_or_404(selectors.item_results(), run=run, item_id=kwargs["item"])
        orders = list(selectors.orders_of_item(run, result.item))
        context.update(
            title=f"{result.item.number} in {run}",
            run=run,
            result=result,
            orders=orders,
            exceptions=list(selectors.mrp_exceptions().filter(run=run, item=result.item)),
            **_firm_context(self.request, run, orders),
        )
        return context


def _firm_context(request: HttpRequest, run: MrpRun, orders: list[PlannedOrder]) -> dict[str, Any]:
    can_firm = access.has_perm(request.user, FIRM, plant=run.plant)
    in_force = firm_services.plan_in_force(run.plant)
    return {
        "can_firm": can_firm and in_force is not None and in_force.pk == run.pk,
        "superseded": in_force is None or in_force.pk != run.pk,
        "firm_form": FirmForm(),
        "any_buy": any(o.kind == PlannedOrder.Kind.BUY and o.status == PlannedOrder.Status.PLANNED for o in orders),
    }


class PlannedOrderListView(TenantViewMixin, TemplateView):
    """The run's planned orders with checkboxes to firm a selection."""

    template_name = "planning/mrp_planned_orders.html"
    permission_required = VIEW_RUNS

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        run = _run(self.request, kwargs["pk"])
        get = self.request.GET
        filters = {"kind": get.get("kind", ""), "status": get.get("status", ""), "q": get.get("q", "").strip()}
        orders = selectors.planned_orders().filter(run=run).order_by("low_level_code", "item__number", "due_date")
        if filters["kind"] in PlannedOrder.Kind.values:
            orders = orders.filter(kind=filters["kind"])
        if filters["status"] in PlannedOrder.Status.values:
            orders = orders.filter(status=filters["status"])
        if filters["q"]:
            orders = orders.filter(Q(item__number__icontains=filters["q"]) | Q(item__name__icontains=filters["q"]))
        rows = list(orders[:1000])
        context.update(
            title=f"Planned orders of {run}",
            run=run,
            orders=rows,
            filters=filters,
            **_firm_context(self.request, run, rows),
        )
        return context


class FirmView(TenantViewMixin, View):
    """POST the selected planned orders (and a supplier): firmed in one transaction or not at all."""

    permission_required = FIRM
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = _run(request, pk)
        back = safe_next(request, reverse("planning:mrp-planned-orders", args=[run.pk]))
        ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit()]
        form = FirmForm(request.POST, choices=[(i, i) for i in ids])
        if not ids:
            messages.error(request, "Select the planned orders to firm.")
            return HttpResponseRedirect(back)
        if not form.is_valid():
            messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
            return HttpResponseRedirect(back)
        orders = list(PlannedOrder.objects.filter(run=run, pk__in=ids))
        if len(orders) != len(set(ids)):
            raise Http404("No such planned order in this run.")
        try:
            firmed = firm_services.firm_planned_orders(
                actor=request.user, planned_orders=orders, supplier=form.cleaned_data["supplier"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except Conflict as exc:
            messages.error(request, exc.message)
        else:
            made = selectors.planned_orders().filter(pk__in=[o.pk for o in firmed])
            numbers = sorted({o.work_order.number for o in made if o.work_order_id})
            numbers += sorted({o.purchase_order.number for o in made if o.purchase_order_id})
            messages.success(request, f"Firmed {len(firmed)} planned order(s): {', '.join(numbers)}.")
        return HttpResponseRedirect(back)


# --- Exceptions -----------------------------------------------------------------------------------


class MrpExceptionListView(TenantViewMixin, TemplateView):
    template_name = "planning/mrp_exceptions.html"
    permission_required = VIEW_RUNS

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        run = _run(self.request, kwargs["pk"])
        get = self.request.GET
        filters = {"kind": get.get("kind", ""), "q": get.get("q", "").strip()}
        rows = selectors.mrp_exceptions().filter(run=run).order_by("date", "item__number", "id")
        if filters["kind"] in MrpException.Kind.values:
            rows = rows.filter(kind=filters["kind"])
        if filters["q"]:
            rows = rows.filter(Q(item__number__icontains=filters["q"]) | Q(message__icontains=filters["q"]))
        context.update(
            title=f"Exceptions of {run}",
            run=run,
            rows=list(rows[:1000]),
            filters=filters,
            kinds=MrpException.Kind.choices,
        )
        return context

"""Resources web pages: work centers, machines, capabilities, calendars and routings.

Every write is a service call; the views parse, render and translate errors. Pages that edit
parts of a record in place (a calendar's shifts and exceptions, a routing's operations) post to
a view of the same page, which on a refused input shows the page again with the form's errors
and what the user typed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from shopfloor.catalog.models import Item
from shopfloor.core import access
from shopfloor.core.errors import Conflict
from shopfloor.core.forms import apply_validation_error
from shopfloor.core.views import (
    ObjectActionView,
    ObjectCreateView,
    ObjectDetailView,
    ObjectListView,
    ObjectUpdateView,
)

from . import selectors, services
from .forms import (
    CalendarExceptionForm,
    CapabilityForm,
    EstimateForm,
    HoursRangeForm,
    MachineDowntimeForm,
    MachineForm,
    OperationForm,
    RoutingForm,
    ShiftPatternForm,
    WorkCenterForm,
    WorkingCalendarForm,
)
from .models import (
    CalendarException,
    Capability,
    Machine,
    MachineDowntime,
    Operation,
    Routing,
    ShiftPattern,
    WorkCenter,
    WorkingCalendar,
)

HOURS_DAYS = 14


def _hours_context(request: HttpRequest, resource: Any) -> dict[str, Any]:
    """Available hours for the chosen range (default: today and the next 13 days) as table and chart."""
    today = dt.date.today()
    form = HoursRangeForm(request.GET if "date_from" in request.GET else None)
    date_from, date_to = today, today + dt.timedelta(days=HOURS_DAYS - 1)
    if form.is_bound and form.is_valid():
        date_from, date_to = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    try:
        hours = selectors.available_hours(resource, date_from, date_to)
    except ValidationError as exc:
        form = HoursRangeForm(request.GET)
        form.is_valid()
        apply_validation_error(form, exc)
        date_from, date_to = today, today + dt.timedelta(days=HOURS_DAYS - 1)
        hours = selectors.available_hours(resource, date_from, date_to)
    if not form.is_bound:
        form = HoursRangeForm(initial={"date_from": date_from, "date_to": date_to})
    return {
        "hours": hours,
        "hours_total": sum(hours.values()),
        "hours_chart": selectors.hours_chart(hours) if len(hours) <= 62 else None,
        "hours_form": form,
    }


def _can(request: HttpRequest, perm: str) -> bool:
    return access.has_perm(request.user, perm)


# --- Calendars -----------------------------------------------------------------------------------


class CalendarListView(ObjectListView):
    model = WorkingCalendar
    title = "Working calendars"
    columns = [("name", "Name"), ("plant", "Plant"), ("zone_name", "Time zone"), ("description", "Description")]
    search_fields = ["name", "description"]
    create_url_name = "resources:calendar-create"
    detail_url_name = "resources:calendar-detail"

    def get_queryset(self) -> models.QuerySet:
        return selectors.calendars().filter(pk__in=super().get_queryset().values("pk"))


class CalendarDetailView(ObjectDetailView):
    model = WorkingCalendar
    template_name = "resources/calendar_detail.html"
    fields = [("plant", "Plant"), ("zone_name", "Time zone"), ("description", "Description")]
    edit_url_name = "resources:calendar-edit"
    list_url_name = "resources:calendar-list"

    def get_queryset(self) -> models.QuerySet:
        return selectors.calendars()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        calendar = self.get_object()
        shifts = list(ShiftPattern.objects.filter(calendar=calendar))
        context["week"] = [
            {"weekday": label, "shifts": [s for s in shifts if s.weekday == value]}
            for value, label in ShiftPattern.Weekday.choices
        ]
        context["exceptions"] = CalendarException.objects.filter(calendar=calendar).order_by("-date")[:100]
        context["can_edit"] = _can(self.request, "resources.change_workingcalendar")
        context.setdefault("shift_form", ShiftPatternForm())
        context.setdefault("exception_form", CalendarExceptionForm())
        context["work_centers"] = access.at_user_plants(WorkCenter.objects.filter(calendar=calendar), self.request.user)
        context.update(_hours_context(self.request, calendar))
        return context


class CalendarPartAddView(CalendarDetailView):
    """POST a shift or an exception from the calendar page; a refused one shows the page again."""

    http_method_names = ["post"]
    form_class: type = ShiftPatternForm
    form_name = "shift_form"

    def save(self, calendar: WorkingCalendar, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        calendar = self.get_object()
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                self.save(calendar, {**form.service_data(), "calendar": calendar})
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Conflict as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, "Saved.")
                return HttpResponseRedirect(reverse("resources:calendar-detail", args=[calendar.pk]))
        return self.render_to_response(self.get_context_data(**{self.form_name: form}), status=400)


class ShiftAddView(CalendarPartAddView):
    form_class = ShiftPatternForm
    form_name = "shift_form"

    def save(self, calendar: WorkingCalendar, data: dict[str, Any]) -> Any:
        return services.save_shift(actor=self.request.user, data=data)


class ExceptionAddView(CalendarPartAddView):
    form_class = CalendarExceptionForm
    form_name = "exception_form"

    def save(self, calendar: WorkingCalendar, data: dict[str, Any]) -> Any:
        return services.save_exception(actor=self.request.user, data=data)


class ShiftDeleteView(ObjectActionView):
    model = ShiftPattern
    success_message = "Shift removed."

    def perform(self, obj: Any) -> None:
        services.delete_shift(actor=self.request.user, shift=obj)

    def get_success_url(self, obj: Any) -> str:
        return reverse("resources:calendar-detail", args=[obj.calendar_id])


class ExceptionDeleteView(ObjectActionView):
    model = CalendarException
    success_message = "Exception removed."

    def perform(self, obj: Any) -> None:
        services.delete_exception(actor=self.request.user, exception=obj)

    def get_success_url(self, obj: Any) -> str:
        return reverse("resources:calendar-detail", args=[obj.calendar_id])


class CalendarCreateView(ObjectCreateView):
    model = WorkingCalendar
    form_class = WorkingCalendarForm
    title = "New working calendar"
    service = services.create_calendar
    cancel_url_name = "resources:calendar-list"
    detail_url_name = "resources:calendar-detail"
    success_message = "Calendar {object.name} created: add its shifts."


class CalendarUpdateView(ObjectUpdateView):
    model = WorkingCalendar
    form_class = WorkingCalendarForm
    detail_url_name = "resources:calendar-detail"
    success_message = "Calendar {object.name} saved."

    def perform(self, form: WorkingCalendarForm) -> WorkingCalendar:
        return services.update_calendar(actor=self.request.user, calendar=self.get_object(), data=form.service_data())


# --- Work centers --------------------------------------------------------------------------------


class WorkCenterListView(ObjectListView):
    model = WorkCenter
    plant_field = "plant"
    title = "Work centers"
    columns = [
        ("code", "Code"),
        ("name", "Name"),
        ("plant.code", "Plant"),
        ("kind", "Kind"),
        ("capacity", "Capacity"),
        ("cost_rate_per_hour", "Rate / h"),
        ("calendar", "Calendar"),
    ]
    search_fields = ["code", "name"]
    filters = {"kind": "kind", "active": "is_active"}
    filter_choices = {"kind": WorkCenter.Kind.choices}
    create_url_name = "resources:workcenter-create"
    detail_url_name = "resources:workcenter-detail"

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().select_related("plant", "calendar")


class WorkCenterDetailView(ObjectDetailView):
    model = WorkCenter
    plant_field = "plant"
    template_name = "resources/workcenter_detail.html"
    fields = [
        ("plant", "Plant"),
        ("kind", "Kind"),
        ("capacity", "Capacity (in parallel)"),
        ("cost_rate_per_hour", "Cost rate per hour"),
        ("calendar", "Calendar"),
        ("is_active", "Active"),
    ]
    edit_url_name = "resources:workcenter-edit"
    list_url_name = "resources:workcenter-list"

    def get_queryset(self) -> models.QuerySet:
        return selectors.work_centers()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        center = self.get_object()
        context["machines"] = Machine.objects.filter(work_center=center)
        context.update(_hours_context(self.request, center))
        return context


class WorkCenterCreateView(ObjectCreateView):
    model = WorkCenter
    form_class = WorkCenterForm
    title = "New work center"
    service = services.create_work_center
    plant_choice_fields = {"plant": "pk"}
    cancel_url_name = "resources:workcenter-list"
    detail_url_name = "resources:workcenter-detail"
    success_message = "Work center {object.code} created."


class WorkCenterUpdateView(ObjectUpdateView):
    model = WorkCenter
    plant_field = "plant"
    plant_choice_fields = {"plant": "pk"}
    form_class = WorkCenterForm
    detail_url_name = "resources:workcenter-detail"
    success_message = "Work center {object.code} saved."

    def perform(self, form: WorkCenterForm) -> WorkCenter:
        return services.update_work_center(
            actor=self.request.user, work_center=self.get_object(), data=form.service_data()
        )


# --- Machines and capabilities -------------------------------------------------------------------


class MachineListView(ObjectListView):
    model = Machine
    plant_field = "plant"
    template_name = "resources/machine_list.html"
    columns = [("code", "Code"), ("name", "Name"), ("work_center.code", "Work center"), ("plant.code", "Plant")]
    search_fields = ["code", "name", "serial_number"]
    filters = {"status": "status"}
    filter_choices = {
        "status": [
            ("available", "Available"),
            ("down", "Down"),
            ("maintenance", "In maintenance"),
            ("retired", "Retired"),
        ]
    }
    create_url_name = "resources:machine-create"
    detail_url_name = "resources:machine-detail"

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().select_related("work_center", "plant")


class MachineDetailView(ObjectDetailView):
    model = Machine
    plant_field = "plant"
    template_name = "resources/machine_detail.html"
    fields = [
        ("work_center", "Work center"),
        ("plant", "Plant"),
        ("capabilities", "Capabilities"),
        ("manufacturer", "Manufacturer"),
        ("model_number", "Model"),
        ("serial_number", "Serial number"),
    ]
    edit_url_name = "resources:machine-edit"
    list_url_name = "resources:machine-list"

    def get_queryset(self) -> models.QuerySet:
        return selectors.machines().select_related("work_center__calendar__plant")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        machine = self.get_object()
        context.update(_hours_context(self.request, machine))
        context["downtimes"] = selectors.machine_downtimes().filter(machine=machine).order_by("-starts_at")[:50]
        context["can_add_downtime"] = _can(self.request, "resources.add_machinedowntime")
        context["can_end_downtime"] = _can(self.request, "resources.change_machinedowntime")
        context["can_delete_downtime"] = _can(self.request, "resources.delete_machinedowntime")
        context.setdefault("downtime_form", MachineDowntimeForm())
        return context


class DowntimeAddView(MachineDetailView):
    """POST a downtime from the machine page; a refused one shows the page again with its errors."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        machine = self.get_object()
        form = MachineDowntimeForm(request.POST)
        if form.is_valid():
            try:
                services.create_downtime(actor=request.user, machine=machine, data=form.service_data())
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"Downtime of {machine.code} recorded.")
                return HttpResponseRedirect(reverse("resources:machine-detail", args=[machine.pk]))
        return self.render_to_response(self.get_context_data(downtime_form=form), status=400)


class DowntimeEndView(ObjectActionView):
    model = MachineDowntime
    plant_field = "plant"
    success_message = "Downtime ended: the machine works again."

    def perform(self, obj: Any) -> None:
        services.end_downtime(actor=self.request.user, downtime=obj)

    def get_success_url(self, obj: Any) -> str:
        return reverse("resources:machine-detail", args=[obj.machine_id])


class DowntimeDeleteView(ObjectActionView):
    model = MachineDowntime
    plant_field = "plant"
    success_message = "Downtime removed."

    def perform(self, obj: Any) -> None:
        services.delete_downtime(actor=self.request.user, downtime=obj)

    def get_success_url(self, obj: Any) -> str:
        return reverse("resources:machine-detail", args=[obj.machine_id])


class MachineCreateView(ObjectCreateView):
    model = Machine
    form_class = MachineForm
    title = "New machine"
    service = services.create_machine
    plant_choice_fields = {"work_center": "plant"}
    cancel_url_name = "resources:machine-list"
    detail_url_name = "resources:machine-detail"
    success_message = "Machine {object.code} created."

    def get_initial(self) -> dict[str, Any]:
        return {"work_center": self.request.GET.get("work_center")}


class MachineUpdateView(ObjectUpdateView):
    model = Machine
    plant_field = "plant"
    plant_choice_fields = {"work_center": "plant"}
    form_class = MachineForm
    detail_url_name = "resources:machine-detail"
    success_message = "Machine {object.code} saved."

    def perform(self, form: MachineForm) -> Machine:
        return services.update_machine(actor=self.request.user, machine=self.get_object(), data=form.service_data())


class CapabilityListView(ObjectListView):
    model = Capability
    title = "Machine capabilities"
    columns = [("code", "Code"), ("name", "Name")]
    search_fields = ["code", "name"]
    create_url_name = "resources:capability-create"
    detail_url_name = "resources:capability-edit"


class CapabilityCreateView(ObjectCreateView):
    model = Capability
    form_class = CapabilityForm
    title = "New capability"
    service = services.create_capability
    cancel_url_name = "resources:capability-list"
    success_message = "Capability {object.code} created."

    def result_url(self, obj: Capability) -> str:
        return reverse("resources:capability-list")


class CapabilityUpdateView(ObjectUpdateView):
    model = Capability
    form_class = CapabilityForm
    cancel_url_name = "resources:capability-list"
    success_message = "Capability {object.code} saved."

    def perform(self, form: CapabilityForm) -> Capability:
        from shopfloor.core import services as core_services

        return core_services.update_object(actor=self.request.user, obj=self.get_object(), data=form.service_data())

    def result_url(self, obj: Capability) -> str:
        return reverse("resources:capability-list")


# --- Routings ------------------------------------------------------------------------------------


class RoutingListView(ObjectListView):
    model = Routing
    template_name = "resources/routing_list.html"
    columns = [("item", "Item"), ("version", "Version"), ("description", "Description")]
    search_fields = ["item__number", "item__name", "description"]
    filters = {"item": "item_id", "status": "status"}
    filter_choices = {"status": [("draft", "Draft"), ("released", "Released"), ("obsolete", "Obsolete")]}
    create_url_name = "resources:routing-create"
    detail_url_name = "resources:routing-detail"

    def get_queryset(self) -> models.QuerySet:
        if self.request.GET.get("item", "") and not self.request.GET["item"].isdigit():
            return Routing.objects.none()
        return super().get_queryset().select_related("item").order_by("item__number", "-version")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        item_id = self.request.GET.get("item", "")
        context["item"] = Item.objects.filter(pk=item_id).first() if item_id.isdigit() else None
        context["filter_widgets"] = [w for w in context["filter_widgets"] if w["name"] != "item"]
        if context["item"] is not None and "create_url" in context:
            context["create_url"] += f"?item={context['item'].pk}"
        return context


class RoutingDetailView(ObjectDetailView):
    model = Routing
    template_name = "resources/routing_detail.html"
    fields = [("item", "Item"), ("version", "Version"), ("description", "Description")]
    edit_url_name = "resources:routing-edit"
    list_url_name = "resources:routing-list"

    def get_queryset(self) -> models.QuerySet:
        return Routing.objects.select_related("item")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        routing = self.get_object()
        operations = list(selectors.operations().filter(routing=routing).order_by("sequence"))
        documents = selectors.operation_documents([op.pk for op in operations])
        for op in operations:
            op.documents = documents.get(op.pk, [])  # type: ignore[attr-defined]
        context["operations"] = operations
        draft = routing.status == "draft"
        context["editable"] = draft and _can(self.request, "resources.change_routing")
        context["can_release"] = draft and _can(self.request, "resources.release_routing")
        context["can_copy"] = _can(self.request, "resources.add_routing")
        if not draft:
            context.pop("edit_url", None)
        next_sequence = (max((o.sequence for o in operations), default=0) // 10 + 1) * 10
        context.setdefault("operation_form", OperationForm(initial={"sequence": next_sequence}))
        estimate_form = EstimateForm(self.request.GET if "quantity" in self.request.GET else None)
        context["estimate_form"] = estimate_form
        if estimate_form.is_bound and estimate_form.is_valid():
            try:
                context["estimate"] = services.estimate_time(routing, estimate_form.cleaned_data["quantity"])
            except ValidationError as exc:
                apply_validation_error(estimate_form, exc)
        return context

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if getattr(request, "htmx", False) and "quantity" in request.GET:
            self.template_name = "resources/_estimate.html"
        return super().get(request, *args, **kwargs)


class OperationAddView(RoutingDetailView):
    """POST an operation from the routing page; a refused one shows the page again with its errors."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        routing = self.get_object()
        form = OperationForm(request.POST)
        if form.is_valid():
            try:
                services.create_operation(actor=request.user, data={**form.service_data(), "routing": routing})
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Conflict as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, "Operation added.")
                return HttpResponseRedirect(reverse("resources:routing-detail", args=[routing.pk]))
        return self.render_to_response(self.get_context_data(operation_form=form), status=400)


class OperationUpdateView(ObjectUpdateView):
    model = Operation
    form_class = OperationForm
    success_message = "Operation {object.sequence} saved."

    def perform(self, form: OperationForm) -> Operation:
        return services.update_operation(actor=self.request.user, operation=self.get_object(), data=form.service_data())

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        self.permission_required = "resources.change_routing"
        return super().dispatch(request, *args, **kwargs)

    def result_url(self, obj: Operation) -> str:
        return reverse("resources:routing-detail", args=[obj.routing_id])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["cancel_url"] = self.result_url(self.get_object())
        return context


class OperationDeleteView(ObjectActionView):
    model = Operation
    success_message = "Operation removed."

    def perform(self, obj: Any) -> None:
        services.delete_operation(actor=self.request.user, operation=obj)

    def get_success_url(self, obj: Any) -> str:
        return reverse("resources:routing-detail", args=[obj.routing_id])


class RoutingCreateView(ObjectCreateView):
    model = Routing
    form_class = RoutingForm
    title = "New routing"
    service = services.create_routing
    cancel_url_name = "resources:routing-list"
    detail_url_name = "resources:routing-detail"
    success_message = "{object} created: add its operations."

    def get_initial(self) -> dict[str, Any]:
        return {"item": self.request.GET.get("item")}


class RoutingUpdateView(ObjectUpdateView):
    model = Routing
    form_class = RoutingForm
    detail_url_name = "resources:routing-detail"
    success_message = "{object} saved."

    def perform(self, form: RoutingForm) -> Routing:
        return services.update_routing(actor=self.request.user, routing=self.get_object(), data=form.service_data())


class RoutingReleaseView(ObjectActionView):
    model = Routing
    permission_required = "resources.release_routing"
    success_message = "{object} released; the previous released version is now obsolete."

    def perform(self, obj: Any) -> None:
        services.release_routing(actor=self.request.user, routing=obj, comment=self.request.POST.get("comment", ""))

    def get_success_url(self, obj: Any) -> str:
        return reverse("resources:routing-detail", args=[obj.pk])


class RoutingCopyView(ObjectActionView):
    model = Routing
    permission_required = "resources.add_routing"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        routing = self.get_object()
        try:
            new = services.copy_routing(actor=request.user, routing=routing)
        except (ValidationError, Conflict) as exc:
            messages.error(request, getattr(exc, "message", None) or " ".join(exc.messages))  # type: ignore[union-attr]
            return HttpResponseRedirect(reverse("resources:routing-detail", args=[routing.pk]))
        messages.success(request, f"{new} created from v{routing.version}.")
        return HttpResponseRedirect(reverse("resources:routing-detail", args=[new.pk]))

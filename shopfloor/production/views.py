"""Production web pages: work order list (late flag, progress), the order page (job cards with
their buttons, material with FEFO pick suggestions, output, genealogy, cost, workflow panel,
history), the order forms, and the genealogy trace. Every write is a service call; refused
input comes back as a message (buttons) or on the form's fields."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.forms import ValidationError as FormValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.generic import TemplateView

from shopfloor.core import access
from shopfloor.core.errors import Conflict
from shopfloor.core.views import (
    ObjectCreateView,
    ObjectDetailView,
    ObjectListView,
    ObjectUpdateView,
    ServiceFormView,
    TenantViewMixin,
)
from shopfloor.inventory.models import Lot, SerialNumber
from shopfloor.workflows import selectors as workflow_selectors

from . import forms, selectors, services
from .defaults import RECEIVE_OUTPUT
from .models import Operation, WorkOrder, WorkOrderMaterial
from .services import fmt


class WorkOrderListView(ObjectListView):
    model = WorkOrder
    plant_field = "plant"
    title = "Work orders"
    template_name = "production/workorder_list.html"
    columns = [
        ("number", "Number"),
        ("item.number", "Item"),
        ("quantity", "Quantity"),
        ("kind", "Kind"),
        ("plant.code", "Plant"),
        ("due_date", "Due"),
        ("status", "Status"),
    ]
    search_fields = ["number", "item__number", "item__name", "notes"]
    filters = {"status": "status", "late": "is_late", "kind": "kind"}
    create_url_name = "production:workorder-create"
    detail_url_name = "production:workorder-detail"

    def get_queryset(self) -> models.QuerySet:
        self.queryset = selectors.work_orders()
        return super().get_queryset()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        states = workflow_selectors.states_by_key(WorkOrder._meta.label_lower)
        self.filter_choices = {
            "status": [(key, s.label) for key, s in states.items()],
            "kind": list(WorkOrder.Kind.choices),
        }
        context = super().get_context_data(**kwargs)
        for row in context["rows"]:
            row["progress"] = selectors.progress(row["object"])
            row["late"] = row["object"].is_late
        return context


class WorkOrderCreateView(ObjectCreateView):
    model = WorkOrder
    form_class = forms.WorkOrderForm
    title = "New work order"
    service = services.create_work_order
    plant_choice_fields = {"plant": "pk", "parent": "plant", "issue_location": "plant", "output_location": "plant"}
    detail_url_name = "production:workorder-detail"
    cancel_url_name = "production:workorder-list"
    success_message = "Work order {object.number} created."


class WorkOrderUpdateView(ObjectUpdateView):
    model = WorkOrder
    plant_field = "plant"
    plant_choice_fields = {"issue_location": "plant", "output_location": "plant"}
    form_class = forms.WorkOrderEditForm
    detail_url_name = "production:workorder-detail"

    def perform(self, form: forms.WorkOrderEditForm) -> WorkOrder:
        return services.update_work_order(
            actor=self.request.user, work_order=self.get_object(), data=form.service_data()
        )


class FromSalesOrderView(ServiceFormView):
    """Open work orders for the lines of a confirmed sales order that stock does not cover."""

    form_class = forms.FromSalesOrderForm
    title = "Work orders from a sales order"
    permission_required = "production.add_workorder"
    cancel_url_name = "production:workorder-list"

    def perform(self, form: forms.FromSalesOrderForm) -> list[WorkOrder]:
        made = services.create_work_orders_for_sales_order(actor=self.request.user, order=form.cleaned_data["order"])
        if made:
            messages.success(self.request, f"Opened {', '.join(wo.number for wo in made)}.")
        else:
            messages.info(self.request, "Every line is covered by stock or open work orders already.")
        return made

    def get_success_url(self) -> str:
        made = getattr(self, "result", None) or []
        if len(made) == 1:
            return reverse("production:workorder-detail", args=[made[0].pk])
        return reverse("production:workorder-list")


class WorkOrderDetailView(ObjectDetailView):
    model = WorkOrder
    plant_field = "plant"
    template_name = "production/workorder_detail.html"
    fields = [
        ("item", "Item"),
        ("kind", "Kind"),
        ("plant", "Plant"),
        ("due_date", "Due"),
        ("planned_start", "Planned start"),
        ("parent", "Parent order"),
        ("sales_order_line", "Sales order line"),
        ("serial", "Serial (repair)"),
        ("bom_version", "BOM version"),
        ("routing", "Routing"),
        ("issue_location", "Pick from"),
        ("output_location", "Receive into"),
        ("notes", "Notes"),
    ]
    list_url_name = "production:workorder-list"
    edit_url_name = "production:workorder-edit"

    def get_queryset(self) -> models.QuerySet:
        return selectors.work_orders()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        wo: WorkOrder = self.get_object()
        user = self.request.user
        ops = list(selectors.operations().filter(work_order=wo).order_by("sequence"))
        for op in ops:
            op.received = services.received_quantity(op)
        open_state = wo.status in services.ISSUABLE
        context.update(
            model_name="Work order",
            title=f"{wo.number} · {wo.item.number}",
            operations=ops,
            pick_list=selectors.pick_list(wo),
            issues=list(selectors.material_issues().filter(work_order=wo).order_by("-id")),
            outputs=list(selectors.outputs().filter(work_order=wo).order_by("id")),
            genealogy=selectors.work_order_genealogy(wo),
            children=list(wo.children.select_related("item").order_by("id")),
            cost=selectors.cost_summary(wo),
            receivable=services.receivable_quantity(wo),
            can_run=wo.status in ("released", "in_progress")
            and access.has_perm(user, "production.change_operation", plant=wo.plant),
            can_issue=open_state and access.has_perm(user, "production.add_materialissue", plant=wo.plant),
            can_receive=wo.status in services.RECEIVABLE and access.has_perm(user, RECEIVE_OUTPUT, plant=wo.plant),
            can_edit_material=wo.status not in ("completed", "cancelled")
            and access.has_perm(user, "production.change_workorder", plant=wo.plant),
            complete_form=forms.CompleteForm(),
            move_form=forms.MaterialMoveForm(initial={"location": wo.issue_location}),
            output_form=forms.OutputForm(initial={"location": wo.output_location}),
            scrap_reasons=Operation.ScrapReason.choices,
            locations=list(forms._real_locations().filter(plant=wo.plant)),
        )
        if wo.status in ("completed", "cancelled"):
            context.pop("edit_url", None)
        return context


# --- Buttons ---------------------------------------------------------------------------------------


class _WorkOrderPost(TenantViewMixin, TemplateView):
    """A POST from the order page: parse, call the service, come back with a message."""

    http_method_names = ["post"]
    success_message = "Done."
    plant_field = "work_order__plant"

    def target(self) -> Any:
        raise NotImplementedError

    def work_order_of(self, obj: Any) -> WorkOrder:
        return obj if isinstance(obj, WorkOrder) else obj.work_order

    def perform(self, obj: Any) -> str:
        raise NotImplementedError

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        obj = self.target()
        wo = self.work_order_of(obj)
        try:
            message = self.perform(obj)
        except (ValidationError, FormValidationError) as exc:
            texts = (
                [
                    f"{k.replace('_', ' ')}: {m}" if k != "__all__" else m
                    for k, ms in exc.message_dict.items()
                    for m in ms
                ]
                if hasattr(exc, "error_dict")
                else exc.messages
            )
            messages.error(request, " ".join(texts))
        except Conflict as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, message or self.success_message)
        anchor = getattr(self, "anchor", "")
        return HttpResponseRedirect(reverse("production:workorder-detail", args=[wo.pk]) + anchor)

    def form(self, form_class: type) -> Any:
        form = form_class(self.request.POST)
        if not form.is_valid():
            raise ValidationError({k: [str(m) for m in v] for k, v in form.errors.items()})
        return form


class _OperationPost(_WorkOrderPost):
    anchor = "#operations"

    def target(self) -> Operation:
        return get_object_or_404(
            self.at_user_plants(Operation.objects.select_related("work_order")), pk=self.kwargs["pk"]
        )


class OperationStartView(_OperationPost):
    def perform(self, op: Operation) -> str:
        data = self.form(forms.StartForm).cleaned_data
        services.start_operation(actor=self.request.user, operation=op, machine=data.get("machine"))
        return f"Operation {op.sequence} started."


class OperationPauseView(_OperationPost):
    def perform(self, op: Operation) -> str:
        services.pause_operation(actor=self.request.user, operation=op)
        return f"Operation {op.sequence} paused."


class OperationResumeView(_OperationPost):
    def perform(self, op: Operation) -> str:
        services.resume_operation(actor=self.request.user, operation=op)
        return f"Operation {op.sequence} resumed."


class OperationCompleteView(_OperationPost):
    def perform(self, op: Operation) -> str:
        data = self.form(forms.CompleteForm).cleaned_data
        done = services.complete_operation(
            actor=self.request.user,
            operation=op,
            good_quantity=data["good_quantity"],
            scrap_quantity=data.get("scrap_quantity") or 0,
            scrap_reason=data.get("scrap_reason") or "",
        )
        return f"Operation {op.sequence} completed: {fmt(done.good_quantity)} good."


class _MaterialPost(_WorkOrderPost):
    anchor = "#material"

    def target(self) -> WorkOrderMaterial:
        return get_object_or_404(
            self.at_user_plants(WorkOrderMaterial.objects.select_related("work_order", "component")),
            pk=self.kwargs["pk"],
        )


class MaterialIssueView(_MaterialPost):
    def perform(self, line: WorkOrderMaterial) -> str:
        form = self.form(forms.MaterialMoveForm)
        data = form.cleaned_data
        record = services.issue_material(
            actor=self.request.user,
            work_order=line.work_order,
            material=line,
            quantity=data["quantity"],
            location=data["location"],
            lot=form.lot_for(line.component),
            serial=data.get("serial") or None,
        )
        return f"Issued {fmt(record.quantity)} {line.component.number}."


class MaterialReturnView(_MaterialPost):
    def perform(self, line: WorkOrderMaterial) -> str:
        form = self.form(forms.MaterialMoveForm)
        data = form.cleaned_data
        record = services.return_material(
            actor=self.request.user,
            work_order=line.work_order,
            material=line,
            quantity=data["quantity"],
            location=data["location"],
            lot=form.lot_for(line.component),
            serial=data.get("serial") or None,
        )
        return f"Returned {fmt(record.quantity)} {line.component.number}."


class MaterialBackflushView(_MaterialPost):
    def perform(self, line: WorkOrderMaterial) -> str:
        flag = self.request.POST.get("backflush") == "1"
        services.update_material(actor=self.request.user, material=line, data={"backflush": flag})
        return f"{line.component.number} is {'backflushed' if flag else 'issued by hand'}."


class OutputReceiveView(_WorkOrderPost):
    anchor = "#output"
    plant_field = "plant"

    def target(self) -> WorkOrder:
        return get_object_or_404(self.at_user_plants(WorkOrder.objects.all()), pk=self.kwargs["pk"])

    def perform(self, wo: WorkOrder) -> str:
        form = self.form(forms.OutputForm)
        data = form.cleaned_data
        made = services.receive_output(
            actor=self.request.user,
            work_order=wo,
            quantity=data["quantity"],
            location=data.get("location"),
            lot_number=data.get("lot_number") or "",
            serials=form.serial_list() or None,
        )
        names = [o.serial.serial if o.serial else o.lot.number if o.lot else "" for o in made]
        return f"Received {fmt(data['quantity'])} {wo.item.number} {' '.join(n for n in names if n)}".strip()


# --- Genealogy ------------------------------------------------------------------------------------------


class GenealogyView(TenantViewMixin, TemplateView):
    """Trace a lot or serial backwards (what went into it) or forwards (where it went)."""

    template_name = "production/genealogy.html"
    permission_required = "production.view_genealogylink"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = forms.TraceForm(self.request.GET or None)
        rows: list[dict[str, Any]] = []
        root = None
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            lot_text, serial_text = data.get("lot", "").strip(), data.get("serial", "").strip()
            lot = Lot.objects.filter(number=lot_text).select_related("item").first() if lot_text else None
            serial = (
                SerialNumber.objects.filter(serial=serial_text).select_related("item").first() if serial_text else None
            )
            if lot_text and lot is None:
                form.add_error("lot", f"No lot '{lot_text}'.")
            elif serial_text and serial is None:
                form.add_error("serial", f"No serial number '{serial_text}'.")
            elif lot or serial:
                walk = (
                    selectors.genealogy_forward if data.get("direction") == "forward" else selectors.genealogy_backward
                )
                root = walk(lot=lot, serial=serial)
                rows = selectors.flatten(root)
        context.update(title="Genealogy", form=form, rows=rows, root=root)
        return context

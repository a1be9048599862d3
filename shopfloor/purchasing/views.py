"""Purchasing pages: orders with their lines, approval and the other workflow buttons, the
receiving form, receipts, and the organization's purchasing rules. Every write is a service call."""

from __future__ import annotations

import re
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
from shopfloor.core.forms import apply_validation_error
from shopfloor.core.views import (
    ObjectCreateView,
    ObjectDetailView,
    ObjectListView,
    ObjectUpdateView,
    ServiceFormView,
    TenantViewMixin,
)
from shopfloor.workflows import selectors as workflow_selectors
from shopfloor.workflows.models import ApprovalRequest

from . import document, forms, selectors, services
from .models import PurchaseOrder, PurchaseOrderLine, Receipt

ORDER_ACTIONS: dict[str, tuple[str, str, str]] = {
    # url name -> (label, permission, confirmation message)
    "submit": ("Submit", "purchasing.change_purchaseorder", "{object.number} submitted."),
    "approve": ("Approve", "purchasing.approve_purchaseorder", "{object.number}: approval recorded."),
    "reject": ("Reject", "purchasing.approve_purchaseorder", "{object.number} rejected and back to draft."),
    "send": ("Send to supplier", "purchasing.send_purchaseorder", "{object.number} sent."),
    "return-to-draft": ("Return to draft", "purchasing.change_purchaseorder", "{object.number} is a draft again."),
    "close": ("Close", "purchasing.change_purchaseorder", "{object.number} closed."),
    "cancel": ("Cancel order", "purchasing.change_purchaseorder", "{object.number} cancelled."),
}

# Which buttons a status offers (the services and the workflow still decide).
BUTTONS: dict[str, list[str]] = {
    "draft": ["submit", "cancel"],
    "pending_approval": ["approve", "reject", "cancel"],
    "approved": ["send", "return-to-draft", "cancel"],
    "sent": ["cancel"],
    "partially_received": ["close"],
    "received": ["close"],
}
NEEDS_COMMENT = {"reject", "return-to-draft", "cancel"}


class PurchaseOrderListView(ObjectListView):
    model = PurchaseOrder
    plant_field = "plant"
    title = "Purchase orders"
    queryset = selectors.purchase_orders()
    columns = [
        ("number", "Number"),
        ("supplier", "Supplier"),
        ("plant.code", "Plant"),
        ("status", "Status"),
        ("order_date", "Ordered"),
        ("expected_date", "Expected"),
        ("total", "Total"),
        ("currency", "Currency"),
    ]
    search_fields = ["number", "supplier__name", "supplier__number", "supplier_reference"]
    filters = {"status": "status"}
    create_url_name = "purchasing:order-create"
    detail_url_name = "purchasing:order-detail"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        states = workflow_selectors.states_by_key(PurchaseOrder._meta.label_lower)
        self.filter_choices = {"status": [(key, s.label) for key, s in states.items()]}
        return super().get_context_data(**kwargs)


class PurchaseOrderCreateView(ObjectCreateView):
    model = PurchaseOrder
    form_class = forms.PurchaseOrderForm
    plant_choice_fields = {"plant": "pk"}
    title = "New purchase order"
    service = services.create_purchase_order
    detail_url_name = "purchasing:order-detail"
    cancel_url_name = "purchasing:order-list"
    success_message = "Purchase order {object.number} drafted: add its lines."


class PurchaseOrderUpdateView(ObjectUpdateView):
    model = PurchaseOrder
    form_class = forms.PurchaseOrderForm
    plant_field = "plant"
    plant_choice_fields = {"plant": "pk"}
    detail_url_name = "purchasing:order-detail"
    success_message = "{object.number} saved."

    def perform(self, form: forms.PurchaseOrderForm) -> PurchaseOrder:
        return services.update_purchase_order(
            actor=self.request.user, order=self.get_object(), data=form.service_data()
        )


class PurchaseOrderDetailView(ObjectDetailView):
    """The order: lines (editable while a draft), the buttons of its next steps, its receipts."""

    model = PurchaseOrder
    plant_field = "plant"
    template_name = "purchasing/order_detail.html"
    fields = [
        ("supplier", "Supplier"),
        ("plant", "Plant"),
        ("order_date", "Order date"),
        ("expected_date", "Expected"),
        ("currency", "Currency"),
        ("supplier_reference", "Supplier reference"),
        ("sent_at", "Sent"),
        ("notes", "Notes"),
    ]
    list_url_name = "purchasing:order-list"
    edit_url_name = "purchasing:order-edit"

    def get_queryset(self) -> models.QuerySet:
        return selectors.purchase_orders()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        order = self.get_object()
        user = self.request.user
        is_draft = order.status == "draft"
        if not is_draft:
            context.pop("edit_url", None)
        can_change = access.has_perm(user, "purchasing.change_purchaseorder", plant=order.plant)
        buttons = [
            {"name": name, "label": ORDER_ACTIONS[name][0], "comment": name in NEEDS_COMMENT}
            for name in BUTTONS.get(order.status, [])
            if access.has_perm(user, ORDER_ACTIONS[name][1], plant=order.plant)
        ]
        pending = ApprovalRequest.objects.filter(
            object_type=order._meta.label_lower, object_id=str(order.pk), status=ApprovalRequest.Status.PENDING
        ).first()
        context.update(
            lines=selectors.order_lines().filter(order=order),
            receipts=selectors.receipts().filter(purchase_order=order),
            line_form=forms.PurchaseOrderLineForm() if is_draft and can_change else None,
            can_edit_lines=is_draft and can_change,
            buttons=buttons,
            can_receive=order.status in services.RECEIVABLE
            and access.has_perm(user, "purchasing.add_receipt", plant=order.plant),
            threshold=selectors.approval_threshold(),
            pending_request=pending,
            approvals=list(pending.decisions.select_related("approver")) if pending else [],
        )
        return context


class PurchaseOrderActionView(TenantViewMixin, View):
    """A workflow button of the order page: POST only, calls the service, back with a message."""

    http_method_names = ["post"]
    permission_required = "purchasing.view_purchaseorder"
    plant_field = "plant"

    def post(self, request: HttpRequest, pk: int, name: str) -> HttpResponse:
        order = get_object_or_404(self.at_user_plants(PurchaseOrder.objects.all()), pk=pk)
        if name not in ORDER_ACTIONS:
            return HttpResponse(status=404)
        form = forms.CommentForm(request.POST)
        comment = form.cleaned_data["comment"] if form.is_valid() else ""
        func = getattr(services, name.replace("-", "_"))
        try:
            func(actor=request.user, order=order, comment=comment)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except Conflict as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, ORDER_ACTIONS[name][2].format(object=order))
        return HttpResponseRedirect(reverse("purchasing:order-detail", args=[order.pk]))


class LineAddView(TenantViewMixin, View):
    http_method_names = ["post"]
    permission_required = "purchasing.change_purchaseorder"
    plant_field = "plant"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        order = get_object_or_404(self.at_user_plants(PurchaseOrder.objects.all()), pk=pk)
        form = forms.PurchaseOrderLineForm(request.POST)
        if form.is_valid():
            try:
                line = services.add_line(actor=request.user, order=order, data=form.service_data())
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Conflict as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"Line {line.position} added.")
                return HttpResponseRedirect(reverse("purchasing:order-detail", args=[order.pk]))
        for field, errors in form.errors.items():
            label = "" if field == "__all__" else f"{form.fields[field].label}: "
            messages.error(request, f"{label}{' '.join(errors)}")
        return HttpResponseRedirect(reverse("purchasing:order-detail", args=[order.pk]))


class LineRemoveView(TenantViewMixin, View):
    http_method_names = ["post"]
    permission_required = "purchasing.change_purchaseorder"
    plant_field = "order__plant"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        line = get_object_or_404(self.at_user_plants(PurchaseOrderLine.objects.select_related("order")), pk=pk)
        try:
            services.remove_line(actor=request.user, line=line)
        except (ValidationError, Conflict) as exc:
            messages.error(request, getattr(exc, "message", " ".join(getattr(exc, "messages", []))))
        else:
            messages.success(request, f"Line {line.position} removed.")
        return HttpResponseRedirect(reverse("purchasing:order-detail", args=[line.order_id]))


_LINE_ERROR = re.compile(r"^lines\.(\d+)\.(\w+)$")


class ReceiveView(ServiceFormView):
    """Receive a delivery against the order: quantities, lots and serials per open line."""

    form_class = forms.ReceiveForm
    template_name = "purchasing/receive.html"
    permission_required = "purchasing.add_receipt"
    plant_field = "plant"

    def order(self) -> PurchaseOrder:
        if not hasattr(self, "_order"):
            self._order = get_object_or_404(
                self.at_user_plants(PurchaseOrder.objects.select_related("supplier", "plant")), pk=self.kwargs["pk"]
            )
        return self._order

    def get_form_kwargs(self) -> dict[str, Any]:
        lines = list(selectors.order_lines().filter(order=self.order()))
        return {**super().get_form_kwargs(), "order_lines": lines}

    def form_valid(self, form: forms.ReceiveForm) -> HttpResponse:
        lines = form.service_lines()
        if not lines:
            form.add_error(None, "Enter the quantity received of at least one line.")
            return self.form_invalid(form)
        try:
            self.result = services.receive(
                actor=self.request.user,
                order=self.order(),
                lines=lines,
                delivery_note=form.cleaned_data.get("delivery_note", ""),
                note=form.cleaned_data.get("note", ""),
            )
        except ValidationError as exc:
            self._errors_on_rows(form, exc, lines)
            return self.form_invalid(form)
        except Conflict as exc:
            messages.error(self.request, exc.message)
            return self.form_invalid(form)
        messages.success(self.request, f"Receipt {self.result.number} posted.")
        return HttpResponseRedirect(reverse("purchasing:receipt-detail", args=[self.result.pk]))

    @staticmethod
    def _errors_on_rows(form: forms.ReceiveForm, exc: ValidationError, lines: list[dict[str, Any]]) -> None:
        """`lines.<i>.<field>` from the service lands on the field of that order line's row."""
        if not hasattr(exc, "error_dict"):
            apply_validation_error(form, exc)
            return
        rest = {}
        for key, errors in exc.error_dict.items():
            match = _LINE_ERROR.match(key)
            name = f"{match.group(2)}_{lines[int(match.group(1))]['order_line']}" if match else ""
            if match and int(match.group(1)) < len(lines) and name in form.fields:
                for message in (m for e in errors for m in e.messages):
                    form.add_error(name, message)
            else:
                rest[key] = errors
        if rest:
            apply_validation_error(form, ValidationError(rest))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        order = self.order()
        context.update(
            order=order,
            title=f"Receive against {order.number}",
            cancel_url=reverse("purchasing:order-detail", args=[order.pk]),
            rows=context["form"].bound_rows(),
        )
        return context


class ReceiptListView(ObjectListView):
    model = Receipt
    plant_field = "plant"
    title = "Receipts"
    queryset = selectors.receipts()
    columns = [
        ("number", "Number"),
        ("purchase_order", "Order"),
        ("supplier", "Supplier"),
        ("plant.code", "Plant"),
        ("received_at", "Received"),
        ("delivery_note", "Packing slip"),
    ]
    search_fields = ["number", "purchase_order__number", "supplier__name", "delivery_note"]
    filters = {"supplier": "supplier_id"}
    detail_url_name = "purchasing:receipt-detail"


class ReceiptDetailView(ObjectDetailView):
    model = Receipt
    plant_field = "plant"
    template_name = "purchasing/receipt_detail.html"
    fields = [
        ("purchase_order", "Purchase order"),
        ("supplier", "Supplier"),
        ("plant", "Plant"),
        ("received_at", "Received"),
        ("delivery_note", "Packing slip"),
        ("note", "Note"),
        ("created_by.display_name", "Received by"),
    ]
    list_url_name = "purchasing:receipt-list"

    def get_queryset(self) -> models.QuerySet:
        return selectors.receipts()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["lines"] = selectors.receipt_lines().filter(receipt=self.get_object())
        return context


class SettingsView(ServiceFormView):
    """The organization's approval threshold and receipt tolerance."""

    form_class = forms.SettingsForm
    permission_required = "purchasing.change_purchasingsettings"
    title = "Purchasing rules"
    success_message = "Purchasing rules saved."

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "instance": selectors.settings_for_organization()}

    def perform(self, form: forms.SettingsForm) -> Any:
        return services.update_settings(actor=self.request.user, data=dict(form.cleaned_data))

    def get_success_url(self) -> str:
        return reverse("purchasing:settings")


class PurchaseOrderPdfView(TenantViewMixin, View):
    """The order as a PDF to print or send to the supplier (whoever may see the order)."""

    http_method_names = ["get"]
    permission_required = "purchasing.view_purchaseorder"
    plant_field = "plant"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        order = get_object_or_404(self.at_user_plants(selectors.purchase_orders()), pk=pk)
        response = HttpResponse(document.render(order), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{order.number}.pdf"'
        return response

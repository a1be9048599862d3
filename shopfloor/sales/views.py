"""Sales web pages: order list, order page (lines with ATP, add line, ship, workflow panel),
order form, line shipping. Every write is a service call; the workflow panel's Confirm,
Cancel and Close go through the engine, whose effects reserve and release stock."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse

from shopfloor.core import access
from shopfloor.core.errors import Conflict
from shopfloor.core.forms import apply_validation_error
from shopfloor.core.views import (
    ObjectActionView,
    ObjectCreateView,
    ObjectDetailView,
    ObjectListView,
    ObjectUpdateView,
    ServiceFormView,
)
from shopfloor.workflows import selectors as workflow_selectors

from . import atp, forms, selectors, services
from .defaults import SHIP
from .models import SalesOrder, SalesOrderLine


class OrderListView(ObjectListView):
    model = SalesOrder
    plant_field = "plant"
    title = "Sales orders"
    columns = [
        ("number", "Number"),
        ("customer", "Customer"),
        ("customer_reference", "Customer PO"),
        ("plant", "Plant"),
        ("order_date", "Ordered"),
        ("status", "Status"),
    ]
    search_fields = ["number", "customer_reference", "customer__name", "customer__number"]
    filters = {"status": "status"}
    create_url_name = "sales:order-create"
    detail_url_name = "sales:order-detail"

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().select_related("customer", "plant")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        states = workflow_selectors.states_by_key(SalesOrder._meta.label_lower)
        self.filter_choices = {"status": [(key, s.label) for key, s in states.items()]}
        return super().get_context_data(**kwargs)


class OrderCreateView(ObjectCreateView):
    model = SalesOrder
    form_class = forms.SalesOrderForm
    plant_choice_fields = {"plant": "pk"}
    title = "New sales order"
    service = services.create_order
    detail_url_name = "sales:order-detail"
    cancel_url_name = "sales:order-list"
    success_message = "Sales order {object.number} created: add its lines."


class OrderUpdateView(ObjectUpdateView):
    model = SalesOrder
    form_class = forms.SalesOrderForm
    plant_field = "plant"
    plant_choice_fields = {"plant": "pk"}
    detail_url_name = "sales:order-detail"

    def perform(self, form: forms.SalesOrderForm) -> SalesOrder:
        return services.update_order(actor=self.request.user, order=self.get_object(), data=form.service_data())


class OrderDetailView(ObjectDetailView):
    """The order: header, lines with reserved, shipped and the available-to-promise date, the
    line form while a draft, ship buttons once confirmed, and the workflow panel."""

    model = SalesOrder
    plant_field = "plant"
    template_name = "sales/order_detail.html"
    fields = [
        ("customer", "Customer"),
        ("customer_reference", "Customer PO"),
        ("rig", "Rig"),
        ("well", "Well"),
        ("plant", "Ships from"),
        ("order_date", "Ordered"),
        ("currency", "Currency"),
        ("notes", "Notes"),
    ]
    list_url_name = "sales:order-list"
    edit_url_name = "sales:order-edit"

    def get_queryset(self) -> models.QuerySet:
        return selectors.orders()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        order: SalesOrder = self.get_object()
        user = self.request.user
        lines = list(selectors.lines_of(order))
        promises = atp.for_order(order)
        context.update(
            model_name="Sales order",
            lines=[{"line": line, "promise": promises.get(line.pk)} for line in lines],
            total=sum((line.amount for line in lines), 0),
            is_draft=order.status == "draft",
            can_edit_lines=order.status == "draft" and access.has_perm(user, "sales.change_salesorderline"),
            can_ship=order.status in selectors.SHIPPABLE_STATUSES and access.has_perm(user, SHIP, plant=order.plant),
            has_reserved=any(line.reserved_quantity > 0 for line in lines),
        )
        if context["can_edit_lines"] and access.has_perm(user, "sales.add_salesorderline"):
            context["line_form"] = kwargs.get("line_form") or forms.SalesOrderLineForm()
        if order.status in ("closed", "cancelled"):
            context.pop("edit_url", None)
        return context


class LineAddView(ServiceFormView):
    """Add a line to a draft order (the form sits on the order page; errors show here)."""

    form_class = forms.SalesOrderLineForm
    permission_required = "sales.add_salesorderline"
    plant_field = "plant"
    title = "Add a line"
    success_message = "Line {object.position} added: {object.item.number}."

    def get_order(self) -> SalesOrder:
        return get_object_or_404(self.at_user_plants(selectors.orders()), pk=self.kwargs["pk"])

    def perform(self, form: forms.SalesOrderLineForm) -> SalesOrderLine:
        return services.add_line(actor=self.request.user, order=self.get_order(), data=form.service_data())

    def get_success_url(self) -> str:
        return reverse("sales:order-detail", args=[self.kwargs["pk"]])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        order = self.get_order()
        context["title"] = f"Add a line to {order.number}"
        context["cancel_url"] = reverse("sales:order-detail", args=[order.pk])
        return context


class LineDeleteView(ObjectActionView):
    model = SalesOrderLine
    plant_field = "order__plant"
    permission_required = "sales.delete_salesorderline"
    success_message = "Line removed."

    def perform(self, obj: SalesOrderLine) -> None:
        services.delete_line(actor=self.request.user, line=obj)

    def get_success_url(self, obj: SalesOrderLine) -> str:
        return reverse("sales:order-detail", args=[obj.order_id])


class OrderShipView(ObjectActionView):
    """Ship everything reserved for the order, from where it is reserved."""

    model = SalesOrder
    plant_field = "plant"
    permission_required = SHIP
    success_message = "Reserved stock of {object} shipped."

    def perform(self, obj: SalesOrder) -> None:
        services.ship_order(actor=self.request.user, order=obj)

    def get_success_url(self, obj: SalesOrder) -> str:
        return reverse("sales:order-detail", args=[obj.pk])


class LineShipView(ServiceFormView):
    """Ship part or all of one line from a location, picking the lot or scanning the serials."""

    template_name = "sales/ship_line.html"
    permission_required = SHIP
    plant_field = "order__plant"

    def get_line(self) -> SalesOrderLine:
        if not hasattr(self, "_line"):
            self._line = get_object_or_404(
                self.at_user_plants(selectors.lines().select_related("order__plant")), pk=self.kwargs["pk"]
            )
        return self._line

    def get_form(self, form_class: Any = None) -> forms.ShipLineForm:
        return forms.ShipLineForm(**self.get_form_kwargs(), line=self.get_line())

    def perform(self, form: forms.ShipLineForm) -> SalesOrderLine:
        data = form.cleaned_data
        key = data.get("key") or ""
        return services.ship_line(
            actor=self.request.user,
            line=self.get_line(),
            quantity=data["quantity"],
            location=data["location"],
            lot=data.get("lot"),
            serials=data.get("serials") or [],
            note=data.get("note", ""),
            idempotency_key=f"web:{self.request.user.pk}:{key[:40]}" if key else "",
        )

    def get_success_url(self) -> str:
        return reverse("sales:order-detail", args=[self.get_line().order_id])

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            self.result = self.perform(form)
        except ValidationError as exc:
            apply_validation_error(form, exc)
            return self.form_invalid(form)
        except Conflict as exc:
            messages.error(self.request, exc.message)
            return self.form_invalid(form)
        line = self.result
        messages.success(
            self.request,
            f"Shipped on {line}: {line.shipped_quantity.normalize()} of {line.stock_quantity.normalize()}.",
        )
        return HttpResponseRedirect(self.get_success_url())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        line = self.get_line()
        context.update(
            line=line,
            title=f"Ship {line} · {line.item.number}",
            cancel_url=reverse("sales:order-detail", args=[line.order_id]),
            reservations=selectors.open_reservations(line),
        )
        return context

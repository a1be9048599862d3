"""Stock pages: receive, transfer, issue and count for a barcode scanner and touch; balances,
the ledger and the location tree. Every write is a service call."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.generic import TemplateView

from shopfloor.core import access, tenancy
from shopfloor.core.errors import Conflict
from shopfloor.core.forms import apply_validation_error
from shopfloor.core.views import ObjectCreateView, ObjectListView, ServiceFormView, TenantViewMixin

from . import forms, selectors, services
from .models import CycleCount, Location, StockBalance, StockMove


def _fmt(value: Any) -> str:
    """A quantity without trailing zeros (12, 0.5), as people say it."""
    return format(value.normalize(), "f")


class _ScanView(ServiceFormView):
    """A scanner page: after each posting the form comes back empty with the first field focused."""

    template_name = "inventory/scan.html"
    permission_required = "inventory.add_stockmove"
    verb = ""

    def get_success_url(self) -> str:
        return self.request.path

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            move = self.perform(form)
        except ValidationError as exc:
            apply_validation_error(form, exc)
            return self.form_invalid(form)
        except Conflict as exc:
            messages.error(self.request, exc.message)
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"{self.verb} {_fmt(move.quantity)} {move.item.stock_unit} of {move.item.number}"
            f"{f' lot {move.lot.number}' if move.lot else ''}{f' serial {move.serial.serial}' if move.serial else ''}"
            f": {move.from_location.code} → {move.to_location.code}.",
        )
        return HttpResponseRedirect(self.get_success_url())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["recent"] = selectors.ledger(selectors.moves().filter(actor=self.request.user), size=5)
        context["scan_pages"] = SCAN_PAGES
        return context

    @staticmethod
    def common(data: dict[str, Any]) -> dict[str, Any]:
        return {
            "item": data["item"],
            "quantity": data["quantity"],
            "lot": data.get("lot"),
            "serial": data.get("serial"),
            "reason_code": data.get("reason_code", ""),
        }


class ReceiveView(_ScanView):
    form_class = forms.ReceiveForm
    title = "Receive"
    verb = "Received"

    def perform(self, form: forms.ReceiveForm) -> StockMove:
        data = form.cleaned_data
        user = self.request.user
        item = data["item"]
        if data["lot"] is None and data["lot_number"]:
            data["lot"] = services.lot_for_receipt(
                actor=user, item=item, number=data["lot_number"], expires_on=data.get("expires_on")
            )
        if data["serial"] is None and data["serial_text"]:
            data["serial"] = services.serial_for_receipt(
                actor=user, item=item, serial=data["serial_text"], lot=data["lot"]
            )
        return services.receive(actor=user, location=data["location"], **self.common(data))


class IssueView(_ScanView):
    form_class = forms.IssueForm
    title = "Issue to production"
    verb = "Issued"

    def perform(self, form: forms.IssueForm) -> StockMove:
        return services.issue(
            actor=self.request.user, location=form.cleaned_data["location"], **self.common(form.cleaned_data)
        )


class TransferView(_ScanView):
    form_class = forms.TransferForm
    title = "Move stock"
    verb = "Moved"

    def perform(self, form: forms.TransferForm) -> StockMove:
        data = form.cleaned_data
        return services.transfer(
            actor=self.request.user, source=data["from_location"], target=data["to_location"], **self.common(data)
        )


SCAN_PAGES = [
    ("inventory:receive", "Receive"),
    ("inventory:transfer", "Move"),
    ("inventory:issue", "Issue"),
    ("inventory:count", "Count"),
]


# --- Counting ---------------------------------------------------------------------------------------------


class CountStartView(ServiceFormView):
    """Scan a location: its open count continues, or a new one starts from the books."""

    form_class = forms.CountStartForm
    template_name = "inventory/scan.html"
    permission_required = "inventory.add_cyclecount"
    title = "Count"

    def perform(self, form: forms.CountStartForm) -> CycleCount:
        location = form.cleaned_data["location"]
        open_count = CycleCount.objects.filter(location=location, status="counting").order_by("-id").first()
        return open_count or services.start_count(actor=self.request.user, location=location)

    def get_success_url(self) -> str:
        return reverse("inventory:count-detail", args=[self.result.pk])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["scan_pages"] = SCAN_PAGES
        counts = access.at_user_plants(selectors.cycle_counts(), self.request.user)
        context["counts"] = counts.exclude(status__in=["posted", "cancelled"])[:20]
        return context


class CountDetailView(TenantViewMixin, TemplateView):
    """One count: scan item (and lot), enter the quantity found; then submit and post."""

    template_name = "inventory/count_detail.html"
    permission_required = "inventory.view_cyclecount"
    plant_field = "plant"

    def get_count(self) -> CycleCount:
        return get_object_or_404(self.at_user_plants(selectors.cycle_counts()), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        count = self.get_count()
        context.update(
            count=count,
            title=f"Count {count.number}",
            lines=count.lines.select_related("item__stock_unit", "lot").order_by("item__number"),
            form=kwargs.get("form") or forms.CountLineForm(),
            variance_value=selectors.count_variance_value(count=count),
            can_count=count.status == "counting" and access.has_perm(self.request.user, "inventory.change_cyclecount"),
            scan_pages=SCAN_PAGES,
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        count = self.get_count()
        action = request.POST.get("action", "count")
        try:
            if action == "submit":
                services.submit_count(actor=request.user, count=count)
                messages.success(request, f"Count {count.number} submitted.")
            elif action == "post":
                services.post_count(actor=request.user, count=count)
                messages.success(request, f"Count {count.number} posted.")
            else:
                form = forms.CountLineForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(form=form))
                data = form.cleaned_data
                line = count.lines.filter(item=data["item"], lot=data["lot"]).first()
                if line is None:
                    line = services.add_count_line(actor=request.user, count=count, item=data["item"], lot=data["lot"])
                services.record_count(actor=request.user, line=line, counted_quantity=data["counted_quantity"])
                messages.success(request, f"Counted {_fmt(data['counted_quantity'])} of {data['item'].number}.")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except Conflict as exc:
            messages.error(request, exc.message)
        return HttpResponseRedirect(request.path)


# --- Balances, ledger, locations --------------------------------------------------------------------------


class BalanceListView(ObjectListView):
    model = StockBalance
    plant_field = "location__plant"
    title = "Stock balances"
    template_name = "inventory/balance_list.html"
    columns = [
        ("item.number", "Item"),
        ("item.name", "Name"),
        ("location.code", "Location"),
        ("lot.number", "Lot"),
        ("on_hand", "On hand"),
        ("reserved", "Reserved"),
        ("available", "Available"),
        ("item.stock_unit.code", "Unit"),
    ]
    search_fields = ["item__number", "item__name", "location__code", "lot__number"]

    def get_queryset(self) -> models.QuerySet:
        qs = super().get_queryset().select_related("item__stock_unit", "location", "lot").exclude(on_hand=0, reserved=0)
        plant = tenancy.current_plant()
        if plant is not None:
            qs = qs.filter(location__plant=plant)
        return qs.order_by("item__number", "location__code", "lot__number")


class LedgerView(TenantViewMixin, TemplateView):
    """The ledger, newest first, paged by keyset cursor (Next only: constant cost at any depth)."""

    template_name = "inventory/ledger.html"
    permission_required = "inventory.view_stockmove"
    page_size = 50
    plant_field = "plant"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        qs = self.at_user_plants(selectors.moves())
        term = self.request.GET.get("q", "").strip()
        if term:
            qs = qs.filter(models.Q(item__number__icontains=term) | models.Q(source_number__icontains=term))
        item = self.request.GET.get("item", "")
        if item.isdigit():
            qs = qs.filter(item_id=int(item))
        cursor = self.request.GET.get("cursor", "")
        after = selectors.decode_cursor(cursor) if cursor else None
        rows = selectors.ledger(qs, after=after, size=self.page_size + 1)
        context.update(
            title="Stock ledger",
            moves=rows[: self.page_size],
            next_cursor=selectors.encode_cursor(rows[self.page_size - 1]) if len(rows) > self.page_size else "",
            q=term,
            item=item,
            first_page=not cursor,
        )
        return context


class LocationTreeView(TenantViewMixin, TemplateView):
    template_name = "inventory/location_tree.html"
    permission_required = "inventory.view_location"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        plants = access.plants_of(self.request.user)
        current = tenancy.current_plant()
        if current is not None:
            plants = plants.filter(pk=current.pk)
        totals = {
            row["location_id"]: row
            for row in StockBalance.objects.values("location_id").annotate(
                on_hand=models.Sum("on_hand"), items=models.Count("item_id", distinct=True)
            )
        }
        context.update(
            title="Locations",
            plants=[
                {"plant": p, "nodes": [(loc, depth, totals.get(loc.pk)) for loc, depth in selectors.location_tree(p)]}
                for p in plants
            ],
            can_add=access.has_perm(self.request.user, "inventory.add_location"),
        )
        return context


class LocationCreateView(ObjectCreateView):
    model = Location
    form_class = forms.LocationForm
    plant_choice_fields = {"plant": "pk", "parent": "plant"}
    service = services.create_location
    cancel_url_name = "inventory:location-tree"
    success_message = "Location {object.code} created."
    title = "New location"

    def result_url(self, obj: Any) -> str:
        return reverse("inventory:location-tree")

    def get_initial(self) -> dict[str, Any]:
        plant = tenancy.current_plant()
        return {"plant": plant.pk} if plant else {}

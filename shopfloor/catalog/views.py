"""Catalog web pages: units of measure, the conversion calculator, items and the item-page panels.

Every write is a service call (catalog services or core's generic create/update/delete); the
views only parse, render and translate errors.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views import View

from shopfloor.core import access
from shopfloor.core import services as core_services
from shopfloor.core.errors import Conflict
from shopfloor.core.forms import apply_validation_error
from shopfloor.core.views import (
    ObjectCreateView,
    ObjectDetailView,
    ObjectListView,
    ObjectUpdateView,
    TenantViewMixin,
)
from shopfloor.workflows import selectors as workflow_selectors

from . import panels, services
from .forms import ConversionForm, ItemForm, ItemUnitConversionForm, UnitCategoryForm, UnitForm
from .models import Item, ItemUnitConversion, Unit, UnitCategory

# --- Units of measure ------------------------------------------------------------------------------


class UnitCategoryListView(ObjectListView):
    model = UnitCategory
    title = "Unit categories"
    columns = [("name", "Name"), ("description", "Description")]
    search_fields = ["name", "description"]
    create_url_name = "catalog:unitcategory-create"
    detail_url_name = "catalog:unitcategory-edit"


class UnitCategoryCreateView(ObjectCreateView):
    model = UnitCategory
    form_class = UnitCategoryForm
    title = "New unit category"
    service = services.create_unit_category
    cancel_url_name = "catalog:unitcategory-list"
    success_message = "Unit category {object.name} created."

    def result_url(self, obj: UnitCategory) -> str:
        return reverse("catalog:unitcategory-list")


class UnitCategoryUpdateView(ObjectUpdateView):
    model = UnitCategory
    form_class = UnitCategoryForm
    cancel_url_name = "catalog:unitcategory-list"
    success_message = "Unit category {object.name} saved."

    def perform(self, form: UnitCategoryForm) -> UnitCategory:
        return core_services.update_object(actor=self.request.user, obj=self.get_object(), data=form.service_data())

    def result_url(self, obj: UnitCategory) -> str:
        return reverse("catalog:unitcategory-list")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "cancel_url": reverse("catalog:unitcategory-list")}


class UnitListView(ObjectListView):
    model = Unit
    title = "Units of measure"
    template_name = "catalog/unit_list.html"
    columns = [
        ("code", "Code"),
        ("name", "Name"),
        ("category", "Category"),
        ("factor_label", "Base units in one"),
        ("is_active", "Active"),
    ]
    search_fields = ["code", "name"]
    filters = {"category": "category_id", "active": "is_active"}
    create_url_name = "catalog:unit-create"
    detail_url_name = "catalog:unit-edit"

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().select_related("category")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        self.filter_choices = {
            "category": [(str(c.pk), c.name) for c in UnitCategory.objects.all()],
            "active": [("true", "Yes"), ("false", "No")],
        }
        context = super().get_context_data(**kwargs)
        for row in context["rows"]:
            unit = row["object"]
            row["cells"][3] = f"{unit.factor_numerator}/{unit.factor_denominator}"
        return context


class UnitCreateView(ObjectCreateView):
    model = Unit
    form_class = UnitForm
    title = "New unit"
    service = services.create_unit
    cancel_url_name = "catalog:unit-list"
    success_message = "Unit {object.code} created."

    def result_url(self, obj: Unit) -> str:
        return reverse("catalog:unit-list")


class UnitUpdateView(ObjectUpdateView):
    model = Unit
    form_class = UnitForm
    cancel_url_name = "catalog:unit-list"
    success_message = "Unit {object.code} saved."

    def perform(self, form: UnitForm) -> Unit:
        return core_services.update_object(actor=self.request.user, obj=self.get_object(), data=form.service_data())

    def result_url(self, obj: Unit) -> str:
        return reverse("catalog:unit-list")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "cancel_url": reverse("catalog:unit-list")}


class ConversionView(TenantViewMixin, View):
    """The unit calculator: the same exact conversion the ledger uses (`services.convert`)."""

    permission_required = "catalog.view_unit"
    template_name = "catalog/convert.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        form = ConversionForm(request.GET or None)
        result = None
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            try:
                quantity = services.convert(data["quantity"], data["from_unit"], data["to_unit"], data.get("item"))
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                result = {"quantity": quantity.normalize(), "unit": data["to_unit"], "input": data}
        template = "catalog/_convert_result.html" if request.htmx else self.template_name
        return render(request, template, {"form": form, "result": result, "title": "Unit conversion"})


# --- Items -----------------------------------------------------------------------------------------


class ItemListView(ObjectListView):
    model = Item
    title = "Items"
    template_name = "catalog/item_list.html"
    columns = [
        ("number", "Number"),
        ("name", "Name"),
        ("item_type", "Type"),
        ("make_or_buy", "Make/buy"),
        ("stock_unit", "Unit"),
        ("tracking", "Tracking"),
        ("status", "Status"),
    ]
    search_fields = ["number", "name", "description"]
    filters = {"type": "item_type", "status": "status", "tracking": "tracking", "make_or_buy": "make_or_buy"}
    create_url_name = "catalog:item-create"
    detail_url_name = "catalog:item-detail"

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().select_related("stock_unit")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        states = workflow_selectors.states_by_key(Item._meta.label_lower)
        self.filter_choices = {
            "type": list(Item.Type.choices),
            "status": [(key, s.label) for key, s in states.items()],
            "tracking": list(Item.Tracking.choices),
            "make_or_buy": list(Item.MakeOrBuy.choices),
        }
        return super().get_context_data(**kwargs)


class ItemDetailView(ObjectDetailView):
    """The item page: its data, workflow, own units, and one lazy panel per registered contributor."""

    model = Item
    template_name = "catalog/item_detail.html"
    fields = [
        ("number", "Number"),
        ("name", "Name"),
        ("revision", "Revision"),
        ("item_type", "Type"),
        ("make_or_buy", "Make or buy"),
        ("stock_unit", "Stock unit"),
        ("tracking", "Tracking"),
        ("standard_cost", "Standard cost"),
        ("purchase_lead_time_days", "Purchase lead time (days)"),
        ("manufacturing_lead_time_days", "Manufacturing lead time (days)"),
        ("lot_size_rule", "Lot-size rule"),
        ("fixed_lot_size", "Fixed lot size"),
        ("minimum_lot_size", "Minimum lot size"),
        ("maximum_lot_size", "Maximum lot size"),
        ("lot_multiple", "Lot multiple"),
        ("period_days", "Period (days)"),
        ("safety_stock", "Safety stock"),
        ("reorder_point", "Reorder point"),
        ("minimum_stock", "Minimum stock"),
        ("maximum_stock", "Maximum stock"),
        ("description", "Description"),
    ]
    list_url_name = "catalog:item-list"
    edit_url_name = "catalog:item-edit"

    def get_queryset(self) -> models.QuerySet:
        return Item.objects.select_related("stock_unit__category")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        item = self.get_object()
        context["model_name"] = "Item"
        context["conversions"] = ItemUnitConversion.objects.filter(item=item).select_related("unit__category")
        if access.has_perm(self.request.user, "catalog.change_item"):
            context["conversion_form"] = ItemUnitConversionForm()
        context["panels"] = panels.visible_item_panels(self.request.user)
        return context


class ItemCreateView(ObjectCreateView):
    model = Item
    form_class = ItemForm
    title = "New item"
    service = services.create_item
    detail_url_name = "catalog:item-detail"
    cancel_url_name = "catalog:item-list"
    success_message = "Item {object.number} created."


class ItemUpdateView(ObjectUpdateView):
    model = Item
    form_class = ItemForm
    detail_url_name = "catalog:item-detail"
    success_message = "Item {object.number} saved."

    def perform(self, form: ItemForm) -> Item:
        return core_services.update_object(actor=self.request.user, obj=self.get_object(), data=form.service_data())


class ItemConversionAddView(TenantViewMixin, View):
    """Add an item-specific unit (a box of 12) through `services.save_item_unit_conversion`."""

    permission_required = "catalog.change_item"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        item = get_object_or_404(Item.objects.all(), pk=pk)
        form = ItemUnitConversionForm(request.POST)
        if form.is_valid():
            try:
                conversion = services.save_item_unit_conversion(
                    actor=request.user, data={**form.service_data(), "item": item}
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Conflict as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"1 {conversion.unit} = {conversion.factor} {item.stock_unit} added.")
                return HttpResponseRedirect(reverse("catalog:item-detail", args=[pk]))
        for field, errors in form.errors.items():
            messages.error(request, f"{field}: {' '.join(errors)}" if field != "__all__" else " ".join(errors))
        return HttpResponseRedirect(reverse("catalog:item-detail", args=[pk]))


class ItemConversionDeleteView(TenantViewMixin, View):
    permission_required = "catalog.change_item"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int, conversion_pk: int) -> HttpResponse:
        conversion = get_object_or_404(ItemUnitConversion.objects.filter(item_id=pk), pk=conversion_pk)
        try:
            core_services.delete_object(actor=request.user, obj=conversion, perm="catalog.change_item")
        except Conflict as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Conversion for {conversion.unit} removed.")
        return HttpResponseRedirect(reverse("catalog:item-detail", args=[pk]))


class ItemPanelView(TenantViewMixin, View):
    """One registered panel of the item page, fetched by htmx once the page has loaded.

    The item is looked up through the tenant-scoped manager (another organization's item is a
    404) and the panel's own permission is required (403), whatever the page showed.
    """

    permission_required = "catalog.view_item"

    def get(self, request: HttpRequest, pk: int, key: str) -> HttpResponse:
        panel = panels.get_item_panel(key)
        if panel is None:
            raise Http404("No such panel.")
        item = get_object_or_404(Item.objects.select_related("stock_unit"), pk=pk)
        if not panel.visible_to(request.user):
            raise PermissionDenied(f"You need the permission '{panel.permission}'.")
        context = {**panel.context(request, item), "item": item, "panel": panel}
        return render(request, panel.template, context)

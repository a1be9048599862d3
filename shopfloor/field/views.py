"""Field asset pages: the list, the whole life of one bit, and one form per thing that happens
to it. Every write is a service call; a refused one comes back on the form with nothing written."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import models
from django.shortcuts import get_object_or_404
from django.urls import reverse

from shopfloor.core import access
from shopfloor.core.views import ObjectCreateView, ObjectDetailView, ObjectListView, ObjectUpdateView, ServiceFormView
from shopfloor.partners.models import Customer
from shopfloor.workflows import selectors as workflow_selectors

from . import forms, selectors, services
from .models import FieldAsset


class AssetListView(ObjectListView):
    model = FieldAsset
    title = "Field assets"
    template_name = "field/asset_list.html"
    columns = [
        ("number", "Asset"),
        ("serial.serial", "Serial"),
        ("item.number", "Item"),
        ("bit_type", "Kind"),
        ("size", "Size (in)"),
        ("status", "Status"),
        ("customer", "Customer"),
        ("rig", "Rig"),
        ("run_count", "Runs"),
    ]
    search_fields = ["number", "serial__serial", "item__number", "iadc_class"]
    filters = {"status": "status", "customer": "customer_id", "kind": "bit_type"}
    create_url_name = "field:asset-create"
    detail_url_name = "field:asset-detail"

    def get_queryset(self) -> models.QuerySet:
        qs = super().get_queryset()
        return selectors.assets().filter(pk__in=qs.values("pk")).order_by("-id")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        states = workflow_selectors.states_by_key(FieldAsset._meta.label_lower)
        self.filter_choices = {
            "status": [(key, s.label) for key, s in states.items()],
            "customer": [(str(c.pk), c.name) for c in Customer.objects.filter(is_active=True).order_by("name")],
            "kind": list(FieldAsset.BitType.choices),
        }
        return super().get_context_data(**kwargs)


class AssetCreateView(ObjectCreateView):
    model = FieldAsset
    form_class = forms.AssetForm
    title = "New field asset"
    service = services.create_asset
    detail_url_name = "field:asset-detail"
    cancel_url_name = "field:asset-list"
    success_message = "Field asset {object.number} registered."


class AssetUpdateView(ObjectUpdateView):
    model = FieldAsset
    form_class = forms.AssetEditForm
    detail_url_name = "field:asset-detail"
    success_message = "Field asset {object.number} saved."

    def perform(self, form: forms.AssetEditForm) -> FieldAsset:
        return services.update_asset(actor=self.request.user, asset=self.get_object(), data=form.service_data())


# What a user may do next from each state: (url name, label, permission).
NEXT_STEPS: dict[str, list[tuple[str, str, str]]] = {
    "new": [("field:asset-receive", "Receive into stock", "field.receive_fieldasset")],
    "in_stock": [
        ("field:asset-assign", "Assign to rig", "field.assign_fieldasset"),
        ("field:asset-scrap", "Scrap", "field.scrap_fieldasset"),
    ],
    "assigned": [
        ("field:asset-ship", "Ship to rig", "field.ship_fieldasset"),
        ("field:asset-unassign", "Unassign", "field.assign_fieldasset"),
    ],
    "in_field": [
        ("field:asset-run", "Record a run", "field.add_bitrun"),
        ("field:asset-return", "Return with dull grade", "field.return_fieldasset"),
        ("field:asset-scrap", "Lost in hole", "field.scrap_fieldasset"),
    ],
    "returned": [
        ("field:asset-repair", "Start repair", "field.repair_fieldasset"),
        ("field:asset-back", "Back in stock", "field.receive_fieldasset"),
        ("field:asset-scrap", "Scrap", "field.scrap_fieldasset"),
    ],
    "under_repair": [
        ("field:asset-back", "Back in stock (repaired)", "field.receive_fieldasset"),
        ("field:asset-scrap", "Scrap", "field.scrap_fieldasset"),
    ],
    "scrapped": [],
}


class AssetLifeView(ObjectDetailView):
    """The whole life of one serial on one page: receipts, assignments, runs with footage and
    ROP, dull grades, repairs, status history and every ledger move."""

    model = FieldAsset
    template_name = "field/asset_life.html"
    list_url_name = "field:asset-list"
    edit_url_name = "field:asset-edit"
    fields = [
        ("serial.serial", "Serial number"),
        ("item", "Item"),
        ("plant", "Home plant"),
        ("bit_type", "Kind"),
        ("size", "Size (in)"),
        ("iadc_class", "IADC classification"),
        ("customer", "Customer"),
        ("rig", "Rig"),
        ("notes", "Notes"),
    ]

    def get_queryset(self) -> models.QuerySet:
        return selectors.assets()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        asset = self.get_object()
        context["model_name"] = "Field asset"
        context["life"] = selectors.life(asset)
        user = self.request.user
        context["next_steps"] = [
            {"url": reverse(name, args=[asset.pk]), "label": label}
            for name, label, perm in NEXT_STEPS.get(asset.status, [])
            if access.has_perm(user, perm, plant=asset.plant)
        ]
        return context


class _AssetStepView(ServiceFormView):
    """A form acting on one asset; back to its life page when done."""

    template_name = "field/step_form.html"
    verb = ""

    def get_asset(self) -> FieldAsset:
        if not hasattr(self, "_asset"):
            self._asset = get_object_or_404(selectors.assets(), pk=self.kwargs["pk"])
        return self._asset

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        if self.form_class in ASSET_FORMS:
            kwargs["asset"] = self.get_asset()
        return kwargs

    def get_success_url(self) -> str:
        return reverse("field:asset-detail", args=[self.get_asset().pk])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        asset = self.get_asset()
        context["asset"] = asset
        context["title"] = f"{self.title}: {asset.number}"
        context["cancel_url"] = reverse("field:asset-detail", args=[asset.pk])
        context["submit_label"] = self.title
        return context


ASSET_FORMS = (forms.ReceiveForm, forms.RunForm, forms.ReturnForm, forms.BackInStockForm)


class ReceiveView(_AssetStepView):
    form_class = forms.ReceiveForm
    permission_required = "field.receive_fieldasset"
    title = "Receive into stock"
    success_message = "Received into stock."

    def perform(self, form: forms.ReceiveForm) -> Any:
        data = form.cleaned_data
        return services.receive(
            actor=self.request.user, asset=self.get_asset(), location=data.get("location"), note=data["note"]
        )


class AssignView(_AssetStepView):
    form_class = forms.AssignForm
    permission_required = "field.assign_fieldasset"
    title = "Assign to rig"
    success_message = "Assigned."

    def perform(self, form: forms.AssignForm) -> Any:
        data = form.cleaned_data
        return services.assign(
            actor=self.request.user, asset=self.get_asset(), rig=data["rig"], well=data.get("well"), note=data["note"]
        )


class ShipView(_AssetStepView):
    form_class = forms.NoteForm
    permission_required = "field.ship_fieldasset"
    title = "Ship to rig"
    success_message = "Shipped: the bit is in the field."

    def perform(self, form: forms.NoteForm) -> Any:
        return services.ship(actor=self.request.user, asset=self.get_asset(), note=form.cleaned_data["note"])


class UnassignView(_AssetStepView):
    form_class = forms.NoteForm
    permission_required = "field.assign_fieldasset"
    title = "Unassign"
    success_message = "Unassigned: the bit is free in stock."

    def perform(self, form: forms.NoteForm) -> Any:
        return services.unassign(actor=self.request.user, asset=self.get_asset(), note=form.cleaned_data["note"])


class RunView(_AssetStepView):
    form_class = forms.RunForm
    permission_required = "field.add_bitrun"
    title = "Record a run"

    def perform(self, form: forms.RunForm) -> Any:
        run = services.record_run(actor=self.request.user, asset=self.get_asset(), data=dict(form.cleaned_data))
        messages.success(
            self.request, f"Run {run.run_number}: {run.footage} {run.depth_unit} at {run.rop} {run.depth_unit}/h."
        )
        return run


class ReturnView(_AssetStepView):
    form_class = forms.ReturnForm
    permission_required = "field.return_fieldasset"
    title = "Return with dull grade"
    template_name = "field/return_form.html"
    success_message = "Returned and graded."

    def perform(self, form: forms.ReturnForm) -> Any:
        data = form.cleaned_data
        return services.return_from_field(
            actor=self.request.user,
            asset=self.get_asset(),
            location=data["to_location"],
            grade=form.grade(),
            remarks=data["remarks"],
            note=data["note"],
        )


class RepairView(_AssetStepView):
    form_class = forms.RepairForm
    permission_required = "field.repair_fieldasset"
    title = "Start repair"
    success_message = "Repair work order opened."

    def perform(self, form: forms.RepairForm) -> Any:
        data = form.cleaned_data
        return services.start_repair(
            actor=self.request.user, asset=self.get_asset(), due_date=data.get("due_date"), note=data["note"]
        )


class BackInStockView(_AssetStepView):
    form_class = forms.BackInStockForm
    permission_required = "field.receive_fieldasset"
    title = "Back in stock"
    success_message = "Back in stock."

    def perform(self, form: forms.BackInStockForm) -> Any:
        data = form.cleaned_data
        return services.back_in_stock(
            actor=self.request.user, asset=self.get_asset(), location=data.get("location"), note=data["note"]
        )


class ScrapView(_AssetStepView):
    form_class = forms.ScrapForm
    permission_required = "field.scrap_fieldasset"
    title = "Scrap"
    success_message = "Scrapped."

    def perform(self, form: forms.ScrapForm) -> Any:
        return services.scrap(actor=self.request.user, asset=self.get_asset(), reason=form.cleaned_data["reason"])

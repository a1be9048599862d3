"""Pages of partners: customers with their contacts, rigs and wells; suppliers with their
approval. Every write is a service call."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.shortcuts import get_object_or_404
from django.urls import reverse

from shopfloor.core import access
from shopfloor.core.views import ObjectCreateView, ObjectDetailView, ObjectListView, ObjectUpdateView, ServiceFormView

from . import forms, selectors, services
from .models import Contact, Customer, Rig, Supplier, Well

# --- Customers ----------------------------------------------------------------------------------------


class CustomerListView(ObjectListView):
    model = Customer
    title = "Customers"
    columns = [
        ("number", "Number"),
        ("name", "Name"),
        ("rig_count", "Rigs"),
        ("well_count", "Wells"),
        ("is_active", "Active"),
    ]
    search_fields = ["number", "name", "email"]
    filters = {"active": "is_active"}
    create_url_name = "partners:customer-create"
    detail_url_name = "partners:customer-detail"

    def get_queryset(self) -> models.QuerySet:
        self.queryset = selectors.customers_with_sites()
        return super().get_queryset()


class CustomerDetailView(ObjectDetailView):
    """The customer with the people we deal with and the sites (rigs, wells) our products go to."""

    model = Customer
    template_name = "partners/customer_detail.html"
    fields = [
        ("number", "Number"),
        ("name", "Name"),
        ("email", "E-mail"),
        ("phone", "Phone"),
        ("address", "Address"),
        ("notes", "Notes"),
        ("is_active", "Active"),
    ]
    edit_url_name = "partners:customer-edit"
    list_url_name = "partners:customer-list"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        customer = self.get_object()
        rigs, wells = selectors.sites_of(customer=customer)
        user = self.request.user
        context.update(
            contacts=customer.contacts.all(),
            rigs=rigs,
            wells=wells,
            can_add_contact=access.has_perm(user, "partners.add_contact"),
            can_add_rig=access.has_perm(user, "partners.add_rig"),
            can_add_well=access.has_perm(user, "partners.add_well"),
            can_edit_contact=access.has_perm(user, "partners.change_contact"),
            can_edit_rig=access.has_perm(user, "partners.change_rig"),
            can_edit_well=access.has_perm(user, "partners.change_well"),
        )
        return context


class CustomerCreateView(ObjectCreateView):
    model = Customer
    form_class = forms.CustomerForm
    title = "New customer"
    service = services.create_customer
    detail_url_name = "partners:customer-detail"
    cancel_url_name = "partners:customer-list"
    success_message = "Customer {object.number} created."


class CustomerUpdateView(ObjectUpdateView):
    model = Customer
    form_class = forms.CustomerForm
    detail_url_name = "partners:customer-detail"
    success_message = "Customer {object.number} saved."

    def perform(self, form: forms.CustomerForm) -> Customer:
        return services.update_customer(actor=self.request.user, customer=self.get_object(), data=form.service_data())


class _CustomerChildCreateView(ObjectCreateView):
    """A contact, rig or well added from its customer's page; back to that page after."""

    template_name = "core/object_form.html"

    def customer(self) -> Customer:
        if not hasattr(self, "_customer"):
            self._customer = get_object_or_404(Customer.objects.all(), pk=self.kwargs["pk"])
        return self._customer

    def result_url(self, obj: models.Model) -> str:
        return reverse("partners:customer-detail", args=[self.customer().pk])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["title"] = f"New {self.model._meta.verbose_name} of {self.customer()}"
        context["cancel_url"] = reverse("partners:customer-detail", args=[self.customer().pk])
        return context


class CustomerContactCreateView(_CustomerChildCreateView):
    model = Contact
    form_class = forms.ContactForm
    success_message = "Contact {object.name} added."

    def perform(self, form: Any) -> Contact:
        return services.create_contact(
            actor=self.request.user, data={**form.service_data(), "customer": self.customer()}
        )


class RigCreateView(_CustomerChildCreateView):
    model = Rig
    form_class = forms.RigForm
    success_message = "Rig {object.name} added."

    def perform(self, form: Any) -> Rig:
        return services.create_rig(actor=self.request.user, data={**form.service_data(), "customer": self.customer()})


class WellCreateView(_CustomerChildCreateView):
    model = Well
    form_class = forms.WellForm
    success_message = "Well {object.name} added."

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "customer": self.customer()}

    def perform(self, form: Any) -> Well:
        return services.create_well(actor=self.request.user, data={**form.service_data(), "customer": self.customer()})


class _SiteUpdateView(ObjectUpdateView):
    def result_url(self, obj: models.Model) -> str:
        owner = getattr(obj, "customer", None) or getattr(obj, "supplier", None)
        name = "partners:customer-detail" if isinstance(owner, Customer) else "partners:supplier-detail"
        return reverse(name, args=[owner.pk])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["cancel_url"] = self.result_url(self.get_object())
        return context


class RigUpdateView(_SiteUpdateView):
    model = Rig
    form_class = forms.RigForm
    success_message = "Rig {object.name} saved."

    def perform(self, form: Any) -> Rig:
        return services.update_rig(actor=self.request.user, rig=self.get_object(), data=form.service_data())


class WellUpdateView(_SiteUpdateView):
    model = Well
    form_class = forms.WellForm
    success_message = "Well {object.name} saved."

    def perform(self, form: Any) -> Well:
        return services.update_well(actor=self.request.user, well=self.get_object(), data=form.service_data())


class ContactUpdateView(_SiteUpdateView):
    model = Contact
    form_class = forms.ContactForm
    success_message = "Contact {object.name} saved."

    def perform(self, form: Any) -> Contact:
        return services.update_contact(actor=self.request.user, contact=self.get_object(), data=form.service_data())


class WellListView(ObjectListView):
    model = Well
    title = "Wells"
    columns = [
        ("name", "Well"),
        ("customer", "Customer"),
        ("rig", "Rig"),
        ("field", "Field"),
        ("operator", "Operator"),
        ("planned_depth", "Planned depth (m)"),
    ]
    search_fields = ["name", "field", "operator", "customer__name"]

    def get_queryset(self) -> models.QuerySet:
        self.queryset = selectors.wells()
        return super().get_queryset()

    def row_url(self, obj: models.Model) -> str | None:
        return reverse("partners:customer-detail", args=[obj.customer_id])  # type: ignore[attr-defined]


class RigListView(ObjectListView):
    model = Rig
    title = "Rigs"
    columns = [("name", "Rig"), ("customer", "Customer"), ("contractor", "Contractor"), ("rig_type", "Type")]
    search_fields = ["name", "contractor", "customer__name"]
    filters = {"type": "rig_type"}
    filter_choices = {"type": list(Rig.RigType.choices)}

    def get_queryset(self) -> models.QuerySet:
        self.queryset = selectors.rigs()
        return super().get_queryset()

    def row_url(self, obj: models.Model) -> str | None:
        return reverse("partners:customer-detail", args=[obj.customer_id])  # type: ignore[attr-defined]


# --- Suppliers ----------------------------------------------------------------------------------------


class SupplierListView(ObjectListView):
    model = Supplier
    title = "Suppliers"
    columns = [
        ("number", "Number"),
        ("name", "Name"),
        ("approval_status", "Approval"),
        ("lead_time_days", "Lead time (days)"),
        ("is_active", "Active"),
    ]
    search_fields = ["number", "name", "email"]
    filters = {"approval": "approval_status", "active": "is_active"}
    filter_choices = {"approval": list(Supplier.ApprovalStatus.choices)}
    create_url_name = "partners:supplier-create"
    detail_url_name = "partners:supplier-detail"


class SupplierDetailView(ObjectDetailView):
    model = Supplier
    template_name = "partners/supplier_detail.html"
    fields = [
        ("number", "Number"),
        ("name", "Name"),
        ("approval_status", "Approval"),
        ("approval_note", "Approval note"),
        ("email", "E-mail"),
        ("phone", "Phone"),
        ("address", "Address"),
        ("currency", "Currency"),
        ("lead_time_days", "Lead time (days)"),
        ("notes", "Notes"),
        ("is_active", "Active"),
    ]
    edit_url_name = "partners:supplier-edit"
    list_url_name = "partners:supplier-list"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        supplier = self.get_object()
        user = self.request.user
        context.update(
            contacts=supplier.contacts.all(),
            can_add_contact=access.has_perm(user, "partners.add_contact"),
            can_edit_contact=access.has_perm(user, "partners.change_contact"),
            can_approve=access.has_perm(user, "partners.approve_supplier"),
            approval_form=forms.SupplierApprovalForm(
                initial={"approval_status": supplier.approval_status, "approval_note": supplier.approval_note}
            ),
        )
        return context


class SupplierCreateView(ObjectCreateView):
    model = Supplier
    form_class = forms.SupplierForm
    title = "New supplier"
    service = services.create_supplier
    detail_url_name = "partners:supplier-detail"
    cancel_url_name = "partners:supplier-list"
    success_message = "Supplier {object.number} created."


class SupplierUpdateView(ObjectUpdateView):
    model = Supplier
    form_class = forms.SupplierForm
    detail_url_name = "partners:supplier-detail"
    success_message = "Supplier {object.number} saved."

    def perform(self, form: forms.SupplierForm) -> Supplier:
        return services.update_supplier(actor=self.request.user, supplier=self.get_object(), data=form.service_data())


class SupplierApprovalView(ServiceFormView):
    """Approve, conditionally approve or block a supplier, with the reason on record."""

    form_class = forms.SupplierApprovalForm
    permission_required = "partners.approve_supplier"

    def supplier(self) -> Supplier:
        if not hasattr(self, "_supplier"):
            self._supplier = get_object_or_404(Supplier.objects.all(), pk=self.kwargs["pk"])
        return self._supplier

    def get_initial(self) -> dict[str, Any]:
        s = self.supplier()
        return {"approval_status": s.approval_status, "approval_note": s.approval_note}

    def perform(self, form: forms.SupplierApprovalForm) -> Supplier:
        data = form.cleaned_data
        return services.set_supplier_approval(
            actor=self.request.user,
            supplier=self.supplier(),
            status=data["approval_status"],
            note=data.get("approval_note", ""),
        )

    def get_success_url(self) -> str:
        return reverse("partners:supplier-detail", args=[self.supplier().pk])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["title"] = f"Approval of {self.supplier()}"
        context["cancel_url"] = reverse("partners:supplier-detail", args=[self.supplier().pk])
        return context


class SupplierContactCreateView(ObjectCreateView):
    model = Contact
    form_class = forms.ContactForm
    success_message = "Contact {object.name} added."

    def supplier(self) -> Supplier:
        if not hasattr(self, "_supplier"):
            self._supplier = get_object_or_404(Supplier.objects.all(), pk=self.kwargs["pk"])
        return self._supplier

    def perform(self, form: Any) -> Contact:
        return services.create_contact(
            actor=self.request.user, data={**form.service_data(), "supplier": self.supplier()}
        )

    def result_url(self, obj: models.Model) -> str:
        return reverse("partners:supplier-detail", args=[self.supplier().pk])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["title"] = f"New contact of {self.supplier()}"
        context["cancel_url"] = reverse("partners:supplier-detail", args=[self.supplier().pk])
        return context

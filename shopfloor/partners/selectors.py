"""Read queries of partners, already joined so that lists never run a query per row."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from .models import Contact, Customer, Rig, Supplier, Well


def customers() -> QuerySet[Customer]:
    return Customer.objects.all()


def customers_with_sites() -> QuerySet[Customer]:
    return Customer.objects.annotate(
        rig_count=Count("rigs", distinct=True), well_count=Count("wells", distinct=True)
    ).order_by("number")


def suppliers() -> QuerySet[Supplier]:
    return Supplier.objects.all()


def orderable_suppliers() -> QuerySet[Supplier]:
    """Suppliers a buyer may order from: active and not blocked."""
    return Supplier.objects.filter(is_active=True).exclude(approval_status=Supplier.ApprovalStatus.BLOCKED)


def contacts() -> QuerySet[Contact]:
    return Contact.objects.select_related("customer", "supplier")


def rigs() -> QuerySet[Rig]:
    return Rig.objects.select_related("customer")


def wells() -> QuerySet[Well]:
    return Well.objects.select_related("customer", "rig")


def sites_of(*, customer: Customer) -> tuple[QuerySet[Rig], QuerySet[Well]]:
    """A customer's rigs and wells, for its page and for choosing where an order goes."""
    return Rig.objects.filter(customer=customer), Well.objects.filter(customer=customer).select_related("rig")

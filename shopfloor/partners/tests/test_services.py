"""The rules of partners: numbers issued, supplier approval with reasons, sites of one customer."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shopfloor.core import tenancy
from shopfloor.core.errors import Conflict
from shopfloor.core.models import AuditEvent, OutboxEvent
from shopfloor.core.tests.factories import member
from shopfloor.partners import services
from shopfloor.partners.models import Customer, Supplier, Well

from .factories import CustomerFactory, RigFactory, SupplierFactory

pytestmark = pytest.mark.django_db


def test_customers_and_suppliers_are_numbered_in_order(tenant, admin_user):
    first = services.create_customer(actor=admin_user, data={"name": "Aker BP"})
    second = services.create_customer(actor=admin_user, data={"name": "Vår Energi"})
    supplier = services.create_supplier(actor=admin_user, data={"name": "Sandvik"})
    assert (first.number, second.number) == ("CUS-000001", "CUS-000002")
    assert supplier.number == "SUP-000001"


def test_the_number_is_not_typed(tenant, admin_user):
    with pytest.raises(ValidationError):
        services.create_customer(actor=admin_user, data={"name": "X", "number": "CUS-9"})
    customer = CustomerFactory()
    with pytest.raises(ValidationError):
        services.update_customer(actor=admin_user, customer=customer, data={"number": "CUS-1"})


def test_blocking_a_supplier_needs_a_reason_and_is_audited(tenant, admin_user):
    supplier = SupplierFactory()
    with pytest.raises(ValidationError) as exc:
        services.set_supplier_approval(actor=admin_user, supplier=supplier, status="blocked")
    assert "approval_note" in exc.value.message_dict
    blocked = services.set_supplier_approval(
        actor=admin_user, supplier=supplier, status="blocked", note="Counterfeit carbide"
    )
    assert blocked.approval_status == "blocked" and not blocked.can_receive_orders
    event = AuditEvent.objects.filter(object_type="partners.supplier", object_id=str(supplier.pk)).last()
    assert event.changes["approval_status"] == ["approved", "blocked"]
    assert event.reason == "Counterfeit carbide"
    assert OutboxEvent.objects.filter(event_type="partners.supplier.approval_changed").exists()


def test_an_unknown_approval_status_is_refused(tenant, admin_user):
    with pytest.raises(ValidationError):
        services.set_supplier_approval(actor=admin_user, supplier=SupplierFactory(), status="maybe", note="x")


def test_only_holders_of_the_approval_permission_block_suppliers(tenant, org):
    buyer = member(org, ["partners.*_supplier", "*.view_*"], username="bob")
    buyer_without = member(org, ["partners.add_supplier", "partners.change_supplier"], username="ben")
    supplier = SupplierFactory()
    with tenancy.use(org, buyer_without):
        with pytest.raises(PermissionDenied):
            services.set_supplier_approval(actor=buyer_without, supplier=supplier, status="blocked", note="x")
        with pytest.raises(PermissionDenied):
            services.update_supplier(actor=buyer_without, supplier=supplier, data={"approval_status": "blocked"})
    with tenancy.use(org, buyer):
        services.set_supplier_approval(actor=buyer, supplier=supplier, status="conditional", note="Audit due")
    assert Supplier.objects.get(pk=supplier.pk).approval_status == "conditional"


def test_a_contact_belongs_to_exactly_one_partner(tenant, admin_user):
    with pytest.raises(ValidationError):
        services.create_contact(actor=admin_user, data={"name": "Nobody"})
    with pytest.raises(ValidationError):
        services.create_contact(
            actor=admin_user, data={"name": "Both", "customer": CustomerFactory(), "supplier": SupplierFactory()}
        )
    contact = services.create_contact(actor=admin_user, data={"name": "Kari", "customer": CustomerFactory()})
    assert contact.customer is not None


def test_a_well_may_only_use_a_rig_of_its_own_customer(tenant, admin_user):
    customer = CustomerFactory()
    other_rig = RigFactory()
    with pytest.raises(ValidationError) as exc:
        services.create_well(actor=admin_user, data={"customer": customer, "name": "A-1", "rig": other_rig})
    assert "another customer" in str(exc.value.message_dict["rig"])
    rig = RigFactory(customer=customer)
    well = services.create_well(
        actor=admin_user,
        data={
            "customer": customer,
            "name": "A-1",
            "rig": rig,
            "field": "Johan Sverdrup",
            "latitude": Decimal("58.85"),
            "longitude": Decimal("2.65"),
            "planned_depth": Decimal("2150"),
        },
    )
    assert well.rig == rig and Well.objects.filter(customer=customer).count() == 1


def test_coordinates_outside_the_globe_are_refused(tenant, admin_user):
    with pytest.raises(ValidationError) as exc:
        services.create_well(
            actor=admin_user, data={"customer": CustomerFactory(), "name": "X", "latitude": Decimal("91")}
        )
    assert "latitude" in exc.value.message_dict


def test_a_customer_with_sites_is_not_deleted(tenant, admin_user):
    customer = CustomerFactory()
    RigFactory(customer=customer)
    with pytest.raises(Conflict):
        services.delete_customer(actor=admin_user, customer=customer)
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_a_rig_with_wells_stays_with_its_customer(tenant, admin_user):
    rig = RigFactory()
    services.create_well(actor=admin_user, data={"customer": rig.customer, "name": "B-2", "rig": rig})
    with pytest.raises(ValidationError):
        services.update_rig(actor=admin_user, rig=rig, data={"customer": CustomerFactory()})

"""Firming planned orders: make -> draft work order, buy -> one purchase order per supplier, all or nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from shopfloor.core.errors import Conflict
from shopfloor.core.models import AuditEvent
from shopfloor.partners.models import Supplier
from shopfloor.partners.tests.factories import SupplierFactory
from shopfloor.planning.models import MrpRun, PlannedOrder
from shopfloor.planning.services.firm import firm_planned_orders
from shopfloor.planning.tests.factories import MrpRunFactory, PlannedOrderFactory
from shopfloor.production.models import WorkOrder
from shopfloor.purchasing.models import PurchaseOrder, PurchaseOrderLine

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _buy(run, supplier=None, **kw):
    return PlannedOrderFactory(run=run, kind=PlannedOrder.Kind.BUY, supplier=supplier, **kw)


def test_make_order_becomes_a_draft_work_order(tenant, admin_user):
    order = PlannedOrderFactory(quantity=Decimal("7"))
    firm_planned_orders(actor=admin_user, planned_orders=[order])
    order.refresh_from_db()
    wo = order.work_order
    assert order.status == PlannedOrder.Status.FIRMED
    assert (wo.item, wo.quantity, wo.plant, wo.due_date, wo.planned_start, wo.status) == (
        order.item,
        Decimal("7"),
        order.plant,
        order.due_date,
        order.start_date,
        "draft",
    )
    assert AuditEvent.objects.filter(object_type="planning.plannedorder", object_id=str(order.pk)).exists()


def test_buy_orders_are_grouped_into_one_purchase_order_per_supplier(tenant, admin_user):
    run = MrpRunFactory()
    steel, carbide = SupplierFactory(), SupplierFactory()
    a = _buy(run, steel, quantity=Decimal("5"), due_date=TODAY + timedelta(days=20))
    b = _buy(run, steel, quantity=Decimal("3"), due_date=TODAY + timedelta(days=10))
    c = _buy(run, carbide, quantity=Decimal("2"))
    firm_planned_orders(actor=admin_user, planned_orders=[a, b, c])
    for o in (a, b, c):
        o.refresh_from_db()
    assert a.purchase_order == b.purchase_order != c.purchase_order
    assert PurchaseOrder.objects.count() == 2
    po = a.purchase_order
    assert po.supplier == steel and po.plant == run.plant and po.expected_date == b.due_date
    lines = list(PurchaseOrderLine.objects.filter(order=po).order_by("position"))
    assert [(line.item, line.quantity, line.due_date) for line in lines] == [
        (b.item, Decimal("3"), b.due_date),
        (a.item, Decimal("5"), a.due_date),
    ]


def test_the_picked_supplier_serves_buy_orders(tenant, admin_user):
    run = MrpRunFactory()
    picked = SupplierFactory()
    order = _buy(run)
    firm_planned_orders(actor=admin_user, planned_orders=[order], supplier=picked)
    order.refresh_from_db()
    assert order.purchase_order.supplier == picked


def test_a_buy_order_without_supplier_is_refused_and_nothing_is_written(tenant, admin_user):
    run = MrpRunFactory()
    make = PlannedOrderFactory(run=run)
    buy = _buy(run)
    with pytest.raises(ValidationError) as exc:
        firm_planned_orders(actor=admin_user, planned_orders=[make, buy])
    assert "supplier" in exc.value.message_dict
    assert not WorkOrder.objects.exists()
    make.refresh_from_db()
    assert make.status == PlannedOrder.Status.PLANNED


def test_a_blocked_supplier_is_refused_and_the_work_order_rolls_back(tenant, admin_user):
    run = MrpRunFactory()
    make = PlannedOrderFactory(run=run)
    buy = _buy(run, SupplierFactory(approval_status=Supplier.ApprovalStatus.BLOCKED))
    with pytest.raises(ValidationError) as exc:
        firm_planned_orders(actor=admin_user, planned_orders=[make, buy])
    assert "blocked" in str(exc.value.message_dict["supplier"])
    assert not WorkOrder.objects.exists() and not PurchaseOrder.objects.exists()
    assert PlannedOrder.objects.filter(status=PlannedOrder.Status.FIRMED).count() == 0


def test_an_already_firmed_order_is_a_conflict(tenant, admin_user):
    order = PlannedOrderFactory()
    firm_planned_orders(actor=admin_user, planned_orders=[order])
    with pytest.raises(Conflict):
        firm_planned_orders(actor=admin_user, planned_orders=[order])
    assert WorkOrder.objects.count() == 1


def test_an_order_of_a_superseded_run_is_a_conflict(tenant, admin_user):
    old = PlannedOrderFactory()
    MrpRunFactory(plant=old.plant)  # a newer finished run: the plan in force
    MrpRunFactory(plant=old.plant, status=MrpRun.Status.RUNNING)  # still running: not in force
    with pytest.raises(Conflict) as exc:
        firm_planned_orders(actor=admin_user, planned_orders=[old])
    assert "superseded" in exc.value.message
    assert not WorkOrder.objects.exists()


def test_another_organizations_order_is_not_found(org, other_org, admin_user):
    from shopfloor.core import tenancy

    with tenancy.use(other_org):
        foreign = PlannedOrderFactory()
    with tenancy.use(org, admin_user), pytest.raises(PlannedOrder.DoesNotExist):
        firm_planned_orders(actor=admin_user, planned_orders=[foreign])

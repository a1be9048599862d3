"""The rules of purchasing: approval by amount, blocked suppliers, receipts with tolerance,
lots and serials, quarantine, and nothing half-posted when a receipt is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import tenancy
from shopfloor.core.errors import Conflict
from shopfloor.core.models import AuditEvent, OutboxEvent
from shopfloor.core.tests.factories import PlantFactory, member
from shopfloor.inventory.models import Location, SerialNumber, StockBalance, StockMove
from shopfloor.inventory.tests.factories import SerialNumberFactory
from shopfloor.partners import services as partner_services
from shopfloor.partners.tests.factories import SupplierFactory
from shopfloor.purchasing import selectors, services
from shopfloor.purchasing.models import PurchaseOrder, Receipt, ReceiptLine
from shopfloor.purchasing.tests.factories import sent_order
from shopfloor.workflows.models import ApprovalRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def approver(org):
    return member(org, ["*"], username="bella")


def _draft(actor, *, price="5", quantity="10", supplier=None):
    order = services.create_purchase_order(
        actor=actor, data={"plant": PlantFactory(), "supplier": supplier or SupplierFactory()}
    )
    services.add_line(
        actor=actor,
        order=order,
        data={"item": ItemFactory(), "quantity": Decimal(quantity), "unit_price": Decimal(price)},
    )
    return order


# --- Orders and approval -------------------------------------------------------------------------


def test_orders_are_numbered_and_start_as_drafts(tenant, admin_user):
    first = _draft(admin_user)
    second = _draft(admin_user)
    assert first.status == "draft"
    assert first.number.startswith("PO-") and second.number != first.number
    assert AuditEvent.objects.filter(object_type="purchasing.purchaseorder", object_id=str(first.pk)).exists()


def test_an_order_to_a_blocked_supplier_is_refused(tenant, admin_user):
    supplier = SupplierFactory()
    partner_services.set_supplier_approval(
        actor=admin_user, supplier=supplier, status="blocked", note="Failed audit 2026-10"
    )
    with pytest.raises(ValidationError) as exc:
        services.create_purchase_order(actor=admin_user, data={"plant": PlantFactory(), "supplier": supplier})
    assert "blocked" in str(exc.value.message_dict["supplier"])
    assert PurchaseOrder.objects.count() == 0


def test_a_supplier_blocked_after_drafting_stops_submit_and_send(tenant, admin_user):
    order = _draft(admin_user)
    partner_services.set_supplier_approval(actor=admin_user, supplier=order.supplier, status="blocked", note="Fraud")
    with pytest.raises(Conflict, match="blocked"):
        services.submit(actor=admin_user, order=order)
    assert PurchaseOrder.objects.get(pk=order.pk).status == "draft"


def test_an_order_within_the_threshold_is_approved_on_submit(tenant, admin_user):
    services.update_settings(actor=admin_user, data={"approval_threshold": Decimal("1000")})
    order = services.submit(actor=admin_user, order=_draft(admin_user, price="100", quantity="10"))  # 1000
    assert order.status == "approved"
    assert order.total == Decimal("1000")


def test_an_order_above_the_threshold_waits_for_an_approver(tenant, admin_user, approver):
    services.update_settings(actor=admin_user, data={"approval_threshold": Decimal("1000")})
    order = services.submit(actor=admin_user, order=_draft(admin_user, price="100.01", quantity="10"))
    assert order.status == "pending_approval"
    with pytest.raises(Conflict):
        services.send(actor=admin_user, order=order)
    with tenancy.use(tenant, approver):
        order = services.approve(actor=approver, order=order, comment="budget ok")
    assert order.status == "approved"
    assert ApprovalRequest.objects.get(object_id=str(order.pk)).status == "approved"
    order = services.send(actor=admin_user, order=order)
    assert order.status == "sent" and order.sent_at is not None


def test_the_buyer_cannot_approve_their_own_order(tenant, admin_user):
    services.update_settings(actor=admin_user, data={"approval_threshold": Decimal("10")})
    order = services.submit(actor=admin_user, order=_draft(admin_user))
    with pytest.raises(PermissionDenied):
        services.approve(actor=admin_user, order=order)
    assert PurchaseOrder.objects.get(pk=order.pk).status == "pending_approval"
    assert not ApprovalRequest.objects.exists()


def test_two_approvals_when_the_workflow_asks_for_two(tenant, admin_user, approver):
    from shopfloor.workflows.models import WorkflowTransition
    from shopfloor.workflows.services import definition_for

    services.update_settings(actor=admin_user, data={"approval_threshold": Decimal("10")})
    order = services.submit(actor=admin_user, order=_draft(admin_user))
    WorkflowTransition.objects.filter(
        definition=definition_for(PurchaseOrder), source__key="pending_approval", target__key="approved"
    ).update(approvals_required=2)
    second = member(tenant, ["purchasing.*", "*.view_*"], username="carl")
    with tenancy.use(tenant, approver):
        assert services.approve(actor=approver, order=order).status == "pending_approval"
    with tenancy.use(tenant, second):
        assert services.approve(actor=second, order=order).status == "approved"


def test_rejecting_needs_a_reason_and_returns_the_order_to_draft(tenant, admin_user, approver):
    services.update_settings(actor=admin_user, data={"approval_threshold": Decimal("10")})
    order = services.submit(actor=admin_user, order=_draft(admin_user))
    with tenancy.use(tenant, approver):
        with pytest.raises(ValidationError):
            services.reject(actor=approver, order=order, comment="  ")
        order = services.reject(actor=approver, order=order, comment="Get a second quote")
    assert order.status == "draft"


def test_lines_change_only_while_draft(tenant, admin_user):
    order = services.submit(actor=admin_user, order=_draft(admin_user))
    with pytest.raises(Conflict, match="only a draft"):
        services.add_line(actor=admin_user, order=order, data={"item": ItemFactory(), "quantity": Decimal("1")})
    with pytest.raises(Conflict):
        services.update_line(actor=admin_user, line=order.lines.get(), data={"quantity": Decimal("99")})


def test_a_line_takes_the_item_standard_cost_and_stock_unit_by_default(tenant, admin_user):
    order = _draft(admin_user)
    item = ItemFactory(standard_cost=Decimal("42.5"))
    line = services.add_line(actor=admin_user, order=order, data={"item": item, "quantity": Decimal("2")})
    assert line.unit_price == Decimal("42.5") and line.unit == item.stock_unit
    assert line.position == 20


def test_submitting_an_order_without_lines_is_refused(tenant, admin_user):
    order = services.create_purchase_order(
        actor=admin_user, data={"plant": PlantFactory(), "supplier": SupplierFactory()}
    )
    with pytest.raises(Conflict, match="no lines"):
        services.submit(actor=admin_user, order=order)


def test_cancel_needs_a_reason(tenant, admin_user):
    order = _draft(admin_user)
    with pytest.raises(ValidationError):
        services.cancel(actor=admin_user, order=order, comment="")
    assert services.cancel(actor=admin_user, order=order, comment="Project stopped").status == "cancelled"


# --- Receipts ----------------------------------------------------------------------------------------


def test_partial_then_full_receipt_moves_the_order_and_the_stock(tenant, admin_user):
    item = ItemFactory()
    order = sent_order(lines=[{"item": item, "quantity": Decimal("10"), "unit_price": Decimal("3")}])
    line = order.lines.get()
    receiving = Location.objects.get(plant=order.plant, location_type="receiving")

    first = services.receive(
        actor=admin_user, order=order, lines=[{"order_line": line.pk, "quantity": "4"}], delivery_note="PS-1"
    )
    assert PurchaseOrder.objects.get(pk=order.pk).status == "partially_received"
    assert first.number.startswith("RCV-") and first.supplier == order.supplier
    services.receive(actor=admin_user, order=order, lines=[{"order_line": line.pk, "quantity": "6"}])

    assert PurchaseOrder.objects.get(pk=order.pk).status == "received"
    line.refresh_from_db()
    assert line.received_quantity == Decimal("10")
    assert StockBalance.objects.get(item=item, location=receiving).on_hand == Decimal("10")
    assert StockMove.objects.filter(item=item, kind="receive", source_number=first.number).count() == 1
    assert services.close(actor=admin_user, order=order).status == "closed"


def test_over_receipt_beyond_the_tolerance_is_refused_and_nothing_posts(tenant, admin_user):
    services.update_settings(actor=admin_user, data={"receipt_tolerance_percent": Decimal("10")})
    item = ItemFactory()
    order = sent_order(lines=[{"item": item, "quantity": Decimal("10"), "unit_price": Decimal("3")}])
    line = order.lines.get()
    with pytest.raises(ValidationError) as exc:
        services.receive(actor=admin_user, order=order, lines=[{"order_line": line.pk, "quantity": "11.5"}])
    assert "tolerance (at most 11)" in str(exc.value.message_dict["lines.0.quantity"])
    assert not Receipt.objects.exists() and not StockMove.objects.filter(item=item).exists()

    services.receive(actor=admin_user, order=order, lines=[{"order_line": line.pk, "quantity": "11"}])
    assert PurchaseOrder.objects.get(pk=order.pk).status == "received"


def test_a_line_tolerance_overrides_the_organizations(tenant, admin_user):
    services.update_settings(actor=admin_user, data={"receipt_tolerance_percent": Decimal("0")})
    order = sent_order(
        lines=[
            {
                "item": ItemFactory(),
                "quantity": Decimal("100"),
                "unit_price": Decimal("1"),
                "over_receipt_tolerance_percent": Decimal("5"),
            }
        ]
    )
    line = order.lines.get()
    services.receive(actor=admin_user, order=order, lines=[{"order_line": line.pk, "quantity": "105"}])
    line.refresh_from_db()
    assert line.received_quantity == Decimal("105")


def test_two_entries_for_one_line_count_together_against_the_tolerance(tenant, admin_user):
    order = sent_order()
    line = order.lines.get()
    with pytest.raises(ValidationError):
        services.receive(
            actor=admin_user,
            order=order,
            lines=[{"order_line": line.pk, "quantity": "6"}, {"order_line": line.pk, "quantity": "6"}],
        )
    assert not Receipt.objects.exists()


def test_lots_are_captured_and_created_on_receipt(tenant, admin_user):
    item = ItemFactory(tracking="lot")
    order = sent_order(lines=[{"item": item, "quantity": Decimal("20"), "unit_price": Decimal("2")}])
    line = order.lines.get()
    with pytest.raises(ValidationError, match="lot number"):
        services.receive(actor=admin_user, order=order, lines=[{"order_line": line.pk, "quantity": "20"}])
    receipt = services.receive(
        actor=admin_user,
        order=order,
        lines=[
            {"order_line": line.pk, "quantity": "12", "lot_number": "H-4471", "supplier_lot": "MILL-9"},
            {"order_line": line.pk, "quantity": "8", "lot_number": "H-4472"},
        ],
    )
    lots = sorted(rl.lot.number for rl in receipt.lines.all())
    assert lots == ["H-4471", "H-4472"]
    assert receipt.lines.get(lot__number="H-4471").lot.supplier_lot == "MILL-9"


def test_serials_are_captured_one_per_unit(tenant, admin_user):
    item = ItemFactory(tracking="serial")
    order = sent_order(lines=[{"item": item, "quantity": Decimal("3"), "unit_price": Decimal("900")}])
    line = order.lines.get()
    with pytest.raises(ValidationError, match="one serial per unit"):
        services.receive(
            actor=admin_user, order=order, lines=[{"order_line": line.pk, "quantity": "3", "serials": ["A1", "A2"]}]
        )
    receipt = services.receive(
        actor=admin_user, order=order, lines=[{"order_line": line.pk, "quantity": "3", "serials": ["A1", "A2", "A3"]}]
    )
    assert receipt.lines.count() == 3
    assert set(SerialNumber.objects.filter(item=item, status="in_stock").values_list("serial", flat=True)) == {
        "A1",
        "A2",
        "A3",
    }


def test_a_serial_that_already_exists_is_refused_and_nothing_posts(tenant, admin_user):
    item = ItemFactory(tracking="serial")
    SerialNumberFactory(item=item, serial="BIT-0007")
    order = sent_order(lines=[{"item": item, "quantity": Decimal("2"), "unit_price": Decimal("900")}])
    line = order.lines.get()
    with pytest.raises(ValidationError, match="BIT-0007 of .* already exists"):
        services.receive(
            actor=admin_user,
            order=order,
            lines=[{"order_line": line.pk, "quantity": "2", "serials": ["BIT-0008", "BIT-0007"]}],
        )
    assert not SerialNumber.objects.filter(serial="BIT-0008").exists()
    assert not Receipt.objects.exists() and not ReceiptLine.objects.exists()
    assert PurchaseOrder.objects.get(pk=order.pk).status == "sent"


def test_items_inspected_on_receipt_go_to_quarantine(tenant, admin_user):
    inspected = ItemFactory(inspect_on_receipt=True)
    plain = ItemFactory()
    order = sent_order(
        lines=[
            {"item": inspected, "quantity": Decimal("5"), "unit_price": Decimal("1")},
            {"item": plain, "quantity": Decimal("5"), "unit_price": Decimal("1")},
        ]
    )
    first, second = order.lines.order_by("position")
    receiving = Location.objects.get(plant=order.plant, location_type="receiving")
    receipt = services.receive(
        actor=admin_user,
        order=order,
        lines=[{"order_line": first.pk, "quantity": "5"}, {"order_line": second.pk, "quantity": "5"}],
    )
    quarantined = receipt.lines.get(item=inspected)
    assert quarantined.quarantined and quarantined.location.location_type == "quarantine"
    assert receipt.lines.get(item=plain).location == receiving
    with pytest.raises(ValidationError, match="quarantine"):
        services._target_location(order, inspected, receiving, "location")


def test_receiving_emits_an_event_with_lines_lots_and_serials(tenant, admin_user):
    item = ItemFactory(tracking="serial", inspect_on_receipt=True)
    order = sent_order(lines=[{"item": item, "quantity": Decimal("1"), "unit_price": Decimal("1200")}])
    receipt = services.receive(
        actor=admin_user,
        order=order,
        lines=[{"order_line": order.lines.get().pk, "quantity": "1", "serials": ["PDC-1"], "lot_number": "L-9"}],
    )
    event = OutboxEvent.objects.get(event_type="purchasing.receipt.posted")
    assert event.payload["number"] == receipt.number
    assert event.payload["supplier"] == order.supplier_id
    [line] = event.payload["lines"]
    assert line["serial_number"] == "PDC-1" and line["lot_number"] == "L-9" and line["quarantined"] is True


def test_only_a_sent_order_is_received(tenant, admin_user):
    order = _draft(admin_user)
    with pytest.raises(Conflict, match="only a sent order"):
        services.receive(actor=admin_user, order=order, lines=[{"order_line": order.lines.get().pk, "quantity": "1"}])


def test_a_line_of_another_order_is_refused(tenant, admin_user):
    order = sent_order()
    other = sent_order()
    with pytest.raises(ValidationError, match="Not a line of this order"):
        services.receive(actor=admin_user, order=order, lines=[{"order_line": other.lines.get().pk, "quantity": "1"}])


def test_a_repeated_idempotency_key_returns_the_first_receipt(tenant, admin_user):
    order = sent_order()
    line = order.lines.get()
    first = services.receive(
        actor=admin_user, order=order, lines=[{"order_line": line.pk, "quantity": "2"}], idempotency_key="k-1"
    )
    again = services.receive(
        actor=admin_user, order=order, lines=[{"order_line": line.pk, "quantity": "2"}], idempotency_key="k-1"
    )
    assert again.pk == first.pk
    line.refresh_from_db()
    assert line.received_quantity == Decimal("2")


def test_a_storekeeper_receives_but_cannot_approve(tenant, admin_user):
    keeper = member(tenant, ["*.view_*", "inventory.*", "purchasing.add_receipt"], username="sam")
    order = sent_order()
    with tenancy.use(tenant, keeper):
        services.receive(actor=keeper, order=order, lines=[{"order_line": order.lines.get().pk, "quantity": "1"}])
        with pytest.raises(PermissionDenied):
            services.submit(actor=keeper, order=_draft(admin_user))


def test_receipts_are_queryable_by_supplier(tenant, admin_user):
    supplier = SupplierFactory()
    for _ in range(2):
        order = sent_order(supplier=supplier)
        services.receive(actor=admin_user, order=order, lines=[{"order_line": order.lines.get().pk, "quantity": "1"}])
    order = sent_order()
    services.receive(actor=admin_user, order=order, lines=[{"order_line": order.lines.get().pk, "quantity": "1"}])
    assert selectors.receipts_for_supplier(supplier=supplier).count() == 2
    assert selectors.receipt_counts_by_supplier()[supplier.pk] == 2


def test_open_order_lines_are_expected_supply(tenant, admin_user):
    item = ItemFactory()
    order = sent_order(lines=[{"item": item, "quantity": Decimal("10"), "unit_price": Decimal("1")}])
    services.receive(actor=admin_user, order=order, lines=[{"order_line": order.lines.get().pk, "quantity": "4"}])
    [(_, quantity)] = selectors.open_supply(item=item, plant=order.plant)
    assert quantity == Decimal("6")


def test_sales_available_to_promise_counts_open_purchase_orders(tenant, admin_user):
    from shopfloor.sales.atp import expected_receipts

    item = ItemFactory()
    order = sent_order(lines=[{"item": item, "quantity": Decimal("8"), "unit_price": Decimal("1")}])
    receipts = expected_receipts(item=item, plant=order.plant)
    assert sum(q for _, q in receipts) == Decimal("8")

"""Production's rules, through the services, on a real database."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from shopfloor.catalog import services as catalog_services
from shopfloor.catalog.tests.factories import BomLineFactory, BomVersionFactory, ItemFactory
from shopfloor.core.errors import Conflict
from shopfloor.core.models import AuditEvent, OutboxEvent
from shopfloor.core.tests.factories import PlantFactory, member
from shopfloor.inventory import services as inventory_services
from shopfloor.inventory.models import Lot, SerialNumber, StockBalance, StockMove
from shopfloor.production import selectors, services
from shopfloor.production.models import (
    GenealogyLink,
    MaterialIssue,
    TimeEntry,
    WorkOrder,
)
from shopfloor.production.tests.factories import WorkOrderFactory, released_order, run_order

pytestmark = pytest.mark.django_db

D = Decimal


def on_hand(item, location, lot=None):
    row = StockBalance.objects.filter(item=item, location=location, lot=lot).first()
    return row.on_hand if row else D(0)


# --- Creating and releasing -------------------------------------------------------------------------


def test_create_work_order_numbers_it_and_starts_in_draft(tenant, admin_user):
    plant = PlantFactory()
    item = ItemFactory()
    wo = services.create_work_order(
        actor=admin_user,
        data={"item": item, "quantity": "4", "plant": plant, "due_date": timezone.localdate() + timedelta(days=3)},
    )
    assert wo.number.startswith("WO-")
    assert wo.status == "draft"
    assert wo.quantity == D(4)
    assert wo.unit == item.stock_unit
    assert AuditEvent.objects.filter(object_type="production.workorder", object_id=str(wo.pk), action="create").exists()
    assert OutboxEvent.objects.filter(event_type="production.workorder.created").exists()


def test_create_work_order_refuses_a_zero_quantity(tenant, admin_user):
    with pytest.raises(ValidationError) as exc:
        services.create_work_order(
            actor=admin_user,
            data={"item": ItemFactory(), "quantity": "0", "plant": PlantFactory(), "due_date": timezone.localdate()},
        )
    assert "quantity" in exc.value.message_dict
    assert not WorkOrder.objects.exists()


def test_create_work_order_needs_the_permission(tenant, org):
    viewer = member(org, ["*.view_*"])
    with pytest.raises(PermissionDenied):
        services.create_work_order(
            actor=viewer,
            data={"item": ItemFactory(), "quantity": "1", "plant": PlantFactory(), "due_date": timezone.localdate()},
        )


def test_repair_order_of_a_serial_product_names_the_unit(tenant, admin_user):
    bit = ItemFactory(tracking="serial")
    wo = services.create_work_order(
        actor=admin_user,
        data={
            "item": bit,
            "quantity": 1,
            "plant": PlantFactory(),
            "due_date": timezone.localdate(),
            "kind": "repair",
            "serial": "BIT-0042",
        },
    )
    assert wo.kind == "repair"
    assert wo.serial.serial == "BIT-0042"
    with pytest.raises(ValidationError) as exc:
        services.create_work_order(
            actor=admin_user,
            data={
                "item": bit,
                "quantity": 1,
                "plant": PlantFactory(),
                "due_date": timezone.localdate(),
                "kind": "repair",
            },
        )
    assert "serial" in exc.value.message_dict


def test_release_copies_bom_and_routing_onto_the_order(tenant, admin_user):
    wo = released_order(quantity=10, per_unit=2)
    assert wo.status == "released"
    assert wo.released_at is not None
    material = wo.materials.get()
    assert material.required_quantity == D(20)
    assert material.unit_cost == D("12.5")
    assert [op.sequence for op in wo.operations.all()] == [10, 20]
    assert all(op.eligible_machines.count() == 1 for op in wo.operations.all())
    assert OutboxEvent.objects.filter(event_type="production.workorder.released", payload__id=wo.pk).exists()


def test_later_engineering_changes_do_not_alter_a_released_order(tenant, admin_user):
    wo = released_order(quantity=10, per_unit=2)
    version = wo.bom_version
    new = catalog_services.copy_bom_version(actor=admin_user, version=version)
    line = new.lines.get()
    catalog_services.save_bom_line(
        actor=admin_user,
        version=new,
        line=line,
        data={"quantity": D(7), "component": line.component, "unit": line.unit},
    )
    catalog_services.release_bom_version(actor=admin_user, version=new)
    wo.refresh_from_db()
    assert wo.materials.get().required_quantity == D(20)


def test_sub_work_orders_are_opened_for_made_components(tenant, admin_user):
    plant = PlantFactory()
    top = ItemFactory(status="active")
    sub = ItemFactory(status="active", make_or_buy="make")
    leaf = ItemFactory(status="active", make_or_buy="buy")
    v_sub = BomVersionFactory(item=sub)
    BomLineFactory(version=v_sub, component=leaf, quantity=3)
    catalog_services.release_bom_version(actor=admin_user, version=v_sub)
    v_top = BomVersionFactory(item=top)
    BomLineFactory(version=v_top, component=sub, quantity=2)
    catalog_services.release_bom_version(actor=admin_user, version=v_top)
    wo = services.create_work_order(
        actor=admin_user,
        data={"item": top, "quantity": 5, "plant": plant, "due_date": timezone.localdate() + timedelta(days=9)},
    )
    services.plan_work_order(actor=admin_user, work_order=wo)
    services.release_work_order(actor=admin_user, work_order=wo)
    child = wo.children.get()
    assert child.item == sub
    assert child.quantity == D(10)
    assert child.status == "draft"
    assert wo.materials.get().sub_work_order == child


def test_release_is_refused_when_the_bom_went_obsolete(tenant, admin_user):
    wo = released_order()
    # A second order on the same item, then its BOM is superseded before release.
    plant = wo.plant
    other = services.create_work_order(
        actor=admin_user, data={"item": wo.item, "quantity": 1, "plant": plant, "due_date": timezone.localdate()}
    )
    services.plan_work_order(actor=admin_user, work_order=other)
    new = catalog_services.copy_bom_version(actor=admin_user, version=wo.bom_version)
    catalog_services.release_bom_version(actor=admin_user, version=new)
    with pytest.raises(Conflict) as exc:
        services.release_work_order(actor=admin_user, work_order=other)
    assert "obsolete" in str(exc.value)
    other.refresh_from_db()
    assert other.status == "planned"
    assert not other.operations.exists()


# --- Job cards and time ---------------------------------------------------------------------------


def test_start_pause_resume_complete_records_time(tenant, admin_user):
    wo = released_order(quantity=10)
    op = wo.operations.order_by("sequence").first()
    machine = op.eligible_machines.first()
    services.start_operation(actor=admin_user, operation=op, machine=machine)
    wo.refresh_from_db()
    assert wo.status == "in_progress"
    assert TimeEntry.objects.filter(operation=op, ended_at__isnull=True).count() == 2
    services.pause_operation(actor=admin_user, operation=op)
    assert TimeEntry.objects.filter(operation=op, ended_at__isnull=True).count() == 0
    services.resume_operation(actor=admin_user, operation=op)
    done = services.complete_operation(
        actor=admin_user, operation=op, good_quantity=9, scrap_quantity=1, scrap_reason="machining"
    )
    assert done.status == "completed"
    assert done.good_quantity == D(9)
    entries = TimeEntry.objects.filter(operation=op)
    assert entries.count() == 4
    assert {e.kind for e in entries} == {"labour", "machine"}
    assert all(e.ended_at is not None and e.minutes is not None for e in entries)
    assert OutboxEvent.objects.filter(event_type="production.operation.completed", payload__id=op.pk).exists()


def test_an_operation_cannot_complete_more_than_it_received(tenant, admin_user):
    wo = released_order(quantity=10)
    first, second = wo.operations.order_by("sequence")
    services.start_operation(actor=admin_user, operation=first)
    with pytest.raises(ValidationError) as exc:
        services.complete_operation(actor=admin_user, operation=first, good_quantity=11)
    assert "received 10" in exc.value.message_dict["good_quantity"][0]
    services.complete_operation(
        actor=admin_user, operation=first, good_quantity=8, scrap_quantity=2, scrap_reason="setup"
    )
    services.start_operation(actor=admin_user, operation=second)
    with pytest.raises(ValidationError):
        services.complete_operation(actor=admin_user, operation=second, good_quantity=9)
    second.refresh_from_db()
    assert second.status == "in_progress"
    services.complete_operation(actor=admin_user, operation=second, good_quantity=8)


def test_scrap_needs_a_reason_code(tenant, admin_user):
    wo = released_order()
    op = wo.operations.order_by("sequence").first()
    services.start_operation(actor=admin_user, operation=op)
    with pytest.raises(ValidationError) as exc:
        services.complete_operation(actor=admin_user, operation=op, good_quantity=5, scrap_quantity=1)
    assert "scrap_reason" in exc.value.message_dict


def test_machine_must_be_eligible(tenant, admin_user):
    from shopfloor.resources.tests.factories import MachineFactory

    wo = released_order()
    op = wo.operations.order_by("sequence").first()
    with pytest.raises(ValidationError) as exc:
        services.start_operation(actor=admin_user, operation=op, machine=MachineFactory())
    assert "machine" in exc.value.message_dict
    op.refresh_from_db()
    assert op.status == "pending"


def test_job_cards_do_not_start_before_release(tenant, admin_user):
    wo = released_order()
    services.transition_work_order(actor=admin_user, work_order=wo, to_state="on_hold", comment="waiting for steel")
    with pytest.raises(Conflict):
        services.start_operation(actor=admin_user, operation=wo.operations.first())


# --- Material ----------------------------------------------------------------------------------------


def test_issue_by_lot_moves_stock_through_the_ledger(tenant, admin_user):
    wo = released_order(quantity=10, stock=50)
    line = wo.materials.get()
    lot = Lot.objects.get(item=line.component)
    issue = services.issue_material(
        actor=admin_user, work_order=wo, material=line, quantity=20, location=wo.issue_location, lot=lot
    )
    assert issue.move.kind == StockMove.Kind.ISSUE
    assert on_hand(line.component, wo.issue_location, lot) == D(30)
    line.refresh_from_db()
    assert line.issued_quantity == D(20)


def test_issuing_from_an_empty_location_is_a_conflict_and_writes_nothing(tenant, admin_user):
    wo = released_order(stock=None)
    line = wo.materials.get()
    lot = Lot.objects.create(item=line.component, number="EMPTY-1")
    with pytest.raises(Conflict):
        services.issue_material(
            actor=admin_user, work_order=wo, material=line, quantity=1, location=wo.issue_location, lot=lot
        )
    assert not MaterialIssue.objects.exists()
    line.refresh_from_db()
    assert line.issued_quantity == 0


def test_issuing_a_lot_of_another_item_is_refused(tenant, admin_user):
    wo = released_order()
    other_lot = Lot.objects.create(item=ItemFactory(tracking="lot"), number="X-1")
    with pytest.raises(ValidationError) as exc:
        services.issue_material(
            actor=admin_user,
            work_order=wo,
            material=wo.materials.get(),
            quantity=1,
            location=wo.issue_location,
            lot=other_lot,
        )
    assert "lot" in exc.value.message_dict
    assert not MaterialIssue.objects.exists()


def test_issuing_a_lot_that_is_not_at_the_location_is_a_conflict(tenant, admin_user):
    wo = released_order()
    line = wo.materials.get()
    elsewhere = Lot.objects.create(item=line.component, number="NOT-HERE")
    with pytest.raises(Conflict):
        services.issue_material(
            actor=admin_user, work_order=wo, material=line, quantity=1, location=wo.issue_location, lot=elsewhere
        )


def test_return_brings_unused_material_back_but_not_more_than_issued(tenant, admin_user):
    wo = released_order(stock=50)
    line = wo.materials.get()
    lot = Lot.objects.get(item=line.component)
    services.issue_material(
        actor=admin_user, work_order=wo, material=line, quantity=20, location=wo.issue_location, lot=lot
    )
    with pytest.raises(ValidationError):
        services.return_material(
            actor=admin_user, work_order=wo, material=line, quantity=21, location=wo.issue_location, lot=lot
        )
    back = services.return_material(
        actor=admin_user, work_order=wo, material=line, quantity=5, location=wo.issue_location, lot=lot
    )
    assert back.kind == "return"
    assert on_hand(line.component, wo.issue_location, lot) == D(35)
    line.refresh_from_db()
    assert line.issued_quantity == D(15)


def test_backflush_at_operation_completion_issues_fefo(tenant, admin_user):
    wo = released_order(quantity=10, stock=None)
    line = wo.materials.get()
    store = wo.issue_location
    older = inventory_services.lot_for_receipt(
        actor=admin_user, item=line.component, number="OLD", expires_on=timezone.localdate() + timedelta(days=5)
    )
    newer = inventory_services.lot_for_receipt(
        actor=admin_user, item=line.component, number="NEW", expires_on=timezone.localdate() + timedelta(days=50)
    )
    inventory_services.receive(actor=admin_user, item=line.component, quantity=12, location=store, lot=older)
    inventory_services.receive(actor=admin_user, item=line.component, quantity=30, location=store, lot=newer)
    services.update_material(actor=admin_user, material=line, data={"backflush": True})
    first, last = wo.operations.order_by("sequence")
    services.start_operation(actor=admin_user, operation=first)
    services.complete_operation(actor=admin_user, operation=first, good_quantity=10)
    assert not MaterialIssue.objects.filter(work_order=wo).exists()  # consumed at the last operation
    services.start_operation(actor=admin_user, operation=last)
    services.complete_operation(actor=admin_user, operation=last, good_quantity=10)
    issues = {i.lot.number: i.quantity for i in MaterialIssue.objects.filter(work_order=wo, kind="backflush")}
    assert issues == {"OLD": D(12), "NEW": D(8)}


def test_backflush_without_stock_refuses_the_whole_completion(tenant, admin_user):
    wo = released_order(quantity=10, stock=5, operations=1)
    line = wo.materials.get()
    services.update_material(actor=admin_user, material=line, data={"backflush": True})
    op = wo.operations.get()
    services.start_operation(actor=admin_user, operation=op)
    with pytest.raises(Conflict):
        services.complete_operation(actor=admin_user, operation=op, good_quantity=10)
    op.refresh_from_db()
    assert op.status == "in_progress"
    assert op.good_quantity == 0
    assert not MaterialIssue.objects.exists()


# --- Completion guards ----------------------------------------------------------------------------------


def test_completion_is_refused_with_open_operations(tenant, admin_user):
    wo = released_order()
    op = wo.operations.order_by("sequence").first()
    services.start_operation(actor=admin_user, operation=op)
    with pytest.raises(Conflict) as exc:
        services.complete_work_order(actor=admin_user, work_order=wo)
    assert "not completed" in str(exc.value)
    wo.refresh_from_db()
    assert wo.status == "in_progress"


def test_completion_is_refused_with_unissued_material(tenant, admin_user):
    wo = run_order(released_order(), issue=False)
    with pytest.raises(Conflict) as exc:
        services.complete_work_order(actor=admin_user, work_order=wo)
    assert "Material not fully issued" in str(exc.value)


def test_full_run_completes_and_receives_output_with_generated_lot(tenant, admin_user):
    wo = run_order(released_order(quantity=10))
    outputs = services.receive_output(actor=admin_user, work_order=wo, quantity=10)
    assert [o.lot.number for o in outputs] == [f"L-{wo.number.replace('-', '')}-01"]
    assert on_hand(wo.item, wo.output_location, outputs[0].lot) == D(10)
    services.transition_work_order(actor=admin_user, work_order=wo, to_state="qc")
    services.complete_work_order(actor=admin_user, work_order=wo)
    wo.refresh_from_db()
    assert wo.status == "completed"
    assert wo.completed_at is not None
    assert OutboxEvent.objects.filter(event_type="production.workorder.completed", payload__id=wo.pk).exists()


def test_output_cannot_exceed_the_last_operations_good_quantity(tenant, admin_user):
    wo = run_order(released_order(quantity=10))
    with pytest.raises(ValidationError):
        services.receive_output(actor=admin_user, work_order=wo, quantity=11)
    services.receive_output(actor=admin_user, work_order=wo, quantity=6)
    with pytest.raises(ValidationError):
        services.receive_output(actor=admin_user, work_order=wo, quantity=5)


def test_serial_output_generates_serials_and_refuses_an_existing_one(tenant, admin_user):
    wo = run_order(released_order(quantity=3, product_tracking="serial"))
    SerialNumber.objects.create(item=wo.item, serial="TAKEN-1")
    with pytest.raises(Conflict):
        services.receive_output(actor=admin_user, work_order=wo, quantity=1, serials=["TAKEN-1"])
    assert wo.outputs.count() == 0
    outputs = services.receive_output(actor=admin_user, work_order=wo, quantity=2)
    compact = wo.number.replace("-", "")
    assert [o.serial.serial for o in outputs] == [f"SN-{compact}-001", f"SN-{compact}-002"]
    assert set(SerialNumber.objects.filter(pk__in=[o.serial_id for o in outputs]).values_list("status", flat=True)) == {
        "in_stock"
    }


def test_genealogy_links_consumed_lots_to_produced_lots_both_ways(tenant, admin_user):
    wo = run_order(released_order(quantity=10))
    (output,) = services.receive_output(actor=admin_user, work_order=wo, quantity=10)
    consumed_lot = MaterialIssue.objects.get(work_order=wo).lot
    link = GenealogyLink.objects.get(work_order=wo)
    assert (link.consumed_lot, link.produced_lot) == (consumed_lot, output.lot)
    back = selectors.genealogy_backward(lot=output.lot)
    assert [n["lot"] for n in back["children"]] == [consumed_lot]
    forward = selectors.genealogy_forward(lot=consumed_lot)
    assert [n["lot"] for n in forward["children"]] == [output.lot]


def test_cancel_is_refused_once_material_is_issued(tenant, admin_user):
    wo = released_order()
    line = wo.materials.get()
    services.issue_material(
        actor=admin_user,
        work_order=wo,
        material=line,
        quantity=1,
        location=wo.issue_location,
        lot=line.component.lots.first(),
    )
    with pytest.raises(Conflict):
        services.transition_work_order(
            actor=admin_user, work_order=wo, to_state="cancelled", comment="no longer needed"
        )


# --- Cost and progress ------------------------------------------------------------------------------


def test_cost_and_progress(tenant, admin_user):
    wo = released_order(quantity=10)
    assert selectors.progress(wo) == 0
    first = wo.operations.order_by("sequence").first()
    services.start_operation(actor=admin_user, operation=first)
    services.complete_operation(actor=admin_user, operation=first, good_quantity=10)
    assert selectors.progress(wo) == 50
    cost = selectors.cost_summary(wo)
    assert cost["planned"]["material"] == D("250")  # 20 x 12.50
    assert cost["actual"]["material"] == D(0)


def test_late_orders_are_flagged(tenant, admin_user):
    late = WorkOrderFactory(due_date=timezone.localdate() - timedelta(days=1))
    on_time = WorkOrderFactory(due_date=timezone.localdate() + timedelta(days=1))
    flags = {wo.pk: wo.is_late for wo in selectors.work_orders()}
    assert flags[late.pk] is True
    assert flags[on_time.pk] is False


# --- Sales orders --------------------------------------------------------------------------------


def test_work_order_from_a_sales_order_line_takes_its_item_quantity_and_date(tenant, admin_user):
    from shopfloor.sales.tests.factories import confirmed_order

    product = ItemFactory(status="active", make_or_buy="make")
    order = confirmed_order(item=product, quantity=6)
    line = order.lines.get()
    (wo,) = services.create_work_orders_for_sales_order(actor=admin_user, order=order)
    assert (wo.item, wo.quantity, wo.due_date, wo.plant) == (product, D(6), line.due_date, order.plant)
    assert wo.sales_order_line == line
    # Already covered: a second call opens nothing more.
    assert services.create_work_orders_for_sales_order(actor=admin_user, order=order) == []


def test_open_work_orders_are_supply_for_available_to_promise(tenant, admin_user):
    from shopfloor.sales.atp import expected_receipts

    wo = WorkOrderFactory(quantity=D(7))
    assert expected_receipts(item=wo.item, plant=wo.plant) == []  # a draft promises nothing
    services.plan_work_order(actor=admin_user, work_order=wo)
    assert expected_receipts(item=wo.item, plant=wo.plant) == [(max(wo.due_date, timezone.localdate()), D(7))]


def test_putting_an_order_on_hold_pauses_running_job_cards(tenant, admin_user):
    wo = released_order()
    op = wo.operations.order_by("sequence").first()
    services.start_operation(actor=admin_user, operation=op)
    services.transition_work_order(actor=admin_user, work_order=wo, to_state="on_hold", comment="spindle broke")
    op.refresh_from_db()
    assert op.status == "paused"
    assert not TimeEntry.objects.filter(operation=op, ended_at__isnull=True).exists()
    with pytest.raises(Conflict):
        services.resume_operation(actor=admin_user, operation=op)
    services.transition_work_order(actor=admin_user, work_order=wo, to_state="in_progress")
    assert services.resume_operation(actor=admin_user, operation=op).status == "in_progress"


def test_booking_time_by_hand_needs_its_permission_and_counts_in_cost(tenant, org, admin_user):
    wo = released_order()
    op = wo.operations.order_by("sequence").first()
    only_ops = member(org, ["*.view_*", "production.change_operation"])
    start = timezone.now() - timedelta(hours=2)
    with pytest.raises(PermissionDenied):
        services.book_time(actor=only_ops, operation=op, kind="labour", started_at=start, minutes=30)
    entry = services.book_time(
        actor=admin_user, operation=op, kind="labour", started_at=start, minutes=90, user=admin_user
    )
    assert entry.minutes == D(90)
    assert selectors.cost_summary(wo)["actual"]["labour"] == D("142.50")  # 1.5 h x 95.00

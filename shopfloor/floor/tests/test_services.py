"""The terminal's scans: each becomes the production service call it means, or a clear refusal."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import tenancy
from shopfloor.core.errors import Conflict
from shopfloor.floor import services
from shopfloor.inventory.models import StockBalance
from shopfloor.inventory.tests.factories import LocationFactory, LotFactory
from shopfloor.production.models import MaterialIssue, Operation
from shopfloor.production.tests.factories import released_order

pytestmark = pytest.mark.django_db


def on_hand(item, location, lot=None) -> Decimal:
    row = StockBalance.objects.filter(item=item, location=location, lot=lot).first()
    return row.on_hand if row else Decimal(0)


def first_op(wo) -> Operation:
    return wo.operations.order_by("sequence").first()


def test_order_and_operation_codes_open_them(tenant, admin_user):
    wo = released_order(operations=2)
    op20 = wo.operations.get(sequence=20)
    assert services.scan(actor=admin_user, text=wo.number).target == wo
    assert services.scan(actor=admin_user, text=f"{wo.number}/20").target == op20
    assert services.scan(actor=admin_user, text=f"OP:{op20.pk}").target == op20
    with pytest.raises(ValidationError) as info:
        services.scan(actor=admin_user, text=f"{wo.number}/99")
    assert info.value.message_dict["code"] == [f"{wo.number} has no operation 99."]


def test_another_organizations_order_is_not_found(org, other_org, admin_user):
    with tenancy.use(other_org):
        foreign = released_order(organization=other_org)
    with tenancy.use(org, admin_user), pytest.raises(ValidationError) as info:
        services.scan(actor=admin_user, text=foreign.number)
    assert info.value.message_dict["code"] == [f"No work order {foreign.number}."]


def test_start_pause_resume_by_scanned_commands(tenant, admin_user):
    wo = released_order(operations=2)
    op = first_op(wo)
    result = services.scan(actor=admin_user, text="START", context=op)
    assert result.message == "Operation 10 started."
    op.refresh_from_db()
    wo.refresh_from_db()
    assert (op.status, op.operator, wo.status) == ("in_progress", admin_user, "in_progress")
    services.scan(actor=admin_user, text="cmd:pause", context=op)
    op.refresh_from_db()
    assert op.status == "paused"
    services.scan(actor=admin_user, text="RESUME", context=op)
    op.refresh_from_db()
    assert op.status == "in_progress"
    assert op.time_entries.filter(kind="labour").count() == 2


def test_a_command_needs_an_operation_on_screen(tenant, admin_user):
    wo = released_order()
    with pytest.raises(ValidationError) as info:
        services.scan(actor=admin_user, text="START", context=wo)
    assert "Scan an operation first" in info.value.message_dict["code"][0]


def test_complete_opens_the_quantities_only_for_a_started_operation(tenant, admin_user):
    op = first_op(released_order())
    with pytest.raises(Conflict):
        services.scan(actor=admin_user, text="COMPLETE", context=op)
    services.scan(actor=admin_user, text="START", context=op)
    op.refresh_from_db()
    result = services.scan(actor=admin_user, text="DONE", context=op)
    assert (result.target, result.step) == (op, "complete")
    done = services.complete(actor=admin_user, operation=op, good="8", scrap="2", scrap_reason="material")
    assert (done.status, done.good_quantity, done.scrap_quantity) == ("completed", 8, 2)


def test_complete_refuses_more_than_received_and_writes_nothing(tenant, admin_user):
    op = first_op(released_order(quantity=10))
    services.scan(actor=admin_user, text="START", context=op)
    with pytest.raises(ValidationError):
        services.complete(actor=admin_user, operation=op, good="11")
    op.refresh_from_db()
    assert (op.status, op.good_quantity) == ("in_progress", 0)


def test_a_scanned_lot_proposes_what_the_order_still_needs_from_where_it_is(tenant, admin_user):
    wo = released_order(quantity=10, per_unit=2, stock=100)
    material = wo.materials.get()
    lot = material.component.lots.get()
    result = services.scan(actor=admin_user, text=f"LOT:{lot.item.number}:{lot.number}", context=first_op(wo))
    assert result.step == "issue"
    assert result.prefill["lot"] == lot
    assert result.prefill["location"] == wo.issue_location
    assert result.prefill["quantity"] == "20"


def test_the_proposal_is_capped_by_the_stock_of_the_lot_there(tenant, admin_user):
    wo = released_order(quantity=10, per_unit=2, stock=15)
    lot = wo.materials.get().component.lots.get()
    proposal = services.issue_proposal(work_order=wo, lot=lot)
    assert proposal["quantity"] == "15"


def test_issue_of_a_scanned_lot_goes_through_the_ledger_once_per_key(tenant, admin_user):
    wo = released_order(quantity=10, per_unit=2, stock=100)
    material = wo.materials.get()
    lot = material.component.lots.get()
    op = first_op(wo)
    issue = services.issue_lot(
        actor=admin_user, work_order=wo, lot=lot, location=wo.issue_location, quantity="20", operation=op, key="k-1"
    )
    again = services.issue_lot(
        actor=admin_user, work_order=wo, lot=lot, location=wo.issue_location, quantity="20", operation=op, key="k-1"
    )
    assert again.pk == issue.pk
    assert MaterialIssue.objects.filter(work_order=wo).count() == 1
    assert on_hand(material.component, wo.issue_location, lot) == 80
    material.refresh_from_db()
    assert material.issued_quantity == 20
    assert (issue.lot, issue.operation, issue.move.source_number) == (lot, op, wo.number)


def test_issuing_more_than_the_lot_has_there_is_a_conflict_and_writes_nothing(tenant, admin_user):
    wo = released_order(stock=5)
    material = wo.materials.get()
    lot = material.component.lots.get()
    with pytest.raises(Conflict):
        services.issue_lot(actor=admin_user, work_order=wo, lot=lot, location=wo.issue_location, quantity="6")
    assert on_hand(material.component, wo.issue_location, lot) == 5
    assert not MaterialIssue.objects.filter(work_order=wo).exists()


def test_a_scanned_serial_is_issued_at_once_from_where_it_is(tenant, admin_user):
    wo = released_order(quantity=2, per_unit=1, component_tracking="serial", stock=3)
    material = wo.materials.get()
    serial = material.component.serial_numbers.order_by("serial").first()
    result = services.scan(actor=admin_user, text=f"SN:{serial.item.number}:{serial.serial}", context=wo)
    assert result.message == (
        f"Issued {serial.item.number} SN {serial.serial} from {wo.issue_location.code} to {wo.number}."
    )
    serial.refresh_from_db()
    assert serial.status == "issued"
    with pytest.raises(Conflict):
        services.scan(actor=admin_user, text=f"SN:{serial.item.number}:{serial.serial}", context=wo)


def test_material_labels_need_an_order_on_screen_and_an_item_it_uses(tenant, admin_user):
    wo = released_order()
    stranger = LotFactory(item=ItemFactory(number="NOT-USED", tracking="lot"), number="X1")
    with pytest.raises(ValidationError) as info:
        services.scan(actor=admin_user, text="LOT:NOT-USED:X1")
    assert "Scan the work order or operation first" in info.value.message_dict["code"][0]
    with pytest.raises(ValidationError) as info:
        services.scan(actor=admin_user, text=f"LOT:NOT-USED:{stranger.number}", context=wo)
    assert info.value.message_dict["code"] == [f"NOT-USED is not on the material list of {wo.number}."]


def test_a_lot_with_no_stock_in_the_plant_is_a_conflict(tenant, admin_user):
    wo = released_order()
    empty = LotFactory(item=wo.materials.get().component, number="EMPTY-1")
    with pytest.raises(Conflict) as info:
        services.scan(actor=admin_user, text=f"LOT:{empty.item.number}:EMPTY-1", context=wo)
    assert "has no stock at plant" in info.value.message


def test_a_location_label_is_not_material(tenant, admin_user):
    wo = released_order()
    LocationFactory(plant=wo.plant, code="RACK-1")
    with pytest.raises(ValidationError) as info:
        services.scan(actor=admin_user, text=f"LOC:{wo.plant.code}:RACK-1", context=wo)
    assert "location label" in info.value.message_dict["code"][0]


def test_terminal_actions_keep_production_permissions(tenant, org, admin_user):
    from django.core.exceptions import PermissionDenied

    from shopfloor.core.tests.factories import member

    op = first_op(released_order())
    viewer = member(org, ["*.view_*"], username="watcher")
    with pytest.raises(PermissionDenied):
        services.scan(actor=viewer, text="START", context=op)
    op.refresh_from_db()
    assert op.status == "pending"

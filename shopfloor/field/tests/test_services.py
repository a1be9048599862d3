"""The rules of field assets, on a real database: lifecycle, ledger, runs, dull grades, repairs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shopfloor.core.errors import Conflict
from shopfloor.core.models import AuditEvent, OutboxEvent
from shopfloor.core.tests.factories import member
from shopfloor.field import iadc, selectors, services
from shopfloor.field.models import Assignment, BitRun, DullGrade, FieldAsset, FieldRepair
from shopfloor.inventory.models import Location, SerialNumber, StockBalance, StockMove
from shopfloor.inventory.tests.factories import LocationFactory
from shopfloor.partners.tests.factories import RigFactory, WellFactory
from shopfloor.workflows import services as workflow
from shopfloor.workflows.models import TransitionRecord

from .factories import GOOD_GRADE, FieldAssetFactory, finish_repair, walk

pytestmark = pytest.mark.django_db


def _history(asset):
    return list(
        TransitionRecord.objects.filter(object_type="field.fieldasset", object_id=str(asset.pk))
        .order_by("id")
        .values_list("from_state", "to_state")
    )


# --- Receiving and the ledger --------------------------------------------------------------------------


def test_receiving_a_new_bit_puts_its_serial_on_the_shelf(tenant, admin_user):
    asset = FieldAssetFactory()
    shelf = LocationFactory(plant=asset.plant)
    asset = services.receive(actor=admin_user, asset=asset, location=shelf)
    assert asset.status == "in_stock"
    serial = SerialNumber.objects.get(pk=asset.serial_id)
    assert serial.location_id == shelf.pk and serial.status == "in_stock"
    assert StockBalance.objects.get(item=asset.item, location=shelf).on_hand == 1
    move = StockMove.objects.get(serial=serial)
    assert (move.kind, move.source_number) == ("receive", asset.number)
    assert _history(asset) == [("new", "in_stock")]


def test_receiving_needs_a_real_location_of_the_assets_plant(tenant, admin_user):
    asset = FieldAssetFactory()
    elsewhere = LocationFactory()
    with pytest.raises(ValidationError) as exc:
        services.receive(actor=admin_user, asset=asset, location=elsewhere)
    assert "not in the asset's plant" in exc.value.message_dict["location"][0]
    assert FieldAsset.objects.get(pk=asset.pk).status == "new"
    assert not StockMove.objects.exists()


# --- Assignment and shipment ----------------------------------------------------------------------------


def test_assigning_records_the_rig_and_customer_on_the_asset(tenant, admin_user):
    made = walk("assigned")
    asset = FieldAsset.objects.get(pk=made["asset"].pk)
    assert asset.status == "assigned"
    assert asset.rig_id == made["rig"].pk and asset.customer_id == made["rig"].customer_id
    assignment = made["assignment"]
    assert assignment.is_open and assignment.well_id == made["well"].pk


def test_assigning_refuses_a_well_of_another_customer(tenant, admin_user):
    asset = walk("in_stock")["asset"]
    rig, foreign_well = RigFactory(), WellFactory()
    with pytest.raises(ValidationError) as exc:
        services.assign(actor=admin_user, asset=asset, rig=rig, well=foreign_well)
    assert "another customer" in exc.value.message_dict["well"][0]
    assert not Assignment.objects.exists()
    assert FieldAsset.objects.get(pk=asset.pk).status == "in_stock"


def test_a_bit_cannot_go_in_field_without_an_assignment(tenant, admin_user):
    asset = walk("in_stock")["asset"]
    with pytest.raises(Conflict):
        services.ship(actor=admin_user, asset=asset)
    # Not through the workflow engine directly either: the transition does not start from in stock,
    # and from "assigned" its guards want an open assignment and a shipped serial.
    with pytest.raises(Conflict):
        workflow.transition(asset, "in_field", admin_user)
    assert FieldAsset.objects.get(pk=asset.pk).status == "in_stock"


def test_the_in_field_transition_is_guarded_by_the_shipment(tenant, admin_user):
    asset = walk("assigned")["asset"]
    with pytest.raises(Conflict) as exc:
        workflow.transition(asset, "in_field", admin_user)
    assert "has not been shipped" in exc.value.message
    assert FieldAsset.objects.get(pk=asset.pk).status == "assigned"


def test_shipping_moves_the_serial_to_the_customer_location(tenant, admin_user):
    made = walk("in_field")
    asset, shelf = made["asset"], made["shelf"]
    serial = SerialNumber.objects.get(pk=asset.serial_id)
    assert (serial.location_id, serial.status) == (None, "shipped")
    assert StockBalance.objects.get(item=asset.item, location=shelf).on_hand == 0
    ship = StockMove.objects.get(serial=serial, reason_code=services.SHIP_REASON)
    assert ship.to_location.location_type == Location.Type.CUSTOMER
    assignment = Assignment.objects.get(pk=made["assignment"].pk)
    assert assignment.ship_move_id == ship.pk and assignment.shipped_at is not None
    assert FieldAsset.objects.get(pk=asset.pk).status == "in_field"


def test_unassigning_frees_the_bit(tenant, admin_user):
    made = walk("assigned")
    asset = services.unassign(actor=admin_user, asset=made["asset"])
    assert (asset.status, asset.rig_id, asset.customer_id) == ("in_stock", None, None)
    assert Assignment.objects.get(pk=made["assignment"].pk).end_reason == "unassigned"


# --- Runs ------------------------------------------------------------------------------------------------


def test_a_run_stores_footage_and_rate_of_penetration(tenant, admin_user):
    made = walk("in_field")
    run = services.record_run(
        actor=admin_user,
        asset=made["asset"],
        data={"well": made["well"], "depth_in": "1500.5", "depth_out": "2300", "hours_on_bottom": "31.5"},
    )
    run.refresh_from_db()
    assert run.footage == Decimal("799.50")
    assert run.rop == Decimal("25.38")  # 799.5 / 31.5 = 25.3809...
    assert run.run_number == 1
    second = services.record_run(
        actor=admin_user,
        asset=made["asset"],
        data={"depth_in": "2300", "depth_out": "2400", "hours_on_bottom": "4", "depth_unit": "m"},
    )
    assert (second.run_number, second.well_id, second.rop) == (2, made["well"].pk, Decimal("25.00"))


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"depth_in": "2000", "depth_out": "1900", "hours_on_bottom": "5"}, "depth_out", "deeper than depth in"),
        ({"depth_in": "2000", "depth_out": "2000", "hours_on_bottom": "5"}, "depth_out", "deeper than depth in"),
        ({"depth_in": "1000", "depth_out": "1900", "hours_on_bottom": "0"}, "hours_on_bottom", "more than zero"),
        ({"depth_in": "-5", "depth_out": "1900", "hours_on_bottom": "3"}, "depth_in", "negative"),
        ({"depth_in": "abc", "depth_out": "1900", "hours_on_bottom": "3"}, "depth_in", "not a number"),
        ({"depth_out": "1900", "hours_on_bottom": "3"}, "depth_in", "Give the depth in"),
    ],
)
def test_bad_runs_are_refused_and_nothing_is_recorded(tenant, admin_user, data, field, words):
    asset = walk("in_field")["asset"]
    with pytest.raises(ValidationError) as exc:
        services.record_run(actor=admin_user, asset=asset, data=data)
    assert words in exc.value.message_dict[field][0]
    assert not BitRun.objects.exists()


def test_a_bit_that_is_not_in_the_field_does_not_run(tenant, admin_user):
    asset = walk("assigned")["asset"]
    with pytest.raises(ValidationError) as exc:
        services.record_run(
            actor=admin_user, asset=asset, data={"depth_in": "1", "depth_out": "2", "hours_on_bottom": "1"}
        )
    assert "only a bit in the field" in exc.value.message_dict["asset"][0]
    assert not BitRun.objects.exists()


def test_correcting_a_run_computes_footage_again(tenant, admin_user):
    run = walk("ran")["run"]
    run = services.update_run(actor=admin_user, run=run, data={"depth_out": Decimal("1300"), "hours_on_bottom": 4})
    assert (run.footage, run.rop) == (Decimal("100"), Decimal("25.00"))
    with pytest.raises(ValidationError):
        services.update_run(actor=admin_user, run=run, data={"depth_out": Decimal("1000")})
    run.refresh_from_db()
    assert run.depth_out == Decimal("1300")


# --- Return and dull grade -------------------------------------------------------------------------------


def test_returning_brings_the_serial_back_ends_the_assignment_and_stores_the_grade(tenant, admin_user):
    made = walk("returned")
    asset, grade = FieldAsset.objects.get(pk=made["asset"].pk), made["dull_grade"]
    assert asset.status == "returned" and asset.rig_id is None
    assert grade.code == "1-2-WT-S-X-I-CT-TD"
    assert grade.run_id == made["run"].pk and grade.assignment_id == made["assignment"].pk
    serial = SerialNumber.objects.get(pk=asset.serial_id)
    assert (serial.location_id, serial.status) == (made["shelf"].pk, "in_stock")
    assignment = Assignment.objects.get(pk=made["assignment"].pk)
    assert assignment.end_reason == "returned" and assignment.return_move.reason_code == services.RETURN_REASON
    assert OutboxEvent.objects.filter(event_type="field.fieldasset.returned").exists()
    assert AuditEvent.objects.filter(object_type="field.dullgrade", object_id=str(grade.pk)).exists()


def test_an_invalid_dull_grade_is_refused_and_the_bit_stays_in_the_field(tenant, admin_user):
    made = walk("in_field")
    bad = {**GOOD_GRADE, "inner_rows": 9, "dull_characteristic": "ZZ", "bearings_seals": "E", "location": "M"}
    with pytest.raises(ValidationError) as exc:
        services.return_from_field(actor=admin_user, asset=made["asset"], location=made["shelf"], grade=bad)
    errors = exc.value.message_dict
    assert "0 to 8" in errors["inner_rows"][0]
    assert "'ZZ' is not an IADC dull characteristic code for a fixed cutter bit" in errors["dull_characteristic"][0]
    assert "'E' is not an IADC bearings/seals code" in errors["bearings_seals"][0]
    assert "'M' is not an IADC location code" in errors["location"][0]
    assert FieldAsset.objects.get(pk=made["asset"].pk).status == "in_field"
    assert not DullGrade.objects.exists()
    assert not StockMove.objects.filter(reason_code=services.RETURN_REASON).exists()
    assert Assignment.objects.get(pk=made["assignment"].pk).is_open


def test_roller_cone_codes_and_cone_numbers():
    grade = {
        "inner_rows": "2",
        "outer_rows": "4",
        "dull_characteristic": "bc",
        "location": "31",
        "bearings_seals": "F",
        "gauge": "2/16",
        "other_characteristic": "WT",
        "reason_pulled": "pr",
    }
    cleaned = iadc.clean(iadc.ROLLER_CONE, grade)
    assert iadc.as_text(cleaned) == "2-4-BC-13-F-2-WT-PR"
    with pytest.raises(ValidationError) as exc:
        iadc.clean(iadc.ROLLER_CONE, {**grade, "location": "A"})
    assert "cone number" in exc.value.message_dict["location"][0]
    with pytest.raises(ValidationError) as exc:
        iadc.clean(iadc.ROLLER_CONE, {**grade, "dull_characteristic": "BF", "bearings_seals": "X", "gauge": "17"})
    assert set(exc.value.message_dict) == {"dull_characteristic", "bearings_seals", "gauge"}
    with pytest.raises(ValidationError) as exc:
        iadc.clean(iadc.ROLLER_CONE, {**grade, "reason_pulled": "XYZ", "gauge": ""})
    assert set(exc.value.message_dict) == {"reason_pulled", "gauge"}


def test_fixed_cutter_bits_have_no_bearings_and_their_own_locations():
    cleaned = iadc.clean(iadc.FIXED_CUTTER, {**GOOD_GRADE, "location": "t", "dull_characteristic": "DL"})
    assert (cleaned["location"], cleaned["bearings_seals"]) == ("T", "X")
    assert ("BF", "BF - Bond failure") in iadc.choices(iadc.FIXED_CUTTER, "dull_characteristic")
    assert "BF" not in dict(iadc.choices(iadc.ROLLER_CONE, "dull_characteristic"))


def test_the_return_transition_needs_a_grade(tenant, admin_user):
    made = walk("in_field")
    asset = made["asset"]
    # Someone moves the serial back and ends the assignment by hand: still no grade, no return.
    Assignment.objects.filter(pk=made["assignment"].pk).update(ended_at="2026-01-01T00:00:00Z")
    with pytest.raises(Conflict) as exc:
        workflow.transition(asset, "returned", admin_user)
    assert "no IADC dull grade" in exc.value.message


# --- Repair, back in stock, scrap ------------------------------------------------------------------------


def test_starting_a_repair_opens_a_repair_work_order_with_the_grading(tenant, admin_user):
    from shopfloor.production.models import WorkOrder

    made = walk("under_repair")
    repair = made["repair"]
    assert FieldAsset.objects.get(pk=made["asset"].pk).status == "under_repair"
    work_order = WorkOrder.objects.get(pk=repair.work_order_id, number=repair.work_order_number)
    assert (work_order.kind, work_order.serial_id, work_order.quantity) == ("repair", made["asset"].serial_id, 1)
    assert "1-2-WT-S-X-I-CT-TD" in work_order.notes
    assert repair.dull_grade_id == made["dull_grade"].pk


def test_a_bit_that_was_not_returned_is_not_sent_to_repair(tenant, admin_user):
    asset = walk("in_stock")["asset"]
    with pytest.raises(Conflict):
        services.start_repair(actor=admin_user, asset=asset)
    assert not FieldRepair.objects.exists()


def test_a_bit_stays_under_repair_while_its_work_order_is_open(tenant, admin_user):
    made = walk("under_repair")
    with pytest.raises(Conflict) as exc:
        services.back_in_stock(actor=admin_user, asset=made["asset"])
    assert f"Repair work order {made['repair'].work_order_number} is draft" in exc.value.message
    assert FieldAsset.objects.get(pk=made["asset"].pk).status == "under_repair"
    assert FieldRepair.objects.get(pk=made["repair"].pk).completed_at is None


def test_a_repaired_bit_goes_back_in_stock_and_closes_the_repair(tenant, admin_user):
    made = walk("under_repair")
    finish_repair(made["repair"], admin_user)
    other_shelf = LocationFactory(plant=made["asset"].plant)
    asset = services.back_in_stock(actor=admin_user, asset=made["asset"], location=other_shelf)
    assert asset.status == "in_stock"
    assert FieldRepair.objects.get(pk=made["repair"].pk).completed_at is not None
    assert SerialNumber.objects.get(pk=asset.serial_id).location_id == other_shelf.pk
    assert _history(asset) == [
        ("new", "in_stock"),
        ("in_stock", "assigned"),
        ("assigned", "in_field"),
        ("in_field", "returned"),
        ("returned", "under_repair"),
        ("under_repair", "in_stock"),
    ]


def test_scrapping_from_the_shelf_moves_the_serial_to_scrap(tenant, admin_user):
    asset = walk("returned")["asset"]
    asset = services.scrap(actor=admin_user, asset=asset, reason="Body cracked")
    assert asset.status == "scrapped"
    serial = SerialNumber.objects.get(pk=asset.serial_id)
    assert serial.status == "scrapped"
    assert StockMove.objects.filter(serial=serial, kind="scrap").count() == 1


def test_a_bit_lost_in_hole_is_written_off_without_a_ledger_move(tenant, admin_user):
    made = walk("in_field")
    moves = StockMove.objects.count()
    asset = services.scrap(actor=admin_user, asset=made["asset"], reason="Twisted off, fishing failed")
    assert asset.status == "scrapped"
    assert Assignment.objects.get(pk=made["assignment"].pk).end_reason == "lost_in_hole"
    assert StockMove.objects.count() == moves


def test_scrapping_needs_a_reason(tenant, admin_user):
    asset = walk("in_stock")["asset"]
    with pytest.raises(ValidationError) as exc:
        services.scrap(actor=admin_user, asset=asset, reason=" ")
    assert "reason" in exc.value.message_dict


# --- Permissions, creation, the life page ---------------------------------------------------------------


def test_a_viewer_cannot_ship(tenant, viewer_user):
    asset = walk("assigned")["asset"]
    with pytest.raises(PermissionDenied):
        services.ship(actor=viewer_user, asset=asset)
    assert FieldAsset.objects.get(pk=asset.pk).status == "assigned"


def test_creating_an_asset_registers_a_new_serial_once(tenant, admin_user, org):
    from shopfloor.catalog.tests.factories import ItemFactory
    from shopfloor.core.tests.factories import PlantFactory

    item, plant = ItemFactory(tracking="serial"), PlantFactory()
    asset = services.create_asset(
        actor=admin_user, data={"plant": plant, "item": item, "serial_text": " PDC-7781 ", "bit_type": "roller_cone"}
    )
    assert asset.number.startswith("FA-") and asset.serial.serial == "PDC-7781" and asset.status == "new"
    with pytest.raises(ValidationError) as exc:
        services.create_asset(actor=admin_user, data={"plant": plant, "item": item, "serial_text": "PDC-7781"})
    assert "already followed" in exc.value.message_dict["serial"][0]
    untracked = ItemFactory()
    with pytest.raises(ValidationError):
        services.create_asset(actor=admin_user, data={"plant": plant, "item": untracked, "serial_text": "X1"})
    assert FieldAsset.objects.count() == 1


def test_the_life_of_a_serial_holds_everything_in_order(tenant, admin_user):
    made = walk("under_repair")
    finish_repair(made["repair"], admin_user)
    asset = services.back_in_stock(actor=admin_user, asset=made["asset"])
    life = selectors.life(asset)
    assert [m.reason_code for m in life.moves] == ["field-receipt", "field-ship", "field-return"]
    assert len(life.receipts) == 1
    assert [a.pk for a in life.assignments] == [made["assignment"].pk]
    assert [(r.footage, r.rop) for r in life.runs] == [(Decimal("950.00"), Decimal("25.00"))]
    assert [g.code for g in life.dull_grades] == ["1-2-WT-S-X-I-CT-TD"]
    assert len(life.repairs) == 1 and life.repairs[0].completed_at is not None
    assert [t.to_state for t in life.transitions][-1] == "in_stock"
    assert life.totals["by_unit"] == [
        {"unit": "m", "footage": Decimal("950.00"), "hours": Decimal("38.00"), "rop": Decimal("25.00")}
    ]


def test_a_member_limited_to_another_plant_cannot_assign(tenant, org):
    from shopfloor.core.tests.factories import PlantFactory

    asset = walk("in_stock")["asset"]
    elsewhere = member(org, ["*"], username="bob", plants=[PlantFactory()])
    with pytest.raises(PermissionDenied):
        services.assign(actor=elsewhere, asset=asset, rig=RigFactory())
    assert not Assignment.objects.exists()

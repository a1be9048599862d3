"""Inspection plans and inspections: versions, automatic creation, readings, pass and fail."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from shopfloor.catalog.tests.factories import ItemFactory, ItemUnitConversionFactory
from shopfloor.core.errors import Conflict
from shopfloor.core.models import AuditEvent, OutboxEvent
from shopfloor.inventory.models import Location, StockBalance
from shopfloor.inventory.tests.factories import LocationFactory
from shopfloor.production import services as production_services
from shopfloor.production.tests.factories import released_order
from shopfloor.purchasing import services as purchasing_services
from shopfloor.purchasing.tests.factories import sent_order
from shopfloor.quality.models import Inspection, InspectionPlan, Measurement, Ncr
from shopfloor.quality.services import inspection as services
from shopfloor.workflows import services as workflow_services

RECEIVING = InspectionPlan.Context.RECEIVING


def _released_plan(actor, item, context=RECEIVING, **data):
    plan = services.create_plan(actor=actor, item=item, context=context, data=data)
    services.add_characteristic(
        actor=actor,
        plan=plan,
        data={"name": "Bore", "kind": "variable", "lsl": "9.95", "usl": "10.05", "gauge_min": "0", "gauge_max": "25"},
    )
    return services.release_plan(actor=actor, plan=plan)


def _receive(actor, order, quantity):
    line = order.lines.first()
    data = {"order_line": line.pk, "quantity": quantity}
    if line.item.tracking == "lot":
        data["lot_number"] = "L-1"
    return purchasing_services.receive(actor=actor, order=order, lines=[data])


def test_plans_are_versioned_and_releasing_one_obsoletes_the_last(tenant, admin_user):
    item = ItemFactory()
    first = _released_plan(admin_user, item)
    second = _released_plan(admin_user, item)
    first.refresh_from_db()
    assert (first.version, first.status) == (1, "obsolete")
    assert (second.version, second.status) == (2, "released")
    assert services.released_plan(item=item, context=RECEIVING) == second


def test_a_plan_without_characteristics_is_not_released(tenant, admin_user):
    plan = services.create_plan(actor=admin_user, item=ItemFactory(), context=RECEIVING)
    with pytest.raises(ValidationError) as caught:
        services.release_plan(actor=admin_user, plan=plan)
    assert "characteristics" in caught.value.message_dict
    plan.refresh_from_db()
    assert plan.status == "draft"


def test_a_released_plan_is_not_edited(tenant, admin_user):
    plan = _released_plan(admin_user, ItemFactory())
    with pytest.raises(Conflict):
        services.update_plan(actor=admin_user, plan=plan, data={"sample_size": 5})


def test_iso_sampling_sizes_the_inspection_from_the_lot(tenant, admin_user):
    plan = _released_plan(admin_user, ItemFactory(), sampling="iso2859", inspection_level="II", aql="0.65")
    assert services.plan_sampling(plan, Decimal("500")) == (80, 1, 2)
    assert services.plan_sampling(plan, Decimal("1000")) == (80, 1, 2)


def test_iso_sampling_needs_an_aql_from_the_table(tenant, admin_user):
    with pytest.raises(ValidationError) as caught:
        services.create_plan(
            actor=admin_user, item=ItemFactory(), context=RECEIVING, data={"sampling": "iso2859", "aql": "0.7"}
        )
    assert "aql" in caught.value.message_dict


def test_a_receipt_of_an_item_with_a_plan_opens_an_inspection(tenant, admin_user, django_capture_on_commit_callbacks):
    item = ItemFactory(make_or_buy="buy", inspect_on_receipt=True, tracking="none")
    _released_plan(admin_user, item, sample_size=3, accept_number=0)
    order = sent_order(lines=[{"item": item, "quantity": Decimal("20"), "unit_price": Decimal("2")}])
    with django_capture_on_commit_callbacks(execute=True):
        receipt = _receive(admin_user, order, "20")
    inspection = Inspection.objects.get()
    assert inspection.source_number == receipt.number
    assert (inspection.quantity, inspection.sample_size, inspection.accept_number) == (Decimal("20"), 3, 0)
    assert inspection.location.location_type == Location.Type.QUARANTINE
    assert inspection.home_location.location_type == Location.Type.RECEIVING
    # the handler runs once per event: dispatching again opens nothing more
    from shopfloor.core import events

    event = OutboxEvent.objects.get(event_type="purchasing.receipt.posted")
    events.dispatch(event.pk)
    assert Inspection.objects.count() == 1


def _boxed_receipt(actor, capture, boxes="2"):
    """A receipt of `boxes` boxes of 12 of an item stocked in each, inspected on receipt."""
    item = ItemFactory(make_or_buy="buy", inspect_on_receipt=True, tracking="none")
    box = ItemUnitConversionFactory(item=item, factor_numerator=12)
    _released_plan(actor, item, sample_size=2, accept_number=0)
    order = sent_order(lines=[{"item": item, "quantity": Decimal(boxes), "unit": box.unit, "unit_price": Decimal("2")}])
    with capture(execute=True):
        receipt = _receive(actor, order, boxes)
    return receipt, box, Inspection.objects.get(item=item)


def test_a_receipt_in_boxes_is_inspected_in_stock_units(tenant, admin_user, django_capture_on_commit_callbacks):
    receipt, box, inspection = _boxed_receipt(admin_user, django_capture_on_commit_callbacks)
    line = OutboxEvent.objects.get(event_type="purchasing.receipt.posted").payload["lines"][0]
    each = inspection.item.stock_unit.code
    assert (Decimal(line["quantity"]), line["unit"]) == (Decimal("2"), box.unit.code)
    assert (Decimal(line["stock_quantity"]), line["stock_unit"]) == (Decimal("24"), each)
    assert inspection.quantity == Decimal("24")
    assert StockBalance.objects.get(item=inspection.item, location=inspection.location).on_hand == Decimal("24")


def test_a_pass_releases_every_unit_of_a_boxed_receipt(tenant, admin_user, django_capture_on_commit_callbacks):
    _, _, inspection = _boxed_receipt(admin_user, django_capture_on_commit_callbacks)
    quarantine, receiving = inspection.location, inspection.home_location
    _measure_all(admin_user, inspection, "10.01")
    services.complete_inspection(actor=admin_user, inspection=inspection)
    assert StockBalance.objects.get(item=inspection.item, location=receiving).on_hand == Decimal("24")
    assert StockBalance.objects.get(item=inspection.item, location=quarantine).on_hand == Decimal("0")


def test_a_fail_on_a_boxed_receipt_opens_the_ncr_on_every_unit(tenant, admin_user, django_capture_on_commit_callbacks):
    _, _, inspection = _boxed_receipt(admin_user, django_capture_on_commit_callbacks)
    _measure_all(admin_user, inspection, "10.2")
    done = services.complete_inspection(actor=admin_user, inspection=inspection)
    assert Ncr.objects.get(origin_type="quality.inspection", origin_id=done.pk).quantity == Decimal("24")


def test_a_receipt_event_without_its_stock_quantity_reads_it_from_the_stock_move(tenant, admin_user):
    """A receipt event emitted before its lines carried `stock_quantity` still inspects 24 each."""
    from shopfloor.quality.handlers_inspection import inspect_receipt

    item = ItemFactory(make_or_buy="buy", inspect_on_receipt=True, tracking="none")
    box = ItemUnitConversionFactory(item=item, factor_numerator=12)
    _released_plan(admin_user, item, sample_size=2, accept_number=0)
    order = sent_order(lines=[{"item": item, "quantity": Decimal("2"), "unit": box.unit, "unit_price": Decimal("2")}])
    _receive(admin_user, order, "2")  # on-commit handlers do not run: the event waits in the outbox
    event = OutboxEvent.objects.get(event_type="purchasing.receipt.posted")
    for line in event.payload["lines"]:
        del line["stock_quantity"], line["stock_unit"]
    inspect_receipt(event)
    assert Inspection.objects.get(item=item).quantity == Decimal("24")


def _measure_all(actor, inspection, value):
    ch = inspection.plan.characteristics.get()
    entries = [{"characteristic": ch.pk, "sample": s, "value": value} for s in range(1, inspection.sample_size + 1)]
    return services.record_measurements(actor=actor, inspection=inspection, entries=entries)


def _quarantined_receipt(actor, capture, quantity="20"):
    item = ItemFactory(make_or_buy="buy", inspect_on_receipt=True, tracking="none")
    _released_plan(actor, item, sample_size=2, accept_number=0)
    order = sent_order(lines=[{"item": item, "quantity": Decimal(quantity), "unit_price": Decimal("2")}])
    with capture(execute=True):
        _receive(actor, order, quantity)
    return Inspection.objects.get(item=item)


def test_a_pass_releases_quarantined_stock_to_receiving(tenant, admin_user, django_capture_on_commit_callbacks):
    inspection = _quarantined_receipt(admin_user, django_capture_on_commit_callbacks)
    quarantine, receiving = inspection.location, inspection.home_location
    _measure_all(admin_user, inspection, "10.01")
    done = services.complete_inspection(actor=admin_user, inspection=inspection)
    assert (done.status, done.nonconforming) == ("passed", 0)
    assert StockBalance.objects.get(item=inspection.item, location=receiving).on_hand == Decimal("20")
    assert not StockBalance.objects.filter(item=inspection.item, location=quarantine, on_hand__gt=0).exists()
    assert OutboxEvent.objects.filter(event_type="quality.inspection.passed", payload__id=done.pk).exists()


def test_a_fail_keeps_stock_in_quarantine(tenant, admin_user, django_capture_on_commit_callbacks):
    inspection = _quarantined_receipt(admin_user, django_capture_on_commit_callbacks)
    quarantine = inspection.location
    _measure_all(admin_user, inspection, "10.2")
    done = services.complete_inspection(actor=admin_user, inspection=inspection)
    assert (done.status, done.nonconforming) == ("failed", 2)
    assert StockBalance.objects.get(item=inspection.item, location=quarantine).on_hand == Decimal("20")
    assert OutboxEvent.objects.filter(event_type="quality.inspection.failed", payload__id=done.pk).exists()
    ncr = Ncr.objects.get(origin_type="quality.inspection", origin_id=done.pk)
    assert (ncr.number, ncr.source, ncr.quantity) == (done.ncr_number, "inspection", Decimal("20"))
    assert ncr.location == quarantine and ncr.receipt_line_id == int(done.source_id)
    assert AuditEvent.objects.filter(object_id=str(done.pk), action="transition").exists()


def test_a_fail_moves_stock_in_the_open_to_quarantine(tenant, admin_user, django_capture_on_commit_callbacks):
    item = ItemFactory(make_or_buy="buy", tracking="none")
    _released_plan(admin_user, item, sample_size=1)
    order = sent_order(lines=[{"item": item, "quantity": Decimal("5"), "unit_price": Decimal("2")}])
    with django_capture_on_commit_callbacks(execute=True):
        _receive(admin_user, order, "5")
    inspection = Inspection.objects.get(item=item)
    receiving = inspection.location
    assert receiving.location_type == Location.Type.RECEIVING
    _measure_all(admin_user, inspection, "9.0")
    done = services.complete_inspection(actor=admin_user, inspection=inspection)
    assert done.status == "failed"
    assert done.location.location_type == Location.Type.QUARANTINE
    assert Ncr.objects.get(number=done.ncr_number).location == done.location
    assert StockBalance.objects.get(item=item, location=done.location).on_hand == Decimal("5")
    assert StockBalance.objects.get(item=item, location=receiving).on_hand == 0


def test_readings_within_ac_still_pass(tenant, admin_user):
    item = ItemFactory()
    plan = _released_plan(admin_user, item, sample_size=3, accept_number=1)
    inspection = services.create_inspection(actor=admin_user, plan=plan, plant=LocationFactory().plant, quantity=10)
    ch = plan.characteristics.get()
    services.record_measurements(
        actor=admin_user,
        inspection=inspection,
        entries=[
            {"characteristic": ch.pk, "sample": 1, "value": "10"},
            {"characteristic": ch.pk, "sample": 2, "value": "10.06"},
            {"characteristic": ch.pk, "sample": 3, "value": "9.95"},
        ],
    )
    assert services.complete_inspection(actor=admin_user, inspection=inspection).status == "passed"


def test_a_reading_outside_the_gauge_range_records_nothing(tenant, admin_user):
    plan = _released_plan(admin_user, ItemFactory(), sample_size=2)
    inspection = services.create_inspection(actor=admin_user, plan=plan, plant=LocationFactory().plant, quantity=10)
    ch = plan.characteristics.get()
    with pytest.raises(ValidationError) as caught:
        services.record_measurements(
            actor=admin_user,
            inspection=inspection,
            entries=[
                {"characteristic": ch.pk, "sample": 1, "value": "10"},
                {"characteristic": ch.pk, "sample": 2, "value": "100", "field": "m-2"},
            ],
        )
    assert "above what the gauge can read" in caught.value.message_dict["m-2"][0]
    assert Measurement.objects.count() == 0


def test_an_inspection_is_completed_only_when_every_reading_is_in(tenant, admin_user):
    plan = _released_plan(admin_user, ItemFactory(), sample_size=2)
    inspection = services.create_inspection(actor=admin_user, plan=plan, plant=LocationFactory().plant, quantity=10)
    with pytest.raises(ValidationError):
        services.complete_inspection(actor=admin_user, inspection=inspection)
    _measure_all(admin_user, inspection, "10")
    services.complete_inspection(actor=admin_user, inspection=inspection)
    with pytest.raises(Conflict):
        services.complete_inspection(actor=admin_user, inspection=inspection)
    with pytest.raises(Conflict):
        _measure_all(admin_user, inspection, "10")


def test_attributes_and_defect_counts(tenant, admin_user):
    plan = services.create_plan(actor=admin_user, item=ItemFactory(), context=RECEIVING, data={"sample_size": 1})
    visual = services.add_characteristic(actor=admin_user, plan=plan, data={"name": "Visual", "kind": "attribute"})
    pits = services.add_characteristic(
        actor=admin_user, plan=plan, data={"name": "Pits", "kind": "defects", "max_defects": 2}
    )
    plan = services.release_plan(actor=admin_user, plan=plan)
    inspection = services.create_inspection(actor=admin_user, plan=plan, plant=LocationFactory().plant, quantity=4)
    rows = services.record_measurements(
        actor=admin_user,
        inspection=inspection,
        entries=[{"characteristic": visual.pk, "value": "pass"}, {"characteristic": pits.pk, "value": "3"}],
    )
    assert [(r.passed, r.defects, r.conforming) for r in rows] == [(True, None, True), (None, 3, False)]
    with pytest.raises(ValidationError):
        services.record_measurements(
            actor=admin_user, inspection=inspection, entries=[{"characteristic": visual.pk, "value": "maybe"}]
        )
    assert services.complete_inspection(actor=admin_user, inspection=inspection).status == "failed"


def test_completing_an_operation_with_an_in_process_plan_opens_an_inspection(
    tenant, admin_user, django_capture_on_commit_callbacks
):
    wo = released_order(quantity=4)
    op = wo.operations.order_by("sequence").first()
    _released_plan(
        admin_user, wo.item, context=InspectionPlan.Context.IN_PROCESS, operation_sequence=op.sequence, sample_size=2
    )
    production_services.start_operation(actor=admin_user, operation=op)
    with django_capture_on_commit_callbacks(execute=True):
        production_services.complete_operation(actor=admin_user, operation=op, good_quantity=4)
    inspection = Inspection.objects.get(work_order=wo)
    assert (inspection.context, inspection.quantity, inspection.sample_size) == ("in_process", Decimal("4"), 2)
    assert inspection.source_number == f"{wo.number}/{op.sequence}"


def test_a_work_order_entering_qc_gets_a_final_inspection(tenant, admin_user):
    wo = released_order(quantity=3, operations=1)
    _released_plan(admin_user, wo.item, context=InspectionPlan.Context.FINAL, sample_size=1)
    op = wo.operations.get()
    production_services.start_operation(actor=admin_user, operation=op)
    production_services.complete_operation(actor=admin_user, operation=op, good_quantity=3)
    workflow_services.transition(wo, "qc", admin_user)
    inspection = Inspection.objects.get(work_order=wo, context="final")
    assert inspection.quantity == Decimal("3") and inspection.source_number == wo.number

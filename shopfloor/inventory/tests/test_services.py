"""The ledger's rules, through the services, on a real database."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from shopfloor.catalog.tests.factories import ItemFactory, ItemUnitConversionFactory, UnitFactory
from shopfloor.core.errors import Conflict
from shopfloor.core.models import Notification
from shopfloor.core.tests.factories import PlantFactory, member
from shopfloor.inventory import selectors, services
from shopfloor.inventory.models import (
    CycleCountLine,
    Location,
    Lot,
    SerialNumber,
    StockBalance,
    StockMove,
)
from shopfloor.inventory.tests.factories import LocationFactory, LotFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def plant(tenant):
    return PlantFactory()


@pytest.fixture
def shelf(plant):
    return LocationFactory(plant=plant, code="A-01")


@pytest.fixture
def shelf2(plant):
    return LocationFactory(plant=plant, code="A-02")


@pytest.fixture
def bolt(tenant):
    return ItemFactory(number="BOLT-M12")


def on_hand(item, location, lot=None):
    row = StockBalance.objects.filter(item=item, location=location, lot=lot).first()
    return row.on_hand if row else D(0)


def test_receive_creates_the_move_and_the_balance(admin_user, bolt, shelf):
    move = services.receive(actor=admin_user, item=bolt, quantity="25", location=shelf)
    assert move.kind == "receive"
    assert move.from_location.location_type == Location.Type.SUPPLIER
    assert on_hand(bolt, shelf) == D(25)
    services.receive(actor=admin_user, item=bolt, quantity="5", location=shelf)
    assert on_hand(bolt, shelf) == D(30)
    assert StockBalance.objects.filter(item=bolt, location=shelf).count() == 1


def test_virtual_locations_keep_no_balance(admin_user, bolt, shelf):
    services.receive(actor=admin_user, item=bolt, quantity="7", location=shelf)
    services.issue(actor=admin_user, item=bolt, quantity="2", location=shelf)
    assert not StockBalance.objects.filter(location__location_type__in=Location.VIRTUAL_TYPES).exists()


def test_issue_refuses_to_go_negative_and_writes_nothing(admin_user, bolt, shelf):
    services.receive(actor=admin_user, item=bolt, quantity="3", location=shelf)
    with pytest.raises(Conflict, match=r"Only 3 .* available at A-01"):
        services.issue(actor=admin_user, item=bolt, quantity="4", location=shelf)
    assert StockMove.objects.count() == 1
    assert on_hand(bolt, shelf) == D(3)


def test_transfer_moves_between_locations_and_refuses_other_plants(admin_user, bolt, shelf, shelf2):
    services.receive(actor=admin_user, item=bolt, quantity="10", location=shelf)
    services.transfer(actor=admin_user, item=bolt, quantity="4", source=shelf, target=shelf2)
    assert (on_hand(bolt, shelf), on_hand(bolt, shelf2)) == (D(6), D(4))
    elsewhere = LocationFactory(plant=PlantFactory())
    with pytest.raises(ValidationError):
        services.transfer(actor=admin_user, item=bolt, quantity="1", source=shelf, target=elsewhere)


def test_a_location_that_allows_negative_stock_goes_below_zero(admin_user, bolt, plant):
    floor = LocationFactory(plant=plant, allow_negative=True)
    services.issue(actor=admin_user, item=bolt, quantity="5", location=floor)
    assert on_hand(bolt, floor) == D(-5)


def test_adjust_needs_a_reason_and_goes_both_ways(admin_user, bolt, shelf):
    with pytest.raises(ValidationError):
        services.adjust(actor=admin_user, item=bolt, quantity="5", location=shelf, reason_code="")
    services.adjust(actor=admin_user, item=bolt, quantity="5", location=shelf, reason_code="found")
    services.adjust(actor=admin_user, item=bolt, quantity="-2", location=shelf, reason_code="damaged")
    assert on_hand(bolt, shelf) == D(3)
    kinds = set(StockMove.objects.values_list("from_location__location_type", "to_location__location_type"))
    assert kinds == {("adjustment", "storage"), ("storage", "adjustment")}


def test_scrap_goes_to_the_plants_scrap_location(admin_user, bolt, shelf):
    services.receive(actor=admin_user, item=bolt, quantity="5", location=shelf)
    move = services.scrap(actor=admin_user, item=bolt, quantity="2", location=shelf, reason_code="bent")
    assert move.to_location.location_type == Location.Type.SCRAP
    assert on_hand(bolt, move.to_location) == D(2)
    assert selectors.total_available(item=bolt) == D(3)


def test_quantities_in_another_unit_convert_exactly(admin_user, tenant, shelf):
    item = ItemFactory()
    box = ItemUnitConversionFactory(item=item, factor_numerator=12).unit
    move = services.receive(actor=admin_user, item=item, quantity="2", unit=box, location=shelf)
    assert (move.quantity, move.entered_quantity, move.entered_unit_id) == (D(24), D(2), box.pk)
    stranger = UnitFactory()
    with pytest.raises(ValidationError):
        services.receive(actor=admin_user, item=item, quantity="1", unit=stranger, location=shelf)


def test_lot_tracked_items_need_a_lot_and_untracked_refuse_one(admin_user, shelf, tenant):
    tracked = ItemFactory(tracking="lot")
    with pytest.raises(ValidationError, match="lot"):
        services.receive(actor=admin_user, item=tracked, quantity="1", location=shelf)
    lot = LotFactory(item=tracked)
    services.receive(actor=admin_user, item=tracked, quantity="4", location=shelf, lot=lot)
    assert on_hand(tracked, shelf, lot) == D(4)
    plain = ItemFactory()
    with pytest.raises(ValidationError, match="not tracked by lot"):
        services.receive(actor=admin_user, item=plain, quantity="1", location=shelf, lot=lot)


def test_a_serial_is_in_exactly_one_place(admin_user, shelf, shelf2, tenant):
    item = ItemFactory(tracking="serial")
    serial = services.serial_for_receipt(actor=admin_user, item=item, serial="SN-1")
    with pytest.raises(ValidationError, match="quantity 1"):
        services.receive(actor=admin_user, item=item, quantity="2", location=shelf, serial=serial)
    services.receive(actor=admin_user, item=item, quantity="1", location=shelf, serial=serial)
    serial.refresh_from_db()
    assert (serial.location_id, serial.status) == (shelf.pk, SerialNumber.Status.IN_STOCK)
    with pytest.raises(Conflict, match="not outside the plant"):
        services.receive(actor=admin_user, item=item, quantity="1", location=shelf2, serial=serial)
    with pytest.raises(Conflict, match="not at A-02"):
        services.transfer(actor=admin_user, item=item, quantity="1", source=shelf2, target=shelf, serial=serial)
    services.issue(actor=admin_user, item=item, quantity="1", location=shelf, serial=serial)
    serial.refresh_from_db()
    assert (serial.location_id, serial.status) == (None, SerialNumber.Status.ISSUED)
    assert StockMove.objects.filter(serial=serial).count() == 2


def test_reverse_undoes_a_move_once(admin_user, bolt, shelf):
    move = services.receive(actor=admin_user, item=bolt, quantity="8", location=shelf)
    back = services.reverse(actor=admin_user, move=move)
    assert back.reverses_id == move.pk and back.to_location_id == move.from_location_id
    assert on_hand(bolt, shelf) == D(0)
    with pytest.raises(Conflict, match="already been reversed"):
        services.reverse(actor=admin_user, move=move)


def test_the_database_refuses_a_second_reversal(admin_user, bolt, shelf):
    move = services.receive(actor=admin_user, item=bolt, quantity="8", location=shelf)
    services.reverse(actor=admin_user, move=move)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockMove.objects.create(
            plant=move.plant,
            item=bolt,
            quantity=1,
            entered_quantity=1,
            entered_unit=bolt.stock_unit,
            from_location=move.to_location,
            to_location=move.from_location,
            kind="receive",
            reverses=move,
        )


def test_an_idempotency_key_writes_once(admin_user, bolt, shelf):
    first = services.receive(actor=admin_user, item=bolt, quantity="8", location=shelf, idempotency_key="rcpt-1")
    again = services.receive(actor=admin_user, item=bolt, quantity="8", location=shelf, idempotency_key="rcpt-1")
    assert first.pk == again.pk
    assert on_hand(bolt, shelf) == D(8)


def test_reservations_never_exceed_on_hand(admin_user, bolt, shelf):
    services.receive(actor=admin_user, item=bolt, quantity="10", location=shelf)
    reservation = services.reserve(actor=admin_user, item=bolt, location=shelf, quantity="6")
    assert reservation.status == "open"
    with pytest.raises(Conflict, match="Only 4"):
        services.reserve(actor=admin_user, item=bolt, location=shelf, quantity="5")
    with pytest.raises(Conflict, match="Only 4"):
        services.issue(actor=admin_user, item=bolt, quantity="5", location=shelf)
    services.release(actor=admin_user, reservation=reservation)
    reservation.refresh_from_db()
    assert reservation.status == "released"
    with pytest.raises(Conflict):
        services.release(actor=admin_user, reservation=reservation)
    assert StockBalance.objects.get(item=bolt, location=shelf).reserved == D(0)


def test_an_issue_may_consume_its_reservation(admin_user, bolt, shelf):
    services.receive(actor=admin_user, item=bolt, quantity="10", location=shelf)
    reservation = services.reserve(actor=admin_user, item=bolt, location=shelf, quantity="10")
    services.issue(actor=admin_user, item=bolt, quantity="10", location=shelf, reservation=reservation)
    reservation.refresh_from_db()
    assert reservation.status == "consumed"
    balance = StockBalance.objects.get(item=bolt, location=shelf)
    assert (balance.on_hand, balance.reserved) == (D(0), D(0))


def test_a_storekeeper_limited_to_another_plant_cannot_move_stock(org, bolt, shelf):
    other = PlantFactory()
    storekeeper = member(org, ["inventory.*", "*.view_*"], plants=[other], username="sam")
    with pytest.raises(PermissionDenied):
        services.receive(actor=storekeeper, item=bolt, quantity="1", location=shelf)


def test_balances_include_child_locations(admin_user, bolt, plant):
    store = LocationFactory(plant=plant, code="STORE")
    bin1 = LocationFactory(plant=plant, code="STORE-1", parent=store)
    bin2 = LocationFactory(plant=plant, code="STORE-1-A", parent=bin1)
    services.receive(actor=admin_user, item=bolt, quantity="2", location=bin1)
    services.receive(actor=admin_user, item=bolt, quantity="3", location=bin2)
    services.reserve(actor=admin_user, item=bolt, location=bin2, quantity="1")
    totals = selectors.stock_totals(item=bolt, location=store)
    assert (totals.on_hand, totals.reserved, totals.available) == (D(5), D(1), D(4))
    assert selectors.stock_totals(item=bolt, location=store, include_children=False).on_hand == D(0)


def test_stock_as_of_a_past_date_sums_the_ledger(admin_user, bolt, shelf):
    past = timezone.now() - timedelta(days=10)
    services.post_move(
        actor=admin_user,
        item=bolt,
        quantity="9",
        from_location=services.virtual_location(shelf.plant_id, "supplier"),
        to_location=shelf,
        kind="receive",
        posted_at=past,
    )
    services.issue(actor=admin_user, item=bolt, quantity="4", location=shelf)
    rows = selectors.stock_as_of(when=past + timedelta(days=1), item=bolt)
    assert rows == [{"item": bolt.pk, "location": shelf.pk, "lot": None, "on_hand": D(9)}]
    assert selectors.stock_as_of(when=timezone.now(), item=bolt)[0]["on_hand"] == D(5)


def test_ledger_keyset_pages_cover_every_move_once(admin_user, bolt, shelf):
    when = timezone.now()
    supplier = services.virtual_location(shelf.plant_id, "supplier")
    for i in range(7):
        services.post_move(
            actor=admin_user,
            item=bolt,
            quantity="1",
            from_location=supplier,
            to_location=shelf,
            kind="receive",
            posted_at=when - timedelta(seconds=i // 2),  # ties on the instant
        )
    seen, after = [], None
    while True:
        page = selectors.ledger(after=after, size=3)
        if not page:
            break
        seen += [m.pk for m in page]
        after = (page[-1].posted_at, page[-1].pk)
    assert sorted(seen) == sorted(StockMove.objects.values_list("pk", flat=True))
    assert len(seen) == len(set(seen)) == 7


def test_fefo_suggests_the_first_expiring_lot_first(admin_user, shelf, tenant):
    item = ItemFactory(tracking="lot")
    late = LotFactory(item=item, number="LATE", expires_on=date(2031, 1, 1))
    soon = LotFactory(item=item, number="SOON", expires_on=date(2030, 1, 1))
    never = LotFactory(item=item, number="NEVER")
    for lot in (late, soon, never):
        services.receive(actor=admin_user, item=item, quantity="5", location=shelf, lot=lot)
    picks = selectors.fefo(item=item, quantity=D(7))
    assert [(p["lot"].number, p["take"]) for p in picks] == [("SOON", D(5)), ("LATE", D(2))]
    assert [p["lot"].number for p in selectors.fefo(item=item)] == ["SOON", "LATE", "NEVER"]


def test_low_stock_notifies_once_per_crossing(org, admin_user, shelf, tenant, viewer_user):
    item = ItemFactory(reorder_point=D(10))
    services.receive(actor=admin_user, item=item, quantity="20", location=shelf)
    services.issue(actor=admin_user, item=item, quantity="8", location=shelf)  # 12: above
    assert not Notification.objects.filter(event_type="inventory.stock.low").exists()
    services.issue(actor=admin_user, item=item, quantity="3", location=shelf)  # 9: crossed
    services.issue(actor=admin_user, item=item, quantity="1", location=shelf)  # 8: still low
    assert Notification.objects.filter(event_type="inventory.stock.low", recipient=viewer_user).count() == 1
    services.receive(actor=admin_user, item=item, quantity="10", location=shelf)  # 18: back above
    services.issue(actor=admin_user, item=item, quantity="10", location=shelf)  # 8: crossed again
    assert Notification.objects.filter(event_type="inventory.stock.low", recipient=viewer_user).count() == 2


def test_small_count_variance_posts_directly(admin_user, bolt, shelf):
    services.receive(actor=admin_user, item=bolt, quantity="10", location=shelf)
    count = services.start_count(actor=admin_user, location=shelf)
    line = count.lines.get()
    assert line.expected_quantity == D(10)
    services.record_count(actor=admin_user, line=line, counted_quantity="9")
    services.submit_count(actor=admin_user, count=count)
    count = services.post_count(actor=admin_user, count=count)
    assert count.status == "posted"
    line.refresh_from_db()
    assert line.move.kind == "count" and line.move.quantity == D(1)
    assert on_hand(bolt, shelf) == D(9)


def test_large_count_variance_needs_approval_first(org, admin_user, shelf, tenant, settings):
    from shopfloor.workflows import services as workflow_services
    from shopfloor.workflows.models import ApprovalRequest

    settings.INVENTORY_COUNT_APPROVAL_THRESHOLD = "100"
    item = ItemFactory(standard_cost=D("50"))
    services.receive(actor=admin_user, item=item, quantity="10", location=shelf)
    count = services.start_count(actor=admin_user, location=shelf)
    services.record_count(actor=admin_user, line=count.lines.get(), counted_quantity="6")  # 4 x 50 = 200
    services.submit_count(actor=admin_user, count=count)
    with pytest.raises(Conflict, match="needs approval"):
        services.post_count(actor=admin_user, count=count)
    assert on_hand(item, shelf) == D(10)
    result = workflow_services.transition(count, "approved", admin_user)
    approver = member(org, ["inventory.*", "*.view_*"], username="boss")
    workflow_services.decide(ApprovalRequest.objects.get(pk=result.approval_request.pk), approver, approve=True)
    count.refresh_from_db()
    assert count.status == "approved"
    services.post_count(actor=admin_user, count=count)
    assert on_hand(item, shelf) == D(6)


def test_a_count_line_waits_for_its_quantity(admin_user, bolt, shelf):
    services.receive(actor=admin_user, item=bolt, quantity="1", location=shelf)
    count = services.start_count(actor=admin_user, location=shelf)
    with pytest.raises(ValidationError):
        services.submit_count(actor=admin_user, count=count)
    extra = ItemFactory()
    line = services.add_count_line(actor=admin_user, count=count, item=extra)
    assert line.expected_quantity == D(0)
    with pytest.raises(Conflict):
        services.add_count_line(actor=admin_user, count=count, item=extra)
    assert CycleCountLine.objects.filter(count=count).count() == 2


def test_a_lot_cannot_expire_before_it_was_made(admin_user, tenant):
    item = ItemFactory(tracking="lot")
    with pytest.raises(ValidationError):
        services.create_lot(
            actor=admin_user,
            data={"item": item, "number": "X", "manufactured_on": date(2030, 1, 2), "expires_on": date(2030, 1, 1)},
        )
    assert not Lot.objects.exists()

"""Sales order rules through the services, on a real database: reservation on confirmation,
shipping through the ledger, cancelling and closing, and refusals that write nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from shopfloor.catalog.tests.factories import ItemFactory, ItemUnitConversionFactory
from shopfloor.core.errors import Conflict
from shopfloor.core.models import AuditEvent, OutboxEvent
from shopfloor.core.tests.factories import PlantFactory, member
from shopfloor.inventory import services as inventory
from shopfloor.inventory.models import Location, Reservation, SerialNumber, StockBalance, StockMove
from shopfloor.inventory.tests.factories import LocationFactory
from shopfloor.partners.tests.factories import CustomerFactory, RigFactory, WellFactory
from shopfloor.sales import selectors, services
from shopfloor.sales.models import SalesOrder, SalesOrderLine

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def plant(tenant):
    return PlantFactory(code="STV")


@pytest.fixture
def shelf(plant):
    return LocationFactory(plant=plant, code="FG-01")


@pytest.fixture
def shelf2(plant):
    return LocationFactory(plant=plant, code="FG-02")


@pytest.fixture
def customer(tenant):
    return CustomerFactory(name="Northern Drilling")


@pytest.fixture
def bit(tenant):
    return ItemFactory(number="PDC-8.5", name="PDC bit 8 1/2in", status="active")


def order_for(actor, plant, customer, *lines, **fields):
    return services.create_order(
        actor=actor,
        data={
            "plant": plant,
            "customer": customer,
            **fields,
            "lines": [
                {
                    "item": item,
                    "quantity": q,
                    "unit_price": D("2500"),
                    "due_date": timezone.localdate() + timedelta(days=10),
                }
                for item, q in lines
            ],
        },
    )


def balance(item, location, lot=None):
    return StockBalance.objects.get(item=item, location=location, lot=lot)


def test_create_order_numbers_it_and_adds_the_lines(admin_user, plant, customer, bit):
    order = order_for(admin_user, plant, customer, (bit, 3), (bit, 2))
    assert order.number.startswith("SO-")
    assert order.status == "draft"
    lines = list(order.lines.order_by("position"))
    assert [(line.position, line.quantity, line.stock_quantity) for line in lines] == [
        (10, D(3), D(3)),
        (20, D(2), D(2)),
    ]
    assert AuditEvent.objects.filter(object_type="sales.salesorder", object_id=str(order.pk), action="create").exists()
    assert OutboxEvent.objects.filter(event_type="sales.order.created", payload__id=order.pk).exists()


def test_a_line_in_another_unit_keeps_its_quantity_in_stock_units(admin_user, plant, customer, bit):
    box = ItemUnitConversionFactory(item=bit, factor_numerator=6)
    order = services.create_order(actor=admin_user, data={"plant": plant, "customer": customer})
    line = services.add_line(
        actor=admin_user,
        order=order,
        data={"item": bit, "quantity": D("2"), "unit": box.unit, "due_date": timezone.localdate()},
    )
    assert (line.quantity, line.unit, line.stock_quantity) == (D(2), box.unit, D(12))


def test_the_site_must_be_the_customers_own(admin_user, plant, customer):
    foreign_rig = RigFactory()
    with pytest.raises(ValidationError) as exc:
        services.create_order(actor=admin_user, data={"plant": plant, "customer": customer, "rig": foreign_rig})
    assert "rig" in exc.value.message_dict
    assert not SalesOrder.objects.exists()
    rig = RigFactory(customer=customer)
    well = WellFactory(customer=customer, rig=rig)
    order = services.create_order(
        actor=admin_user, data={"plant": plant, "customer": customer, "rig": rig, "well": well}
    )
    assert (order.rig, order.well) == (rig, well)


def test_a_bad_line_writes_no_order(admin_user, plant, customer, bit):
    with pytest.raises(ValidationError) as exc:
        order_for(admin_user, plant, customer, (bit, 2), (bit, 0))
    assert exc.value.message_dict["lines"] == ["Line 2: quantity: Give a quantity above zero."]
    assert not SalesOrder.objects.exists()
    assert not SalesOrderLine.objects.exists()


def test_confirm_reserves_free_stock_first_expiring_first_and_leaves_the_rest_open(
    admin_user, plant, customer, bit, shelf, shelf2
):
    inventory.receive(actor=admin_user, item=bit, quantity=2, location=shelf)
    inventory.receive(actor=admin_user, item=bit, quantity=1, location=shelf2)
    quarantine = LocationFactory(plant=plant, code="QC", location_type=Location.Type.QUARANTINE)
    inventory.receive(actor=admin_user, item=bit, quantity=5, location=quarantine)
    order = order_for(admin_user, plant, customer, (bit, 5))

    order = services.confirm(actor=admin_user, order=order)

    line = order.lines.get()
    assert order.status == "confirmed"
    assert (line.reserved_quantity, line.unreserved_quantity) == (D(3), D(2))
    assert balance(bit, shelf).reserved == D(2)
    assert balance(bit, shelf2).reserved == D(1)
    assert balance(bit, quarantine).reserved == D(0)
    reservations = Reservation.objects.filter(source_object_type="sales.salesorderline", source_object_id=str(line.pk))
    assert {r.source_number for r in reservations} == {f"{order.number}/10"}
    event = OutboxEvent.objects.get(event_type="sales.order.confirmed")
    assert event.payload["lines"] == [{"id": line.pk, "unreserved": "2.000000"}]


def test_confirming_with_an_inactive_item_is_refused_and_reserves_nothing(admin_user, plant, customer, bit, shelf):
    draft_item = ItemFactory(number="NEW-BIT")  # still a draft in the catalog
    inventory.receive(actor=admin_user, item=bit, quantity=5, location=shelf)
    inventory.receive(actor=admin_user, item=draft_item, quantity=5, location=shelf)
    order = order_for(admin_user, plant, customer, (bit, 2), (draft_item, 1))
    with pytest.raises(Conflict) as exc:
        services.confirm(actor=admin_user, order=order)
    assert "NEW-BIT" in exc.value.message
    order.refresh_from_db()
    assert order.status == "draft"
    assert not Reservation.objects.exists()
    assert balance(bit, shelf).reserved == 0


def test_an_empty_order_cannot_be_confirmed(admin_user, plant, customer):
    order = services.create_order(actor=admin_user, data={"plant": plant, "customer": customer})
    with pytest.raises(Conflict, match="no lines"):
        services.confirm(actor=admin_user, order=order)


def test_lines_change_only_while_draft(admin_user, plant, customer, bit):
    order = order_for(admin_user, plant, customer, (bit, 2))
    services.confirm(actor=admin_user, order=order)
    with pytest.raises(Conflict):
        services.add_line(
            actor=admin_user, order=order, data={"item": bit, "quantity": 1, "due_date": timezone.localdate()}
        )
    with pytest.raises(Conflict):
        services.update_line(actor=admin_user, line=order.lines.get(), data={"quantity": D(9)})
    with pytest.raises(Conflict):
        services.delete_order(actor=admin_user, order=order)
    # the customer's reference is no promise about stock: it may still change
    order = services.update_order(actor=admin_user, order=order, data={"customer_reference": "PO-77"})
    assert order.customer_reference == "PO-77"
    with pytest.raises(Conflict):
        services.update_order(actor=admin_user, order=order, data={"plant": PlantFactory()})


def test_cancel_releases_the_reservations(admin_user, plant, customer, bit, shelf):
    inventory.receive(actor=admin_user, item=bit, quantity=4, location=shelf)
    order = services.confirm(actor=admin_user, order=order_for(admin_user, plant, customer, (bit, 3)))
    assert balance(bit, shelf).reserved == 3
    with pytest.raises(ValidationError):
        services.cancel(actor=admin_user, order=order, comment="")
    order = services.cancel(actor=admin_user, order=order, comment="Customer cancelled the well")
    line = order.lines.get()
    assert order.status == "cancelled"
    assert (line.status, line.reserved_quantity) == ("cancelled", D(0))
    assert balance(bit, shelf).reserved == 0
    assert set(Reservation.objects.values_list("status", flat=True)) == {"released"}
    assert OutboxEvent.objects.filter(event_type="sales.order.cancelled").exists()


def test_ship_line_consumes_the_reservation_and_moves_stock_to_the_customer(admin_user, plant, customer, bit, shelf):
    inventory.receive(actor=admin_user, item=bit, quantity=10, location=shelf)
    order = services.confirm(actor=admin_user, order=order_for(admin_user, plant, customer, (bit, 4)))
    line = order.lines.get()

    line = services.ship_line(actor=admin_user, line=line, quantity=D(1), location=shelf)

    assert (line.shipped_quantity, line.reserved_quantity, line.status) == (D(1), D(3), "partially_shipped")
    assert balance(bit, shelf).on_hand == D(9)
    assert balance(bit, shelf).reserved == D(3)
    move = StockMove.objects.get(reason_code="shipment")
    assert move.to_location.location_type == Location.Type.CUSTOMER
    assert move.source_number == f"{order.number}/10"
    assert list(Reservation.objects.order_by("id").values_list("status", "quantity")) == [
        ("consumed", D(4)),
        ("open", D(3)),
    ]
    order.refresh_from_db()
    assert order.status == "partially_shipped"

    line = services.ship_line(actor=admin_user, line=line, quantity=D(3), location=shelf)
    order.refresh_from_db()
    assert (line.status, line.reserved_quantity, order.status) == ("shipped", D(0), "shipped")
    assert balance(bit, shelf).on_hand == D(6)
    assert balance(bit, shelf).reserved == D(0)
    order = services.close(actor=admin_user, order=order)
    assert order.status == "closed"


def test_shipping_more_than_ordered_is_refused_whole(admin_user, plant, customer, bit, shelf):
    inventory.receive(actor=admin_user, item=bit, quantity=10, location=shelf)
    order = services.confirm(actor=admin_user, order=order_for(admin_user, plant, customer, (bit, 2)))
    with pytest.raises(ValidationError) as exc:
        services.ship_line(actor=admin_user, line=order.lines.get(), quantity=D(3), location=shelf)
    assert "Only 2" in exc.value.message_dict["quantity"][0]
    assert not StockMove.objects.filter(reason_code="shipment").exists()
    assert balance(bit, shelf).reserved == D(2)


def test_shipping_stock_that_is_not_there_is_a_conflict_and_writes_nothing(
    admin_user, plant, customer, bit, shelf, shelf2
):
    inventory.receive(actor=admin_user, item=bit, quantity=2, location=shelf)
    order = services.confirm(actor=admin_user, order=order_for(admin_user, plant, customer, (bit, 2)))
    with pytest.raises(Conflict):
        services.ship_line(actor=admin_user, line=order.lines.get(), quantity=D(2), location=shelf2)
    line = order.lines.get()
    assert (line.shipped_quantity, line.reserved_quantity) == (D(0), D(2))
    assert Reservation.objects.get().status == "open"


def test_a_draft_does_not_ship(admin_user, plant, customer, bit, shelf):
    inventory.receive(actor=admin_user, item=bit, quantity=2, location=shelf)
    order = order_for(admin_user, plant, customer, (bit, 2))
    with pytest.raises(Conflict):
        services.ship_line(actor=admin_user, line=order.lines.get(), quantity=D(1), location=shelf)


def test_ship_order_ships_the_serials_at_the_reserved_place(admin_user, plant, customer, shelf):
    tool = ItemFactory(number="MWD-TOOL", tracking="serial", status="active")
    for serial in ("SN-3", "SN-1", "SN-2"):
        sn = inventory.serial_for_receipt(actor=admin_user, item=tool, serial=serial)
        inventory.receive(actor=admin_user, item=tool, quantity=1, serial=sn, location=shelf)
    order = services.confirm(actor=admin_user, order=order_for(admin_user, plant, customer, (tool, 2)))

    order = services.ship_order(actor=admin_user, order=order)

    assert order.status == "shipped"
    shipped = SerialNumber.objects.filter(status=SerialNumber.Status.SHIPPED).values_list("serial", flat=True)
    assert sorted(shipped) == ["SN-1", "SN-2"]
    assert SerialNumber.objects.get(serial="SN-3").location == shelf


def test_a_serial_item_ships_one_named_serial_per_unit(admin_user, plant, customer, shelf):
    tool = ItemFactory(number="JAR", tracking="serial", status="active")
    sn = inventory.serial_for_receipt(actor=admin_user, item=tool, serial="J-9")
    inventory.receive(actor=admin_user, item=tool, quantity=1, serial=sn, location=shelf)
    order = services.confirm(actor=admin_user, order=order_for(admin_user, plant, customer, (tool, 1)))
    with pytest.raises(ValidationError) as exc:
        services.ship_line(actor=admin_user, line=order.lines.get(), quantity=D(1), location=shelf, serials=[])
    assert "serials" in exc.value.message_dict
    line = services.ship_line(actor=admin_user, line=order.lines.get(), quantity=D(1), location=shelf, serials=[sn])
    assert line.status == "shipped"


def test_a_lot_item_ships_from_the_picked_lot(admin_user, plant, customer, shelf):
    cutter = ItemFactory(number="CUTTER-13", tracking="lot", status="active")
    lot_a = inventory.lot_for_receipt(actor=admin_user, item=cutter, number="L-A")
    inventory.receive(actor=admin_user, item=cutter, quantity=30, lot=lot_a, location=shelf)
    order = services.confirm(actor=admin_user, order=order_for(admin_user, plant, customer, (cutter, 20)))
    with pytest.raises(ValidationError):
        services.ship_line(actor=admin_user, line=order.lines.get(), quantity=D(5), location=shelf)
    line = services.ship_line(actor=admin_user, line=order.lines.get(), quantity=D(5), location=shelf, lot=lot_a)
    assert (line.shipped_quantity, line.reserved_quantity) == (D(5), D(15))
    assert balance(cutter, shelf, lot_a).on_hand == D(25)


def test_close_short_releases_what_is_still_reserved(admin_user, plant, customer, bit, shelf):
    inventory.receive(actor=admin_user, item=bit, quantity=5, location=shelf)
    order = services.confirm(actor=admin_user, order=order_for(admin_user, plant, customer, (bit, 5)))
    services.ship_line(actor=admin_user, line=order.lines.get(), quantity=D(2), location=shelf)
    with pytest.raises(Conflict):
        services.cancel(actor=admin_user, order=order, comment="too late")
    order = services.close(actor=admin_user, order=order, comment="Customer takes 2 only")
    line = order.lines.get()
    assert (order.status, line.status, line.reserved_quantity) == ("closed", "closed", D(0))
    assert balance(bit, shelf).reserved == D(0)


def test_a_forbidden_transition_is_a_conflict(admin_user, plant, customer, bit):
    order = order_for(admin_user, plant, customer, (bit, 1))
    with pytest.raises(Conflict):
        services.close(actor=admin_user, order=order)
    with pytest.raises(Conflict):
        services.start_production(actor=admin_user, order=order)
    order.refresh_from_db()
    assert order.status == "draft"


def test_shipping_needs_the_ship_permission(org, admin_user, plant, customer, bit, shelf):
    inventory.receive(actor=admin_user, item=bit, quantity=2, location=shelf)
    order = services.confirm(actor=admin_user, order=order_for(admin_user, plant, customer, (bit, 2)))
    clerk = member(org, ["*.view_*", "sales.change_salesorder"], username="clerk")
    with pytest.raises(PermissionDenied):
        services.ship_line(actor=clerk, line=order.lines.get(), quantity=D(1), location=shelf)


def test_a_repeated_idempotency_key_ships_once(admin_user, plant, customer, bit, shelf):
    inventory.receive(actor=admin_user, item=bit, quantity=5, location=shelf)
    order = services.confirm(actor=admin_user, order=order_for(admin_user, plant, customer, (bit, 4)))
    for _ in range(2):
        line = services.ship_line(
            actor=admin_user, line=order.lines.get(), quantity=D(1), location=shelf, idempotency_key="k-1"
        )
    assert line.shipped_quantity == D(1)
    assert StockMove.objects.filter(reason_code="shipment").count() == 1


def test_confirmation_reserves_for_the_selector_in_plant_only(admin_user, plant, customer, bit):
    elsewhere = LocationFactory(plant=PlantFactory(code="HOU"), code="FG-01")
    inventory.receive(actor=admin_user, item=bit, quantity=5, location=elsewhere)
    order = services.confirm(actor=admin_user, order=order_for(admin_user, plant, customer, (bit, 2)))
    assert order.lines.get().reserved_quantity == 0
    assert selectors.free_stock(item=bit, plant=plant) == 0

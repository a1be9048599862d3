"""Work order material reservations, the sales order moving into production, and cancelling a parent
with its sub-work orders: through the services, on a real database."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shopfloor.catalog import services as catalog_services
from shopfloor.catalog.tests.factories import BomLineFactory, BomVersionFactory, ItemFactory
from shopfloor.core import access, tenancy
from shopfloor.core.errors import Conflict
from shopfloor.core.tests.factories import OrganizationFactory, PlantFactory, member
from shopfloor.core.tests.support import run_in_threads
from shopfloor.inventory import services as inventory
from shopfloor.inventory.models import Reservation, StockBalance
from shopfloor.inventory.tests.factories import LocationFactory
from shopfloor.production import selectors, services
from shopfloor.production.models import WorkOrder
from shopfloor.production.tests.factories import engineering_scene, released_order, run_order
from shopfloor.workflows.models import TransitionRecord

pytestmark = pytest.mark.django_db

D = Decimal
TECHNICIAN = access.ROLE_TEMPLATES["Technician"]["permissions"]
PRODUCTION_MANAGER = access.ROLE_TEMPLATES["Production Manager"]["permissions"]


def balance(item, location, lot=None):
    return StockBalance.objects.get(item=item, location=location, lot=lot)


def open_reservations(wo):
    return list(selectors.order_reservations(wo).order_by("id"))


def receive_lot(actor, item, location, number, quantity, expires_in_days=None):
    expires = timezone.localdate() + timedelta(days=expires_in_days) if expires_in_days is not None else None
    lot = inventory.lot_for_receipt(actor=actor, item=item, number=number, expires_on=expires)
    inventory.receive(actor=actor, item=item, quantity=quantity, location=location, lot=lot)
    return lot


def new_order(actor, scene, quantity=10, **data):
    wo = services.create_work_order(
        actor=actor,
        data={
            "item": scene["product"],
            "quantity": quantity,
            "plant": scene["plant"],
            "due_date": timezone.localdate() + timedelta(days=10),
            **data,
        },
    )
    services.plan_work_order(actor=actor, work_order=wo)
    return wo


# --- Reservations at release ------------------------------------------------------------------------


def test_release_reserves_material_first_expiring_first_and_never_from_quarantine(tenant, admin_user):
    scene = engineering_scene(stock=0)
    component, store = scene["component"], scene["store"]
    quarantine = LocationFactory(plant=scene["plant"], code="QA-HOLD", location_type="quarantine")
    later = receive_lot(admin_user, component, store, "LATER", 15, expires_in_days=90)
    sooner = receive_lot(admin_user, component, store, "SOONER", 10, expires_in_days=30)
    held = receive_lot(admin_user, component, quarantine, "HELD", 50, expires_in_days=5)
    wo = new_order(admin_user, scene)  # 10 units x 2 = 20 required, no pick location: the whole plant

    services.release_work_order(actor=admin_user, work_order=wo)

    reserved = {(r.lot.number, r.location.code): r.quantity for r in open_reservations(wo)}
    assert reserved == {("SOONER", store.code): D(10), ("LATER", store.code): D(10)}
    assert balance(component, store, sooner).reserved == D(10)
    assert balance(component, store, later).reserved == D(10)
    assert balance(component, quarantine, held).reserved == D(0)
    line = wo.materials.get()
    assert {r.source_number for r in open_reservations(wo)} == {f"{wo.number}/{line.position}"}


def test_short_stock_reserves_what_exists_and_leaves_the_rest_open(tenant, admin_user):
    wo = released_order(quantity=10, stock=5)  # 20 required, 5 in the store
    (reservation,) = open_reservations(wo)
    assert reservation.quantity == D(5)
    (row,) = selectors.pick_list(wo)
    assert (row["reserved"], row["unreserved"], row["open_quantity"]) == (D(5), D(15), D(20))
    # The reserved stock is still the first pick suggestion, though nobody else may take it.
    assert [(s["take"], s.get("reserved")) for s in row["suggestions"]] == [(D(5), True)]


def test_releasing_a_second_order_cannot_take_what_the_first_holds(tenant, admin_user):
    scene = engineering_scene(stock=30)
    first = new_order(admin_user, scene, issue_location=scene["store"])
    second = new_order(admin_user, scene, issue_location=scene["store"])
    services.release_work_order(actor=admin_user, work_order=first)
    services.release_work_order(actor=admin_user, work_order=second)
    assert sum(r.quantity for r in open_reservations(first)) == D(20)
    assert sum(r.quantity for r in open_reservations(second)) == D(10)
    lot = scene["component"].lots.get()
    assert balance(scene["component"], scene["store"], lot).reserved == D(30)


def test_a_technician_issuing_consumes_the_reservation_and_keeps_the_rest_reserved(tenant, org, admin_user):
    wo = released_order(quantity=10, stock=100)
    line = wo.materials.get()
    lot = line.component.lots.get()
    technician = member(org, TECHNICIAN)

    services.issue_material(
        actor=technician, work_order=wo, material=line, quantity=8, location=wo.issue_location, lot=lot
    )

    consumed = Reservation.objects.get(source_object_id=str(line.pk), status="consumed")
    assert consumed.quantity == D(20)
    (rest,) = open_reservations(wo)
    assert rest.quantity == D(12)
    row = balance(line.component, wo.issue_location, lot)
    assert (row.on_hand, row.reserved) == (D(92), D(12))


def test_issuing_everything_reserved_ends_with_nothing_held(tenant, admin_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    wo = released_order(quantity=10, stock=20)  # everything in stock is reserved for the order
    line = wo.materials.get()
    lot = line.component.lots.get()
    with CaptureQueriesContext(connection) as queries:
        services.issue_material(
            actor=admin_user, work_order=wo, material=line, quantity=20, location=wo.issue_location, lot=lot
        )
    assert open_reservations(wo) == []
    row = balance(line.component, wo.issue_location, lot)
    assert (row.on_hand, row.reserved) == (D(0), D(0))
    # The whole reservation is settled by the move: the (busy) balance row is written once.
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "inventory_stockbalance"')]
    assert len(writes) == 1 and '"reserved" = ' in writes[0] and '"on_hand" = ' in writes[0]


def test_backflush_takes_the_orders_own_reservation(tenant, admin_user):
    wo = released_order(quantity=10, stock=20)  # all 20 reserved: free stock alone would not do
    line = wo.materials.get()
    services.update_material(actor=admin_user, material=line, data={"backflush": True})
    run_order(wo, issue=False)
    line.refresh_from_db()
    assert line.issued_quantity == D(20)
    assert open_reservations(wo) == []
    row = balance(line.component, wo.issue_location, line.component.lots.get())
    assert (row.on_hand, row.reserved) == (D(0), D(0))


def test_cancelling_releases_the_reservations(tenant, admin_user):
    wo = released_order(quantity=10, stock=50)
    line = wo.materials.get()
    services.transition_work_order(actor=admin_user, work_order=wo, to_state="cancelled", comment="order withdrawn")
    assert open_reservations(wo) == []
    assert Reservation.objects.filter(source_object_id=str(line.pk), status="released").count() == 1
    assert balance(line.component, wo.issue_location, line.component.lots.get()).reserved == D(0)


def test_completing_releases_what_is_left_reserved(tenant, admin_user):
    wo = released_order(quantity=10, stock=50)
    line = wo.materials.get()
    reserved_lot = line.component.lots.get()
    other = receive_lot(admin_user, line.component, wo.issue_location, "OTHER", 20)
    # The floor took another lot than the one reserved: the reservation stays until the end.
    services.issue_material(
        actor=admin_user, work_order=wo, material=line, quantity=20, location=wo.issue_location, lot=other
    )
    assert sum(r.quantity for r in open_reservations(wo)) == D(20)
    run_order(wo, issue=False)
    services.complete_work_order(actor=admin_user, work_order=wo)
    assert open_reservations(wo) == []
    assert balance(line.component, wo.issue_location, reserved_lot).reserved == D(0)


# --- The sales order follows production ---------------------------------------------------------------


def test_opening_a_work_order_for_a_confirmed_line_puts_the_order_in_production(tenant, org):
    from shopfloor.sales.tests.factories import confirmed_order

    manager = member(
        org, PRODUCTION_MANAGER + ["sales.add_salesorder", "sales.add_salesorderline", "sales.confirm_salesorder"]
    )
    with tenancy.use(org, manager):
        product = ItemFactory(status="active", make_or_buy="make")
        order = confirmed_order(item=product, quantity=6, actor=manager)
        assert order.status == "confirmed"
        # A production manager holds no right to edit sales orders, and still moves this one on.
        (wo,) = services.create_work_orders_for_sales_order(actor=manager, order=order)
        order.refresh_from_db()
        assert order.status == "in_production"
        record = TransitionRecord.objects.get(
            object_type="sales.salesorder", object_id=str(order.pk), to_state="in_production"
        )
        assert (record.from_state, record.actor) == ("confirmed", manager)
        assert wo.number in record.comment
        # A second work order for the order leaves it where it is.
        services.create_work_order(actor=manager, data={"sales_order_line": order.lines.get(), "quantity": 1})
        order.refresh_from_db()
        assert order.status == "in_production"
        moved = TransitionRecord.objects.filter(
            object_type="sales.salesorder", object_id=str(order.pk), to_state="in_production"
        )
        assert moved.count() == 1


def test_a_draft_order_stays_a_draft_when_a_work_order_is_opened_for_it(tenant, admin_user):
    from shopfloor.partners.tests.factories import CustomerFactory
    from shopfloor.sales import services as sales_services

    product = ItemFactory(status="active", make_or_buy="make")
    order = sales_services.create_order(
        actor=admin_user,
        data={
            "plant": PlantFactory(),
            "customer": CustomerFactory(),
            "lines": [{"item": product, "quantity": 2, "due_date": timezone.localdate() + timedelta(days=5)}],
        },
    )
    services.create_work_order(actor=admin_user, data={"sales_order_line": order.lines.get(), "quantity": 2})
    order.refresh_from_db()
    assert order.status == "draft"


# --- Cancelling a parent with its sub-work orders ----------------------------------------------------------


def _parent_with_child(actor, leaf_stock=0):
    plant = PlantFactory()
    store = LocationFactory(plant=plant, code=f"ST-{plant.code}")
    top = ItemFactory(status="active")
    sub = ItemFactory(status="active", make_or_buy="make")
    leaf = ItemFactory(status="active", make_or_buy="buy")
    v_sub = BomVersionFactory(item=sub)
    BomLineFactory(version=v_sub, component=leaf, quantity=1)
    catalog_services.release_bom_version(actor=actor, version=v_sub)
    v_top = BomVersionFactory(item=top)
    BomLineFactory(version=v_top, component=sub, quantity=2)
    catalog_services.release_bom_version(actor=actor, version=v_top)
    if leaf_stock:
        inventory.receive(actor=actor, item=leaf, quantity=leaf_stock, location=store)
    wo = services.create_work_order(
        actor=actor,
        data={
            "item": top,
            "quantity": 5,
            "plant": plant,
            "due_date": timezone.localdate() + timedelta(days=9),
            "issue_location": store,
        },
    )
    services.plan_work_order(actor=actor, work_order=wo)
    services.release_work_order(actor=actor, work_order=wo)
    return wo, wo.children.get(), store, leaf


def test_cancelling_a_parent_cancels_its_open_sub_work_orders(tenant, admin_user):
    parent, child, store, leaf = _parent_with_child(admin_user, leaf_stock=30)
    services.plan_work_order(actor=admin_user, work_order=child)
    services.release_work_order(actor=admin_user, work_order=child)
    assert sum(r.quantity for r in open_reservations(child)) == D(10)

    services.transition_work_order(actor=admin_user, work_order=parent, to_state="cancelled", comment="customer")

    child.refresh_from_db()
    assert child.status == "cancelled"
    record = TransitionRecord.objects.get(
        object_type="production.workorder", object_id=str(child.pk), to_state="cancelled"
    )
    assert parent.number in record.comment
    assert open_reservations(child) == []
    assert balance(leaf, store).reserved == D(0)


def test_a_sub_work_order_that_consumed_material_blocks_the_parents_cancel(tenant, admin_user):
    parent, child, store, leaf = _parent_with_child(admin_user, leaf_stock=30)
    services.plan_work_order(actor=admin_user, work_order=child)
    services.release_work_order(actor=admin_user, work_order=child)
    services.issue_material(actor=admin_user, work_order=child, item=leaf, quantity=3, location=store)

    with pytest.raises(Conflict) as refused:
        services.transition_work_order(actor=admin_user, work_order=parent, to_state="cancelled", comment="customer")

    assert child.number in str(refused.value)
    parent.refresh_from_db()
    child.refresh_from_db()
    assert (parent.status, child.status) == ("released", "released")


def test_a_completed_sub_work_order_is_left_alone(tenant, admin_user):
    parent, child, _store, _leaf = _parent_with_child(admin_user)
    WorkOrder.objects.filter(pk=child.pk).update(status="completed")
    services.transition_work_order(actor=admin_user, work_order=parent, to_state="cancelled", comment="customer")
    child.refresh_from_db()
    assert child.status == "completed"


# --- Racing releases ------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_racing_releases_never_reserve_the_same_stock_twice():
    org = OrganizationFactory(slug="wo-race")
    user = member(org, ["*"], username="wo-racer")
    with tenancy.use(org, user):
        scene = engineering_scene(organization=org, stock=50)
        orders = [new_order(user, scene, issue_location=scene["store"]) for _ in range(4)]  # 4 x 20 for 50

    def release(i: int) -> None:
        with tenancy.use(org, user):
            try:
                services.release_work_order(actor=user, work_order=orders[i])
            except Conflict:
                pass  # the ledger was busy: a clean refusal, nothing written

    run_in_threads(len(orders), release)
    with tenancy.use(org, user):
        held = [r for wo in orders for r in open_reservations(wo)]
        total = sum((r.quantity for r in held), D(0))
        row = balance(scene["component"], scene["store"], scene["component"].lots.get())
        assert row.reserved == total
        assert total <= D(50)
        released = WorkOrder.objects.filter(pk__in=[o.pk for o in orders], status="released").count()
        assert total == min(D(50), D(20) * released)


# --- The work order page ------------------------------------------------------------------------------------


def test_the_material_panel_shows_what_is_reserved_and_what_stock_could_not_cover(org, admin_user):
    from django.test import Client

    with tenancy.use(org, admin_user):
        wo = released_order(quantity=10, stock=5)  # 20 required, 5 in the store
        component = wo.materials.get().component
    web = Client()
    web.force_login(admin_user)
    page = web.get(f"/production/work-orders/{wo.pk}/").content.decode()
    row = page[page.index(f'data-component="{component.number}"') :]
    row = row[: row.index("</tr>")]
    assert 'data-reserved>5<div class="small warn" data-short>15 not in stock: not reserved</div>' in row
    assert "5 reserved from" in row

"""A new plant's default locations (and the data migration giving existing plants theirs), and
consuming a reservation through the public service."""

from __future__ import annotations

import importlib
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import services as core_services
from shopfloor.core.models import AuditEvent
from shopfloor.core.tests.factories import PlantFactory, member
from shopfloor.inventory import services
from shopfloor.inventory.models import Location, Reservation, StockBalance
from shopfloor.inventory.tests.factories import LocationFactory
from shopfloor.workflows.models import WorkflowTransition

pytestmark = pytest.mark.django_db

D = Decimal
DEFAULTS = {
    ("RECEIVING", "receiving"),
    ("STOCK", "storage"),
    ("QUARANTINE", "quarantine"),
    ("SHIPPING", "shipping"),
    ("SCRAP", "scrap"),
}


def real_locations(plant):
    return {
        (loc.code, loc.location_type)
        for loc in Location.objects.filter(plant=plant)
        if loc.location_type not in Location.VIRTUAL_TYPES
    }


def test_a_new_plant_gets_its_default_locations(tenant, admin_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        plant = core_services.create_plant(actor=admin_user, data={"code": "HOU", "name": "Houston"})
    assert real_locations(plant) == DEFAULTS
    # ... and its virtual ones, as before.
    assert {"supplier", "customer", "production", "adjustment"} <= set(
        Location.objects.filter(plant=plant).values_list("location_type", flat=True)
    )
    receiving = Location.objects.get(plant=plant, code="RECEIVING")
    assert AuditEvent.objects.filter(object_type="inventory.location", object_id=str(receiving.pk)).exists()


def test_default_locations_keep_what_the_plant_already_has(tenant):
    plant = PlantFactory()
    LocationFactory(plant=plant, code="DOCK", location_type="receiving")
    LocationFactory(plant=plant, code="STOCK", location_type="wip")  # the code is taken by another kind
    created = services.ensure_default_locations(plant)
    assert {(loc.code, loc.location_type) for loc in created} == {
        ("QUARANTINE", "quarantine"),
        ("SHIPPING", "shipping"),
        ("SCRAP", "scrap"),
    }
    assert services.ensure_default_locations(plant) == []  # idempotent
    assert Location.objects.filter(plant=plant, location_type="receiving").count() == 1


def test_the_migration_gives_existing_plants_the_missing_locations(tenant):
    bare = PlantFactory()
    equipped = PlantFactory()
    LocationFactory(plant=equipped, code="IN", location_type="receiving")
    migration = importlib.import_module("shopfloor.inventory.migrations.0002_plant_default_locations")
    migration.create_missing_locations(django_apps, None)
    assert real_locations(bare) == DEFAULTS
    assert real_locations(equipped) == (DEFAULTS - {("RECEIVING", "receiving")}) | {("IN", "receiving")}


# --- Consuming a reservation ----------------------------------------------------------------------------


@pytest.fixture
def stocked(tenant, admin_user):
    plant = PlantFactory()
    shelf = LocationFactory(plant=plant, code="A-01")
    bolt = ItemFactory(number="BOLT-M16")
    services.receive(actor=admin_user, item=bolt, quantity="10", location=shelf)
    return bolt, shelf


def test_consuming_part_of_a_reservation_ends_it_whole_and_reserves_the_rest(admin_user, stocked):
    bolt, shelf = stocked
    reservation = services.reserve(
        actor=admin_user, item=bolt, location=shelf, quantity="6", source=services.SourceDocument("x.doc", "7", "DOC-7")
    )
    rest = services.consume_reservation(actor=admin_user, reservation=reservation, quantity="4")
    reservation.refresh_from_db()
    assert reservation.status == "consumed"
    assert (rest.status, rest.quantity, rest.source_number, rest.source_object_id) == ("open", D(2), "DOC-7", "7")
    assert StockBalance.objects.get(item=bolt, location=shelf).reserved == D(2)
    assert services.consume_reservation(actor=admin_user, reservation=rest) is None
    assert StockBalance.objects.get(item=bolt, location=shelf).reserved == D(0)


def test_consuming_more_than_reserved_is_refused(admin_user, stocked):
    bolt, shelf = stocked
    reservation = services.reserve(actor=admin_user, item=bolt, location=shelf, quantity="3")
    with pytest.raises(ValidationError):
        services.consume_reservation(actor=admin_user, reservation=reservation, quantity="4")
    reservation.refresh_from_db()
    assert reservation.status == "open"


def test_whoever_may_post_the_move_may_consume_the_reservation(org, admin_user, stocked):
    bolt, shelf = stocked
    reservation = services.reserve(actor=admin_user, item=bolt, location=shelf, quantity="3")
    mover = member(org, ["*.view_*", "inventory.add_stockmove"], username="tech")
    services.consume_reservation(actor=mover, reservation=reservation)
    assert Reservation.objects.get(pk=reservation.pk).status == "consumed"
    consume = WorkflowTransition.objects.get(definition__model="inventory.reservation", target__key="consumed")
    assert consume.permission == "inventory.add_stockmove"

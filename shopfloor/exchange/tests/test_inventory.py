"""Locations and opening balances: round trip, tree order, idempotent balances, tracking rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from shopfloor.catalog.tests.factories import ItemFactory, UnitFactory
from shopfloor.core import tenancy
from shopfloor.core.tests.factories import PlantFactory, member
from shopfloor.exchange import selectors
from shopfloor.inventory import services as inventory
from shopfloor.inventory.models import Location, SerialNumber, StockBalance, StockMove

from .support import content_of, csv_bytes
from .test_import import run_import

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_admin(other_org):
    return member(other_org, ["*"], username="olga")


def copy_dataset(dataset, fmt, source, source_user, target, target_user, capture):
    with tenancy.use(source, source_user):
        content = content_of(selectors.export(actor=source_user, dataset=dataset, fmt=fmt))
    job = run_import(target, target_user, dataset, content, name=f"x.{fmt}", capture=capture)
    assert job.status == "committed", job.errors
    return job


def location_rows(org):
    with tenancy.use(org):
        return sorted(
            Location.objects.exclude(location_type__in=list(Location.VIRTUAL_TYPES)).values_list(
                "plant__code", "code", "name", "location_type", "parent__code", "allow_negative", "is_active"
            )
        )


def balance_rows(org):
    with tenancy.use(org):
        balances = sorted(
            StockBalance.objects.exclude(on_hand=0)
            .exclude(location__location_type__in=list(Location.VIRTUAL_TYPES))
            .values_list("location__code", "item__number", "lot__number", "lot__expires_on", "on_hand")
        )
        serials = sorted(
            SerialNumber.objects.filter(status="in_stock").values_list("item__number", "serial", "location__code")
        )
    return balances, serials


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_locations_and_opening_balances_round_trip(
    fmt, org, admin_user, other_org, other_admin, django_capture_on_commit_callbacks
):
    with tenancy.use(org, admin_user):
        plant = PlantFactory(code="HOU")
        # Created child first, so the export must put parents first by itself.
        inventory.create_location(actor=admin_user, data={"plant": plant, "code": "WH", "name": "Warehouse"})
        aisle = inventory.create_location(
            actor=admin_user,
            data={"plant": plant, "code": "A1", "name": "Aisle 1", "parent": Location.objects.get(code="WH")},
        )
        bin_ = inventory.create_location(
            actor=admin_user, data={"plant": plant, "code": "A1-01", "name": "Bin", "parent": aisle}
        )
        inventory.create_location(
            actor=admin_user,
            data={
                "plant": plant,
                "code": "QC",
                "name": "Quarantine",
                "location_type": "quarantine",
                "allow_negative": True,
            },
        )
        ea = UnitFactory(code="ea")
        bolt = ItemFactory(number="BOLT", stock_unit=ea)
        resin = ItemFactory(number="RESIN", stock_unit=ea, tracking="lot")
        bit = ItemFactory(number="BIT", stock_unit=ea, tracking="serial")
        inventory.receive(actor=admin_user, item=bolt, quantity=Decimal("12.5"), location=bin_)
        lot = inventory.lot_for_receipt(actor=admin_user, item=resin, number="L-7", expires_on=dt.date(2027, 3, 1))
        inventory.receive(actor=admin_user, item=resin, quantity=Decimal("3"), location=aisle, lot=lot)
        for serial in ("SN-1", "SN-2"):
            sn = inventory.serial_for_receipt(actor=admin_user, item=bit, serial=serial)
            inventory.receive(actor=admin_user, item=bit, quantity=1, location=bin_, serial=sn)
    with tenancy.use(other_org, other_admin):
        PlantFactory(code="HOU")
    for dataset in ("unit-categories", "units", "items", "locations", "opening-balances"):
        copy_dataset(dataset, fmt, org, admin_user, other_org, other_admin, django_capture_on_commit_callbacks)
    assert location_rows(other_org) == location_rows(org)
    assert balance_rows(other_org) == balance_rows(org)
    assert balance_rows(org)[1] == [("BIT", "SN-1", "A1-01"), ("BIT", "SN-2", "A1-01")]

    # The same balances again: nothing to adjust, no move posted.
    with tenancy.use(other_org):
        moves = StockMove.objects.count()
    copy_dataset("opening-balances", fmt, org, admin_user, other_org, other_admin, django_capture_on_commit_callbacks)
    with tenancy.use(other_org):
        assert StockMove.objects.count() == moves
        assert set(StockMove.objects.values_list("reason_code", flat=True)) == {"OPENING"}


def test_opening_balance_sets_the_quantity_through_one_adjustment(org, admin_user, django_capture_on_commit_callbacks):
    with tenancy.use(org, admin_user):
        plant = PlantFactory(code="HOU")
        bin_ = inventory.create_location(actor=admin_user, data={"plant": plant, "code": "B1", "name": "Bin"})
        dz = UnitFactory(code="dz", factor_numerator=12, category=UnitFactory(code="ea").category)
        item = ItemFactory(number="NUT", stock_unit=dz.category.units.get(code="ea"))
        inventory.receive(actor=admin_user, item=item, quantity=Decimal("30"), location=bin_)
    rows = [["plant", "location", "item", "quantity", "unit"], ["HOU", "B1", "NUT", "2", "dz"]]
    job = run_import(org, admin_user, "opening-balances", csv_bytes(rows), capture=django_capture_on_commit_callbacks)
    assert job.status == "committed", job.errors
    with tenancy.use(org):
        assert StockBalance.objects.get(item=item, location=bin_).on_hand == Decimal("24")
        last = StockMove.objects.order_by("-id").first()
        assert (last.reason_code, last.quantity, last.from_location_id) == ("OPENING", Decimal("6"), bin_.pk)


def test_opening_balance_rows_check_locations_and_tracking(org, admin_user, django_capture_on_commit_callbacks):
    with tenancy.use(org, admin_user):
        plant = PlantFactory(code="HOU")
        inventory.create_location(actor=admin_user, data={"plant": plant, "code": "B1", "name": "Bin"})
        inventory.ensure_virtual_locations(plant)
        ItemFactory(number="PLAIN")
        ItemFactory(number="LOTTED", tracking="lot")
        ItemFactory(number="SERIAL", tracking="serial")
    rows = [
        ["plant", "location", "item", "lot", "serial", "quantity"],
        ["HOU", "NOWHERE", "PLAIN", "", "", "1"],
        ["HOU", "B1", "PLAIN", "L1", "", "1"],
        ["HOU", "B1", "LOTTED", "", "", "1"],
        ["HOU", "B1", "SERIAL", "", "SN-1", "2"],
        ["HOU", "B1", "PLAIN", "", "", "-1"],
        ["HOU", "V-SUPPLIER", "PLAIN", "", "", "1"],
    ]
    job = run_import(org, admin_user, "opening-balances", csv_bytes(rows), capture=django_capture_on_commit_callbacks)
    assert [(e["row"], e["column"], e["message"]) for e in job.errors] == [
        (2, "location", "Unknown location 'NOWHERE' in plant HOU."),
        (3, "lot", "PLAIN is not tracked by lot or serial number."),
        (4, "lot", "LOTTED is tracked by lot: give the lot number."),
        (5, "quantity", "A serial number is one unit: quantity 1 (or 0 for none)."),
        (6, "quantity", "An opening balance is 0 or more."),
        (7, "location", "Virtual locations hold no stock; name a real one."),
    ]
    with tenancy.use(org):
        assert not StockMove.objects.exists()


def test_a_location_whose_parent_is_unknown_rolls_back_the_file(org, admin_user, django_capture_on_commit_callbacks):
    with tenancy.use(org, admin_user):
        PlantFactory(code="HOU")
    rows = [
        ["plant", "code", "name", "parent"],
        ["HOU", "WH", "Warehouse", ""],
        ["HOU", "A1", "Aisle", "WH"],
        ["HOU", "B1", "Bin", "A9"],
    ]
    job = run_import(org, admin_user, "locations", csv_bytes(rows), capture=django_capture_on_commit_callbacks)
    assert job.errors == [{"row": 4, "column": "parent", "message": "Unknown location 'A9' in plant HOU."}]
    assert location_rows(org) == []

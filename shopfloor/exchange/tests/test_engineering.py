"""BOM lines and routing operations: round trip, versions created as drafts, row errors."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shopfloor.catalog.models import BomLine
from shopfloor.catalog.tests.factories import BomLineFactory, BomVersionFactory, ItemFactory, UnitFactory
from shopfloor.core import tenancy
from shopfloor.core.tests.factories import member
from shopfloor.exchange import selectors
from shopfloor.resources.models import Operation
from shopfloor.resources.tests.factories import MachineFactory, OperationFactory, RoutingFactory, WorkCenterFactory

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


def bom_rows(org):
    with tenancy.use(org):
        return list(
            BomLine.objects.order_by("version__item__number", "version__version", "position").values_list(
                "version__item__number",
                "version__version",
                "version__status",
                "position",
                "component__number",
                "quantity",
                "unit__code",
                "scrap_factor",
                "is_phantom",
                "effective_from",
                "reference_designators",
            )
        )


def routing_rows(org):
    with tenancy.use(org):
        return [
            (
                op.routing.item.number,
                op.routing.version,
                op.routing.description,
                op.sequence,
                op.description,
                op.work_center.code,
                op.setup_time_minutes,
                op.run_time_per_unit_minutes,
                sorted(m.code for m in op.eligible_machines.all()),
            )
            for op in Operation.objects.order_by("routing__item__number", "routing__version", "sequence")
        ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_boms_and_routings_round_trip_into_an_empty_organization(
    fmt, org, admin_user, other_org, other_admin, django_capture_on_commit_callbacks
):
    import datetime as dt

    with tenancy.use(org, admin_user):
        ea = UnitFactory(code="ea")
        UnitFactory(code="g", category=UnitFactory(code="kg").category)
        top = ItemFactory(number="ASSY-1", stock_unit=ea)
        screw = ItemFactory(number="SCR-M4", stock_unit=ea)
        resin = ItemFactory(number="RES-1", stock_unit=ea)
        first = BomVersionFactory(item=top, version=1)
        BomLineFactory(version=first, position=10, component=screw, quantity=Decimal("4"), unit=ea)
        second = BomVersionFactory(item=top, version=2)
        BomLineFactory(
            version=second,
            position=10,
            component=screw,
            quantity=Decimal("6"),
            unit=ea,
            scrap_factor=Decimal("0.05"),
            reference_designators="S1, S2",
            effective_from=dt.date(2026, 1, 1),
        )
        BomLineFactory(
            version=second, position=20, component=resin, quantity=Decimal("0.125"), unit=ea, is_phantom=True
        )
        lathe = WorkCenterFactory(code="LATHE")
        m1, m2 = MachineFactory(work_center=lathe, code="M1"), MachineFactory(work_center=lathe, code="M2")
        routing = RoutingFactory(item=top, version=1, description="Standard", operations=0)
        op = OperationFactory(routing=routing, sequence=10, description="Turn", work_center=lathe)
        op.eligible_machines.set([m1, m2])
        OperationFactory(routing=routing, sequence=20, description="Inspect", work_center=lathe)
    with tenancy.use(other_org, other_admin):
        lathe_b = WorkCenterFactory(code="LATHE")
        MachineFactory(work_center=lathe_b, code="M1")
        MachineFactory(work_center=lathe_b, code="M2")
    for dataset in ("unit-categories", "units", "items", "boms", "routings"):
        copy_dataset(dataset, fmt, org, admin_user, other_org, other_admin, django_capture_on_commit_callbacks)
    assert bom_rows(other_org) == bom_rows(org)
    assert len(bom_rows(org)) == 3
    assert routing_rows(other_org) == routing_rows(org)
    assert routing_rows(org)[0][-1] == ["M1", "M2"]


def test_bom_rows_report_unknown_items_versions_and_units(org, admin_user, django_capture_on_commit_callbacks):
    with tenancy.use(org, admin_user):
        ea = UnitFactory(code="ea")
        ItemFactory(number="A", stock_unit=ea)
        ItemFactory(number="B", stock_unit=ea)
    header = ["parent", "version", "position", "component", "quantity", "unit"]
    rows = [
        header,
        ["A", "1", "10", "B", "2", "ea"],
        ["A", "1", "20", "ZZZ", "2", "ea"],  # row 3
        ["A", "3", "10", "B", "2", "ea"],  # row 4: version 3 when the next is 2
        ["A", "1", "30", "B", "0", "ea"],  # row 5
        ["A", "1", "40", "A", "1", "ea"],  # row 6
    ]
    job = run_import(org, admin_user, "boms", csv_bytes(rows), capture=django_capture_on_commit_callbacks)
    assert [(e["row"], e["column"]) for e in job.errors] == [(3, "component"), (5, "quantity"), (6, "component")]
    rows = [header, ["A", "1", "10", "B", "2", "ea"], ["A", "3", "10", "B", "2", "ea"]]
    job = run_import(org, admin_user, "boms", csv_bytes(rows), capture=django_capture_on_commit_callbacks)
    assert job.errors == [
        {"row": 3, "column": "version", "message": "A has no BOM version 3; its next new version is 2."}
    ]
    with tenancy.use(org):
        assert not BomLine.objects.exists()


def test_routing_rows_refuse_machines_of_no_work_center_known(org, admin_user, django_capture_on_commit_callbacks):
    with tenancy.use(org, admin_user):
        ItemFactory(number="A")
        WorkCenterFactory(code="MILL")
    rows = [
        ["item", "sequence", "description", "work_center", "eligible_machines"],
        ["A", "10", "Mill", "MILL", "M9 M10"],
        ["A", "20", "Deburr", "BENCH", ""],
    ]
    job = run_import(org, admin_user, "routings", csv_bytes(rows), capture=django_capture_on_commit_callbacks)
    assert job.errors == [
        {"row": 2, "column": "eligible_machines", "message": "Unknown machine 'M9', 'M10'."},
        {"row": 3, "column": "work_center", "message": "Unknown work center 'BENCH'."},
    ]

"""Import and export rules: round trips, row-by-row errors, all-or-nothing commits, tenancy."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shopfloor.catalog.models import Item, Unit, UnitCategory
from shopfloor.catalog.tests.factories import ItemFactory, UnitCategoryFactory, UnitFactory
from shopfloor.core import tenancy
from shopfloor.core.tests.factories import member
from shopfloor.exchange import registry, selectors, services
from shopfloor.exchange.formats import read_table
from shopfloor.exchange.models import ImportJob

from .support import content_of, csv_bytes, upload, xlsx_bytes

pytestmark = pytest.mark.django_db

ITEM_HEADER = ["number", "name", "stock_unit", "item_type", "standard_cost"]


def run_import(org, user, dataset, content, *, name="data.csv", dry_run=False, capture=None) -> ImportJob:
    """Upload and process a job as the worker does (the task runs when the upload commits)."""
    with tenancy.use(org, user), capture(execute=True):
        job = services.start_import(actor=user, dataset=dataset, upload=upload(content, name), dry_run=dry_run)
    job.refresh_from_db()
    return job


def unit_rows(org):
    with tenancy.use(org):
        return sorted(
            Unit.objects.values_list(
                "code", "name", "category__name", "factor_numerator", "factor_denominator", "is_active"
            )
        )


def item_rows(org):
    fields = [c.name for c in registry.get("items").columns if c.name != "stock_unit"]
    with tenancy.use(org):
        return sorted(Item.objects.values_list(*fields, "stock_unit__code"))


@pytest.fixture
def other_admin(other_org):
    return member(other_org, ["*"], username="olga")


@pytest.fixture
def catalog_data(org, admin_user):
    with tenancy.use(org, admin_user):
        mass = UnitCategoryFactory(name="Mass", description="Base: kg")
        count = UnitCategoryFactory(name="Count", description="")
        kg = UnitFactory(category=mass, code="kg", name="kilogram")
        UnitFactory(category=mass, code="lb", name="pound", factor_numerator=45359237, factor_denominator=100000000)
        ea = UnitFactory(category=count, code="ea", name="each", is_active=False)
        ItemFactory(
            number="1001",
            name="Bar 4140, 2in",
            stock_unit=kg,
            item_type="raw_material",
            make_or_buy="buy",
            standard_cost=Decimal("3.125000"),
            minimum_lot_size=Decimal("10"),
            maximum_lot_size=Decimal("500.5"),
            purchase_lead_time_days=14,
            description="Line one\nline two; with, separators",
        )
        ItemFactory(
            number="BIT-8.5",
            name="PDC bit 8 1/2in",
            stock_unit=ea,
            item_type="finished_product",
            tracking="serial",
            revision="C",
            standard_cost=Decimal("1234567890.123456"),
            reorder_point=Decimal("2"),
        )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_into_an_empty_organization_gives_the_same_data(
    fmt, org, admin_user, other_org, other_admin, catalog_data, django_capture_on_commit_callbacks
):
    for dataset in ("unit-categories", "units", "items"):
        with tenancy.use(org, admin_user):
            content = content_of(selectors.export(actor=admin_user, dataset=dataset, fmt=fmt))
        job = run_import(
            other_org,
            other_admin,
            dataset,
            content,
            name=f"{dataset}.{fmt}",
            capture=django_capture_on_commit_callbacks,
        )
        assert job.status == ImportJob.Status.COMMITTED, job.errors
    assert unit_rows(other_org) == unit_rows(org)
    with tenancy.use(other_org):
        assert sorted(UnitCategory.objects.values_list("name", "description")) == [
            ("Count", ""),
            ("Mass", "Base: kg"),
        ]
    assert item_rows(other_org) == item_rows(org)
    assert len(item_rows(org)) == 2


def test_reimporting_an_export_changes_nothing(org, admin_user, catalog_data, django_capture_on_commit_callbacks):
    with tenancy.use(org, admin_user):
        content = content_of(selectors.export(actor=admin_user, dataset="items", fmt="csv"))
    before = item_rows(org)
    job = run_import(org, admin_user, "items", content, capture=django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.COMMITTED
    assert item_rows(org) == before


def test_errors_on_rows_3_and_7_are_reported_exactly_and_nothing_is_written(
    org, admin_user, django_capture_on_commit_callbacks
):
    with tenancy.use(org, admin_user):
        UnitFactory(code="ea")
    rows = [ITEM_HEADER]
    for n in range(2, 10):
        rows.append([f"P-{n}", f"Part {n}", "ea", "manufactured_part", "1.5"])
    rows[2][4] = "1,5x"  # row 3: not a number
    rows[6][3] = "gizmo"  # row 7: not an item type
    job = run_import(org, admin_user, "items", csv_bytes(rows), capture=django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.FAILED
    assert [(e["row"], e["column"]) for e in job.errors] == [(3, "standard_cost"), (7, "item_type")]
    assert job.errors[0]["message"] == "'1,5x' is not a number (use a point for decimals)."
    assert job.errors[1]["message"].startswith("'gizmo' is not one of: raw_material, ")
    assert job.written_rows == 0 and job.total_rows == 8
    with tenancy.use(org):
        assert not Item.objects.exists()


def test_a_problem_found_only_when_writing_rolls_back_every_row(org, admin_user, django_capture_on_commit_callbacks):
    with tenancy.use(org, admin_user):
        UnitFactory(code="ea")
    header = [*ITEM_HEADER, "minimum_lot_size", "maximum_lot_size"]
    rows = [header] + [[f"P-{n}", "Part", "ea", "", "", "", ""] for n in range(1, 6)]
    rows[5][5:7] = ["50", "10"]  # row 6: the database's range constraint refuses it when written
    job = run_import(org, admin_user, "items", csv_bytes(rows), capture=django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.FAILED
    assert [e["row"] for e in job.errors] == [6]
    assert job.errors[0]["message"] == "Constraint “item_lot_size_range” is violated."
    with tenancy.use(org):
        assert not Item.objects.exists()  # rows 2-5 were written first and rolled back


def test_two_rows_of_the_file_with_the_same_key_clash(org, admin_user, django_capture_on_commit_callbacks):
    with tenancy.use(org, admin_user):
        UnitCategoryFactory(name="Count")
    rows = [["code", "name", "category"], ["ea", "each", "Count"], ["pc", "piece", "Count"], ["ea", "each", "Count"]]
    job = run_import(org, admin_user, "units", csv_bytes(rows), capture=django_capture_on_commit_callbacks)
    assert job.errors == [{"row": 4, "column": "code", "message": "Same code as row 2: one row per record."}]
    with tenancy.use(org):
        assert not Unit.objects.exists()


def test_another_organizations_unit_is_an_unknown_unit(org, admin_user, other_org, django_capture_on_commit_callbacks):
    with tenancy.use(other_org):
        UnitFactory(code="box")
    rows = [ITEM_HEADER, ["P-1", "Part", "box", "", ""]]
    job = run_import(org, admin_user, "items", csv_bytes(rows), capture=django_capture_on_commit_callbacks)
    assert job.errors == [{"row": 2, "column": "stock_unit", "message": "Unknown unit 'box'."}]


def test_a_dry_run_writes_nothing_and_can_then_be_committed(org, admin_user, django_capture_on_commit_callbacks):
    with tenancy.use(org, admin_user):
        UnitFactory(code="ea")
    rows = [ITEM_HEADER, ["P-1", "Part one", "ea", "", "2"], ["P-2", "Part two", "ea", "tool", ""]]
    job = run_import(
        org, admin_user, "items", csv_bytes(rows), dry_run=True, capture=django_capture_on_commit_callbacks
    )
    assert (job.status, job.errors, job.total_rows, job.processed_rows) == ("validated", [], 2, 2)
    with tenancy.use(org):
        assert not Item.objects.exists()
    with tenancy.use(org, admin_user), django_capture_on_commit_callbacks(execute=True):
        services.commit_import(actor=admin_user, job=job)
    job.refresh_from_db()
    assert (job.status, job.dry_run, job.written_rows) == ("committed", False, 2)
    with tenancy.use(org):
        assert sorted(Item.objects.values_list("number", "status", "item_type")) == [
            ("P-1", "draft", "manufactured_part"),
            ("P-2", "draft", "tool"),
        ]


def test_only_a_validated_dry_run_can_be_committed(org, admin_user, django_capture_on_commit_callbacks):
    from shopfloor.core.errors import Conflict

    rows = [ITEM_HEADER, ["P-1", "Part one", "nope", "", ""]]
    job = run_import(
        org, admin_user, "items", csv_bytes(rows), dry_run=True, capture=django_capture_on_commit_callbacks
    )
    assert job.status == "failed"
    with tenancy.use(org, admin_user), pytest.raises(Conflict):
        services.commit_import(actor=admin_user, job=job)


def test_a_member_without_the_datasets_permission_cannot_upload(org, django_capture_on_commit_callbacks):
    from django.core.exceptions import PermissionDenied

    clerk = member(org, ["exchange.*", "catalog.view_*"], username="clerk")
    with tenancy.use(org, clerk), pytest.raises(PermissionDenied):
        services.start_import(actor=clerk, dataset="items", upload=upload(b"number\n"), dry_run=True)


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (csv_bytes([["Code", "Name", "Category"], ["ea", "each", "Count"]], delimiter=";", bom=True), "u.csv"),
        (csv_bytes([["code", "name", "category"], ["ea", "each", "Count"]], delimiter="\t"), "u.txt"),
        (xlsx_bytes([["code", "name", "category", "factor_numerator"], ["ea", "each", "Count", 1]]), "u.xlsx"),
    ],
)
def test_csv_with_bom_and_any_delimiter_and_xlsx_are_read(
    content, name, org, admin_user, django_capture_on_commit_callbacks
):
    with tenancy.use(org, admin_user):
        UnitCategoryFactory(name="Count")
    job = run_import(org, admin_user, "units", content, name=name, capture=django_capture_on_commit_callbacks)
    assert job.status == "committed", job.errors
    assert unit_rows(org) == [("ea", "each", "Count", 1, 1, True)]


def test_unknown_and_missing_columns_are_reported_on_the_header_row(
    org, admin_user, django_capture_on_commit_callbacks
):
    job = run_import(
        org,
        admin_user,
        "units",
        csv_bytes([["code", "colour"], ["ea", "red"]]),
        capture=django_capture_on_commit_callbacks,
    )
    assert {(e["row"], e["column"]) for e in job.errors} == {(1, "colour"), (1, "name"), (1, "category")}


def test_a_file_that_is_not_a_table_fails_with_a_message(org, admin_user, django_capture_on_commit_callbacks):
    job = run_import(org, admin_user, "units", b"\xff\xfe\x00binary", capture=django_capture_on_commit_callbacks)
    assert job.status == "failed"
    assert job.errors[0]["row"] == 0 and "UTF-8" in job.errors[0]["message"]


def test_progress_is_reported_every_n_rows_checked_and_written(org, admin_user, settings):
    settings.EXCHANGE_PROGRESS_EVERY = 2
    with tenancy.use(org, admin_user):
        UnitCategoryFactory(name="Count")
        rows = [["code", "name", "category"]] + [[f"u{n}", "u", "Count"] for n in range(5)]
        header, data = read_table(csv_bytes(rows))
        checked: list[int] = []
        written: list[int] = []
        result = services.import_rows(
            registry.get("units"),
            header,
            data,
            actor=admin_user,
            dry_run=True,
            progress=checked.append,
            write_progress=written.append,
        )
        assert not Unit.objects.exists()
    assert (checked, written, result.ok, result.written_rows) == ([2, 4], [2, 4], True, 0)

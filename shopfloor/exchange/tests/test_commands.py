"""The import_data and export_data commands."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from shopfloor.catalog.models import Item, Unit
from shopfloor.catalog.tests.factories import ItemFactory, UnitCategoryFactory, UnitFactory
from shopfloor.core import tenancy
from shopfloor.core.tests.factories import member
from shopfloor.exchange.models import ImportJob

from .support import csv_bytes

pytestmark = pytest.mark.django_db


def test_import_data_writes_every_row_and_records_a_job(org, admin_user, tmp_path):
    with tenancy.use(org, admin_user):
        UnitCategoryFactory(name="Count")
    path = tmp_path / "units.csv"
    path.write_bytes(csv_bytes([["code", "name", "category"], ["ea", "each", "Count"], ["dz", "dozen", "Count"]]))
    out = io.StringIO()
    call_command("import_data", "units", str(path), organization="acme", user="alice", stdout=out)
    assert "Imported 2 row(s) of units" in out.getvalue()
    with tenancy.use(org):
        assert sorted(Unit.objects.values_list("code", flat=True)) == ["dz", "ea"]
        job = ImportJob.objects.get()
    assert (job.status, job.dry_run, job.run_by) == ("committed", False, admin_user)


def test_import_data_prints_the_errors_and_exits_1(org, admin_user, tmp_path):
    path = tmp_path / "items.csv"
    path.write_bytes(csv_bytes([["number", "name", "stock_unit"], ["A", "Part", "ea"], ["B", "", "ea"]]))
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_data", "items", str(path), organization="acme", user="alice", stdout=out, stderr=err)
    assert exit_info.value.code == 1
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["row", "column", "message"]
    assert lines[1].split() == ["2", "stock_unit", "Unknown", "unit", "'ea'."]
    assert lines[2].split() == ["3", "name", "Required."]
    assert "nothing was written" in err.getvalue()
    with tenancy.use(org):
        assert not Item.objects.exists()


def test_import_data_dry_run_writes_nothing(org, admin_user, tmp_path):
    with tenancy.use(org, admin_user):
        UnitFactory(code="ea")
    path = tmp_path / "items.csv"
    path.write_bytes(csv_bytes([["number", "name", "stock_unit"], ["A", "Part", "ea"]]))
    out = io.StringIO()
    call_command("import_data", "items", str(path), "--dry-run", organization="acme", user="alice", stdout=out)
    assert "Dry run: 1 row(s) of items are valid" in out.getvalue()
    with tenancy.use(org):
        assert not Item.objects.exists()


def test_import_data_refuses_a_user_without_permission(org, tmp_path):
    member(org, ["*.view_*"], username="victor")
    path = tmp_path / "items.csv"
    path.write_bytes(b"number,name,stock_unit\n")
    with pytest.raises(CommandError, match="permission"):
        call_command("import_data", "items", str(path), organization="acme", user="victor")


def test_export_data_writes_csv_and_xlsx(org, admin_user, tmp_path):
    from openpyxl import load_workbook

    with tenancy.use(org, admin_user):
        ItemFactory(number="A-1", name="Bracket", stock_unit=UnitFactory(code="ea"))
    out = io.StringIO()
    call_command("export_data", "items", organization="acme", format="csv", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("number,name,description,item_type")
    assert lines[1].startswith("A-1,Bracket,,manufactured_part,make,ea,none,A,")
    target = tmp_path / "items.xlsx"
    call_command("export_data", "items", organization="acme", format="xlsx", output=str(target), stdout=io.StringIO())
    sheet = load_workbook(target).active
    assert [c.value for c in sheet[2]][:6] == ["A-1", "Bracket", None, "manufactured_part", "make", "ea"]

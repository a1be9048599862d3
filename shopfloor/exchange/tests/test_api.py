"""Exchange API: upload (multipart), progress and errors, commit, exports, the column reference."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from shopfloor.catalog.models import Item
from shopfloor.catalog.tests.factories import ItemFactory, UnitFactory
from shopfloor.core import tenancy

from .support import csv_bytes

pytestmark = pytest.mark.django_db

JOBS = "/api/v1/exchange/import-jobs/"


def upload(api, content, *, dataset="items", dry_run=True, capture):
    with capture(execute=True):
        response = api.post(
            JOBS,
            {
                "dataset": dataset,
                "dry_run": "true" if dry_run else "false",
                "file": SimpleUploadedFile("i.csv", content),
            },
            format="multipart",
        )
    return response


def test_upload_then_poll_then_commit(api, org, admin_user, django_capture_on_commit_callbacks):
    with tenancy.use(org, admin_user):
        UnitFactory(code="ea")
    content = csv_bytes([["number", "name", "stock_unit"], ["A-1", "Bracket", "ea"], ["A-2", "Plate", "ea"]])
    response = upload(api, content, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["status"], created["dry_run"], created["original_name"]) == ("queued", True, "i.csv")
    assert "file" not in created

    job = api.get(f"{JOBS}{created['id']}/").json()  # the worker ran when the upload committed
    assert (job["status"], job["total_rows"], job["processed_rows"], job["errors"]) == ("validated", 2, 2, [])
    assert job["progress"] == {"phase": "validated", "done": 2, "total": 2, "percent": 100}
    with tenancy.use(org):
        assert not Item.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{JOBS}{created['id']}/commit/")
    assert response.status_code == 200, response.content
    job = api.get(f"{JOBS}{created['id']}/").json()
    assert (job["status"], job["dry_run"], job["written_rows"]) == ("committed", False, 2)
    with tenancy.use(org):
        assert sorted(Item.objects.values_list("number", flat=True)) == ["A-1", "A-2"]

    response = api.post(f"{JOBS}{created['id']}/commit/")
    assert response.status_code == 409
    assert "Only a validated dry run" in response.json()["detail"]


def test_errors_are_listed_row_by_row(api, django_capture_on_commit_callbacks):
    content = csv_bytes([["number", "name", "stock_unit"], ["A-1", "", "ea"]])
    created = upload(api, content, dry_run=False, capture=django_capture_on_commit_callbacks).json()
    job = api.get(f"{JOBS}{created['id']}/").json()
    assert job["status"] == "failed"
    assert job["error_count"] == 2
    assert job["errors"] == [
        {"row": 2, "column": "name", "message": "Required."},
        {"row": 2, "column": "stock_unit", "message": "Unknown unit 'ea'."},
    ]
    assert api.post(f"{JOBS}{created['id']}/commit/").status_code == 409


def test_upload_without_file_or_with_unknown_dataset_is_400(api):
    response = api.post(JOBS, {"dataset": "nothing", "dry_run": "true"}, format="multipart")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"dataset", "file"}


def test_a_viewer_cannot_upload_but_can_export(api_for, viewer_user, org, admin_user):
    with tenancy.use(org, admin_user):
        UnitFactory(code="ea")
    client = api_for(viewer_user)
    response = client.post(
        JOBS, {"dataset": "units", "file": SimpleUploadedFile("u.csv", b"code,name,category\n")}, format="multipart"
    )
    assert response.status_code == 403
    response = client.get(f"{JOBS}export/", {"dataset": "units", "format": "csv"})
    assert response.status_code == 200


def test_export_streams_csv_and_sends_xlsx(api, org, admin_user):
    with tenancy.use(org, admin_user):
        ItemFactory(number="A-1", name="Bracket; left", stock_unit=UnitFactory(code="ea"))
    response = api.get(f"{JOBS}export/", {"dataset": "items", "format": "csv"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Disposition"] == 'attachment; filename="items.csv"'
    text = b"".join(response.streaming_content).decode()
    assert text.splitlines()[1].startswith("A-1,Bracket; left,,manufactured_part,make,ea,")

    response = api.get(f"{JOBS}export/", {"dataset": "items", "format": "xlsx"})
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.active.title == "items"
    assert workbook.active["A2"].value == "A-1"


def test_export_of_an_unknown_dataset_or_format_is_400(api):
    response = api.get(f"{JOBS}export/", {"dataset": "ghosts", "format": "pdf"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"dataset", "format"}


def test_the_column_reference_lists_every_dataset(api):
    response = api.get(f"{JOBS}datasets/")
    assert response.status_code == 200
    by_name = {d["name"]: d for d in response.json()}
    assert {"unit-categories", "units", "items", "boms", "routings"} <= set(by_name)
    stock_unit = next(c for c in by_name["items"]["columns"] if c["name"] == "stock_unit")
    assert stock_unit == {"name": "stock_unit", "type": "unit (code)", "required": True, "help": "Code of a unit."}


def test_an_import_file_over_the_general_body_limit_is_accepted_up_to_the_import_limit(api, settings):
    big = b"name,description\n" + b"Mass," + b"x" * (3 * 1024 * 1024) + b"\n"
    assert len(big) > settings.SHOPFLOOR_MAX_REQUEST_BODY
    response = api.post(
        JOBS, {"dataset": "unit-categories", "file": SimpleUploadedFile("big.csv", big)}, format="multipart"
    )
    assert response.status_code == 201, response.content[:300]

    settings.IMPORT_MAX_BYTES = 1024 * 1024
    response = api.post(
        JOBS, {"dataset": "unit-categories", "file": SimpleUploadedFile("big.csv", big)}, format="multipart"
    )
    assert response.status_code == 400
    assert "limit is" in response.json()["detail"]  # refused by the middleware before it is read


def test_the_service_refuses_a_file_over_the_import_limit(api, settings):
    settings.IMPORT_MAX_BYTES = 100
    response = api.post(
        JOBS,
        {"dataset": "unit-categories", "file": SimpleUploadedFile("c.csv", b"name\n" + b"x" * 200)},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["errors"]["file"] == ["The file is 205 bytes; imports take at most 100 bytes."]

"""The Import/Export page: upload, the job page with its polling panel, commit, exports, reference."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from shopfloor.catalog.models import Item
from shopfloor.catalog.tests.factories import ItemFactory, UnitFactory
from shopfloor.core import tenancy
from shopfloor.exchange.models import ImportJob
from shopfloor.exchange.services import set_live_progress
from shopfloor.exchange.tests.factories import ImportJobFactory

from .support import csv_bytes

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_lists_datasets_exports_and_columns(org, admin_user):
    body = client_for(admin_user).get(reverse("exchange:home")).content.decode()
    assert 'enctype="multipart/form-data"' in body
    for name in ("unit-categories", "units", "items", "boms", "routings"):
        assert f'id="dataset-{name}"' in body
        assert reverse("exchange:export", args=[name, "xlsx"]) in body
    assert "<code>stock_unit</code>" in body and "unit (code)" in body
    assert "Import / export" in body  # navigation entry


def test_upload_dry_run_then_commit(org, admin_user, django_capture_on_commit_callbacks):
    with tenancy.use(org, admin_user):
        UnitFactory(code="ea")
    client = client_for(admin_user)
    content = csv_bytes([["number", "name", "stock_unit"], ["A-1", "Bracket", "ea"]])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("exchange:home"),
            {"dataset": "items", "dry_run": "on", "file": SimpleUploadedFile("items.csv", content)},
        )
    assert response.status_code == 302
    with tenancy.use(org):
        job = ImportJob.objects.get()
    assert response["Location"] == reverse("exchange:job-detail", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert "All 1 rows are valid." in page and "Commit 1 rows" in page
    assert 'hx-trigger="every 1s"' not in page  # finished: no polling
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("exchange:job-commit", args=[job.pk]))
    assert response.status_code == 302
    page = client.get(reverse("exchange:job-detail", args=[job.pk])).content.decode()
    assert "1 rows written" in page
    with tenancy.use(org):
        assert Item.objects.filter(number="A-1").exists()


def test_a_running_job_polls_its_panel_every_second(org, admin_user):
    with tenancy.use(org, admin_user):
        job = ImportJobFactory(status=ImportJob.Status.RUNNING, total_rows=400, processed_rows=100)
    client = client_for(admin_user)
    page = client.get(reverse("exchange:job-detail", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert 'value="25"' in page and "Checking: 100 of 400 rows" in page
    set_live_progress(job.pk, "writing", 300)
    page = client.get(reverse("exchange:job-detail", args=[job.pk])).content.decode()
    assert 'value="75"' in page and "Writing: 300 of 400 rows" in page
    partial = client.get(reverse("exchange:job-detail", args=[job.pk]), headers={"HX-Request": "true"})
    assert partial.content.decode().lstrip().startswith('<div id="job-panel"')


def test_failed_upload_shows_the_errors_table(org, admin_user, django_capture_on_commit_callbacks):
    client = client_for(admin_user)
    content = csv_bytes([["number", "name", "stock_unit"], ["A-1", "Bracket", "kg"]])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("exchange:home"), {"dataset": "items", "file": SimpleUploadedFile("i.csv", content)}
        )
    page = client.get(response["Location"]).content.decode()
    assert 'id="import-errors"' in page
    assert "Unknown unit &#x27;kg&#x27;." in page
    assert "nothing was written" in page


def test_export_downloads_and_a_viewer_cannot_upload(org, admin_user, viewer_user):
    with tenancy.use(org, admin_user):
        ItemFactory(number="A-1", stock_unit=UnitFactory(code="ea"))
    viewer = client_for(viewer_user)
    response = viewer.get(reverse("exchange:export", args=["items", "csv"]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).decode().splitlines()[1].startswith("A-1,")
    assert response["Content-Disposition"] == 'attachment; filename="items.csv"'
    assert 'enctype="multipart/form-data"' not in viewer.get(reverse("exchange:home")).content.decode()
    response = viewer.post(reverse("exchange:home"), {"dataset": "items"})
    assert response.status_code == 403


def test_another_organizations_job_is_404(org, admin_user, other_org):
    with tenancy.use(other_org):
        foreign = ImportJobFactory()
    client = client_for(admin_user)
    assert client.get(reverse("exchange:job-detail", args=[foreign.pk])).status_code == 404
    assert client.post(reverse("exchange:job-commit", args=[foreign.pk])).status_code == 404

"""Drawings and documents: uploads with SHA-256, verified downloads, frozen releases, links, limits."""

from __future__ import annotations

import hashlib
import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from shopfloor.catalog import document_services
from shopfloor.catalog.models import DocumentLink, DocumentRevision
from shopfloor.catalog.tests.factories import BomVersionFactory, ItemFactory
from shopfloor.core import tenancy
from shopfloor.core.tests.factories import member
from shopfloor.workflows.models import TransitionRecord, WorkflowTransition

pytestmark = pytest.mark.django_db

DRAWING = b"%PDF-1.4\n" + b"bit body, 8 1/2in, matrix; " * 200


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def document(org, admin_user):
    with tenancy.use(org, admin_user):
        return document_services.create_document(
            actor=admin_user, data={"title": "PDC bit body 8 1/2in", "kind": "drawing"}
        )


def upload(api, document, revision="A", content=DRAWING, name="body.pdf", **extra):
    body = {"document": document.pk, "revision": revision, "file": SimpleUploadedFile(name, content, "application/pdf")}
    return api.post(reverse("documentrevision-list"), {**body, **extra}, format="multipart")


def release(api, revision_id):
    url = reverse("documentrevision-transition", args=[revision_id])
    return api.post(url, {"to_state": "released"}, format="json")


def test_documents_are_numbered_per_organization(org, admin_user, document):
    with tenancy.use(org, admin_user):
        second = document_services.create_document(actor=admin_user, data={"title": "Nozzle spec", "kind": "other"})
    assert (document.number, second.number) == ("DOC-000001", "DOC-000002")


def test_upload_records_sha256_size_type_and_uploader_and_download_checks_it(api, document, admin_user, media):
    response = upload(api, document)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["sha256"] == hashlib.sha256(DRAWING).hexdigest()
    assert data["size"] == len(DRAWING) and data["content_type"] == "application/pdf"
    assert data["uploaded_by"] == admin_user.pk and data["status"] == "draft" and data["original_name"] == "body.pdf"
    assert "file" not in data  # files are never exposed by URL: only the checked download serves them
    download = api.get(reverse("documentrevision-download", args=[data["id"]]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == DRAWING
    assert download["X-Content-SHA256"] == data["sha256"]
    assert "attachment" in download["Content-Disposition"] and "body.pdf" in download["Content-Disposition"]
    assert len(stored_files(media)) == 1


def test_a_file_altered_on_disk_is_refused_with_409_and_logged(api, document, org, caplog):
    revision_id = upload(api, document).json()["id"]
    with tenancy.use(org):
        path = DocumentRevision.objects.get(pk=revision_id).file.path
    with open(path, "r+b") as handle:
        handle.seek(20)
        handle.write(b"X")  # one byte changed, same size
    with caplog.at_level(logging.ERROR, logger="shopfloor.catalog.document_services"):
        response = api.get(reverse("documentrevision-download", args=[revision_id]))
    assert response.status_code == 409
    assert "SHA-256" in response.json()["detail"]
    assert any("altered" in r.getMessage() for r in caplog.records)


def test_duplicate_revision_label_is_refused_and_nothing_stored(api, document, media):
    assert upload(api, document, "A").status_code == 201
    response = upload(api, document, "A")
    assert response.status_code == 400 and "already has a revision A" in response.json()["errors"]["revision"][0]
    assert len(stored_files(media)) == 1


def test_releasing_a_revision_supersedes_the_released_one_atomically(api, document, org):
    first = upload(api, document, "A").json()["id"]
    second = upload(api, document, "B").json()["id"]
    assert release(api, first).status_code == 200
    response = release(api, second)
    assert response.status_code == 200, response.content
    with tenancy.use(org):
        statuses = dict(DocumentRevision.objects.filter(document=document).values_list("revision", "status"))
        assert statuses == {"A": "superseded", "B": "released"}
        record = TransitionRecord.objects.get(
            object_type="catalog.documentrevision", object_id=str(first), to_state="superseded"
        )
        assert "Superseded by revision B" in record.comment


def test_when_superseding_fails_the_release_is_undone_too(org, document, api):
    first = upload(api, document, "A").json()["id"]
    second = upload(api, document, "B").json()["id"]
    release(api, first)
    # The organization made superseding need a permission the releaser lacks: the supersede
    # step inside the release is refused, and the release with it.
    with tenancy.use(org):
        WorkflowTransition.objects.filter(
            definition__model="catalog.documentrevision", target__key="superseded"
        ).update(permission="catalog.delete_document")
    releaser = member(org, ["catalog.view_*", "catalog.release_documentrevision"], username="rita")
    client = APIClient()
    client.force_authenticate(releaser)
    assert release(client, second).status_code == 403
    with tenancy.use(org):
        assert DocumentRevision.objects.get(pk=first).status == "released"
        assert DocumentRevision.objects.get(pk=second).status == "draft"
        assert not TransitionRecord.objects.filter(object_id=str(second), object_type="catalog.documentrevision")


def test_released_and_superseded_revisions_are_immutable(api, document, media):
    first = upload(api, document, "A").json()["id"]
    url = reverse("documentrevision-detail", args=[first])
    assert api.patch(url, {"notes": "Draft note"}, format="json").status_code == 200
    release(api, first)
    response = api.patch(url, {"notes": "Changed after release"}, format="json")
    assert response.status_code == 409 and "released" in response.json()["detail"]
    assert api.delete(url).status_code == 409
    second = upload(api, document, "B").json()["id"]
    release(api, second)
    assert api.patch(url, {"revision": "A1"}, format="json").status_code == 409
    assert api.delete(url).status_code == 409
    assert len(stored_files(media)) == 2


def test_a_draft_revision_is_deleted_with_its_file(api, document, media, django_capture_on_commit_callbacks):
    draft = upload(api, document, "A").json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(reverse("documentrevision-detail", args=[draft])).status_code == 204
    assert stored_files(media) == []


def test_the_file_of_a_revision_cannot_be_replaced(api, document):
    first = upload(api, document, "A").json()["id"]
    response = api.patch(
        reverse("documentrevision-detail", args=[first]),
        {"file": SimpleUploadedFile("other.pdf", b"other", "application/pdf")},
        format="multipart",
    )
    assert response.status_code == 400


def test_links_reach_only_this_organizations_records(api, document, org, other_org, admin_user):
    with tenancy.use(org, admin_user):
        item = ItemFactory()
    foreign_item = ItemFactory(organization=other_org)
    url = reverse("documentlink-list")
    ok = api.post(url, {"document": document.pk, "object_type": "catalog.item", "object_id": item.pk}, format="json")
    assert ok.status_code == 201, ok.content
    again = api.post(url, {"document": document.pk, "object_type": "catalog.item", "object_id": item.pk}, format="json")
    assert again.status_code == 400
    foreign = {"document": document.pk, "object_type": "catalog.item", "object_id": foreign_item.pk}
    response = api.post(url, foreign, format="json")
    assert response.status_code == 400 and "object_id" in response.json()["errors"]
    odd = api.post(
        url, {"document": document.pk, "object_type": "core.user", "object_id": admin_user.pk}, format="json"
    )
    assert odd.status_code == 400
    with tenancy.use(org):
        assert DocumentLink.objects.count() == 1


def test_a_too_big_upload_is_400_and_stores_nothing(api, document, settings, media, org):
    settings.DOCUMENT_MAX_BYTES = 1000
    response = upload(api, document, content=b"x" * 5000)  # inside the envelope: the service refuses
    assert response.status_code == 400 and "limit is 1000 bytes" in response.json()["errors"]["file"][0]
    response = upload(api, document, content=b"x" * 200_000)  # beyond file + envelope: the middleware refuses
    assert response.status_code == 400 and response.json()["detail"].startswith("The request body is")
    with tenancy.use(org):
        assert not DocumentRevision.objects.exists()
    assert stored_files(media) == []
    assert upload(api, document, content=b"x" * 1000).status_code == 201


def test_only_document_uploads_get_the_large_body_limit(api, document, settings):
    settings.SHOPFLOOR_MAX_REQUEST_BODY = 4000
    big = b"y" * 20_000
    assert upload(api, document, content=big).status_code == 201
    other = api.post(
        reverse("document-list"),
        {"title": "Spec", "kind": "other", "attachment": SimpleUploadedFile("a.bin", big)},
        format="multipart",
    )
    assert other.status_code == 400 and "limit is 4000 bytes" in other.json()["detail"]
    json_body = api.post(reverse("document-list"), {"title": "z" * 5000, "kind": "other"}, format="json")
    assert json_body.status_code == 400


def test_a_document_with_revisions_is_not_deleted(api, document):
    upload(api, document, "A")
    assert api.delete(reverse("document-detail", args=[document.pk])).status_code == 409


# --- Web pages -------------------------------------------------------------------------------------


def web_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def web_upload(client, document, revision="A", content=DRAWING):
    url = reverse("catalog:document-upload", args=[document.pk])
    return client.post(url, {"revision": revision, "file": SimpleUploadedFile("body.pdf", content, "application/pdf")})


def test_document_pages_render_and_upload_download_and_release_work(admin_user, org, document, media):
    client = web_client(admin_user)
    for name, args in [
        ("catalog:document-list", []),
        ("catalog:document-create", []),
        ("catalog:document-detail", [document.pk]),
        ("catalog:document-edit", [document.pk]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 200, name
    response = web_upload(client, document, "A")
    with tenancy.use(org):
        first = DocumentRevision.objects.get(document=document, revision="A")
    assert response.status_code == 302 and response["Location"] == reverse("catalog:revision-detail", args=[first.pk])
    page = client.get(reverse("catalog:revision-detail", args=[first.pk])).content.decode()
    assert first.sha256 in page and "Release" in page
    download = client.get(reverse("catalog:revision-download", args=[first.pk]))
    assert b"".join(download.streaming_content) == DRAWING and download["X-Content-SHA256"] == first.sha256
    web_upload(client, document, "B")
    with tenancy.use(org):
        second = DocumentRevision.objects.get(document=document, revision="B")
    for revision in (first, second):  # the workflow panel's Release button posts here
        payload = {"object_type": "catalog.documentrevision", "object_id": revision.pk, "to_state": "released"}
        client.post(reverse("workflows:transition"), payload)
    with tenancy.use(org):
        assert dict(DocumentRevision.objects.values_list("revision", "status")) == {"A": "superseded", "B": "released"}
    detail = client.get(reverse("catalog:document-detail", args=[document.pk])).content.decode()
    assert "Superseded" in detail and "Released" in detail


def test_web_upload_over_the_limit_is_refused_and_stores_nothing(admin_user, org, document, settings, media):
    settings.DOCUMENT_MAX_BYTES = 1000
    client = web_client(admin_user)
    page = client.post(
        reverse("catalog:document-upload", args=[document.pk]),
        {"revision": "A", "file": SimpleUploadedFile("big.pdf", b"x" * 5000, "application/pdf")},
        follow=True,
    ).content.decode()
    assert "limit is 1000 bytes" in page
    refused = web_upload(client, document, content=b"x" * 200_000)  # beyond file + envelope: the middleware
    assert refused.status_code == 400 and refused.content.startswith(b"The request body is")
    with tenancy.use(org):
        assert not DocumentRevision.objects.exists()
    assert stored_files(media) == []


def test_web_download_of_an_altered_file_is_409(admin_user, org, document):
    client = web_client(admin_user)
    web_upload(client, document)
    with tenancy.use(org):
        revision = DocumentRevision.objects.get(document=document)
    with open(revision.file.path, "ab") as handle:
        handle.write(b"appended")
    response = client.get(reverse("catalog:revision-download", args=[revision.pk]))
    assert response.status_code == 409 and "SHA-256" in response.content.decode()


def test_item_page_documents_panel_lists_linked_documents(admin_user, org, document):
    client = web_client(admin_user)
    with tenancy.use(org, admin_user):
        item = ItemFactory(number="BIT-850")
    web_upload(client, document)
    response = client.post(
        reverse("catalog:document-link-add", args=[document.pk]), {"object_type": "catalog.item", "object_id": item.pk}
    )
    assert response.status_code == 302
    with tenancy.use(org):
        revision = DocumentRevision.objects.get(document=document)
        link = DocumentLink.objects.get(document=document)
    client.post(
        reverse("workflows:transition"),
        {"object_type": "catalog.documentrevision", "object_id": revision.pk, "to_state": "released"},
    )
    panel_url = reverse("catalog:item-panel", args=[item.pk, "documents"])
    assert panel_url in client.get(reverse("catalog:item-detail", args=[item.pk])).content.decode()
    panel = client.get(panel_url).content.decode()
    assert document.number in panel and reverse("catalog:revision-download", args=[revision.pk]) in panel
    assert "BIT-850" in client.get(reverse("catalog:document-detail", args=[document.pk])).content.decode()
    client.post(reverse("catalog:document-link-delete", args=[document.pk, link.pk]))
    assert document.number not in client.get(panel_url).content.decode()


def test_documents_panel_needs_the_document_permission(org, document):
    with tenancy.use(org):
        item = ItemFactory()
    reader = web_client(member(org, ["catalog.view_item"], username="ivy"))
    assert (
        reverse("catalog:item-panel", args=[item.pk, "documents"])
        not in reader.get(reverse("catalog:item-detail", args=[item.pk])).content.decode()
    )
    assert reader.get(reverse("catalog:item-panel", args=[item.pk, "documents"])).status_code == 403
    assert reader.get(reverse("catalog:document-list")).status_code == 403


def test_an_upload_above_the_general_body_limit_is_accepted_and_hashed_in_chunks(api, document, settings, org):
    big = bytes(range(256)) * (3 * 4096 + 7)  # 3 MiB and a bit: over SHOPFLOOR_MAX_REQUEST_BODY
    assert len(big) > settings.SHOPFLOOR_MAX_REQUEST_BODY > settings.FILE_UPLOAD_MAX_MEMORY_SIZE - 1
    response = upload(api, document, content=big)
    assert response.status_code == 201, response.content
    assert response.json()["sha256"] == hashlib.sha256(big).hexdigest() and response.json()["size"] == len(big)
    download = api.get(reverse("documentrevision-download", args=[response.json()["id"]]))
    assert b"".join(download.streaming_content) == big


def test_a_document_links_to_a_bom_version_of_the_organization(api, document, org, admin_user):
    with tenancy.use(org, admin_user):
        version = BomVersionFactory()
    body = {"document": document.pk, "object_type": "catalog.bomversion", "object_id": version.pk}
    assert api.post(reverse("documentlink-list"), body, format="json").status_code == 201
    missing = {**body, "object_id": version.pk + 1000}
    assert api.post(reverse("documentlink-list"), missing, format="json").status_code == 400


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_releases_of_one_document_at_once_leave_exactly_one_released():
    from shopfloor.core.tests.factories import OrganizationFactory
    from shopfloor.core.tests.support import run_in_threads
    from shopfloor.workflows import services as workflow_services

    org = OrganizationFactory(slug="race-doc")
    alice = member(org, ["*"], username="alice")
    with tenancy.use(org, alice):
        doc = document_services.create_document(actor=alice, data={"title": "Bit body", "kind": "drawing"})
        drafts = [
            document_services.upload_revision(
                actor=alice, document=doc, revision=label, file=SimpleUploadedFile(f"{label}.pdf", DRAWING)
            )
            for label in ("A", "B", "C")
        ]
        workflow_services.transition(drafts[0], "released", alice)

    def release(i: int) -> str:
        with tenancy.use(org, alice):
            revision = DocumentRevision.objects.get(pk=drafts[i + 1].pk)
            return workflow_services.transition(revision, "released", alice).obj.status

    assert run_in_threads(2, release) == ["released", "released"]
    with tenancy.use(org):
        statuses = sorted(DocumentRevision.objects.filter(document=doc).values_list("status", flat=True))
    assert statuses == ["released", "superseded", "superseded"]


def test_a_retried_upload_above_the_general_body_limit_is_written_once(api, document, settings, media, org, admin_user):
    """The Idempotency-Key of a multipart upload over DATA_UPLOAD_MAX_MEMORY_SIZE is checked
    against its parsed fields and file hash (Django would refuse to read such a body whole)."""
    big = bytes(range(256)) * (3 * 4096 + 7)  # 3 MiB and a bit
    assert len(big) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    first = api.post(
        reverse("documentrevision-list"),
        {"document": document.pk, "revision": "A", "file": SimpleUploadedFile("body.pdf", big, "application/pdf")},
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="upload-body-A",
    )
    assert first.status_code == 201, first.content
    retry = api.post(
        reverse("documentrevision-list"),
        {"document": document.pk, "revision": "A", "file": SimpleUploadedFile("body.pdf", big, "application/pdf")},
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="upload-body-A",
    )
    assert retry.status_code == 201, retry.content
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json()["id"] == first.json()["id"]
    with tenancy.use(org, admin_user):
        assert DocumentRevision.objects.filter(document=document).count() == 1
    assert len(stored_files(media)) == 1

    # The same key with another file is another request: refused, nothing written.
    other = big[:-1] + b"!"
    clash = api.post(
        reverse("documentrevision-list"),
        {"document": document.pk, "revision": "B", "file": SimpleUploadedFile("body.pdf", other, "application/pdf")},
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="upload-body-A",
    )
    assert clash.status_code == 409
    assert clash.json()["detail"] == "This Idempotency-Key was used for a different request."
    with tenancy.use(org, admin_user):
        assert DocumentRevision.objects.filter(document=document).count() == 1
    assert len(stored_files(media)) == 1


def test_nul_in_a_multipart_field_name_or_value_is_a_400_that_can_be_replayed(api, org, document, media):
    """PostgreSQL cannot store NUL in text or JSON: an error echoing such a field name could not
    be kept for an Idempotency-Key replay (schemathesis found the 500). Multipart obeys the JSON
    rule: refused at parsing, nothing stored."""
    url = reverse("documentrevision-list")
    named = api.post(
        url,
        {"document": document.pk, "revision": "A", "fi\x00le": "x"},
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="nul-name-1",
    )
    assert named.status_code == 400 and "NUL" in named.json()["detail"]
    valued = upload(api, document, revision="A\x00")
    assert valued.status_code == 400 and "NUL" in valued.json()["detail"]
    again = api.post(
        url,
        {"document": document.pk, "revision": "A", "fi\x00le": "x"},
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="nul-name-1",
    )
    assert again.status_code == 400 and again.json() == named.json()
    with tenancy.use(org):
        assert document.revisions.count() == 0
    assert stored_files(media) == []

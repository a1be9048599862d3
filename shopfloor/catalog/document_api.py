"""Catalog API for drawings and documents: documents, revisions (multipart upload, verified
download, workflow actions) and links to items, BOM versions and operations.

Imported by `catalog.api`, which is what registers an app's resources.
"""

from __future__ import annotations

from typing import Any

from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action

from shopfloor.core.api.parsers import StrictJSONParser, StrictMultiPartParser
from shopfloor.core.api.router import router
from shopfloor.core.api.serializers import TenantModelSerializer
from shopfloor.core.api.viewsets import TenantModelViewSet
from shopfloor.workflows.api import WorkflowActionsMixin

from . import document_services as services
from .models import Document, DocumentLink, DocumentRevision


class DocumentSerializer(TenantModelSerializer):
    class Meta:
        model = Document
        fields = ["id", "number", "title", "kind", "description", "created_at", "updated_at"]
        read_only_fields = ["number"]


class DocumentRevisionSerializer(TenantModelSerializer):
    file = serializers.FileField(write_only=True, required=False, help_text="The file (multipart upload, create only).")

    class Meta:
        model = DocumentRevision
        fields = [
            "id",
            "document",
            "revision",
            "file",
            "original_name",
            "sha256",
            "size",
            "content_type",
            "uploaded_by",
            "uploaded_at",
            "status",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["original_name", "sha256", "size", "content_type", "uploaded_by", "uploaded_at", "status"]
        # The service checks the label per document (with a readable message); no DRF validator.
        validators: list[Any] = []

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None:
            if "file" in attrs:
                raise serializers.ValidationError({"file": ["A stored file never changes: upload a new revision."]})
            if "document" in attrs and attrs["document"].pk != self.instance.document_id:
                raise serializers.ValidationError({"document": ["A revision stays with its document."]})
        return attrs


class DocumentLinkSerializer(TenantModelSerializer):
    class Meta:
        model = DocumentLink
        fields = ["id", "document", "object_type", "object_id", "created_at", "updated_at"]
        validators: list[Any] = []


class DocumentViewSet(TenantModelViewSet):
    queryset = Document.objects.all()
    serializer_class = DocumentSerializer
    search_fields = ["number", "title", "description"]
    ordering_fields = ["number", "title", "id", "created_at"]
    filterset_fields = ["kind"]

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.create_document(actor=self.request.user, data=dict(serializer.validated_data))

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_document(
            actor=self.request.user, document=serializer.instance, data=dict(serializer.validated_data)
        )


class DocumentRevisionViewSet(WorkflowActionsMixin, TenantModelViewSet):
    """Create is a multipart upload (`document`, `revision`, `file`, optional `notes`)."""

    queryset = DocumentRevision.objects.select_related("document")
    serializer_class = DocumentRevisionSerializer
    parser_classes = [StrictJSONParser, StrictMultiPartParser]
    search_fields = ["revision", "original_name", "document__number", "document__title"]
    ordering_fields = ["id", "uploaded_at", "revision"]
    filterset_fields = ["document", "status"]

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = services.upload_revision(
            actor=self.request.user,
            document=data["document"],
            revision=data.get("revision", ""),
            file=data.get("file"),
            notes=data.get("notes", ""),
        )

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_revision(
            actor=self.request.user, revision=serializer.instance, data=dict(serializer.validated_data)
        )

    def perform_destroy(self, instance: DocumentRevision) -> None:
        services.delete_revision(actor=self.request.user, revision=instance)

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The file"),
            409: OpenApiResponse(description="The stored file no longer matches its SHA-256"),
        }
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Any, pk: Any = None) -> StreamingHttpResponse:
        """The file, after checking the stored bytes against the recorded SHA-256 (409 if altered)."""
        revision = self.get_object()
        return download_response(revision)

    def required_permission(self, request: Any) -> str | None:
        if getattr(self, "action", None) == "download":
            return "catalog.view_documentrevision"
        return super().required_permission(request)


def download_response(revision: DocumentRevision) -> StreamingHttpResponse:
    """A streamed, verified download (shared by the API action and the web page)."""
    chunks = services.verified_chunks(revision)
    response = StreamingHttpResponse(chunks, content_type=revision.content_type or "application/octet-stream")
    response["Content-Length"] = str(revision.size)
    response["Content-Disposition"] = content_disposition_header(True, revision.original_name)
    response["X-Content-SHA256"] = revision.sha256
    response["X-Content-Type-Options"] = "nosniff"
    return response


class DocumentLinkViewSet(TenantModelViewSet):
    queryset = DocumentLink.objects.select_related("document")
    serializer_class = DocumentLinkSerializer
    http_method_names = ["get", "post", "delete", "head", "options"]
    filterset_fields = ["document", "object_type", "object_id"]
    ordering_fields = ["id"]

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = services.link_document(
            actor=self.request.user,
            document=data["document"],
            object_type=data["object_type"],
            object_id=data["object_id"],
        )

    def perform_destroy(self, instance: DocumentLink) -> None:
        services.unlink_document(actor=self.request.user, link=instance)


router.register("catalog/documents", DocumentViewSet, basename="document")
router.register("catalog/document-revisions", DocumentRevisionViewSet, basename="documentrevision")
router.register("catalog/document-links", DocumentLinkViewSet, basename="documentlink")

"""Exchange API: import jobs (multipart upload, progress, commit) and exports.

- POST   /api/v1/exchange/import-jobs/                multipart: dataset, file, dry_run (default true)
- GET    /api/v1/exchange/import-jobs/{id}/           status, progress and row-by-row errors
- POST   /api/v1/exchange/import-jobs/{id}/commit/    write a validated dry run from the same file
- GET    /api/v1/exchange/import-jobs/export/?dataset=items&format=csv|xlsx   the file, streamed
- GET    /api/v1/exchange/import-jobs/datasets/       every dataset and its columns

Exports are a list route of the import-jobs resource rather than a resource of their own:
they have no rows of their own to list, retrieve or check for tenant isolation.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import FileResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response

from shopfloor.core.api.parsers import StrictFormParser, StrictJSONParser, StrictMultiPartParser
from shopfloor.core.api.router import router
from shopfloor.core.api.serializers import TenantModelSerializer
from shopfloor.core.api.viewsets import TenantCreateListRetrieveViewSet

from . import registry, selectors, services
from .formats import FORMATS
from .models import ImportJob


class ImportJobSerializer(TenantModelSerializer):
    dataset = serializers.ChoiceField(choices=[])
    file = serializers.FileField(write_only=True, help_text="CSV (UTF-8; , ; or tab) or XLSX; header in row 1.")
    dry_run = serializers.BooleanField(default=True)
    progress = serializers.SerializerMethodField(
        help_text='Live while running: {"phase": "queued|checking|writing|<final status>", "done", "total", "percent"}.'
    )
    errors = serializers.JSONField(read_only=True, help_text='[{"row": 3, "column": "code", "message": "..."}]')

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "dataset",
            "file",
            "original_name",
            "dry_run",
            "status",
            "total_rows",
            "processed_rows",
            "progress",
            "written_rows",
            "error_count",
            "errors",
            "run_by",
            "created_by",
            "created_at",
            "updated_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = [
            "original_name",
            "status",
            "total_rows",
            "processed_rows",
            "written_rows",
            "error_count",
            "run_by",
            "started_at",
            "finished_at",
        ]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["dataset"].choices = registry.names()
        return fields

    @extend_schema_field(
        inline_serializer(
            "ImportProgress",
            {
                "phase": serializers.CharField(),
                "done": serializers.IntegerField(),
                "total": serializers.IntegerField(),
                "percent": serializers.IntegerField(),
            },
        )
    )
    def get_progress(self, job: ImportJob) -> dict[str, Any]:
        return selectors.live_progress(job)


class FileFormatNegotiation(DefaultContentNegotiation):
    """`?format=xlsx` names the export's file format here, not a DRF renderer (which would 404).

    The file itself is a plain Django response; the renderer only shapes an error (JSON).
    """

    def select_renderer(self, request: Any, renderers: list[Any], format_suffix: str | None = None) -> Any:
        renderer = renderers[0]
        return renderer, renderer.media_type


def _dataset_columns() -> list[dict[str, Any]]:
    return [
        {
            "name": spec.name,
            "label": spec.label,
            "description": spec.description,
            "key": list(spec.key),
            "columns": [
                {"name": c.name, "type": c.type_label, "required": c.required, "help": c.help} for c in spec.columns
            ],
        }
        for spec in registry.all_datasets()
    ]


class ImportJobViewSet(TenantCreateListRetrieveViewSet):
    queryset = selectors.import_jobs()
    serializer_class = ImportJobSerializer
    parser_classes = [StrictMultiPartParser, StrictFormParser, StrictJSONParser]
    filterset_fields = ["dataset", "status", "dry_run"]
    ordering_fields = ["id", "created_at"]

    def required_permission(self, request: Any) -> str | None:
        if self.action == "commit":
            return "exchange.add_importjob"
        if self.action == "export":
            name = request.query_params.get("dataset", "")
            return registry.get(name).view_permission if name in registry.names() else "exchange.view_importjob"
        if self.action == "datasets":
            return "exchange.view_importjob"
        return None

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        job = services.start_import(
            actor=self.request.user, dataset=data["dataset"], upload=data["file"], dry_run=data["dry_run"]
        )
        job.refresh_from_db()  # an eager run has already finished it
        serializer.instance = job

    @extend_schema(request=None, responses={200: ImportJobSerializer})
    @action(detail=True, methods=["post"])
    def commit(self, request: Any, pk: Any = None) -> Response:
        """Write a validated dry run for real; poll the job for its progress. 409 unless validated."""
        job = services.commit_import(actor=request.user, job=self.get_object())
        job.refresh_from_db()
        return Response(self.get_serializer(job).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("dataset", str, required=True, enum=registry.names()),
            OpenApiParameter("format", str, enum=list(FORMATS), description="csv (default) or xlsx"),
        ],
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY,
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
        },
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="export",
        pagination_class=None,
        filter_backends=[],
        content_negotiation_class=FileFormatNegotiation,
    )
    def export(self, request: Any) -> Any:
        """Every row of a dataset in the import columns (imports back unchanged), streamed."""
        name = request.query_params.get("dataset", "")
        fmt = request.query_params.get("format", "csv")
        errors = {}
        if name not in registry.names():
            errors["dataset"] = [f"Use one of: {', '.join(registry.names())}."]
        if fmt not in FORMATS:
            errors["format"] = [f"Use one of: {', '.join(FORMATS)}."]
        if errors:
            raise ValidationError(errors)
        body, filename, content_type = selectors.export(actor=request.user, dataset=name, fmt=fmt)
        if isinstance(body, bytes):
            import io

            return FileResponse(io.BytesIO(body), as_attachment=True, filename=filename, content_type=content_type)
        response = StreamingHttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    @extend_schema(
        responses={
            200: inline_serializer(
                "ExchangeDataset",
                {
                    "name": serializers.CharField(),
                    "label": serializers.CharField(),
                    "description": serializers.CharField(),
                    "key": serializers.ListField(child=serializers.CharField()),
                    "columns": serializers.ListField(child=serializers.DictField()),
                },
                many=True,
            )
        }
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def datasets(self, request: Any) -> Response:
        """The column reference: every dataset, its columns, types and which are required."""
        return Response(_dataset_columns())


router.register("exchange/import-jobs", ImportJobViewSet, basename="importjob")

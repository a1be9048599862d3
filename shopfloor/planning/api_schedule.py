"""Scheduling API: schedule runs (ask for one: 202, then poll), their operations and conflicts, pins."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from shopfloor.core.api.router import router
from shopfloor.core.api.serializers import TenantModelSerializer
from shopfloor.core.api.viewsets import TenantCreateListRetrieveViewSet, TenantModelViewSet

from . import selectors_schedule as selectors
from .api_mrp import AtUserPlantsMixin
from .models import OperationPin, ScheduleConflict, ScheduledOperation, ScheduleRun
from .services import schedule as services


class ScheduleRunSerializer(TenantModelSerializer):
    time_limit_seconds = serializers.IntegerField(
        min_value=1, max_value=services.MAX_TIME_LIMIT, required=False, default=60, help_text="Solver time, seconds."
    )
    include_planned_orders = serializers.BooleanField(required=False, default=True)

    class Meta:
        model = ScheduleRun
        fields = [
            "id",
            "plant",
            "status",
            "progress",
            "message",
            "error",
            "trigger",
            "time_limit_seconds",
            "include_planned_orders",
            "origin",
            "method",
            "solver_status",
            "weighted_tardiness",
            "baseline_weighted_tardiness",
            "makespan_minutes",
            "lower_bound",
            "stats",
            "requested_by",
            "started_at",
            "finished_at",
            "created_at",
        ]
        read_only_fields = [f for f in fields if f not in ("plant", "time_limit_seconds", "include_planned_orders")]


class ScheduledOperationSerializer(TenantModelSerializer):
    class Meta:
        model = ScheduledOperation
        fields = [
            "id",
            "run",
            "work_order",
            "operation",
            "planned_order",
            "routing_operation",
            "sequence",
            "machine",
            "start",
            "end",
            "setup_minutes",
            "is_fixed",
        ]
        read_only_fields = fields


class ScheduleConflictSerializer(TenantModelSerializer):
    class Meta:
        model = ScheduleConflict
        fields = [
            "id",
            "run",
            "kind",
            "work_order",
            "planned_order",
            "due",
            "planned_end",
            "tardiness_minutes",
            "machine",
            "item",
            "short_quantity",
            "available_at",
            "message",
        ]
        read_only_fields = fields


class OperationPinSerializer(TenantModelSerializer):
    class Meta:
        model = OperationPin
        fields = ["id", "operation", "machine", "start", "pinned_by", "created_at", "updated_at"]
        read_only_fields = ["pinned_by"]


class ScheduleRunViewSet(AtUserPlantsMixin, TenantCreateListRetrieveViewSet):
    """Schedule runs of the plants: POST asks for one (202, queued); poll it for progress."""

    queryset = selectors.schedule_runs()
    serializer_class = ScheduleRunSerializer
    filterset_fields = ["plant", "status", "trigger"]
    ordering_fields = ["id", "created_at", "finished_at"]

    @extend_schema(responses={202: ScheduleRunSerializer})
    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        run = services.request_schedule(
            actor=request.user,
            plant=data["plant"],
            time_limit=data.get("time_limit_seconds", 60),
            include_planned_orders=data.get("include_planned_orders", True),
            trigger=ScheduleRun.Trigger.API,
        )
        run.refresh_from_db()  # an eager worker may already have run it
        return Response(self.get_serializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={200: ScheduledOperationSerializer(many=True)})
    @action(detail=True, methods=["get"], filterset_fields=[], ordering_fields=[])
    def operations(self, request: Any, pk: Any = None) -> Response:
        """Where and when each operation runs in this schedule, by machine and start."""
        rows = selectors.scheduled_operations(run=self.get_object())
        page = self.paginate_queryset(rows)
        serializer = ScheduledOperationSerializer(page if page is not None else rows, many=True)
        return self.get_paginated_response(serializer.data) if page is not None else Response(serializer.data)

    @extend_schema(responses={200: ScheduleConflictSerializer(many=True)})
    @action(detail=True, methods=["get"], filterset_fields=[], ordering_fields=[])
    def conflicts(self, request: Any, pk: Any = None) -> Response:
        """Why orders end late (capacity on a machine, release) and material not there in time."""
        rows = selectors.conflicts(run=self.get_object())
        page = self.paginate_queryset(rows)
        serializer = ScheduleConflictSerializer(page if page is not None else rows, many=True)
        return self.get_paginated_response(serializer.data) if page is not None else Response(serializer.data)


class OperationPinViewSet(TenantModelViewSet):
    """A planner's pins: the scheduler keeps a pinned operation on its machine at its start."""

    queryset = selectors.pins()
    serializer_class = OperationPinSerializer
    filterset_fields = ["machine", "operation"]
    ordering_fields = ["start", "id"]
    http_method_names = ["get", "post", "delete", "head", "options"]

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = services.pin_operation(
            actor=self.request.user, operation=data["operation"], machine=data["machine"], start=data["start"]
        )

    def perform_destroy(self, instance: Any) -> None:
        services.unpin_operation(actor=self.request.user, pin=instance)


router.register("planning/schedule-runs", ScheduleRunViewSet, basename="schedulerun")
router.register("planning/operation-pins", OperationPinViewSet, basename="operationpin")

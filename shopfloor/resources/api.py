"""Resources API: work centers, machines, capabilities, calendars, routings and operations."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from shopfloor.catalog.models import Item
from shopfloor.core.api.router import router
from shopfloor.core.api.serializers import StrictSerializerMixin, TenantModelSerializer
from shopfloor.core.api.viewsets import TenantModelViewSet
from shopfloor.workflows.api import WorkflowActionsMixin

from . import selectors, services
from .models import (
    CalendarException,
    Capability,
    Machine,
    MachineDowntime,
    Operation,
    Routing,
    ShiftPattern,
    WorkCenter,
    WorkingCalendar,
)

_READS = ("GET", "HEAD", "OPTIONS")

# --- Serializers ---------------------------------------------------------------------------------


class WorkingCalendarSerializer(TenantModelSerializer):
    zone = serializers.CharField(source="zone_name", read_only=True, help_text="The zone the hours are counted in.")

    class Meta:
        model = WorkingCalendar
        fields = ["id", "name", "plant", "timezone", "zone", "description", "created_at", "updated_at"]


class ShiftPatternSerializer(TenantModelSerializer):
    class Meta:
        model = ShiftPattern
        fields = [
            "id",
            "calendar",
            "weekday",
            "name",
            "start_time",
            "end_time",
            "break_minutes",
            "created_at",
            "updated_at",
        ]


class CalendarExceptionSerializer(TenantModelSerializer):
    class Meta:
        model = CalendarException
        fields = [
            "id",
            "calendar",
            "date",
            "kind",
            "description",
            "start_time",
            "end_time",
            "break_minutes",
            "created_at",
            "updated_at",
        ]


class WorkCenterSerializer(TenantModelSerializer):
    class Meta:
        model = WorkCenter
        fields = [
            "id",
            "plant",
            "code",
            "name",
            "kind",
            "cost_rate_per_hour",
            "capacity",
            "calendar",
            "is_active",
            "created_at",
            "updated_at",
        ]


class CapabilitySerializer(TenantModelSerializer):
    class Meta:
        model = Capability
        fields = ["id", "code", "name", "created_at", "updated_at"]


class MachineSerializer(TenantModelSerializer):
    class Meta:
        model = Machine
        fields = [
            "id",
            "work_center",
            "plant",
            "code",
            "name",
            "capabilities",
            "manufacturer",
            "model_number",
            "serial_number",
            "status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["plant", "status"]


class MachineDowntimeSerializer(TenantModelSerializer):
    class Meta:
        model = MachineDowntime
        fields = ["id", "machine", "plant", "kind", "starts_at", "ends_at", "reason", "created_at", "updated_at"]
        read_only_fields = ["plant"]


class EndDowntimeSerializer(StrictSerializerMixin, serializers.Serializer):
    ends_at = serializers.DateTimeField(required=False, help_text="Default: now.")


class RoutingSerializer(TenantModelSerializer):
    version = serializers.IntegerField(min_value=1, required=False, help_text="Default: the item's next version.")

    class Meta:
        model = Routing
        fields = ["id", "item", "version", "description", "status", "created_at", "updated_at"]
        read_only_fields = ["status"]


class OperationSerializer(TenantModelSerializer):
    class Meta:
        model = Operation
        fields = [
            "id",
            "routing",
            "sequence",
            "description",
            "work_center",
            "eligible_machines",
            "setup_time_minutes",
            "run_time_per_unit_minutes",
            "required_skill",
            "work_instructions",
            "created_at",
            "updated_at",
        ]


class HoursQuerySerializer(StrictSerializerMixin, serializers.Serializer):
    # `from` is a Python keyword: the query parameter names are mapped in `_hours_response`.
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)


class CopySerializer(StrictSerializerMixin, serializers.Serializer):
    item = serializers.PrimaryKeyRelatedField(
        queryset=Item.objects.all(), required=False, help_text="Default: the same item."
    )


class ReleaseSerializer(StrictSerializerMixin, serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=1000)


_DAY_HOURS = inline_serializer(
    "DayHours",
    {"date": serializers.DateField(), "hours": serializers.DecimalField(max_digits=8, decimal_places=2)},
    many=True,
)
_HOURS_PARAMS = [
    OpenApiParameter("from", dt.date, description="First day (default: today)."),
    OpenApiParameter("to", dt.date, description="Last day, inclusive (default: 13 days after `from`)."),
]


def _hours_response(request: Any, resource: Any) -> Response:
    params = {
        key: value
        for key, value in {
            "date_from": request.query_params.get("from"),
            "date_to": request.query_params.get("to"),
        }.items()
        if value
    }
    body = HoursQuerySerializer(data=params)
    if not body.is_valid():
        names = {"date_from": "from", "date_to": "to"}
        raise serializers.ValidationError({names.get(k, k): v for k, v in body.errors.items()})
    date_from = body.validated_data.get("date_from") or dt.date.today()
    date_to = body.validated_data.get("date_to") or date_from + dt.timedelta(days=13)
    hours = selectors.available_hours(resource, date_from, date_to)
    return Response([{"date": day.isoformat(), "hours": str(h)} for day, h in hours.items()])


# --- Viewsets ------------------------------------------------------------------------------------


class WorkingCalendarViewSet(TenantModelViewSet):
    queryset = selectors.calendars()
    serializer_class = WorkingCalendarSerializer
    search_fields = ["name", "description"]
    ordering_fields = ["name", "id"]
    filterset_fields = ["plant"]

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.create_calendar(actor=self.request.user, data=dict(serializer.validated_data))

    @extend_schema(parameters=_HOURS_PARAMS, responses={200: _DAY_HOURS})
    @action(detail=True, methods=["get"], url_path="available-hours")
    def available_hours(self, request: Any, pk: Any = None) -> Response:
        """Working hours per day: shifts minus breaks, holidays 0, extra shifts added, in the calendar's zone."""
        return _hours_response(request, self.get_object())


class _CalendarPartViewSet(TenantModelViewSet):
    """Shifts and exceptions are parts of a calendar: writing them needs the calendar's change permission."""

    def required_permission(self, request: Any) -> str | None:
        return None if request.method in _READS else "resources.change_workingcalendar"


class ShiftPatternViewSet(_CalendarPartViewSet):
    queryset = selectors.shift_patterns()
    serializer_class = ShiftPatternSerializer
    filterset_fields = ["calendar", "weekday"]
    ordering_fields = ["weekday", "start_time", "id"]

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.save_shift(actor=self.request.user, data=dict(serializer.validated_data))

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.save_shift(
            actor=self.request.user, data=dict(serializer.validated_data), shift=serializer.instance
        )

    def perform_destroy(self, instance: Any) -> None:
        services.delete_shift(actor=self.request.user, shift=instance)


class CalendarExceptionViewSet(_CalendarPartViewSet):
    queryset = selectors.calendar_exceptions()
    serializer_class = CalendarExceptionSerializer
    filterset_fields = ["calendar", "kind", "date"]
    ordering_fields = ["date", "id"]

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.save_exception(actor=self.request.user, data=dict(serializer.validated_data))

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.save_exception(
            actor=self.request.user, data=dict(serializer.validated_data), exception=serializer.instance
        )

    def perform_destroy(self, instance: Any) -> None:
        services.delete_exception(actor=self.request.user, exception=instance)


class WorkCenterViewSet(TenantModelViewSet):
    queryset = selectors.work_centers()
    plant_field = "plant"
    serializer_class = WorkCenterSerializer
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name", "id"]
    filterset_fields = ["plant", "kind", "calendar", "is_active"]

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.create_work_center(actor=self.request.user, data=dict(serializer.validated_data))

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_work_center(
            actor=self.request.user, work_center=serializer.instance, data=dict(serializer.validated_data)
        )

    @extend_schema(parameters=_HOURS_PARAMS, responses={200: _DAY_HOURS})
    @action(detail=True, methods=["get"], url_path="available-hours")
    def available_hours(self, request: Any, pk: Any = None) -> Response:
        """The calendar's hours per day times the work center's capacity."""
        return _hours_response(request, self.get_object())


class CapabilityViewSet(TenantModelViewSet):
    queryset = selectors.capabilities()
    serializer_class = CapabilitySerializer
    search_fields = ["code", "name"]
    ordering_fields = ["code", "id"]

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.create_capability(actor=self.request.user, data=dict(serializer.validated_data))


class MachineViewSet(WorkflowActionsMixin, TenantModelViewSet):
    queryset = selectors.machines()
    plant_field = "plant"
    serializer_class = MachineSerializer
    search_fields = ["code", "name", "serial_number"]
    ordering_fields = ["code", "name", "id"]
    filterset_fields = ["work_center", "plant", "status", "capabilities"]

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.create_machine(actor=self.request.user, data=dict(serializer.validated_data))

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_machine(
            actor=self.request.user, machine=serializer.instance, data=dict(serializer.validated_data)
        )

    @extend_schema(parameters=_HOURS_PARAMS, responses={200: _DAY_HOURS})
    @action(detail=True, methods=["get"], url_path="available-hours")
    def available_hours(self, request: Any, pk: Any = None) -> Response:
        """The work center's calendar hours; 0 from today on while the machine is down, in maintenance or retired."""
        return _hours_response(request, self.get_object())


class MachineDowntimeViewSet(TenantModelViewSet):
    """Windows in which a machine cannot work; the scheduler keeps its operations out of them.

    Recorded and ended, not edited: a downtime that was wrong is deleted (the audit trail keeps it).
    """

    queryset = selectors.machine_downtimes()
    plant_field = "plant"
    serializer_class = MachineDowntimeSerializer
    filterset_fields = ["machine", "plant", "kind"]
    ordering_fields = ["starts_at", "id"]
    http_method_names = ["get", "post", "delete", "head", "options"]

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        serializer.instance = services.create_downtime(actor=self.request.user, machine=data.pop("machine"), data=data)

    def perform_destroy(self, instance: Any) -> None:
        services.delete_downtime(actor=self.request.user, downtime=instance)

    def required_permission(self, request: Any) -> str | None:
        return "resources.change_machinedowntime" if getattr(self, "action", None) == "end" else None

    @extend_schema(request=EndDowntimeSerializer, responses={200: MachineDowntimeSerializer})
    @action(detail=True, methods=["post"])
    def end(self, request: Any, pk: Any = None) -> Response:
        """The machine works again: the downtime ends now (or at `ends_at`)."""
        body = EndDowntimeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        downtime = services.end_downtime(
            actor=request.user, downtime=self.get_object(), ends_at=body.validated_data.get("ends_at")
        )
        return Response(self.get_serializer(downtime).data)


class RoutingViewSet(WorkflowActionsMixin, TenantModelViewSet):
    queryset = selectors.routings()
    serializer_class = RoutingSerializer
    search_fields = ["item__number", "item__name", "description"]
    ordering_fields = ["version", "id", "created_at"]
    filterset_fields = ["item", "status"]

    def required_permission(self, request: Any) -> str | None:
        if self.action == "release":
            return "resources.release_routing"
        if self.action == "copy":
            return "resources.add_routing"
        return super().required_permission(request)

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.create_routing(actor=self.request.user, data=dict(serializer.validated_data))

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_routing(
            actor=self.request.user, routing=serializer.instance, data=dict(serializer.validated_data)
        )

    @extend_schema(request=ReleaseSerializer, responses={200: RoutingSerializer})
    @action(detail=True, methods=["post"])
    def release(self, request: Any, pk: Any = None) -> Response:
        """Release this draft; the item's previously released routing becomes obsolete."""
        body = ReleaseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        routing = services.release_routing(
            actor=request.user, routing=self.get_object(), comment=body.validated_data.get("comment", "")
        )
        return Response(RoutingSerializer(routing).data)

    @extend_schema(request=CopySerializer, responses={201: RoutingSerializer})
    @action(detail=True, methods=["post"])
    def copy(self, request: Any, pk: Any = None) -> Response:
        """A new draft version with the same operations (for this item or another)."""
        body = CopySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        new = services.copy_routing(actor=request.user, routing=self.get_object(), item=body.validated_data.get("item"))
        return Response(RoutingSerializer(new).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("quantity", str, required=True, description="How many units to make.")],
        responses={
            200: inline_serializer(
                "TimeEstimate",
                {
                    "quantity": serializers.CharField(),
                    "setup_minutes": serializers.CharField(),
                    "run_minutes": serializers.CharField(),
                    "total_minutes": serializers.CharField(),
                    "total_hours": serializers.CharField(),
                    "operations": serializers.ListField(child=serializers.DictField()),
                },
            )
        },
    )
    @action(detail=True, methods=["get"])
    def estimate(self, request: Any, pk: Any = None) -> Response:
        """Setup + run time × quantity per operation and in total, in minutes and hours."""
        routing = self.get_object()
        quantity = request.query_params.get("quantity", "")
        if not quantity:
            raise ValidationError({"quantity": ["Give the quantity, e.g. ?quantity=25."]})
        estimate = services.estimate_time(routing, quantity)
        return Response(
            {
                "quantity": str(estimate.quantity),
                "setup_minutes": str(estimate.setup_minutes),
                "run_minutes": str(estimate.run_minutes),
                "total_minutes": str(estimate.total_minutes),
                "total_hours": str(estimate.total_hours),
                "operations": [
                    {
                        "sequence": line.sequence,
                        "description": line.description,
                        "work_center": line.work_center,
                        "setup_minutes": str(line.setup_minutes),
                        "run_minutes": str(line.run_minutes),
                        "total_minutes": str(line.total_minutes),
                        "total_hours": str(line.total_hours),
                    }
                    for line in estimate.operations
                ],
            }
        )


class OperationViewSet(TenantModelViewSet):
    queryset = selectors.operations()
    serializer_class = OperationSerializer
    search_fields = ["description", "required_skill"]
    ordering_fields = ["sequence", "id"]
    filterset_fields = ["routing", "work_center"]

    def required_permission(self, request: Any) -> str | None:
        # Operations are part of their routing: editing one is editing the routing.
        return None if request.method in _READS else "resources.change_routing"

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.create_operation(actor=self.request.user, data=dict(serializer.validated_data))

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_operation(
            actor=self.request.user, operation=serializer.instance, data=dict(serializer.validated_data)
        )

    def perform_destroy(self, instance: Any) -> None:
        services.delete_operation(actor=self.request.user, operation=instance)


router.register("resources/work-centers", WorkCenterViewSet, basename="workcenter")
router.register("resources/machines", MachineViewSet, basename="machine")
router.register("resources/machine-downtimes", MachineDowntimeViewSet, basename="machinedowntime")
router.register("resources/capabilities", CapabilityViewSet, basename="capability")
router.register("resources/calendars", WorkingCalendarViewSet, basename="workingcalendar")
router.register("resources/shift-patterns", ShiftPatternViewSet, basename="shiftpattern")
router.register("resources/calendar-exceptions", CalendarExceptionViewSet, basename="calendarexception")
router.register("resources/routings", RoutingViewSet, basename="routing")
router.register("resources/operations", OperationViewSet, basename="operation")

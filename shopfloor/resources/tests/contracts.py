"""Resources API contracts for the shared contract suite."""

from __future__ import annotations

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core.tests.contract import Contract, unique
from shopfloor.core.tests.factories import PlantFactory

from .factories import (
    CalendarExceptionFactory,
    CapabilityFactory,
    MachineDowntimeFactory,
    MachineFactory,
    OperationFactory,
    RoutingFactory,
    ShiftPatternFactory,
    WorkCenterFactory,
    WorkingCalendarFactory,
)


def _work_center_payload() -> dict:
    return {
        "plant": PlantFactory().pk,
        "calendar": WorkingCalendarFactory().pk,
        "code": unique("LATHE-"),
        "name": "CNC lathes",
        "kind": "machining",
        "cost_rate_per_hour": "120.000000",
        "capacity": 3,
    }


def _machine_payload() -> dict:
    return {
        "work_center": WorkCenterFactory().pk,
        "code": unique("MZ-"),
        "name": "Mazak QTN 350",
        "capabilities": [CapabilityFactory().pk],
    }


def _routing_payload() -> dict:
    return {"item": ItemFactory().pk, "description": "Machine from bar"}


def _operation_payload() -> dict:
    work_center = WorkCenterFactory()
    return {
        "routing": RoutingFactory(operations=0).pk,
        "sequence": 10,
        "description": "Turn OD and face",
        "work_center": work_center.pk,
        "eligible_machines": [MachineFactory(work_center=work_center).pk],
        "setup_time_minutes": "45.0000",
        "run_time_per_unit_minutes": "6.2500",
        "required_skill": "CNC turning",
    }


CONTRACTS: dict[str, Contract] = {
    "resources/calendars": Contract(
        factory=WorkingCalendarFactory,
        payload=lambda: {"name": unique("Two shifts "), "timezone": "Europe/Oslo"},
        update={"description": "Mon-Fri, 2 x 8 h"},
    ),
    "resources/shift-patterns": Contract(
        factory=ShiftPatternFactory,
        payload=lambda: {
            "calendar": WorkingCalendarFactory().pk,
            "weekday": 0,
            "start_time": "22:00:00",
            "end_time": "06:00:00",
            "break_minutes": 30,
        },
        update={"break_minutes": 45},
        put=lambda obj: {
            "calendar": obj.calendar_id,
            "weekday": obj.weekday,
            "start_time": "05:30:00",
            "end_time": "14:00:00",
            "break_minutes": 30,
        },
    ),
    "resources/calendar-exceptions": Contract(
        factory=CalendarExceptionFactory,
        payload=lambda: {"calendar": WorkingCalendarFactory().pk, "date": "2026-05-17", "kind": "holiday"},
        update={"description": "Constitution Day"},
    ),
    "resources/work-centers": Contract(
        factory=WorkCenterFactory,
        payload=_work_center_payload,
        update={"name": "CNC lathes (bay 2)", "capacity": 4},
        put=lambda obj: {**_work_center_payload(), "plant": obj.plant_id, "capacity": 2},
    ),
    "resources/capabilities": Contract(
        factory=CapabilityFactory,
        payload=lambda: {"code": unique("5AX"), "name": "5-axis milling"},
        update={"name": "5-axis simultaneous milling"},
    ),
    "resources/machines": Contract(
        factory=MachineFactory,
        payload=_machine_payload,
        update={"name": "Mazak QTN 450", "serial_number": "SN-4471"},
    ),
    "resources/machine-downtimes": Contract(
        factory=MachineDowntimeFactory,
        payload=lambda: {
            "machine": MachineFactory().pk,
            "kind": "maintenance",
            "starts_at": "2026-06-01T06:00:00Z",
            "ends_at": "2026-06-01T10:00:00Z",
            "reason": "Spindle service",
        },
        operations=frozenset({"list", "retrieve", "create", "delete"}),
        actions={"end": 200},
        note="Recorded and ended, never edited: a wrong downtime is deleted.",
    ),
    "resources/routings": Contract(
        factory=RoutingFactory,
        payload=_routing_payload,
        update={"description": "Machine from forging"},
        put=lambda obj: {"item": obj.item_id, "version": obj.version, "description": "Machine from forging"},
        actions={"release": 200, "copy": 201},
    ),
    "resources/operations": Contract(
        factory=OperationFactory,
        payload=_operation_payload,
        update={"description": "Turn OD, face and chamfer", "run_time_per_unit_minutes": "5.7500"},
        put=lambda obj: {
            "routing": obj.routing_id,
            "sequence": obj.sequence,
            "description": "Turn OD",
            "work_center": obj.work_center_id,
            "eligible_machines": [],
            "setup_time_minutes": "40.0000",
            "run_time_per_unit_minutes": "6.0000",
        },
    ),
}

NOT_EXPOSED: dict[str, str] = {}

"""Rescheduling when a machine goes down: resources tells planning through events.

A machine's workflow moving it to down, maintenance or retired, or a new downtime recorded on
it, asks for a new schedule run of its plant (trigger machine_down, by the system) when the
schedule in force uses that machine. The outbox runs each handler once per event, and a run
still queued for the plant absorbs further requests, so a burst of events asks once.
"""

from __future__ import annotations

from shopfloor.core import events
from shopfloor.core.models import OutboxEvent
from shopfloor.resources.models import Machine
from shopfloor.resources.selectors import UNAVAILABLE_MACHINE_STATES

from .models import ScheduledOperation, ScheduleRun
from .services import schedule as schedule_services


def _reschedule_if_scheduled(machine_id: int | None) -> ScheduleRun | None:
    machine = Machine.objects.select_related("plant").filter(pk=machine_id).first()
    if machine is None:
        return None
    current = schedule_services.current_run(machine.plant)
    if current is None or not ScheduledOperation.objects.filter(run=current, machine=machine).exists():
        return None
    return schedule_services.request_schedule(
        actor=None,
        plant=machine.plant,
        time_limit=current.time_limit_seconds,
        include_planned_orders=current.include_planned_orders,
        trigger=ScheduleRun.Trigger.MACHINE_DOWN,
    )


@events.subscribe("resources.machine.transitioned", name="planning.reschedule_on_machine_transition")
def reschedule_on_machine_transition(event: OutboxEvent) -> None:
    """A machine leaving service (down, maintenance, retired) takes its work elsewhere."""
    if event.payload.get("to") in UNAVAILABLE_MACHINE_STATES:
        _reschedule_if_scheduled(event.payload.get("id"))


@events.subscribe("resources.machine.downtime_created", name="planning.reschedule_on_downtime")
def reschedule_on_downtime(event: OutboxEvent) -> None:
    """A downtime window (maintenance planned, breakdown reported) closes the machine for it."""
    _reschedule_if_scheduled(event.payload.get("machine"))

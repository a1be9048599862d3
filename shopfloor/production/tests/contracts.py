"""Production API contracts for the shared contract suite.

Work orders are created and edited, then move only through their actions; job cards and the
records the actions write (time, issues, outputs, genealogy) are read-only resources.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core.tests.contract import Contract
from shopfloor.core.tests.factories import PlantFactory

from .factories import (
    GenealogyLinkFactory,
    MaterialIssueFactory,
    OperationJobCardFactory,
    TimeEntryFactory,
    WorkOrderFactory,
    WorkOrderMaterialFactory,
    WorkOrderOutputFactory,
)

READ_ONLY = frozenset({"list", "retrieve"})


def _work_order_payload() -> dict:
    return {
        "item": ItemFactory().pk,
        "plant": PlantFactory().pk,
        "quantity": "12.000000",
        "due_date": str(timezone.localdate() + timedelta(days=20)),
        "notes": "Rush order for rig 7",
    }


CONTRACTS: dict[str, Contract] = {
    "production/work-orders": Contract(
        factory=WorkOrderFactory,
        payload=_work_order_payload,
        update={"notes": "Customer moved the date", "due_date": "2030-01-31"},
        put=lambda obj: {"quantity": "8", "due_date": "2030-02-28", "notes": "Split the order"},
        operations=frozenset({"list", "retrieve", "create", "update"}),
        actions={
            "plan": 200,
            "release": 409,
            "start": 409,
            "send_to_qc": 409,
            "complete": 409,
            "hold": 409,
            "cancel": 400,
            "issue": 400,
            "return_material": 400,
            "output": 400,
        },
        note="Orders are cancelled, not deleted. A fresh draft plans; it cannot be released or completed "
        "(409); cancelling needs a comment and the material actions a body (400).",
    ),
    "production/operations": Contract(
        factory=OperationJobCardFactory,
        operations=READ_ONLY,
        actions={"start": 200, "pause": 409, "resume": 409, "complete": 400, "book_time": 400},
        note="Job cards are copied from the routing at release and change only through their actions.",
    ),
    "production/materials": Contract(
        factory=WorkOrderMaterialFactory,
        operations=frozenset({"list", "retrieve", "update"}),
        update={"backflush": True},
        put=lambda obj: {"backflush": False, "operation": None, "issue_location": None},
        note="Lines are copied from the BOM at release; only how they are issued may change.",
    ),
    "production/time-entries": Contract(
        factory=TimeEntryFactory, operations=READ_ONLY, note="Booked by the job card actions."
    ),
    "production/material-issues": Contract(
        factory=MaterialIssueFactory, operations=READ_ONLY, note="Written by the issue/return actions and backflush."
    ),
    "production/outputs": Contract(
        factory=WorkOrderOutputFactory, operations=READ_ONLY, note="Written by the work order's output action."
    ),
    "production/genealogy-links": Contract(
        factory=GenealogyLinkFactory, operations=READ_ONLY, note="Written when output is received."
    ),
}

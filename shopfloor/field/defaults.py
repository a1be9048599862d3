"""Field assets' default workflow, its guards, action permissions and document numbers.

New -> In stock -> Assigned (to a customer's rig) -> In field -> Returned -> Under repair
-> In stock, or Scrapped. Each step has a service that does the physical part first (a stock
move to or from the customer location, an assignment, a dull grade, a repair work order) and
then fires the transition; the guards check that physical part, so that firing a transition
by hand (the generic workflow page) can never put a bit "in the field" that was not shipped.
"""

from __future__ import annotations

from typing import Any

from shopfloor.core import access, numbering
from shopfloor.workflows.registry import StateSpec, TransitionSpec, guard, register_default

MODEL = "field.fieldasset"

access.register_permission("field.receive_fieldasset", "Take a field asset into stock (receipt, back from repair)")
access.register_permission("field.assign_fieldasset", "Assign a field asset to a customer's rig, or unassign it")
access.register_permission("field.ship_fieldasset", "Ship a field asset to the rig (it is then in the field)")
access.register_permission("field.return_fieldasset", "Take back a field asset from the rig, with its dull grade")
access.register_permission("field.repair_fieldasset", "Open a repair work order for a returned field asset")
access.register_permission("field.scrap_fieldasset", "Scrap a field asset (or write it off as lost in hole)")

numbering.register("field_asset", "FA-")


def _open_assignment(asset: Any) -> Any:
    return asset.assignments.filter(ended_at__isnull=True).first()


@guard("field.serial_in_plant", "The asset's serial number is in one of the plant's locations")
def _serial_in_plant(asset: Any, actor: Any) -> str | None:
    from shopfloor.inventory.models import SerialNumber

    serial = SerialNumber.objects.get(pk=asset.serial_id)
    if serial.location_id is None or serial.status != SerialNumber.Status.IN_STOCK:
        return f"Serial {serial.serial} is not in stock at the plant."
    return None


@guard("field.has_open_assignment", "The asset is assigned to a customer's rig")
def _has_open_assignment(asset: Any, actor: Any) -> str | None:
    if _open_assignment(asset) is None:
        return "The asset is not assigned to a rig."
    return None


@guard("field.no_open_assignment", "The asset's assignment has ended")
def _no_open_assignment(asset: Any, actor: Any) -> str | None:
    if _open_assignment(asset) is not None:
        return "The asset is still assigned to a rig."
    return None


@guard("field.serial_at_customer", "The asset's serial number was shipped to the customer")
def _serial_at_customer(asset: Any, actor: Any) -> str | None:
    from shopfloor.inventory.models import SerialNumber

    serial = SerialNumber.objects.get(pk=asset.serial_id)
    if serial.status != SerialNumber.Status.SHIPPED:
        return f"Serial {serial.serial} has not been shipped to the customer."
    return None


@guard("field.return_graded", "The return from the rig has its IADC dull grade")
def _return_graded(asset: Any, actor: Any) -> str | None:
    last = asset.assignments.order_by("-assigned_at", "-id").first()
    if last is None or not last.dull_grades.exists():
        return "The return has no IADC dull grade."
    return None


@guard("field.has_open_repair", "A repair work order is open for the asset")
def _has_open_repair(asset: Any, actor: Any) -> str | None:
    if not asset.repairs.filter(completed_at__isnull=True).exists():
        return "No repair work order is open for the asset."
    return None


@guard("field.no_open_repair", "The asset's repair is finished")
def _no_open_repair(asset: Any, actor: Any) -> str | None:
    if asset.repairs.filter(completed_at__isnull=True).exists():
        return "The asset's repair is not finished."
    return None


@guard("field.serial_scrapped", "The asset's serial number was moved to scrap")
def _serial_scrapped(asset: Any, actor: Any) -> str | None:
    from shopfloor.inventory.models import SerialNumber

    serial = SerialNumber.objects.get(pk=asset.serial_id)
    if serial.status != SerialNumber.Status.SCRAPPED:
        return f"Serial {serial.serial} has not been moved to scrap."
    return None


register_default(
    MODEL,
    "Field asset",
    states=[
        StateSpec("new", "New", initial=True, colour="#6b7280"),
        StateSpec("in_stock", "In stock", colour="#16a34a"),
        StateSpec("assigned", "Assigned", colour="#2563eb"),
        StateSpec("in_field", "In field", colour="#7c3aed"),
        StateSpec("returned", "Returned", colour="#d97706"),
        StateSpec("under_repair", "Under repair", colour="#b45309"),
        StateSpec("scrapped", "Scrapped", final=True, colour="#374151"),
    ],
    transitions=[
        TransitionSpec(
            "new", "in_stock", "Receive", permission="field.receive_fieldasset", guards=("field.serial_in_plant",)
        ),
        TransitionSpec(
            "in_stock",
            "assigned",
            "Assign to rig",
            permission="field.assign_fieldasset",
            guards=("field.has_open_assignment", "field.serial_in_plant"),
        ),
        TransitionSpec(
            "assigned",
            "in_stock",
            "Unassign",
            permission="field.assign_fieldasset",
            guards=("field.no_open_assignment", "field.serial_in_plant"),
        ),
        TransitionSpec(
            "assigned",
            "in_field",
            "Ship to rig",
            permission="field.ship_fieldasset",
            guards=("field.has_open_assignment", "field.serial_at_customer"),
        ),
        TransitionSpec(
            "in_field",
            "returned",
            "Return from rig",
            permission="field.return_fieldasset",
            guards=("field.no_open_assignment", "field.serial_in_plant", "field.return_graded"),
        ),
        TransitionSpec(
            "returned",
            "under_repair",
            "Start repair",
            permission="field.repair_fieldasset",
            guards=("field.has_open_repair",),
        ),
        TransitionSpec(
            "under_repair",
            "in_stock",
            "Back in stock",
            permission="field.receive_fieldasset",
            guards=("field.no_open_repair", "field.serial_in_plant"),
        ),
        TransitionSpec(
            "returned",
            "in_stock",
            "Back in stock",
            permission="field.receive_fieldasset",
            guards=("field.serial_in_plant",),
        ),
        TransitionSpec(
            "in_stock",
            "scrapped",
            "Scrap",
            permission="field.scrap_fieldasset",
            guards=("field.serial_scrapped",),
            comment=True,
        ),
        TransitionSpec(
            "returned",
            "scrapped",
            "Scrap",
            permission="field.scrap_fieldasset",
            guards=("field.serial_scrapped",),
            comment=True,
        ),
        TransitionSpec(
            "under_repair",
            "scrapped",
            "Scrap",
            permission="field.scrap_fieldasset",
            guards=("field.serial_scrapped", "field.no_open_repair"),
            comment=True,
        ),
        TransitionSpec(
            "in_field",
            "scrapped",
            "Lost in hole",
            permission="field.scrap_fieldasset",
            guards=("field.no_open_assignment",),
            comment=True,
        ),
    ],
    description=(
        "New -> In stock -> Assigned -> In field -> Returned -> Under repair -> In stock, or Scrapped; "
        "each step's guards check the stock move, assignment, dull grade or repair behind it."
    ),
)

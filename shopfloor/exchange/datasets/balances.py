"""Opening balances (inventory): what is on hand where, set through ledger adjustments.

A row states the quantity that should be on hand at a location (of an item and lot); the
import posts the adjustment that makes it so (reason code OPENING), so importing the same file
twice changes nothing, and the ledger still explains every unit.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from shopfloor.catalog import services as catalog_services
from shopfloor.catalog.models import Item, Unit
from shopfloor.core.models import Plant
from shopfloor.inventory import services as inventory_services
from shopfloor.inventory.models import Location, SerialNumber, StockBalance

from ..registry import Column, Dataset, Lookup, RowError, register

REASON_CODE = "OPENING"


class OpeningBalances(Dataset):
    def validate(self, row: dict[str, Any]) -> None:
        errors: dict[str, str] = {}
        location = Location.objects.filter(plant=row["plant"], code=row["location"]).first()
        if location is None:
            errors["location"] = f"Unknown location '{row['location']}' in plant {row['plant'].code}."
        elif location.is_virtual:
            errors["location"] = "Virtual locations hold no stock; name a real one."
        else:
            row["location"] = location
        item: Item = row["item"]
        tracking = item.tracking
        if row["quantity"] < 0:
            errors["quantity"] = "An opening balance is 0 or more."
        if tracking == Item.Tracking.NONE and (row["lot"] or row["serial"]):
            errors["lot" if row["lot"] else "serial"] = f"{item.number} is not tracked by lot or serial number."
        if tracking == Item.Tracking.LOT and not row["lot"]:
            errors["lot"] = f"{item.number} is tracked by lot: give the lot number."
        if tracking == Item.Tracking.SERIAL:
            if not row["serial"]:
                errors["serial"] = f"{item.number} is tracked by serial number: one row per serial."
            elif row["quantity"] not in (0, 1):
                errors["quantity"] = "A serial number is one unit: quantity 1 (or 0 for none)."
        elif row["serial"]:
            errors["serial"] = f"{item.number} is not tracked by serial number."
        if errors:
            raise RowError(errors)

    def row_key(self, row: dict[str, Any]) -> tuple[Any, ...] | None:
        return (row["location"].pk, row["item"].pk, row["lot"] or "", row["serial"] or "")

    def write(self, *, actor: Any, row: dict[str, Any]) -> Any:
        item: Item = row["item"]
        location: Location = row["location"]
        quantity: Decimal = row["quantity"]
        if row["unit"] is not None and row["unit"].pk != item.stock_unit_id:
            quantity = catalog_services.to_stock_units(quantity, row["unit"], item, exact=True)
        lot = None
        if row["lot"]:
            details = {k: row[k] for k in ("manufactured_on", "expires_on") if row[k] is not None}
            lot = inventory_services.lot_for_receipt(actor=actor, item=item, number=row["lot"], **details)
        if item.tracking == Item.Tracking.SERIAL:
            return self._serial(actor=actor, row=row, item=item, location=location, lot=lot, quantity=quantity)
        balance = StockBalance.objects.filter(item=item, location=location, lot=lot).first()
        difference = quantity - (balance.on_hand if balance is not None else Decimal(0))
        if difference == 0:
            return None
        return inventory_services.adjust(
            actor=actor,
            item=item,
            quantity=difference,
            location=location,
            lot=lot,
            reason_code=REASON_CODE,
            note="Opening balance (import)",
        )

    def _serial(
        self, *, actor: Any, row: dict[str, Any], item: Item, location: Location, lot: Any, quantity: Decimal
    ) -> Any:
        found = SerialNumber.objects.filter(item=item, serial=row["serial"]).select_related("location").first()
        here = found is not None and found.status == SerialNumber.Status.IN_STOCK and found.location_id == location.pk
        if quantity == 0 or here:
            if quantity == 0 and here:
                raise RowError({"quantity": f"Serial {row['serial']} is in stock here; scrap or issue it instead."})
            return found
        if found is not None and found.status == SerialNumber.Status.IN_STOCK:
            raise RowError({"serial": f"Serial {row['serial']} is in stock at {found.location}; transfer it instead."})
        serial = found or inventory_services.serial_for_receipt(actor=actor, item=item, serial=row["serial"], lot=lot)
        return inventory_services.adjust(
            actor=actor,
            item=item,
            quantity=1,
            location=location,
            lot=lot or serial.lot,
            serial=serial,
            reason_code=REASON_CODE,
            note="Opening balance (import)",
        )

    def export_rows(self) -> Iterable[list[Any]]:
        balances = (
            StockBalance.objects.exclude(on_hand=0)
            .exclude(item__tracking=Item.Tracking.SERIAL)
            .exclude(location__location_type__in=list(Location.VIRTUAL_TYPES))
            .select_related("item__stock_unit", "location__plant", "lot")
            .order_by("location__plant__code", "location__code", "item__number", "lot__number")
        )
        for b in balances:
            lot = b.lot
            yield [
                b.location.plant.code,
                b.location.code,
                b.item.number,
                lot.number if lot else None,
                None,
                b.on_hand,
                b.item.stock_unit.code,
                lot.manufactured_on if lot else None,
                lot.expires_on if lot else None,
            ]
        serials = (
            SerialNumber.objects.filter(status=SerialNumber.Status.IN_STOCK, location__isnull=False)
            .select_related("item__stock_unit", "location__plant", "lot")
            .order_by("location__plant__code", "location__code", "item__number", "serial")
        )
        for s in serials:
            lot = s.lot
            yield [
                s.location.plant.code,
                s.location.code,
                s.item.number,
                lot.number if lot else None,
                s.serial,
                Decimal(1),
                s.item.stock_unit.code,
                lot.manufactured_on if lot else None,
                lot.expires_on if lot else None,
            ]


register(
    OpeningBalances(
        name="opening-balances",
        label="Opening balances",
        description=(
            "What is on hand: one row per location, item and lot (one per serial for serial-tracked items). "
            "The import posts the adjustment (reason OPENING) that brings the balance to the quantity given, "
            "so importing the same file again changes nothing."
        ),
        columns=[
            Column("plant", required=True, lookup=Lookup(Plant, "code", "plant"), help="Plant code."),
            Column("location", required=True, help="Location code in that plant."),
            Column("item", required=True, lookup=Lookup(Item, "number", "item"), help="Item number."),
            Column("lot", max_length=60, help="Lot number; required for lot-tracked items, created if new."),
            Column("serial", max_length=80, help="Serial number; one row per serial for serial-tracked items."),
            Column("quantity", "decimal", required=True, help="On hand after the import (0 or more)."),
            Column("unit", lookup=Lookup(Unit, "code", "unit"), help="Unit of the quantity; default the stock unit."),
            Column("manufactured_on", "date", help="For a new lot."),
            Column("expires_on", "date", help="For a new lot."),
        ],
        key=("location",),
        permission="inventory.add_stockmove",
        view_permission="inventory.view_stockbalance",
    )
)

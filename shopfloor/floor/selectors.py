"""Reads of the shop floor: what a scan points at, and the rows labels are printed from."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from shopfloor.core.models import Plant
from shopfloor.inventory.models import Location, Lot, SerialNumber

from . import codes


def lots() -> QuerySet[Lot]:
    return Lot.objects.select_related("item")


def serial_numbers() -> QuerySet[SerialNumber]:
    return SerialNumber.objects.select_related("item", "lot")


def locations() -> QuerySet[Location]:
    return Location.objects.select_related("plant")


def _missing(message: str) -> ValidationError:
    return ValidationError({"code": [message]})


def resolve_stock(code: codes.ScanCode) -> Lot | SerialNumber | Location:
    """The lot, serial number or location a scanned label names (in the current organization).

    Raises ValidationError({"code": ...}) when the label names nothing here: a label of another
    organization reads the same as one never printed.
    """
    if code.kind == codes.LOT:
        item_number, number = code.parts
        found: Any = lots().filter(item__number=item_number, number=number).first()
        if found is None:
            raise _missing(f"No lot {number} of {item_number}.")
        return found
    if code.kind == codes.SERIAL:
        item_number, serial = code.parts
        found = serial_numbers().filter(item__number=item_number, serial=serial).first()
        if found is None:
            raise _missing(f"No serial number {serial} of {item_number}.")
        return found
    if code.kind == codes.LOCATION:
        plant_code, location_code = code.parts
        found = locations().filter(plant__code=plant_code, code=location_code).first()
        if found is None:
            raise _missing(f"No location {location_code} at plant {plant_code}.")
        return found
    raise _missing(f"{code.text} is not a lot, serial number or location label.")


def labelled_objects(texts: list[str]) -> list[Lot | SerialNumber | Location]:
    """The objects of a list of scanned or typed codes, in order; every unknown one is reported."""
    found: list[Lot | SerialNumber | Location] = []
    problems: list[str] = []
    for text in texts:
        try:
            found.append(resolve_stock(codes.parse(text)))
        except ValidationError as exc:
            problems.extend(exc.message_dict.get("code", exc.messages))
    if problems:
        raise ValidationError({"codes": problems})
    return found


def plant_by_code(code: str) -> Plant | None:
    return Plant.objects.filter(code=code).first()

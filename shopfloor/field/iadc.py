"""The IADC dull grading system: its eight columns, their code lists, and one validator.

The code lists are the ones the International Association of Drilling Contractors publishes
on its dull grading chart, in the two revisions every bit company prints on its grading cards:

- roller cone bits: "The IADC Roller Bit Dull Grading System", SPE/IADC 23938 (1992), and
- fixed cutter bits (PDC, TSP, natural diamond, impregnated): "First Revision to the IADC
  Fixed Cutter Dull Grading System", SPE/IADC 23939 (1992).

Columns (in the order a grade is written, e.g. ``1-2-WT-A-E-I-NO-TD``):

1. Inner rows / 2. Outer rows: wear of the inner two thirds and the outer third of the
   cutting structure on a linear scale 0 (no wear) to 8 (none left).
3. Dull characteristic and 7. Other dull characteristic: a code of the list for the bit's
   kind. For roller cone bits the cone codes BC, CC, CD and LC (marked * on the chart) need
   the cone number(s) under Location.
4. Location: roller cone N (nose row), M (middle row), G (gauge row), A (all rows) or the cone
   number(s) 1, 2, 3; fixed cutter C (cone), N (nose), T (taper), S (shoulder), G (gauge),
   A (all areas).
5. Bearings/seals: roller cone 0-8 for non-sealed bearings (bearing life used), E (seals
   effective), F (seals failed), N (not able to grade); fixed cutter bits have none: X.
6. Gauge: I (in gauge) or how far under gauge in sixteenths of an inch (1 = 1/16",
   2 = 1/8", 4 = 1/4"...).
8. Reason pulled (or run terminated): a code of the reason list, the same for both kinds.

The plant keeps exactly these codes so that a grade written here reads the same on the rig's
daily report, in the bit company's records and in WITSML ("DullGrades").
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError

ROLLER_CONE = "roller_cone"
FIXED_CUTTER = "fixed_cutter"

ROLLER_CONE_CHARACTERISTICS: dict[str, str] = {
    "BC": "Broken cone",
    "BT": "Broken teeth/cutters",
    "BU": "Balled up bit",
    "CC": "Cracked cone",
    "CD": "Cone dragged",
    "CI": "Cone interference",
    "CR": "Cored",
    "CT": "Chipped teeth/cutters",
    "ER": "Erosion",
    "FC": "Flat crested wear",
    "HC": "Heat checking",
    "JD": "Junk damage",
    "LC": "Lost cone",
    "LN": "Lost nozzle",
    "LT": "Lost teeth/cutters",
    "NO": "No dull characteristic",
    "OC": "Off-center wear",
    "PB": "Pinched bit",
    "PN": "Plugged nozzle/flow passage",
    "RG": "Rounded gauge",
    "RO": "Ring out",
    "SD": "Shirttail damage",
    "SS": "Self-sharpening wear",
    "TR": "Tracking",
    "WO": "Washed out bit",
    "WT": "Worn teeth/cutters",
}

# Codes the roller cone chart marks with *: the location column names the cone(s).
CONE_CODES = frozenset({"BC", "CC", "CD", "LC"})

FIXED_CUTTER_CHARACTERISTICS: dict[str, str] = {
    "BF": "Bond failure",
    "BT": "Broken cutters",
    "BU": "Balled up",
    "CR": "Cored",
    "CT": "Chipped cutters",
    "DL": "Delaminated cutters",
    "ER": "Erosion",
    "HC": "Heat checking",
    "JD": "Junk damage",
    "LM": "Lost matrix",
    "LN": "Lost nozzle",
    "LT": "Lost cutters",
    "NO": "No dull characteristics",
    "NR": "Not rerunnable",
    "PN": "Plugged nozzle/flow passage",
    "RO": "Ring out",
    "RR": "Rerunnable",
    "WO": "Washed out",
    "WT": "Worn cutters",
}

ROLLER_CONE_LOCATIONS: dict[str, str] = {
    "N": "Nose row",
    "M": "Middle row",
    "G": "Gauge row",
    "A": "All rows",
    "1": "Cone 1",
    "2": "Cone 2",
    "3": "Cone 3",
    "12": "Cones 1 and 2",
    "13": "Cones 1 and 3",
    "23": "Cones 2 and 3",
    "123": "Cones 1, 2 and 3",
}

FIXED_CUTTER_LOCATIONS: dict[str, str] = {
    "C": "Cone",
    "N": "Nose",
    "T": "Taper",
    "S": "Shoulder",
    "G": "Gauge",
    "A": "All areas",
}

ROLLER_CONE_BEARINGS: dict[str, str] = {
    **{str(n): f"{n}/8 of bearing life used (non-sealed)" for n in range(9)},
    "E": "Seals effective",
    "F": "Seals failed",
    "N": "Not able to grade",
}

FIXED_CUTTER_BEARINGS: dict[str, str] = {"X": "No bearings (fixed cutter)"}

GAUGES: dict[str, str] = {
    "I": "In gauge",
    **{str(n): f"{n}/16 in under gauge" for n in range(1, 17)},
}

REASONS_PULLED: dict[str, str] = {
    "BHA": "Change bottom hole assembly",
    "CM": "Condition mud",
    "CP": "Core point",
    "DMF": "Downhole motor failure",
    "DP": "Drill plug",
    "DSF": "Drill string failure",
    "DST": "Drill stem test",
    "DTF": "Downhole tool failure",
    "FM": "Formation change",
    "HP": "Hole problems",
    "HR": "Hours on bit",
    "LIH": "Left in hole",
    "LOG": "Run logs",
    "PP": "Pump pressure",
    "PR": "Penetration rate",
    "RIG": "Rig repair",
    "TD": "Total depth/casing depth",
    "TQ": "Torque",
    "TW": "Twist off",
    "WC": "Weather conditions",
    "WO": "Washout in drill string",
}

ROWS: dict[str, str] = {str(n): f"{n}/8 worn" for n in range(9)}

FIELDS = (
    "inner_rows",
    "outer_rows",
    "dull_characteristic",
    "location",
    "bearings_seals",
    "gauge",
    "other_characteristic",
    "reason_pulled",
)

LABELS = {
    "inner_rows": "Inner rows",
    "outer_rows": "Outer rows",
    "dull_characteristic": "Dull characteristic",
    "location": "Location",
    "bearings_seals": "Bearings/seals",
    "gauge": "Gauge",
    "other_characteristic": "Other dull characteristic",
    "reason_pulled": "Reason pulled",
}

KIND_NAMES = {ROLLER_CONE: "roller cone", FIXED_CUTTER: "fixed cutter"}


def code_lists(bit_type: str) -> dict[str, dict[str, str]]:
    """The allowed codes of each column for a bit of this kind, with their meanings."""
    if bit_type == FIXED_CUTTER:
        characteristics, locations, bearings = (
            FIXED_CUTTER_CHARACTERISTICS,
            FIXED_CUTTER_LOCATIONS,
            FIXED_CUTTER_BEARINGS,
        )
    else:
        characteristics, locations, bearings = (
            ROLLER_CONE_CHARACTERISTICS,
            ROLLER_CONE_LOCATIONS,
            ROLLER_CONE_BEARINGS,
        )
    return {
        "inner_rows": ROWS,
        "outer_rows": ROWS,
        "dull_characteristic": characteristics,
        "location": locations,
        "bearings_seals": bearings,
        "gauge": GAUGES,
        "other_characteristic": characteristics,
        "reason_pulled": REASONS_PULLED,
    }


def choices(bit_type: str, field: str) -> list[tuple[str, str]]:
    """(code, 'code - meaning') pairs for a select box."""
    return [(code, f"{code} - {meaning}") for code, meaning in code_lists(bit_type)[field].items()]


_SIXTEENTHS = re.compile(r"^(\d{1,2})\s*/\s*16\"?$")


def _normalize(field: str, value: Any) -> str:
    text = "" if value is None else str(value).strip().upper()
    if field == "gauge":
        if text == "IN":
            return "I"
        match = _SIXTEENTHS.match(text)
        if match:
            text = str(int(match.group(1)))
    if field == "location" and text.isdigit():
        # Cone numbers in any order ("31") are the same cones ("13").
        text = "".join(sorted(set(text)))
    return text


def clean(bit_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """The eight columns checked against the code lists of the bit's kind, normalized.

    Raises one ValidationError naming every column that is missing or not in its list, so a
    form or an API caller sees all mistakes at once; nothing is stored by the caller then.
    """
    if bit_type not in KIND_NAMES:
        raise ValidationError({"bit_type": [f"'{bit_type}' is not a bit kind (roller_cone or fixed_cutter)."]})
    lists = code_lists(bit_type)
    kind = KIND_NAMES[bit_type]
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for field in FIELDS:
        text = _normalize(field, data.get(field))
        if text == "":
            errors[field] = [f"Give the {LABELS[field].lower()} code."]
            continue
        if text not in lists[field]:
            if field in ("inner_rows", "outer_rows"):
                message = f"{LABELS[field]} is graded 0 to 8; '{text}' is not on the scale."
            elif field == "gauge":
                message = f"Gauge is I (in gauge) or sixteenths of an inch under gauge (1 to 16); not '{text}'."
            else:
                allowed = ", ".join(lists[field])
                message = f"'{text}' is not an IADC {LABELS[field].lower()} code for a {kind} bit ({allowed})."
            errors[field] = [message]
            continue
        cleaned[field] = int(text) if field in ("inner_rows", "outer_rows") else text
    if bit_type == ROLLER_CONE and "location" not in errors and "dull_characteristic" not in errors:
        if cleaned["dull_characteristic"] in CONE_CODES and not cleaned["location"].isdigit():
            errors["location"] = [
                f"{cleaned['dull_characteristic']} is graded by cone: give the cone number(s) 1, 2 or 3 as location."
            ]
    if errors:
        raise ValidationError(errors)
    return cleaned


def as_text(values: dict[str, Any]) -> str:
    """The grade as it is written on a bit record: ``1-2-WT-A-E-I-NO-TD``."""
    return "-".join(str(values.get(f, "")) for f in FIELDS)

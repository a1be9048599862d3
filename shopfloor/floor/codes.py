"""The scan codes printed on labels and travellers, and read back by the /floor/ terminal.

One format for the QR codes and for what a person types, so a scanner in keyboard-wedge mode
and a thumb on a tablet say the same thing:

    WO-000123                 a work order, by its number
    WO-000123/20              operation 20 of that work order (as the traveller prints it)
    OP:<id>                   an operation by its id (when the number is not at hand)
    LOT:<item>:<lot>          a lot of an item
    SN:<item>:<serial>        a serial number of an item
    LOC:<plant>:<location>    a location of a plant
    START, PAUSE, RESUME,     what to do with the job card on screen (also with a CMD: prefix,
    COMPLETE, HOME            as printed on the traveller's command strip)

The parts are the numbers people already read off the label. A ':' or '%' inside a part is
written %3A / %25, so any item number or lot number survives the round trip. Parsing here is
pure text; `selectors.resolve` finds the objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

WORK_ORDER = "work_order"
OPERATION = "operation"
LOT = "lot"
SERIAL = "serial"
LOCATION = "location"
COMMAND = "command"

START, PAUSE, RESUME, COMPLETE, HOME = "START", "PAUSE", "RESUME", "COMPLETE", "HOME"
COMMANDS = {START: START, PAUSE: PAUSE, RESUME: RESUME, COMPLETE: COMPLETE, HOME: HOME, "DONE": COMPLETE, "STOP": PAUSE}

_PREFIXES = {"LOT": LOT, "SN": SERIAL, "LOC": LOCATION}
_OPERATION_OF_ORDER = re.compile(r"^(?P<number>[A-Za-z][A-Za-z0-9-]*\d)/(?P<sequence>\d{1,6})$")
_OPERATION_ID = re.compile(r"^OP[:\-](?P<id>\d{1,18})$", re.IGNORECASE)
_ORDER_NUMBER = re.compile(r"^[A-Za-z][A-Za-z0-9]*-\d+$")
MAX_LENGTH = 250


@dataclass(frozen=True)
class ScanCode:
    """What a scan says, before anything is looked up: a kind and its parts."""

    kind: str
    parts: tuple[str, ...]

    @property
    def text(self) -> str:
        if self.kind == OPERATION and not self.parts[0]:
            return f"OP:{self.parts[1]}"
        return encode(self.kind, *self.parts)


def _escape(part: str) -> str:
    return part.replace("%", "%25").replace(":", "%3A")


def _unescape(part: str) -> str:
    return part.replace("%3A", ":").replace("%3a", ":").replace("%25", "%")


def encode(kind: str, *parts: str) -> str:
    """The text a label carries for `kind` (see the module's table)."""
    if kind == COMMAND:
        (word,) = parts
        return f"CMD:{word}"
    if kind == WORK_ORDER:
        (number,) = parts
        return number
    if kind == OPERATION:
        number, sequence = parts
        return f"{number}/{sequence}"
    prefix = {v: k for k, v in _PREFIXES.items()}[kind]
    return ":".join([prefix, *(_escape(str(p)) for p in parts)])


def work_order_code(number: str) -> str:
    return encode(WORK_ORDER, number)


def operation_code(number: str, sequence: int | str) -> str:
    return encode(OPERATION, number, str(sequence))


def lot_code(item_number: str, lot_number: str) -> str:
    return encode(LOT, item_number, lot_number)


def serial_code(item_number: str, serial: str) -> str:
    return encode(SERIAL, item_number, serial)


def location_code(plant_code: str, location: str) -> str:
    return encode(LOCATION, plant_code, location)


def parse(text: str) -> ScanCode:
    """Read a scan. Raises ValidationError({"code": ...}) for anything that is not a known code.

    Scanners sometimes send a trailing CR/LF or a prefix space; both are dropped. Prefixes are
    accepted in any case (a scanner with Caps Lock on still works), the parts are kept as sent.
    """
    raw = (text or "").strip()
    if not raw:
        raise ValidationError({"code": ["Scan or type a code."]})
    if len(raw) > MAX_LENGTH:
        raise ValidationError({"code": [f"A code has at most {MAX_LENGTH} characters."]})
    word = raw.upper().removeprefix("CMD:")
    if word in COMMANDS:
        return ScanCode(COMMAND, (COMMANDS[word],))
    head, sep, rest = raw.partition(":")
    kind = _PREFIXES.get(head.upper()) if sep else None
    if kind is not None:
        pieces = rest.split(":")
        if len(pieces) != 2 or not all(p.strip() for p in pieces):
            example = {LOT: "LOT:<item>:<lot>", SERIAL: "SN:<item>:<serial>", LOCATION: "LOC:<plant>:<location>"}
            raise ValidationError({"code": [f"'{raw}' is not a whole code: expected {example[kind]}."]})
        return ScanCode(kind, tuple(_unescape(p.strip()) for p in pieces))
    match = _OPERATION_ID.match(raw)
    if match:
        return ScanCode(OPERATION, ("", match["id"]))
    match = _OPERATION_OF_ORDER.match(raw)
    if match:
        return ScanCode(OPERATION, (match["number"].upper(), str(int(match["sequence"]))))
    if _ORDER_NUMBER.match(raw):
        return ScanCode(WORK_ORDER, (raw.upper(),))
    raise ValidationError(
        {
            "code": [
                f"'{raw[:60]}' is not a code the terminal knows (WO-…, WO-…/10, LOT:…, SN:…, LOC:…, START, PAUSE, RESUME, COMPLETE)."
            ]
        }
    )

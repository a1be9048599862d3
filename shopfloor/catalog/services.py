"""Every write of the catalog, and the one place quantities change unit.

Units convert exactly (fractions); a conversion that would need more than the six decimals a
quantity holds is refused rather than silently rounded.
"""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from shopfloor.core import access, audit, events
from shopfloor.core import services as core_services
from shopfloor.core.errors import Conflict
from shopfloor.workflows.registry import guard as workflow_guard

from .models import QUANTITY, BomLine, BomVersion, Item, ItemUnitConversion, Unit, UnitCategory

_QUANTUM = Fraction(1, 10 ** QUANTITY["decimal_places"])


def _to_fraction(quantity: Decimal | int | str) -> Fraction:
    try:
        return Fraction(Decimal(str(quantity)))
    except (ArithmeticError, ValueError) as exc:
        raise ValidationError({"quantity": [f"'{quantity}' is not a number."]}) from exc


def _to_decimal(value: Fraction, *, exact: bool) -> Decimal:
    scaled = value / _QUANTUM
    if exact and scaled.denominator != 1:
        raise ValidationError(
            {"quantity": [f"{float(value):g} cannot be held exactly with {QUANTITY['decimal_places']} decimals."]}
        )
    whole = round(scaled)  # banker's rounding on the last decimal when not exact
    return (Decimal(whole) / Decimal(10 ** QUANTITY["decimal_places"])).quantize(
        Decimal(1).scaleb(-QUANTITY["decimal_places"])
    )


def unit_factor(unit: Unit, item: Item | None = None) -> tuple[Fraction, int | None]:
    """(stock- or base-units per one `unit`, category) for conversions through `item` or the unit's category."""
    if item is not None:
        if unit.pk == item.stock_unit_id:
            return Fraction(1), None
        special = ItemUnitConversion.objects.filter(item=item, unit=unit).first()
        if special is not None:
            return special.factor, None
    return unit.factor, unit.category_id


def conversion_factor(from_unit: Unit, to_unit: Unit, item: Item | None = None) -> Fraction:
    """How many `to_unit` make one `from_unit`, exactly; for `item`, its own conversions count.

    Within a category: the units' factors. Through an item: each unit is expressed in the
    item's stock unit, by the item's own conversion if it has one, else through the stock
    unit's category.
    """
    if from_unit.pk == to_unit.pk:
        return Fraction(1)
    if item is None:
        if from_unit.category_id != to_unit.category_id:
            raise ValidationError(
                {"unit": [f"{from_unit} ({from_unit.category}) does not convert to {to_unit} ({to_unit.category})."]}
            )
        return from_unit.factor / to_unit.factor
    return _in_stock_units(from_unit, item) / _in_stock_units(to_unit, item)


def _in_stock_units(unit: Unit, item: Item) -> Fraction:
    if unit.pk == item.stock_unit_id:
        return Fraction(1)
    special = ItemUnitConversion.objects.filter(item=item, unit=unit).first()
    if special is not None:
        return special.factor
    stock = item.stock_unit
    if unit.category_id == stock.category_id:
        return unit.factor / stock.factor
    raise ValidationError(
        {"unit": [f"{item.number} has no conversion from {unit} to its stock unit {stock}; add one on the item."]}
    )


def convert(
    quantity: Decimal | int | str, from_unit: Unit, to_unit: Unit, item: Item | None = None, *, exact: bool = False
) -> Decimal:
    """`quantity` of `from_unit` in `to_unit`, as a QUANTITY decimal (exact=True refuses rounding)."""
    return _to_decimal(_to_fraction(quantity) * conversion_factor(from_unit, to_unit, item), exact=exact)


def to_stock_units(quantity: Decimal | int | str, unit: Unit, item: Item, *, exact: bool = False) -> Decimal:
    return convert(quantity, unit, item.stock_unit, item, exact=exact)


# --- Writes ----------------------------------------------------------------------------------------


def create_unit_category(*, actor: Any, data: dict[str, Any]) -> UnitCategory:
    return core_services.create_object(actor=actor, model=UnitCategory, data=data)


def create_unit(*, actor: Any, data: dict[str, Any]) -> Unit:
    return core_services.create_object(actor=actor, model=Unit, data=data)


def create_item(*, actor: Any, data: dict[str, Any]) -> Item:
    """A new item starts in its workflow's initial state (draft)."""
    from shopfloor.workflows import services as workflow_services

    return core_services.create_object(
        actor=actor, model=Item, data={**data, "status": workflow_services.initial_state(Item)}
    )


def save_item_unit_conversion(*, actor: Any, data: dict[str, Any]) -> ItemUnitConversion:
    item, unit = data["item"], data["unit"]
    if unit.pk == item.stock_unit_id:
        raise ValidationError({"unit": ["The stock unit converts to itself; pick another unit."]})
    return core_services.create_object(actor=actor, model=ItemUnitConversion, data=data, perm="catalog.change_item")


STANDARD_UNITS: list[tuple[str, str, list[tuple[str, str, int, int]]]] = [
    ("Count", "Pieces and packs", [("ea", "each", 1, 1), ("pr", "pair", 2, 1), ("dz", "dozen", 12, 1)]),
    (
        "Mass",
        "Base: kilogram",
        [
            ("kg", "kilogram", 1, 1),
            ("g", "gram", 1, 1000),
            ("t", "tonne", 1000, 1),
            ("lb", "pound", 45359237, 100000000),
        ],
    ),
    (
        "Length",
        "Base: metre",
        [
            ("m", "metre", 1, 1),
            ("mm", "millimetre", 1, 1000),
            ("cm", "centimetre", 1, 100),
            ("in", "inch", 127, 5000),
            ("ft", "foot", 381, 1250),
        ],
    ),
    (
        "Volume",
        "Base: litre",
        [
            ("l", "litre", 1, 1),
            ("ml", "millilitre", 1, 1000),
            ("m3", "cubic metre", 1000, 1),
            ("gal", "US gallon", 473176473, 125000000),
        ],
    ),
    ("Time", "Base: hour", [("h", "hour", 1, 1), ("min", "minute", 1, 60), ("s", "second", 1, 3600)]),
]


def install_standard_units(organization: Any, actor: Any = None) -> list[Unit]:
    """The units every plant needs, installed once per organization (idempotent, audited)."""
    from shopfloor.core import audit, tenancy

    created: list[Unit] = []
    with tenancy.use(organization, actor):
        for cat_name, description, units in STANDARD_UNITS:
            category = UnitCategory.objects.filter(name=cat_name).first()
            if category is None:
                category = UnitCategory.objects.create(
                    organization=organization, name=cat_name, description=description
                )
                audit.record(
                    actor, category, action="create", changes={"name": [None, cat_name]}, reason="standard units"
                )
            for code, name, num, den in units:
                if Unit.objects.filter(code=code).exists():
                    continue
                unit = Unit.objects.create(
                    organization=organization,
                    category=category,
                    code=code,
                    name=name,
                    factor_numerator=num,
                    factor_denominator=den,
                )
                audit.record(
                    actor,
                    unit,
                    action="create",
                    changes={"code": [None, code], "factor": [None, f"{num}/{den}"]},
                    reason="standard units",
                )
                created.append(unit)
    return created


# --- Bills of materials ----------------------------------------------------------------------------
#
# Drafts are edited line by line, each line validated as it is saved; a released version is
# frozen (409) and is the one production and planning use; releasing another version makes the
# previous one obsolete in the same transaction.

BOM_DRAFT, BOM_RELEASED, BOM_OBSOLETE = "draft", "released", "obsolete"
_LINE_FIELDS = (
    "position",
    "component",
    "quantity",
    "unit",
    "scrap_factor",
    "is_phantom",
    "effective_from",
    "effective_to",
    "reference_designators",
    "notes",
)
_DESIGNATOR_SPLIT = re.compile(r"[,;\s]+")


def bom_edit_refusal(obj: Any) -> str | None:
    """Why a BOM version or line may not be edited: only drafts change (core's edit guard)."""
    if isinstance(obj, BomVersion):
        status = obj.status
    elif isinstance(obj, BomLine):
        status = BomVersion.objects.filter(pk=obj.version_id).values_list("status", flat=True).first()
    else:
        return None
    if status is not None and status != BOM_DRAFT:
        return f"This BOM version is {status}: only drafts change. Copy it to a new draft version."
    return None


core_services.register_edit_guard(bom_edit_refusal)


def _ensure_draft(version: BomVersion) -> None:
    reason = bom_edit_refusal(version)
    if reason:
        raise Conflict(reason, code="locked")


def _locked_version(version: BomVersion) -> BomVersion:
    return BomVersion.objects.select_for_update().select_related("item").get(pk=version.pk)


def reference_designators(text: str) -> list[str]:
    """ "C1, C2 R5" -> ["C1", "C2", "R5"]."""
    return [d for d in _DESIGNATOR_SPLIT.split(text.strip()) if d]


def _count_units(quantity: Decimal, unit: Unit) -> Fraction | None:
    """The quantity in pieces when `unit` counts pieces (ea, pr, dz), else None."""
    if unit.category.name.strip().lower() != "count":
        return None
    return _to_fraction(quantity) * unit.factor


def line_errors(line: BomLine) -> dict[str, list[str]]:
    """What is wrong with one line of a BOM version, by field (empty when it may be saved).

    Checked on every save so the editor shows the problem on the line being added: positive
    quantity, scrap as a fraction below 1, a unit that converts to the component's stock unit,
    as many reference designators as pieces, and no cycle through released BOMs.
    """
    from . import selectors

    errors: dict[str, list[str]] = {}
    component = line.component
    parent_id = line.version.item_id
    if line.quantity is not None and line.quantity <= 0:
        errors.setdefault("quantity", []).append("The quantity per must be greater than zero.")
    if line.scrap_factor is not None and not (0 <= line.scrap_factor < 1):
        errors.setdefault("scrap_factor", []).append("Scrap is a fraction: at least 0 and below 1 (0.05 = 5 %).")
    if line.effective_from and line.effective_to and line.effective_from > line.effective_to:
        errors.setdefault("effective_to", []).append("The line stops being effective before it starts.")
    try:
        conversion_factor(line.unit, component.stock_unit, component)
    except ValidationError as exc:
        errors.setdefault("unit", []).extend(exc.message_dict.get("unit", exc.messages))
    designators = reference_designators(line.reference_designators or "")
    if designators:
        if len(set(designators)) != len(designators):
            errors.setdefault("reference_designators", []).append("A reference designator is listed twice.")
        pieces = _count_units(line.quantity, line.unit) if line.quantity else None
        if pieces is not None and pieces.denominator == 1 and len(designators) != pieces:
            errors.setdefault("reference_designators", []).append(
                f"{len(designators)} reference designators for a quantity of {pieces} pieces: they must match."
            )
    if component.pk == parent_id:
        errors.setdefault("component", []).append("An item cannot be a component of itself.")
    elif parent_id in selectors.released_descendants([component.pk]):
        errors.setdefault("component", []).append(
            f"{component.number} already contains {line.version.item.number} in a released BOM: this would be a cycle."
        )
    return errors


def validate_bom_version(version: BomVersion, *, for_release: bool = False) -> None:
    """Raise ValidationError listing every problem of the version's lines (by position).

    For release also: the version has lines and every component is active. Cycles are checked
    through all released versions at any depth, in one query per level.
    """
    from . import selectors

    lines = list(BomLine.objects.filter(version=version).select_related("component__stock_unit", "unit__category"))
    problems: list[str] = []
    if for_release and not lines:
        problems.append("A BOM without lines cannot be released.")
    below = selectors.released_descendants([line.component_id for line in lines])
    for line in lines:
        line.version = version
        errors = line_errors(line) if not for_release else _release_line_errors(line, version, below)
        for field_name, messages in errors.items():
            problems.extend(f"Line {line.position} ({line.component.number}), {field_name}: {m}" for m in messages)
    if problems:
        raise ValidationError({"lines": problems})


def _release_line_errors(line: BomLine, version: BomVersion, below: set[int]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    component = line.component
    if component.status != "active":
        errors["component"] = [f"{component.number} is {component.status}: only active items go into a released BOM."]
    try:
        conversion_factor(line.unit, component.stock_unit, component)
    except ValidationError as exc:
        errors["unit"] = exc.message_dict.get("unit", exc.messages)
    if component.pk == version.item_id or version.item_id in below and _reaches(component.pk, version.item_id):
        errors.setdefault("component", []).append(
            f"{component.number} contains {version.item.number} in a released BOM: this would be a cycle."
        )
    return errors


def _reaches(start: int, target: int) -> bool:
    from . import selectors

    return target in selectors.released_descendants([start])


def _line_data(data: dict[str, Any]) -> dict[str, Any]:
    unknown = set(data) - set(_LINE_FIELDS) - {"version"}
    if unknown:
        raise ValidationError({name: ["Not a field of a BOM line."] for name in sorted(unknown)})
    return {k: v for k, v in data.items() if k != "version"}


def _next_position(version: BomVersion) -> int:
    last = BomLine.objects.filter(version=version).order_by("-position").values_list("position", flat=True).first()
    return (last or 0) + 10


@transaction.atomic
def create_bom_version(*, actor: Any, item: Item, data: dict[str, Any] | None = None) -> BomVersion:
    """A new empty draft version of `item`'s BOM, numbered after the item's last one."""
    from shopfloor.workflows import services as workflow_services

    access.require(actor, "catalog.add_bomversion")
    item = Item.objects.select_for_update().get(pk=item.pk)  # serializes version numbering per item
    last = BomVersion.objects.filter(item=item).order_by("-version").values_list("version", flat=True).first()
    extra = {k: v for k, v in (data or {}).items() if k in ("effective_from", "effective_to", "notes")}
    return core_services.create_object(
        actor=actor,
        model=BomVersion,
        data={**extra, "item": item, "version": (last or 0) + 1, "status": workflow_services.initial_state(BomVersion)},
    )


@transaction.atomic
def update_bom_version(*, actor: Any, version: BomVersion, data: dict[str, Any]) -> BomVersion:
    """Change a draft's notes or effectivity (released versions are frozen: 409)."""
    version = _locked_version(version)
    _ensure_draft(version)
    if "item" in data and data["item"].pk != version.item_id:
        raise ValidationError({"item": ["A BOM version stays with its item; create a version of the other item."]})
    extra = {k: v for k, v in data.items() if k in ("effective_from", "effective_to", "notes")}
    return core_services.update_object(actor=actor, obj=version, data=extra)


@transaction.atomic
def delete_bom_version(*, actor: Any, version: BomVersion) -> None:
    version = _locked_version(version)
    _ensure_draft(version)
    for line in BomLine.objects.filter(version=version):
        core_services.delete_object(actor=actor, obj=line, perm="catalog.delete_bomversion")
    core_services.delete_object(actor=actor, obj=version)


@transaction.atomic
def save_bom_line(*, actor: Any, version: BomVersion, data: dict[str, Any], line: BomLine | None = None) -> BomLine:
    """Add a line to a draft (or change one), validated before anything is written."""
    access.require(actor, "catalog.change_bomversion")
    version = _locked_version(version)
    _ensure_draft(version)
    values = _line_data(data)
    if line is None:
        candidate = BomLine(version=version, position=values.get("position") or _next_position(version))
    else:
        candidate = BomLine.objects.select_related("component__stock_unit", "unit__category").get(pk=line.pk)
        if candidate.version_id != version.pk:
            raise ValidationError({"version": ["A line stays in its BOM version."]})
        candidate.version = version
    for name, value in values.items():
        setattr(candidate, name, value)
    missing = [name for name in ("component", "unit") if getattr(candidate, f"{name}_id") is None]
    if candidate.quantity is None:
        missing.append("quantity")
    if missing:
        raise ValidationError({name: ["This field is required."] for name in missing})
    if candidate.scrap_factor is None:
        candidate.scrap_factor = Decimal(0)
    errors = line_errors(candidate)
    if errors:
        raise ValidationError(errors)
    payload = {name: getattr(candidate, name) for name in _LINE_FIELDS}
    if line is None:
        created = core_services.create_object(
            actor=actor, model=BomLine, data={**payload, "version": version}, perm="catalog.change_bomversion"
        )
    else:
        created = core_services.update_object(actor=actor, obj=line, data=payload, perm="catalog.change_bomversion")
    events.emit("catalog.bomversion.changed", {"id": version.pk, "line": created.pk})
    return created


@transaction.atomic
def delete_bom_line(*, actor: Any, line: BomLine) -> None:
    version = _locked_version(line.version)
    _ensure_draft(version)
    core_services.delete_object(actor=actor, obj=line, perm="catalog.change_bomversion")
    events.emit("catalog.bomversion.changed", {"id": version.pk, "line": None})


@transaction.atomic
def release_bom_version(*, actor: Any, version: BomVersion, comment: str = "") -> BomVersion:
    """Release a draft: it becomes the item's BOM and the previous released one obsolete, atomically.

    The item row is locked first, so two releases of versions of the same item queue up and
    exactly one released version remains.
    """
    from shopfloor.workflows import services as workflow_services

    access.require(actor, "catalog.release_bomversion")
    Item.objects.select_for_update().get(pk=version.item_id)
    version = _locked_version(version)
    if version.status != BOM_DRAFT:
        raise Conflict(f"Version {version.version} is {version.status}; only a draft can be released.")
    validate_bom_version(version, for_release=True)
    step = (
        workflow_services.definition_for(BomVersion)
        .transitions.filter(source__key=BOM_DRAFT, target__key=BOM_RELEASED)
        .first()
    )
    if step is not None and step.approvals_required:
        # Approvals configured by the organization: the release (and the supersession, through
        # the guard refusing while another is released) waits for them.
        workflow_services.transition(version, BOM_RELEASED, actor, comment=comment)
        return version
    for previous in BomVersion.objects.select_for_update().filter(item_id=version.item_id, status=BOM_RELEASED):
        workflow_services.transition(previous, BOM_OBSOLETE, actor, comment=f"Superseded by version {version.version}.")
    workflow_services.transition(version, BOM_RELEASED, actor, comment=comment)
    events.emit("catalog.bomversion.released", {"id": version.pk, "item": version.item_id})
    return version


@workflow_guard("catalog.bom_releasable", "The BOM is valid and no other version of the item is released")
def _bom_releasable(version: BomVersion, actor: Any) -> str | None:
    other = BomVersion.objects.filter(item_id=version.item_id, status=BOM_RELEASED).exclude(pk=version.pk).first()
    if other is not None:
        return f"Version {other.version} is released: release through 'release', which makes it obsolete."
    try:
        validate_bom_version(version, for_release=True)
    except ValidationError as exc:
        return " ".join(exc.message_dict.get("lines", exc.messages))
    return None


@transaction.atomic
def copy_bom_version(*, actor: Any, version: BomVersion) -> BomVersion:
    """A new draft of the same item holding the lines of `version` (any status)."""
    lines = list(BomLine.objects.filter(version=version).order_by("position", "id"))
    copy = create_bom_version(
        actor=actor,
        item=version.item,
        data={"notes": f"Copied from version {version.version}. {version.notes}".strip()},
    )
    BomLine.objects.bulk_create(
        [
            BomLine(
                organization=copy.organization,
                created_by=copy.created_by,
                version=copy,
                **{f"{name}_id" if name in ("component", "unit") else name: _attr(line, name) for name in _LINE_FIELDS},
            )
            for line in lines
        ]
    )
    audit.record(
        actor,
        copy,
        action="update",
        changes={"lines": [0, len(lines)]},
        reason=f"copied from version {version.version}",
    )
    return copy


def _attr(line: BomLine, name: str) -> Any:
    return getattr(line, f"{name}_id") if name in ("component", "unit") else getattr(line, name)

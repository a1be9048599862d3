"""The datasets that can be imported and exported, each declared once.

A dataset names its columns (type, required, lookups), how a parsed row is checked, how it is
written through the owning app's services (permission-checked, audited) and how every row is
exported in the same columns, so that an export imports back unchanged (round trip).
Datasets live in `shopfloor/exchange/datasets/<name>.py` and call `register()`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from importlib import import_module
from typing import Any

from django.db import models

TYPES = ("text", "decimal", "integer", "date", "bool", "choice")
_TRUE = {"true", "yes", "y", "1", "x"}
_FALSE = {"false", "no", "n", "0"}


class CellError(ValueError):
    """A cell that cannot be read as its column's type; the message is shown to the user."""


@dataclass(frozen=True)
class Lookup:
    """A column naming another record by its code, resolved in the current organization only.

    The default managers are tenant-scoped, so another organization's record is simply unknown.
    """

    model: type[models.Model]
    field: str
    label: str
    queryset: Callable[[], Any] | None = None

    def resolve(self, value: str, cache: dict[Any, Any]) -> Any:
        key = (self.model, self.field, value)
        if key not in cache:
            queryset = self.queryset() if self.queryset else self.model._default_manager.all()
            cache[key] = queryset.filter(**{self.field: value}).first()
        found = cache[key]
        if found is None:
            raise CellError(f"Unknown {self.label} '{value}'.")
        return found


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    lookup: Lookup | None = None
    help: str = ""
    max_length: int | None = None

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"Column {self.name}: unknown type {self.type!r}")

    @property
    def type_label(self) -> str:
        if self.lookup is not None:
            return f"{self.lookup.label} ({self.lookup.field})"
        if self.type == "choice":
            return "one of " + ", ".join(self.choices)
        return self.type

    def parse(self, raw: Any, cache: dict[Any, Any]) -> Any:
        """The cell as a Python value (None when empty); raises CellError with the reason."""
        if raw is None or (isinstance(raw, str) and raw.strip() == ""):
            if self.required:
                raise CellError("Required.")
            return None
        value = _parse_type(self.type, raw, self.choices)
        if self.type == "text" and self.max_length and len(value) > self.max_length:
            raise CellError(f"At most {self.max_length} characters (this has {len(value)}).")
        if self.lookup is not None:
            return self.lookup.resolve(value, cache)
        return value


def _as_text(raw: Any) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))  # a code typed as a number in Excel (item 1001 -> 1001.0)
    if isinstance(raw, datetime):
        return raw.date().isoformat() if raw.time() == datetime.min.time() else raw.isoformat()
    return str(raw).strip()


def _parse_type(kind: str, raw: Any, choices: tuple[str, ...]) -> Any:
    if kind in ("text",):
        return _as_text(raw)
    if kind == "choice":
        text = _as_text(raw).lower()
        if text not in choices:
            raise CellError(f"'{_as_text(raw)}' is not one of: {', '.join(choices)}.")
        return text
    if kind == "decimal":
        try:
            value = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(_as_text(raw).replace(" ", ""))
        except InvalidOperation:
            raise CellError(f"'{_as_text(raw)}' is not a number (use a point for decimals).") from None
        if not value.is_finite():
            raise CellError(f"'{_as_text(raw)}' is not a number.")
        return value
    if kind == "integer":
        if isinstance(raw, bool):
            raise CellError("Expected a whole number.")
        if isinstance(raw, int):
            return raw
        if isinstance(raw, float) and raw.is_integer():
            return int(raw)
        text = _as_text(raw)
        try:
            return int(text)
        except ValueError:
            raise CellError(f"'{text}' is not a whole number.") from None
    if kind == "date":
        if isinstance(raw, datetime):
            return raw.date()
        if isinstance(raw, date):
            return raw
        text = _as_text(raw)
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise CellError(f"'{text}' is not a date (use YYYY-MM-DD).") from None
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = _as_text(raw).lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise CellError(f"'{_as_text(raw)}' is not yes/no (use true or false).")
    raise AssertionError(kind)


class RowError(Exception):
    """Raised by a dataset's `validate`/`write` for a problem of one row: {column: message}."""

    def __init__(self, errors: dict[str, str] | str) -> None:
        self.errors = errors if isinstance(errors, dict) else {"": errors}
        super().__init__("; ".join(self.errors.values()))


@dataclass
class Dataset:
    """One importable/exportable set of records (subclass per dataset and `register()` it)."""

    name: str = ""
    label: str = ""
    description: str = ""
    columns: list[Column] = field(default_factory=list)
    key: tuple[str, ...] = ()
    """Columns that identify a record: an existing one is updated, two rows with the same key clash."""
    permission: str = ""
    """What uploading needs up front (the services check each write again)."""
    view_permission: str = ""
    """What exporting needs."""

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def validate(self, row: dict[str, Any]) -> None:
        """Checks across the columns of one parsed row; raise RowError. Default: none."""

    def row_key(self, row: dict[str, Any]) -> tuple[Any, ...] | None:
        if not self.key:
            return None
        return tuple(getattr(row[name], "pk", row[name]) for name in self.key)

    def prefetch(self, rows: list[dict[str, Any]]) -> dict[Any, Any] | None:
        """The records the rows already name, loaded once per file ({key: record}), or None.

        When a dataset returns a dict, `write` gets it as `known=` and looks existing records up
        there instead of one query per row. Default: None (write looks up itself).
        """
        return None

    def write(self, *, actor: Any, row: dict[str, Any]) -> Any:
        """Create or update the record of one row through the owning app's services."""
        raise NotImplementedError

    def export_rows(self) -> Iterable[list[Any]]:
        """Every record of the organization in context, one list of cell values per row."""
        raise NotImplementedError


_DATASETS: dict[str, Dataset] = {}
DATASET_MODULES = ["units", "items", "locations", "balances", "boms", "routings"]


def register(dataset: Dataset) -> Dataset:
    _DATASETS[dataset.name] = dataset
    return dataset


def load_datasets() -> None:
    """Import the dataset modules whose apps are installed (each registers itself)."""
    for name in DATASET_MODULES:
        try:
            import_module(f"shopfloor.exchange.datasets.{name}")
        except ModuleNotFoundError as exc:
            # A dataset of an app that is not (yet) installed is simply not offered.
            if not (exc.name or "").startswith("shopfloor."):
                raise


def get(name: str) -> Dataset:
    try:
        return _DATASETS[name]
    except KeyError:
        raise KeyError(f"Unknown dataset '{name}'. Known: {', '.join(sorted(_DATASETS))}.") from None


def all_datasets() -> list[Dataset]:
    return [_DATASETS[name] for name in _order() if name in _DATASETS]


def _order() -> list[str]:
    """The order a new organization is loaded in: what a dataset looks up comes first."""
    preferred = ["unit-categories", "units", "items", "locations", "opening-balances", "boms", "routings"]
    return preferred + sorted(set(_DATASETS) - set(preferred))


def names() -> list[str]:
    return [d.name for d in all_datasets()]

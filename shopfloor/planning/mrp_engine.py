"""The MRP calculation itself: plain Python over ids, dates and Decimals, no ORM.

`selectors_mrp.load_input` reads everything a run needs in a few bulk queries and hands an
`MrpInput` to `plan()`, which returns an `MrpPlan` that `services.mrp` writes in one
transaction. Keeping the calculation free of the database makes it testable on its own and
fast: every loop runs over dicts and lists already in memory.

The rules (each one a decision a planner may ask about):

- Items are planned level by level, by low-level code (the deepest level an item appears at
  in any released BOM), and by id within a level, so a component is planned only once every
  parent that can ask for it has been planned. A cycle in the BOMs stops the run, naming it.
- Demand dates before the plan date are needed at the plan date (they are late already);
  demands after the horizon end are left out.
- Forecast consumption: a forecast covers its period, from its `period_start` up to the next
  forecast of the same item (the last one for as long as the one before it, or to the
  horizon end when it is alone). Open sales order quantity due in the period consumes it:
  the period's demand is max(forecast, sales orders), the forecast's part being
  forecast - sales orders when positive.
- The part of a sales order line already reserved from stock is covered by that stock: the
  line asks for its open quantity less its reservation, and the reserved stock is not
  available to anyone else (available on hand is on hand less every reservation).
- Safety stock is a demand at the plan date, served first, so the projected on hand never
  goes below it once the plan is followed.
- Supply order: available on hand first, then scheduled receipts (open PO lines, open work
  orders) in date order; demands take them earliest demand first. A receipt that serves a
  demand due before it arrives is to be expedited (suggested date: that need date); one
  whose first use is more than DEFER_TOLERANCE_DAYS after its date is to be deferred; one
  nothing in the horizon needs is to be cancelled. A receipt dated before the plan date
  counts at the plan date and is reported past due.
- What no stock or receipt covers is a net requirement; planned orders cover the net
  requirements in date order, lot-sized per item (see `lot_sizes`), a lot's excess serving
  the next requirements before a new order is planned. Each planned order is due on the
  date of the first requirement it serves and starts its lead time earlier (manufacturing:
  working days of the plant calendar; purchase: calendar days); a start before the plan
  date is moved to the plan date and reported past due.
- A planned make order explodes its released BOM at its start date: its components' demand,
  pegged to it. A phantom line is blown through: the phantom's own components are asked for
  at the same date (the phantom's stock is not netted). Dependent quantities are rounded up
  to the sixth decimal, so rounding never leaves a component short.
- Pegging: each planned order's quantity is split over the demands it serves, in the order
  they are served.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal
from operator import attrgetter

ZERO = Decimal(0)
QUANTUM = Decimal("0.000001")
DEFER_TOLERANCE_DAYS = 7  # a receipt this much earlier than needed is worth moving out (a weekly bucket)

# Demand kinds, as planning.Pegging.DemandKind values; the rank orders demands of one day.
SAFETY_STOCK = "safety_stock"
SALES_ORDER = "sales_order"
FORECAST = "forecast"
WORK_ORDER = "work_order"
PLANNED_ORDER = "planned_order"
_RANK = {SAFETY_STOCK: 0, SALES_ORDER: 1, WORK_ORDER: 2, PLANNED_ORDER: 3, FORECAST: 4}
_BY_NEED_RANK = attrgetter("need", "rank")
_KIND, _DEMAND = attrgetter("kind"), attrgetter("demand")
_ONE_DAY = timedelta(days=1)

# Receipt kinds
PURCHASE = "purchase"
PRODUCTION = "work_order"

LOT_FOR_LOT, FIXED, MIN_MAX, PERIOD = "lot_for_lot", "fixed", "min_max", "period"


class MrpError(Exception):
    """Bad master data that makes a plan impossible: the message names the culprit."""


@dataclass(slots=True)
class ItemPlan:
    """An item's planning parameters (quantities in its stock unit)."""

    id: int
    number: str
    make: bool
    lead_days: int  # manufacturing lead time in working days (make) or purchase lead time in days (buy)
    lot_rule: str = LOT_FOR_LOT
    fixed_lot: Decimal | None = None
    minimum_lot: Decimal | None = None
    maximum_lot: Decimal | None = None
    lot_multiple: Decimal | None = None
    period_days: int | None = None
    safety_stock: Decimal = ZERO
    bom_version_id: int | None = None
    has_routing: bool = True


@dataclass(slots=True)
class BomEdge:
    component_id: int
    multiplier: Decimal  # component stock units per parent stock unit, unit conversion and scrap included
    phantom: bool
    whole: bool = False  # a whole multiplier: a quantity times it needs no rounding

    @classmethod
    def of(cls, component_id: int, multiplier: Decimal, phantom: bool) -> BomEdge:
        whole = multiplier == multiplier.to_integral_value()
        return cls(component_id, Decimal(int(multiplier)) if whole else multiplier, phantom, whole)


@dataclass(slots=True)
class Demand:
    """A gross requirement. `ref` is the sales order line, forecast or work order id; `parent`
    the index of the parent planned order. `gross` is what consumes forecast (a sales line's
    open quantity, reservation included)."""

    item_id: int
    date: date
    quantity: Decimal
    kind: str
    ref: int | None = None
    parent: int | None = None
    gross: Decimal | None = None
    need: date | None = None  # max(date, plan date), set by the engine
    rank: int = 3  # orders the demands of one day (see _RANK), set by the engine


@dataclass(slots=True)
class Receipt:
    """A scheduled receipt: an open PO line (ref = line id) or an open work order (ref = its id)."""

    item_id: int
    date: date
    quantity: Decimal
    kind: str
    ref: int
    label: str = ""


@dataclass(slots=True)
class Forecast:
    id: int
    item_id: int
    period_start: date
    quantity: Decimal


@dataclass
class Calendar:
    """Which days work: weekdays with shifts, less holidays and closures, plus extra-shift days."""

    name: str
    working_weekdays: frozenset[int]
    closed: frozenset[date] = frozenset()
    extra: frozenset[date] = frozenset()
    _cache: dict[tuple[date, int], date | None] = field(default_factory=dict, repr=False)

    def works(self, day: date) -> bool:
        if day in self.extra:
            return True
        return day.weekday() in self.working_weekdays and day not in self.closed

    def check(self) -> None:
        if not self.working_weekdays and not self.extra:
            raise MrpError(f"Calendar {self.name} has no working day: add shifts to it.")

    def minus_working_days(self, day: date, days: int) -> date | None:
        """The working day `days` working days before `day` (None when the calendar runs dry)."""
        if days <= 0:
            return day
        key = (day, days)
        if key in self._cache:
            return self._cache[key]
        found: date | None = None
        current, count, steps = day, 0, 0
        while steps < 3660 + 7 * days:  # a calendar of only extra shifts may run out: stop
            current -= timedelta(days=1)
            steps += 1
            if self.works(current):
                count += 1
                if count == days:
                    found = current
                    break
        self._cache[key] = found
        return found


@dataclass
class MrpInput:
    plan_date: date
    horizon_end: date
    items: dict[int, ItemPlan]
    bom: dict[int, list[BomEdge]]  # parent item -> released lines (effective at the plan date)
    on_hand: dict[int, Decimal]  # available: non-quarantine on hand less reservations
    demands: list[Demand]  # sales order lines and work order components (not safety stock, not forecasts)
    forecasts: list[Forecast]
    receipts: list[Receipt]
    calendar: Calendar


@dataclass(slots=True)
class PlannedOrderPlan:
    index: int
    item_id: int
    make: bool
    quantity: Decimal
    start: date
    due: date
    low_level_code: int
    bom_version_id: int | None


@dataclass(slots=True)
class PegPlan:
    order: int
    demand: Demand
    quantity: Decimal


@dataclass(slots=True)
class ExceptionPlan:
    item_id: int
    kind: str
    message: str
    date: date | None = None
    suggested_date: date | None = None
    order: int | None = None
    work_order_id: int | None = None
    po_line_id: int | None = None


@dataclass(slots=True)
class ItemResultPlan:
    item_id: int
    low_level_code: int
    on_hand: Decimal
    safety_stock: Decimal
    gross: Decimal
    receipts: Decimal
    planned: Decimal
    periods: list[tuple[str, str, str, str, str, str]]  # (date, gross, receipts, net, planned, on_hand)

    def periods_json(self) -> str:
        """The table as planning.MrpItemResult stores it: a list of objects keyed PERIOD_KEYS,
        the same text as json.dumps(..., separators=(",", ":")) (every value is an ISO date or
        a plain number: nothing to escape), written out directly because a large run has
        hundreds of thousands of periods."""
        return "[" + ",".join([_PERIOD_JSON % period for period in self.periods]) + "]"


@dataclass
class MrpPlan:
    orders: list[PlannedOrderPlan] = field(default_factory=list)
    peggings: list[PegPlan] = field(default_factory=list)
    exceptions: list[ExceptionPlan] = field(default_factory=list)
    items: list[ItemResultPlan] = field(default_factory=list)
    stats: dict[str, object] = field(default_factory=dict)


Progress = Callable[[int, str], None]


# --- Low-level codes -----------------------------------------------------------------------------


def low_level_codes(nodes: Iterable[int], bom: dict[int, list[BomEdge]], numbers: dict[int, str]) -> dict[int, int]:
    """Each item's deepest level in the BOMs (0 for an item no BOM uses); a cycle is an MrpError.

    Kahn's topological order: an item's code is final once every parent is placed; what is
    never placed sits on a cycle, which is walked back through parents to be named.
    """
    indegree: dict[int, int] = dict.fromkeys(nodes, 0)
    for parent, edges in bom.items():
        indegree.setdefault(parent, 0)
        for edge in edges:
            indegree[edge.component_id] = indegree.get(edge.component_id, 0) + 1
    llc = dict.fromkeys(indegree, 0)
    ready = sorted(node for node, count in indegree.items() if count == 0)
    placed = 0
    while ready:
        nxt: list[int] = []
        for node in ready:
            placed += 1
            level = llc[node] + 1
            for edge in bom.get(node, ()):
                child = edge.component_id
                if llc[child] < level:
                    llc[child] = level
                indegree[child] -= 1
                if indegree[child] == 0:
                    nxt.append(child)
        ready = nxt
    if placed < len(indegree):
        raise MrpError(f"BOM cycle: {_cycle_text(indegree, bom, numbers)}")
    return llc


def _cycle_text(indegree: dict[int, int], bom: dict[int, list[BomEdge]], numbers: dict[int, str]) -> str:
    stuck = {node for node, count in indegree.items() if count > 0}
    parents: dict[int, list[int]] = defaultdict(list)
    for parent, edges in bom.items():
        if parent in stuck:
            for edge in edges:
                if edge.component_id in stuck:
                    parents[edge.component_id].append(parent)
    node = min(stuck)
    path: list[int] = []
    seen: dict[int, int] = {}
    while node not in seen:  # every stuck item has a stuck parent: walking up must loop
        seen[node] = len(path)
        path.append(node)
        node = min(parents[node])
    cycle = path[seen[node] :]
    cycle.reverse()  # walked upwards; say it parent -> component
    # Start the text at the lowest number so the message does not depend on where the walk began.
    names = [numbers.get(n, str(n)) for n in cycle]
    first = names.index(min(names))
    names = names[first:] + names[:first]
    return " -> ".join([*names, names[0]])


# --- Lot sizing -----------------------------------------------------------------------------------


def _round_up(quantity: Decimal, multiple: Decimal | None) -> Decimal:
    if not multiple or multiple <= 0:
        return quantity
    return (quantity / multiple).to_integral_value(rounding=ROUND_CEILING) * multiple


def lot_sizes(item: ItemPlan, need: Decimal, later: Decimal = ZERO) -> list[Decimal]:
    """The order quantities that cover `need` under the item's rule (several orders when the
    rule caps a lot). `later` is what the period rule adds: the period's later requirements.

    - lot_for_lot: exactly the need;
    - fixed: as many fixed lots as the need takes (no fixed size set: lot for lot);
    - min_max: at least the minimum, rounded up to the multiple, at most the maximum (the
      maximum rounded down to the multiple); above it, several orders;
    - period: one order for every requirement in the next `period_days` days.
    """
    rule = item.lot_rule
    if rule == FIXED and item.fixed_lot and item.fixed_lot > 0:
        count = math.ceil(need / item.fixed_lot)
        return [item.fixed_lot] * count
    if rule == MIN_MAX:
        minimum = item.minimum_lot or ZERO
        maximum = item.maximum_lot if item.maximum_lot and item.maximum_lot > 0 else None
        multiple = item.lot_multiple if item.lot_multiple and item.lot_multiple > 0 else None
        if maximum is not None and multiple is not None and maximum >= multiple:
            maximum = (maximum / multiple).to_integral_value(rounding="ROUND_FLOOR") * multiple
        out: list[Decimal] = []
        rest = need
        while rest > 0:
            quantity = _round_up(max(rest, minimum), multiple)
            if maximum is not None and quantity > maximum:
                quantity = maximum
            out.append(quantity)
            rest -= quantity
        return out
    if rule == PERIOD:
        return [need + later]
    return [need]


# --- The run ---------------------------------------------------------------------------------------


class _Supply:
    __slots__ = ("first_use", "kind", "left", "receipt", "date")

    def __init__(self, kind: str, day: date, left: Decimal, receipt: Receipt | None) -> None:
        self.kind = kind
        self.date = day
        self.left = left
        self.receipt = receipt
        self.first_use: date | None = None


def _ceil6(value: Decimal) -> Decimal:
    return value.quantize(QUANTUM, rounding=ROUND_CEILING)


def _text(value: Decimal) -> str:
    """A quantity as the pages show it: no exponent, no trailing zeros (values carry at most
    six decimals already: sums of stored quantities). Equal values read the same, so each is
    worked out once per run (a plan repeats the same quantities over and over). The cache is
    keyed by str(value), not by the Decimal: hashing a new Decimal costs several times its
    str(), and the same str is the same value (digits and exponent), so the same text."""
    key = str(value)
    text = _TEXTS.get(key)
    if text is None:
        text = _TEXTS[key] = _plain(value)
    return text


def _plain(value: Decimal) -> str:
    if not value:
        return "0"
    text = str(value)  # plain notation for the exponents quantities have (six decimals at most)
    if "E" in text:
        text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


_TEXTS: dict[str, str] = {}  # str(quantity) -> its text
PERIOD_KEYS = ("date", "gross", "receipts", "net", "planned", "on_hand")
_PERIOD_JSON = "{" + ",".join(f'"{key}":"%s"' for key in PERIOD_KEYS) + "}"


def _forecast_demands(data: MrpInput, sales: dict[int, list[Demand]]) -> list[Demand]:
    """The forecasts' part left after sales orders consume them (see the module's rules)."""
    by_item: dict[int, list[Forecast]] = defaultdict(list)
    for forecast in data.forecasts:
        by_item[forecast.item_id].append(forecast)
    out: list[Demand] = []
    for item_id in sorted(by_item):
        rows = sorted(by_item[item_id], key=lambda f: (f.period_start, f.id))
        lines = sales.get(item_id, [])
        for index, forecast in enumerate(rows):
            start = forecast.period_start
            if index + 1 < len(rows):
                end = rows[index + 1].period_start
            elif index > 0:
                end = start + (start - rows[index - 1].period_start)
            else:
                end = max(data.horizon_end + timedelta(days=1), start + timedelta(days=1))
            if end <= data.plan_date or start > data.horizon_end:
                continue  # a period already over, or beyond the horizon
            consumed = sum((d.gross or d.quantity for d in lines if start <= d.date < end), ZERO)
            left = forecast.quantity - consumed
            if left > 0:
                out.append(Demand(item_id, start, left, FORECAST, ref=forecast.id))
    return out


def plan(data: MrpInput, progress: Progress | None = None) -> MrpPlan:
    """Plan every item of `data`; deterministic: the same input gives the same plan."""
    report = progress or (lambda percent, message: None)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    data.calendar.check()
    items = data.items
    numbers = {pk: item.number for pk, item in items.items()}
    llc = low_level_codes(items.keys(), data.bom, numbers)
    seconds["levels"] = round(time.perf_counter() - started, 3)
    report(30, "Low-level codes found")

    tick = time.perf_counter()
    plan_date, horizon_end = data.plan_date, data.horizon_end
    result = MrpPlan()
    demands: dict[int, list[Demand]] = defaultdict(list)
    sales: dict[int, list[Demand]] = defaultdict(list)
    for demand in data.demands:
        if demand.date > horizon_end:
            continue
        demand.need = demand.date if demand.date > plan_date else plan_date
        demand.rank = _RANK[demand.kind]
        if demand.kind == SALES_ORDER:
            sales[demand.item_id].append(demand)
        if demand.quantity > 0:
            demands[demand.item_id].append(demand)
    for demand in _forecast_demands(data, sales):
        demand.need = demand.date if demand.date > plan_date else plan_date
        demand.rank = _RANK[demand.kind]
        demands[demand.item_id].append(demand)
    receipts: dict[int, list[Receipt]] = defaultdict(list)
    for receipt in data.receipts:
        if receipt.quantity > 0:
            receipts[receipt.item_id].append(receipt)
    order_of_items = sorted(items, key=lambda pk: (llc.get(pk, 0), pk))
    total = len(order_of_items) or 1
    step = max(total // 20, 1)
    no_bom_reported: set[int] = set()
    independent = sum(len(v) for v in demands.values())

    for position, item_id in enumerate(order_of_items):
        if position % step == 0:
            report(30 + 55 * position // total, f"Planning level {llc.get(item_id, 0)}: item {position + 1} of {total}")
        item = items[item_id]
        level = llc.get(item_id, 0)
        own = demands.get(item_id, [])
        if item.safety_stock > 0:
            own.append(Demand(item_id, plan_date, item.safety_stock, SAFETY_STOCK, need=plan_date, rank=0))
        # Stable: a day's demands of one rank stay in the order they came (sales lines and
        # work orders by id, forecasts by date, parents' orders as they were planned).
        own.sort(key=_BY_NEED_RANK)
        on_hand = data.on_hand.get(item_id, ZERO)
        supplies: list[_Supply] = []
        if on_hand > 0:
            supplies.append(_Supply("stock", plan_date, on_hand, None))
        item_receipts = sorted(receipts.get(item_id, []), key=lambda r: (r.date, r.kind, r.ref))
        for receipt in item_receipts:
            day = receipt.date
            if day < plan_date:
                late = (plan_date - day).days
                result.exceptions.append(
                    _receipt_exception(
                        receipt,
                        "past_due",
                        f"{receipt.label} was due {day:%Y-%m-%d}, {late} days ago: counted as arriving today.",
                        day,
                        plan_date,
                    )
                )
                day = plan_date
            supplies.append(_Supply(receipt.kind, day, receipt.quantity, receipt))
        if not own and not supplies:
            continue

        # Netting: stock and receipts to the earliest demands first.
        short: list[tuple[Demand, Decimal]] = []
        cursor = 0
        for demand in own:
            need = demand.quantity
            while need > ZERO and cursor < len(supplies):
                supply = supplies[cursor]
                take = supply.left if supply.left <= need else need
                supply.left -= take
                need -= take
                if supply.first_use is None:
                    supply.first_use = demand.need
                if supply.left <= ZERO:
                    cursor += 1
            if need > ZERO:
                short.append((demand, need))
        for supply in supplies:
            receipt = supply.receipt
            if receipt is None:
                continue
            if supply.first_use is None:
                result.exceptions.append(
                    _receipt_exception(
                        receipt,
                        "cancel",
                        f"{receipt.label}: nothing needs it before {horizon_end:%Y-%m-%d}.",
                        supply.date,
                        None,
                    )
                )
            elif supply.first_use < supply.date:
                result.exceptions.append(
                    _receipt_exception(
                        receipt,
                        "expedite",
                        f"{receipt.label} arrives {supply.date:%Y-%m-%d}, needed {supply.first_use:%Y-%m-%d}.",
                        supply.date,
                        supply.first_use,
                    )
                )
            elif (supply.first_use - supply.date).days > DEFER_TOLERANCE_DAYS:
                result.exceptions.append(
                    _receipt_exception(
                        receipt,
                        "defer",
                        f"{receipt.label} arrives {supply.date:%Y-%m-%d}, first needed {supply.first_use:%Y-%m-%d}.",
                        supply.date,
                        supply.first_use,
                    )
                )

        # Planned orders: lot-sized, a lot's excess serving the next requirements first.
        # One order for a day's requirements together (the period rule: for its window).
        window = timedelta(days=item.period_days) if item.lot_rule == PERIOD and item.period_days else _ONE_DAY
        created: list[PlannedOrderPlan] = []
        open_orders: list[list] = []  # [order, quantity left]
        first_open = 0
        for position_short, (demand, need) in enumerate(short):
            while need > ZERO and first_open < len(open_orders):
                entry = open_orders[first_open]
                take = entry[1] if entry[1] <= need else need
                entry[1] -= take
                need -= take
                result.peggings.append(PegPlan(entry[0].index, demand, take))
                if entry[1] <= ZERO:
                    first_open += 1
            if need <= ZERO:
                continue
            window_end = demand.need + window  # type: ignore[operator]
            same_day, later = ZERO, ZERO
            for ahead in range(position_short + 1, len(short)):
                other, other_need = short[ahead]
                if other.need >= window_end:  # type: ignore[operator]
                    break
                if other.need == demand.need:
                    same_day += other_need
                else:
                    later += other_need
            for quantity in lot_sizes(item, need + same_day, later):
                order = _new_order(result, data, item, level, quantity, demand.need)
                created.append(order)
                open_orders.append([order, quantity])
            while need > ZERO and first_open < len(open_orders):
                entry = open_orders[first_open]
                take = entry[1] if entry[1] <= need else need
                entry[1] -= take
                need -= take
                result.peggings.append(PegPlan(entry[0].index, demand, take))
                if entry[1] <= ZERO:
                    first_open += 1

        if created and item.make:
            edges = data.bom.get(item_id)
            if not edges:
                if item_id not in no_bom_reported:
                    no_bom_reported.add(item_id)
                    result.exceptions.append(
                        ExceptionPlan(
                            item_id,
                            "no_bom",
                            f"{item.number} is made but has no released BOM: planned without its components.",
                            created[0].due,
                            order=created[0].index,
                        )
                    )
            else:
                for order in created:
                    _explode(data, order, edges, order.quantity, demands)
            if not item.has_routing:
                result.exceptions.append(
                    ExceptionPlan(
                        item_id,
                        "no_routing",
                        f"{item.number} is made but has no released routing: its capacity is not known.",
                        created[0].start,
                        order=created[0].index,
                    )
                )
        result.items.append(_item_result(item, level, on_hand, own, supplies, created))

    seconds["netting"] = round(time.perf_counter() - tick, 3)
    result.stats = {
        "items": len(result.items),
        "items_considered": len(items),
        "bom_lines": sum(len(edges) for edges in data.bom.values()),
        "demands": independent,
        "dependent_demands": sum(map(PLANNED_ORDER.__eq__, map(_KIND, map(_DEMAND, result.peggings)))),
        "receipts": len(data.receipts),
        "planned_orders": len(result.orders),
        "peggings": len(result.peggings),
        "exceptions": len(result.exceptions),
        "levels": (max(llc.values()) + 1) if llc else 0,
        "seconds": seconds,
    }
    _TEXTS.clear()  # a worker runs many plans: keep no quantities from this one
    report(85, "Plan calculated")
    return result


def _receipt_exception(receipt: Receipt, kind: str, message: str, day: date, suggested: date | None) -> ExceptionPlan:
    return ExceptionPlan(
        receipt.item_id,
        kind,
        message,
        day,
        suggested,
        work_order_id=receipt.ref if receipt.kind == PRODUCTION else None,
        po_line_id=receipt.ref if receipt.kind == PURCHASE else None,
    )


def _new_order(
    result: MrpPlan, data: MrpInput, item: ItemPlan, level: int, quantity: Decimal, due: date
) -> PlannedOrderPlan:
    plan_date = data.plan_date
    if item.make:
        start = data.calendar.minus_working_days(due, item.lead_days)
    else:
        start = due - timedelta(days=item.lead_days)
    order = PlannedOrderPlan(
        len(result.orders),
        item.id,
        item.make,
        quantity,
        start or plan_date,
        due,
        level,
        item.bom_version_id if item.make else None,
    )
    result.orders.append(order)
    if start is None or start < plan_date:
        late = (plan_date - start).days if start is not None else item.lead_days
        order.start = plan_date
        result.exceptions.append(
            ExceptionPlan(
                item.id,
                "past_due",
                f"Planned {'work' if item.make else 'purchase'} order for {item.number} due {due:%Y-%m-%d}: "
                f"start {late} days late.",
                due,
                order=order.index,
            )
        )
    return order


def _explode(
    data: MrpInput,
    order: PlannedOrderPlan,
    edges: list[BomEdge],
    quantity: Decimal,
    demands: dict[int, list[Demand]],
    depth: int = 0,
) -> None:
    """The components' demand of one planned order, at its start; phantoms blown through."""
    start, index = order.start, order.index
    for edge in edges:
        need = quantity * edge.multiplier
        if not edge.whole:
            need = _ceil6(need)
        if need <= ZERO:
            continue
        if edge.phantom:
            below = data.bom.get(edge.component_id)
            if below and depth < 64:
                _explode(data, order, below, need, demands, depth + 1)
                continue
        demands[edge.component_id].append(
            Demand(edge.component_id, start, need, PLANNED_ORDER, None, index, None, start, 3)
        )


def _item_result(
    item: ItemPlan,
    level: int,
    on_hand: Decimal,
    demands: list[Demand],
    supplies: list[_Supply],
    orders: list[PlannedOrderPlan],
) -> ItemResultPlan:
    """The time-phased table: one row per day where something happens, projected on hand after it;
    `net` is what the day lacks to stay at the safety stock before its planned orders arrive."""
    days: dict[date, list[Decimal]] = {}  # day -> [gross, receipts, planned]
    # The demands come sorted by need date: add up each day's run of them, then file it once.
    day_of, gross = None, ZERO
    for demand in demands:
        if demand.kind != SAFETY_STOCK:  # shown as the floor of the projection, not as a demand
            if demand.need != day_of:
                if day_of is not None:
                    days[day_of] = [gross, ZERO, ZERO]
                day_of, gross = demand.need, ZERO
            gross += demand.quantity
    if day_of is not None:
        days[day_of] = [gross, ZERO, ZERO]
    for supply in supplies:
        if supply.receipt is not None:
            row = days.get(supply.date)
            if row is None:
                row = days[supply.date] = [ZERO, ZERO, ZERO]
            row[1] += supply.receipt.quantity
    for order in orders:
        row = days.get(order.due)
        if row is None:
            row = days[order.due] = [ZERO, ZERO, ZERO]
        row[2] += order.quantity
    periods: list[tuple[str, str, str, str, str, str]] = []
    projected = on_hand
    floor = item.safety_stock
    gross_total = receipts_total = planned_total = ZERO
    # _text inlined for the common case (the text known already); ZERO itself (a day with no
    # receipt or no planned order: most days) reads "0".
    text, texts, zero = _text, _TEXTS, ZERO
    for day in sorted(days):
        gross, receipts, planned = days[day]
        gross_total += gross
        receipts_total += receipts
        planned_total += planned
        before = projected + receipts - gross
        projected = before + planned
        periods.append(
            (
                day.isoformat(),
                texts.get(str(gross)) or text(gross),
                "0" if receipts is zero else texts.get(str(receipts)) or text(receipts),
                text(floor - before) if before < floor else "0",
                "0" if planned is zero else texts.get(str(planned)) or text(planned),
                texts.get(str(projected)) or text(projected),
            )
        )
    return ItemResultPlan(
        item.id, level, on_hand, item.safety_stock, gross_total, receipts_total, planned_total, periods
    )

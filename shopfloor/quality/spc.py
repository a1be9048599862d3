"""Statistical process control: control charts, run rules and process capability.

Pure NumPy/SciPy on plain arrays; it stores nothing and knows no model, so the web page, the
API, the `spc` command and (later) inspection records all call the same code.

Vocabulary, as in Montgomery, *Introduction to Statistical Quality Control* (6th ed., 2009):

* **Phase I** - the baseline: limits are computed from these points. Points found to have an
  assignable cause can be *excluded*; the limits are then recomputed without them (they stay
  on the chart, marked excluded).
* **Phase II** - monitoring: later points are judged against the frozen phase I limits.
* Charts: ``xbar_r``, ``xbar_s``, ``imr`` (variables); ``p``, ``np``, ``c``, ``u``
  (attributes; ``p`` and ``u`` accept variable sample sizes and then have per-point limits).
* Run rules: Nelson 1-8 and Western Electric 1-4, each flagging the index of the point that
  completes the pattern (zones are 1, 2 and 3 sigma of the plotted statistic, per point).

Indices in this module are 0-based positions; the JSON face (`ChartResult.to_dict`) speaks
1-based *sample numbers*, as quality engineers and the textbooks do.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
from scipy import special, stats

CHARTS = {
    "xbar_r": "X-bar and R",
    "xbar_s": "X-bar and S",
    "imr": "Individuals and moving range (I-MR)",
    "p": "p (fraction nonconforming)",
    "np": "np (number nonconforming)",
    "c": "c (nonconformities)",
    "u": "u (nonconformities per unit)",
}
VARIABLES_CHARTS = ("xbar_r", "xbar_s", "imr")
ATTRIBUTE_CHARTS = ("p", "np", "c", "u")

# The fewest phase I points (subgroups for X-bar charts) from which limits are computed at all.
# Montgomery recommends 20-25 subgroups; fewer would give limits that mostly reflect chance, but
# small pilot studies are legitimate, so the floor is what the estimators need, not the advice.
MIN_BASELINE = {"xbar_r": 2, "xbar_s": 2, "imr": 3, "p": 2, "np": 2, "c": 2, "u": 2}
MAX_SUBGROUP = 25

RULES = {
    "nelson_1": "One point beyond 3 sigma (a control limit)",
    "nelson_2": "Nine points in a row on the same side of the center line",
    "nelson_3": "Six points in a row steadily increasing or decreasing",
    "nelson_4": "Fourteen points in a row alternating up and down",
    "nelson_5": "Two out of three points in a row beyond 2 sigma, same side",
    "nelson_6": "Four out of five points in a row beyond 1 sigma, same side",
    "nelson_7": "Fifteen points in a row within 1 sigma of the center line",
    "nelson_8": "Eight points in a row beyond 1 sigma, either side",
    "we_1": "One point beyond a 3-sigma control limit",
    "we_2": "Two out of three consecutive points beyond 2 sigma, same side",
    "we_3": "Four out of five consecutive points beyond 1 sigma, same side",
    "we_4": "Eight consecutive points on the same side of the center line",
}


class SpcError(ValueError):
    """Input that cannot make a control chart; the message names the problem."""

    def __init__(self, message: str, field: str = "values") -> None:
        super().__init__(message)
        self.field = field


# --- constants -----------------------------------------------------------------------------

# d2 (mean) and d3 (standard deviation) of the range of n standard normal observations,
# computed once by numerical integration (scipy.integrate.quad / dblquad, |error| < 1e-9) and
# tabulated; the tests recompute d2 and compare every constant with the published table.
_D2 = {
    2: 1.1283791671, 3: 1.6925687506, 4: 2.0587507460, 5: 2.3259289473, 6: 2.5344127212,
    7: 2.7043567512, 8: 2.8472006121, 9: 2.9700263244, 10: 3.0775054617, 11: 3.1728727038,
    12: 3.2584552797, 13: 3.3359803541, 14: 3.4067631082, 15: 3.4718268899, 16: 3.5319827861,
    17: 3.5878839618, 18: 3.6400637579, 19: 3.6889630232, 20: 3.7349501196, 21: 3.7783358298,
    22: 3.8193846434, 23: 3.8583234233, 24: 3.8953481485, 25: 3.9306292195,
}  # fmt: skip
_D3 = {
    2: 0.8525024664, 3: 0.8883680040, 4: 0.8798082028, 5: 0.8640819411, 6: 0.8480396861,
    7: 0.8332053356, 8: 0.8198314898, 9: 0.8078342746, 10: 0.7970506735, 11: 0.7873146206,
    12: 0.7784783412, 13: 0.7704162021, 14: 0.7630230956, 15: 0.7562114297, 16: 0.7499080894,
    17: 0.7440517840, 18: 0.7385908534, 19: 0.7334814955, 20: 0.7286863457, 21: 0.7241733407,
    22: 0.7199148084, 23: 0.7158867355, 24: 0.7120681751, 25: 0.7084407659,
}  # fmt: skip


@dataclass(frozen=True)
class Constants:
    """Control chart constants for subgroups of n (Montgomery, Appendix VI)."""

    n: int
    d2: float
    d3: float
    c4: float
    A2: float
    A3: float
    B3: float
    B4: float
    D3: float
    D4: float


@cache
def constants(n: int) -> Constants:
    """The constants for subgroup size n (2..25), derived from d2, d3 and c4 as published."""
    if not isinstance(n, int) or not 2 <= n <= MAX_SUBGROUP:
        raise SpcError(f"Subgroup size must be between 2 and {MAX_SUBGROUP}, not {n}.", "subgroup_size")
    d2, d3 = _D2[n], _D3[n]
    # c4 = sqrt(2/(n-1)) * Gamma(n/2) / Gamma((n-1)/2), in logs to stay exact for larger n.
    c4 = math.sqrt(2.0 / (n - 1)) * math.exp(math.lgamma(n / 2) - math.lgamma((n - 1) / 2))
    s = 3 * math.sqrt(1 - c4 * c4) / c4
    return Constants(
        n=n,
        d2=d2,
        d3=d3,
        c4=c4,
        A2=3 / (d2 * math.sqrt(n)),
        A3=3 / (c4 * math.sqrt(n)),
        B3=max(0.0, 1 - s),
        B4=1 + s,
        D3=max(0.0, 1 - 3 * d3 / d2),
        D4=1 + 3 * d3 / d2,
    )


# --- results -------------------------------------------------------------------------------


@dataclass
class Limits:
    """One plotted statistic with its center line and (possibly per-point) limits."""

    name: str
    points: np.ndarray
    center: float
    lcl: np.ndarray
    ucl: np.ndarray
    sigma: np.ndarray  # the zone width (1 sigma of the plotted statistic), per point
    beyond: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))


@dataclass
class Interval:
    value: float
    lower: float
    upper: float
    method: str


@dataclass
class Capability:
    """Capability (within sigma) and performance (overall sigma) indices."""

    n: int
    mean: float
    lsl: float | None
    usl: float | None
    sigma_within: float
    sigma_within_method: str
    sigma_overall: float
    sigma_overall_method: str
    indices: dict[str, float | None]
    intervals: dict[str, Interval]
    confidence: float
    normality: dict[str, dict[str, float | str | None]]
    observed_out_of_spec: int


@dataclass
class ChartResult:
    chart: str
    subgroup_size: int | None
    primary: Limits
    secondary: Limits | None
    phase: np.ndarray  # 1 or 2 per point
    excluded: np.ndarray  # bool per point
    violations: dict[str, np.ndarray]
    sigma: float | None  # the process sigma estimate of a variables chart
    sigma_method: str | None
    capability: Capability | None = None

    @property
    def flagged(self) -> np.ndarray:
        """Indices of points flagged by any rule (or beyond the secondary chart's limits)."""
        hits = [v for v in self.violations.values()]
        if self.secondary is not None:
            hits.append(np.flatnonzero(self.secondary.beyond))
        return np.unique(np.concatenate(hits)) if hits else np.zeros(0, dtype=int)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: sample numbers are 1-based, floats plain, missing values None."""
        rules_by_point: dict[int, list[str]] = {}
        for rule, idx in self.violations.items():
            for i in idx.tolist():
                rules_by_point.setdefault(i, []).append(rule)
        out: dict[str, Any] = {
            "chart": self.chart,
            "chart_name": CHARTS[self.chart],
            "subgroup_size": self.subgroup_size,
            "sigma": _num(self.sigma),
            "sigma_method": self.sigma_method,
            "phase1_points": int((self.phase == 1).sum()),
            "excluded": [int(i) + 1 for i in np.flatnonzero(self.excluded)],
            "primary": _limits_dict(self.primary, self.phase, self.excluded, rules_by_point),
            "secondary": (_limits_dict(self.secondary, self.phase, self.excluded, None) if self.secondary else None),
            "violations": {rule: [int(i) + 1 for i in idx] for rule, idx in self.violations.items()},
            "rules": {rule: RULES[rule] for rule in self.violations},
            "capability": _capability_dict(self.capability) if self.capability else None,
        }
        return out


def _num(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _limits_dict(
    lim: Limits, phase: np.ndarray, excluded: np.ndarray, rules_by_point: dict[int, list[str]] | None
) -> dict[str, Any]:
    constant = bool(np.all(lim.lcl == lim.lcl[0]) and np.all(lim.ucl == lim.ucl[0])) if len(lim.lcl) else True
    points = []
    for i in range(len(lim.points)):
        rules = (rules_by_point or {}).get(i, [])
        if rules_by_point is None and lim.beyond[i]:
            rules = ["beyond_limits"]
        points.append(
            {
                "sample": i + 1,
                "value": _num(lim.points[i]),
                "lcl": _num(lim.lcl[i]),
                "ucl": _num(lim.ucl[i]),
                "phase": int(phase[i]),
                "excluded": bool(excluded[i]),
                "rules": rules,
            }
        )
    return {
        "name": lim.name,
        "center": _num(lim.center),
        "lcl": _num(lim.lcl[0]) if constant and len(lim.lcl) else None,
        "ucl": _num(lim.ucl[0]) if constant and len(lim.ucl) else None,
        "beyond_limits": [int(i) + 1 for i in np.flatnonzero(lim.beyond)],
        "points": points,
    }


def _capability_dict(cap: Capability) -> dict[str, Any]:
    return {
        "n": cap.n,
        "mean": _num(cap.mean),
        "lsl": cap.lsl,
        "usl": cap.usl,
        "sigma_within": _num(cap.sigma_within),
        "sigma_within_method": cap.sigma_within_method,
        "sigma_overall": _num(cap.sigma_overall),
        "sigma_overall_method": cap.sigma_overall_method,
        "indices": {k: _num(v) for k, v in cap.indices.items()},
        "confidence": cap.confidence,
        "intervals": {
            k: {"lower": _num(v.lower), "upper": _num(v.upper), "method": v.method} for k, v in cap.intervals.items()
        },
        "normality": {
            k: {kk: (_num(vv) if not isinstance(vv, str) else vv) for kk, vv in v.items()}
            for k, v in cap.normality.items()
        },
        "observed_out_of_spec": cap.observed_out_of_spec,
    }


# --- input checks --------------------------------------------------------------------------


def _finite(values: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise SpcError(f"The {name} must be numbers.", name) from exc
    if arr.size and not np.all(np.isfinite(arr)):
        bad = int(np.flatnonzero(~np.isfinite(arr.ravel()))[0])
        raise SpcError(f"The {name} must be finite numbers (position {bad + 1} is not).", name)
    return arr


def _subgroups(
    values: Any = None, subgroups: Sequence[Sequence[float]] | None = None, subgroup_size: int | None = None
) -> np.ndarray:
    """An (m, n) array of measurements, from equal subgroups or a flat list cut in order."""
    if subgroups is not None:
        if isinstance(subgroups, np.ndarray) and subgroups.ndim == 2:
            arr = subgroups
        else:
            sizes = [len(g) for g in subgroups]
            if not sizes:
                raise SpcError("No subgroups given.", "subgroups")
            expected = subgroup_size or sizes[0]
            for i, size in enumerate(sizes):
                if size != expected:
                    raise SpcError(
                        f"Subgroup {i + 1} has {size} measurements; every subgroup needs {expected}.",
                        "subgroups",
                    )
            arr = np.array([list(g) for g in subgroups], dtype=object)
        arr = _finite(arr, "subgroups")
        if subgroup_size is not None and arr.shape[1] != subgroup_size:
            raise SpcError(
                f"Subgroups have {arr.shape[1]} measurements but the subgroup size is {subgroup_size}.",
                "subgroups",
            )
    else:
        if subgroup_size is None:
            raise SpcError("An X-bar chart needs a subgroup size.", "subgroup_size")
        flat = _finite(values, "values").ravel()
        if flat.size % subgroup_size:
            raise SpcError(
                f"{flat.size} measurements do not make whole subgroups of {subgroup_size} "
                f"({flat.size % subgroup_size} left over).",
                "values",
            )
        arr = flat.reshape(-1, subgroup_size)
    constants(int(arr.shape[1]))
    return arr


def _phases(m: int, phase1: int | None, exclude: Sequence[int], chart: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-point phase (1/2) and exclusion flags; checks the baseline is big enough."""
    if m == 0:
        raise SpcError(
            f"No data given: the {CHARTS[chart]} chart needs at least {MIN_BASELINE[chart]} points.", "values"
        )
    k = m if phase1 is None else int(phase1)
    if k < 1 or k > m:
        raise SpcError(f"Phase I must hold between 1 and {m} points, not {k}.", "phase1_points")
    phase = np.where(np.arange(m) < k, 1, 2)
    excluded = np.zeros(m, dtype=bool)
    for i in exclude:
        i = int(i)
        if not 0 <= i < k:
            raise SpcError(f"Only phase I points can be excluded; sample {i + 1} is not one.", "exclude")
        excluded[i] = True
    used = k - int(excluded.sum())
    need = MIN_BASELINE[chart]
    if used < need:
        unit = "subgroups" if chart in ("xbar_r", "xbar_s") else "points"
        raise SpcError(
            f"The {CHARTS[chart]} chart needs at least {need} phase I {unit} to compute limits; "
            f"{used} {'is' if used == 1 else 'are'} left after exclusions.",
            "values",
        )
    return phase, excluded


def _const(x: float, m: int) -> np.ndarray:
    return np.full(m, float(x))


# --- charts --------------------------------------------------------------------------------


def _xbar(arr: np.ndarray, base: np.ndarray, kind: str) -> tuple[Limits, Limits, float, str]:
    m, n = arr.shape
    c = constants(n)
    means = arr.mean(axis=1)
    center = float(means[base].mean())
    if kind == "r":
        spread = arr.max(axis=1) - arr.min(axis=1)
        bar = float(spread[base].mean())
        sigma, method = bar / c.d2, "R-bar/d2"
        lo, hi, name = c.D3 * bar, c.D4 * bar, "R"
    else:
        spread = arr.std(axis=1, ddof=1)
        bar = float(spread[base].mean())
        sigma, method = bar / c.c4, "S-bar/c4"
        lo, hi, name = c.B3 * bar, c.B4 * bar, "S"
    half = 3 * sigma / math.sqrt(n)  # = A2 R-bar or A3 S-bar
    primary = Limits(
        "X-bar", means, center, _const(center - half, m), _const(center + half, m), _const(sigma / math.sqrt(n), m)
    )
    # Zones of the spread chart are not used (only its limits), but its sigma is kept honest:
    # sd(R) = d3 sigma, sd(S) = sigma sqrt(1 - c4^2).
    s_sigma = c.d3 * sigma if kind == "r" else sigma * math.sqrt(1 - c.c4**2)
    secondary = Limits(name, spread, bar, _const(lo, m), _const(hi, m), _const(s_sigma, m))
    return primary, secondary, sigma, method


def _imr(x: np.ndarray, base: np.ndarray) -> tuple[Limits, Limits, float, str]:
    m = x.size
    mr = np.full(m, np.nan)
    mr[1:] = np.abs(np.diff(x))
    # A moving range belongs to the baseline only if both its points do.
    mr_base = np.zeros(m, dtype=bool)
    mr_base[1:] = base[1:] & base[:-1]
    if not mr_base.any():
        raise SpcError("The I-MR chart needs two consecutive phase I points that are not excluded.", "exclude")
    c = constants(2)
    mr_bar = float(mr[mr_base].mean())
    sigma = mr_bar / c.d2
    center = float(x[base].mean())
    primary = Limits(
        "Individuals", x, center, _const(center - 3 * sigma, m), _const(center + 3 * sigma, m), _const(sigma, m)
    )
    secondary = Limits("Moving range", mr, mr_bar, _const(0.0, m), _const(c.D4 * mr_bar, m), _const(c.d3 * sigma, m))
    return primary, secondary, sigma, "MR-bar/d2"


def _counts(counts: Any, sizes: Any, count_name: str, size_name: str) -> tuple[np.ndarray, np.ndarray]:
    c = _finite(counts, count_name).ravel()
    if sizes is None:
        n = np.ones_like(c)
    else:
        n = _finite(sizes, size_name).ravel()
        if n.size != c.size:
            raise SpcError(f"{c.size} {count_name} but {n.size} {size_name}; give one per sample.", size_name)
    if c.size == 0:
        raise SpcError(f"No {count_name} given.", count_name)
    if np.any(c < 0):
        i = int(np.flatnonzero(c < 0)[0])
        raise SpcError(f"Counts cannot be negative (sample {i + 1} has {c[i]:g}).", count_name)
    if np.any(n <= 0):
        i = int(np.flatnonzero(n <= 0)[0])
        raise SpcError(f"Sample sizes must be positive (sample {i + 1} has {n[i]:g}).", size_name)
    return c, n


def _attribute(chart: str, c: np.ndarray, n: np.ndarray, base: np.ndarray) -> Limits:
    m = c.size
    if chart in ("p", "np"):
        if np.any(c > n):
            i = int(np.flatnonzero(c > n)[0])
            raise SpcError(f"Sample {i + 1} has {c[i]:g} defectives out of a sample of {n[i]:g}.", "defectives")
        pbar = float(c[base].sum() / n[base].sum())
        if chart == "p":
            points, center = c / n, pbar
            sigma = np.sqrt(pbar * (1 - pbar) / n)
        else:
            if np.any(n != n[0]):
                raise SpcError("An np chart needs one constant sample size; use a p chart.", "sample_size")
            points, center = c, n[0] * pbar
            sigma = _const(math.sqrt(n[0] * pbar * (1 - pbar)), m)
    else:
        ubar = float(c[base].sum() / n[base].sum())
        if chart == "c":
            if np.any(n != n[0]):
                raise SpcError("A c chart needs the same number of units per sample; use a u chart.", "units")
            points, center = c, n[0] * ubar
            sigma = _const(math.sqrt(center), m)
        else:
            points, center = c / n, ubar
            sigma = np.sqrt(ubar / n)
    names = {
        "p": "Fraction nonconforming",
        "np": "Number nonconforming",
        "c": "Nonconformities",
        "u": "Nonconformities per unit",
    }
    # A count cannot go below zero, so a negative lower limit is no limit at all (LCL = 0).
    return Limits(
        names[chart], points.astype(float), center, np.maximum(center - 3 * sigma, 0.0), center + 3 * sigma, sigma
    )


# --- run rules -----------------------------------------------------------------------------


class _Windows:
    """Counts of True in the k positions ending at each position, from one cumulative sum.

    At the start of the series the window holds fewer positions. A run of k is a full window.
    """

    def __init__(self, mask: np.ndarray) -> None:
        self.mask = mask
        self.cs = np.concatenate((np.zeros(1, dtype=np.int32), np.cumsum(mask, dtype=np.int32)))

    def count(self, k: int) -> np.ndarray:
        m = self.mask.size
        out = np.empty(m, dtype=np.int32)
        head = min(k - 1, m)
        out[:head] = self.cs[1 : head + 1]
        out[head:] = self.cs[k:] - self.cs[: m - k + 1] if m >= k else out[head:]
        return out

    def run(self, k: int) -> np.ndarray:
        """True where the k positions ending here are all True."""
        return self.count(k) == k


def evaluate_rules(lim: Limits, rules: str = "both") -> dict[str, np.ndarray]:
    """Indices of the points that complete each rule's pattern (Nelson 1984; Western Electric 1956).

    A run rule flags every point at which its pattern is complete: the ninth point of a run on one
    side, and each later point while the run lasts. For the "k out of m" rules the flagged point
    is itself beyond the zone (it is the one that completes the count). Rule 1 uses the chart's
    actual limits (so a clipped LCL of 0 is honoured); the zones use the per-point sigma.
    Cumulative sums over boolean masks keep this linear and vectorised.
    """
    if rules not in ("nelson", "western_electric", "both", "none"):
        raise SpcError("Rules must be 'nelson', 'western_electric', 'both' or 'none'.", "rules")
    x, cl = lim.points, lim.center
    dev = x - cl
    z = dev / np.where(lim.sigma > 0, lim.sigma, np.inf)
    beyond = (x > lim.ucl) | (x < lim.lcl)
    lim.beyond = beyond
    out: dict[str, np.ndarray] = {}
    if rules == "none":
        return out
    above, below = _Windows(dev > 0), _Windows(dev < 0)
    z2_hi, z2_lo, z1_hi, z1_lo = z > 2, z < -2, z > 1, z < -1
    two3 = (z2_hi & (_Windows(z2_hi).count(3) >= 2)) | (z2_lo & (_Windows(z2_lo).count(3) >= 2))
    four5 = (z1_hi & (_Windows(z1_hi).count(5) >= 4)) | (z1_lo & (_Windows(z1_lo).count(5) >= 4))
    if rules in ("nelson", "both"):
        d = np.diff(x)
        trend = np.zeros(x.size, dtype=bool)
        trend[1:] = _Windows(d > 0).run(5) | _Windows(d < 0).run(5)
        alternating = np.zeros(x.size, dtype=bool)
        if d.size >= 2:
            alternating[2:] = _Windows((d[1:] * d[:-1]) < 0).run(12)
        az = np.abs(z)
        out.update(
            {
                "nelson_1": beyond,
                "nelson_2": above.run(9) | below.run(9),
                "nelson_3": trend,
                "nelson_4": alternating,
                "nelson_5": two3,
                "nelson_6": four5,
                "nelson_7": _Windows(az < 1).run(15),
                "nelson_8": _Windows(az > 1).run(8),
            }
        )
    if rules in ("western_electric", "both"):
        out.update({"we_1": beyond, "we_2": two3, "we_3": four5, "we_4": above.run(8) | below.run(8)})
    return {k: np.flatnonzero(v) for k, v in out.items()}


# --- capability ----------------------------------------------------------------------------


def capability_indices(
    *, mean: float, sigma: float, lsl: float | None, usl: float | None, prefix: str = "Cp"
) -> dict[str, float | None]:
    """Cp, Cpl, Cpu, Cpk (or Pp... with prefix "Pp") for a process of this mean and sigma.

    One-sided specifications give only the one-sided index, and Cpk equals it.
    """
    _check_specs(lsl, usl)
    if not sigma > 0:
        raise SpcError("Capability needs a positive sigma (the data do not vary).", "values")
    lower = (mean - lsl) / (3 * sigma) if lsl is not None else None
    upper = (usl - mean) / (3 * sigma) if usl is not None else None
    both = (usl - lsl) / (6 * sigma) if lsl is not None and usl is not None else None
    k = min(v for v in (lower, upper) if v is not None)
    return {prefix: both, f"{prefix}l": lower, f"{prefix}u": upper, f"{prefix}k": k}


def _check_specs(lsl: float | None, usl: float | None) -> None:
    for name, v in (("lsl", lsl), ("usl", usl)):
        if v is not None and not math.isfinite(v):
            raise SpcError(f"The {name.upper()} must be a finite number.", name)
    if lsl is None and usl is None:
        raise SpcError("Capability needs at least one specification limit (LSL or USL).", "usl")
    if lsl is not None and usl is not None and lsl >= usl:
        raise SpcError(f"The LSL ({lsl:g}) must be below the USL ({usl:g}).", "lsl")


def anderson_darling(x: np.ndarray) -> dict[str, float | str | None]:
    """Anderson-Darling test of normality, mean and sigma estimated from the data.

    Statistic A^2 as in Stephens (1974); p-value from the modified statistic
    A*^2 = A^2 (1 + 0.75/n + 2.25/n^2) with D'Agostino & Stephens (1986), Table 4.9 - the same
    as R's nortest::ad.test and Minitab.
    """
    n = x.size
    if n < 8:
        return {"statistic": None, "p_value": None, "method": "Anderson-Darling (needs 8 or more values)"}
    y = np.sort(x)
    s = y.std(ddof=1)
    if s == 0:
        return {"statistic": None, "p_value": None, "method": "Anderson-Darling (the data do not vary)"}
    w = (y - y.mean()) / s
    logcdf = special.log_ndtr(w)
    logsf = special.log_ndtr(-w)
    i = np.arange(1, n + 1)
    a2 = float(-n - np.sum((2 * i - 1) * (logcdf + logsf[::-1])) / n)
    aa = a2 * (1 + 0.75 / n + 2.25 / n**2)
    if aa < 0.2:
        p = 1 - math.exp(-13.436 + 101.14 * aa - 223.73 * aa**2)
    elif aa < 0.34:
        p = 1 - math.exp(-8.318 + 42.796 * aa - 59.938 * aa**2)
    elif aa < 0.6:
        p = math.exp(0.9177 - 4.279 * aa - 1.38 * aa**2)
    elif aa < 10:
        p = math.exp(1.2937 - 5.709 * aa + 0.0186 * aa**2)
    else:
        p = 3.7e-24
    return {
        "statistic": a2,
        "p_value": min(max(p, 0.0), 1.0),
        "method": "Anderson-Darling (D'Agostino & Stephens 1986)",
    }


SHAPIRO_MAX = 5000  # beyond this SciPy's Shapiro-Wilk p-value is not reliable


def capability(
    values: Any,
    *,
    lsl: float | None,
    usl: float | None,
    sigma_within: float,
    sigma_within_method: str,
    mean: float | None = None,
    confidence: float = 0.95,
) -> Capability:
    """Capability of the measurements against the specification.

    Cp/Cpk use the within-subgroup sigma of the chart (named); Pp/Ppk the overall sample
    standard deviation. Confidence intervals: Cp and Pp by the chi-square distribution with
    N - 1 degrees of freedom (Montgomery eq. 8.19); Cpk and Ppk by Bissell's (1990) normal
    approximation (Montgomery eq. 8.21). These reproduce qcc's process.capability.
    """
    _check_specs(lsl, usl)
    if not 0 < confidence < 1:
        raise SpcError("The confidence level must be between 0 and 1.", "confidence")
    x = _finite(values, "values").ravel()
    n = x.size
    if n < 2:
        raise SpcError("Capability needs at least 2 measurements.", "values")
    mu = float(x.mean()) if mean is None else float(mean)
    s_overall = float(x.std(ddof=1))
    cp = capability_indices(mean=mu, sigma=sigma_within, lsl=lsl, usl=usl, prefix="Cp")
    pp = (
        capability_indices(mean=mu, sigma=s_overall, lsl=lsl, usl=usl, prefix="Pp")
        if s_overall > 0
        else {"Pp": None, "Ppl": None, "Ppu": None, "Ppk": None}
    )
    alpha = 1 - confidence
    lo_q, hi_q = stats.chi2.ppf([alpha / 2, 1 - alpha / 2], n - 1) / (n - 1)
    zq = float(stats.norm.ppf(1 - alpha / 2))
    intervals: dict[str, Interval] = {}
    for ratio in ("Cp", "Pp"):
        v = cp.get(ratio) if ratio == "Cp" else pp.get(ratio)
        if v is not None:
            intervals[ratio] = Interval(v, v * math.sqrt(lo_q), v * math.sqrt(hi_q), "chi-square, N-1 df")
    for k in ("Cpk", "Ppk"):
        v = cp.get(k) if k == "Cpk" else pp.get(k)
        if v is not None:
            half = zq * math.sqrt(1 / (9 * n) + v * v / (2 * (n - 1)))
            intervals[k] = Interval(v, v - half, v + half, "Bissell (1990) normal approximation")
    normality = {"anderson_darling": anderson_darling(x)}
    if 3 <= n <= SHAPIRO_MAX and s_overall > 0:
        sw = stats.shapiro(x)
        normality["shapiro_wilk"] = {
            "statistic": float(sw.statistic),
            "p_value": float(sw.pvalue),
            "method": "Shapiro-Wilk (SciPy)",
        }
    out = 0
    if lsl is not None:
        out += int((x < lsl).sum())
    if usl is not None:
        out += int((x > usl).sum())
    return Capability(
        n=n,
        mean=mu,
        lsl=lsl,
        usl=usl,
        sigma_within=sigma_within,
        sigma_within_method=sigma_within_method,
        sigma_overall=s_overall,
        sigma_overall_method="sample standard deviation (N-1)",
        indices={**cp, **pp},
        intervals=intervals,
        confidence=confidence,
        normality=normality,
        observed_out_of_spec=out,
    )


# --- the one entry point -------------------------------------------------------------------


def compute(
    chart: str,
    *,
    values: Any = None,
    subgroups: Sequence[Sequence[float]] | None = None,
    subgroup_size: int | None = None,
    counts: Any = None,
    sizes: Any = None,
    phase1: int | None = None,
    exclude: Sequence[int] = (),
    lsl: float | None = None,
    usl: float | None = None,
    rules: str = "both",
    confidence: float = 0.95,
) -> ChartResult:
    """Compute a control chart, its run-rule violations and (with specs) capability.

    Variables charts take ``values`` (cut in order into subgroups of ``subgroup_size``; single
    values for ``imr``) or ``subgroups``. Attribute charts take ``counts`` (defectives for p/np,
    defects for c/u) and ``sizes`` (sample sizes for p/np, inspection units for c/u; default 1
    unit for c/u). ``phase1`` is how many leading points form the baseline (default: all);
    ``exclude`` lists 0-based phase I points with assignable causes to leave out of the limits.
    """
    if chart not in CHARTS:
        raise SpcError(f"Unknown chart '{chart}'; choose one of {', '.join(CHARTS)}.", "chart")
    if chart in ATTRIBUTE_CHARTS and (lsl is not None or usl is not None):
        raise SpcError("Capability (LSL/USL) applies to variables charts (xbar_r, xbar_s, imr).", "lsl")
    secondary = None
    sigma = method = None
    measurements: np.ndarray | None = None
    if chart in ("xbar_r", "xbar_s"):
        arr = _subgroups(values, subgroups, subgroup_size)
        phase, excluded = _phases(arr.shape[0], phase1, exclude, chart)
        base = (phase == 1) & ~excluded
        primary, secondary, sigma, method = _xbar(arr, base, chart[-1])
        measurements = arr[base].ravel()
        n_sub: int | None = int(arr.shape[1])
    elif chart == "imr":
        source = values if values is not None else counts
        if subgroups is not None:
            raise SpcError("The I-MR chart takes single values, not subgroups.", "subgroups")
        x = _finite(source if source is not None else [], "values").ravel()
        phase, excluded = _phases(x.size, phase1, exclude, chart)
        base = (phase == 1) & ~excluded
        primary, secondary, sigma, method = _imr(x, base)
        measurements = x[base]
        n_sub = 1
    else:
        if counts is None:
            field_name = "defectives" if chart in ("p", "np") else "defects"
            raise SpcError(f"The {chart} chart needs {field_name} counts.", field_name)
        if chart in ("p", "np") and sizes is None:
            raise SpcError(f"The {chart} chart needs the sample size of each sample.", "sample_size")
        c, n = _counts(
            counts,
            sizes,
            "defectives" if chart in ("p", "np") else "defects",
            "sample_size" if chart in ("p", "np") else "units",
        )
        phase, excluded = _phases(c.size, phase1, exclude, chart)
        base = (phase == 1) & ~excluded
        primary = _attribute(chart, c, n, base)
        n_sub = None
    violations = evaluate_rules(primary, rules)
    if secondary is not None:
        secondary.beyond = (secondary.points > secondary.ucl) | (secondary.points < secondary.lcl)
    result = ChartResult(
        chart=chart,
        subgroup_size=n_sub,
        primary=primary,
        secondary=secondary,
        phase=phase,
        excluded=excluded,
        violations=violations,
        sigma=sigma,
        sigma_method=method,
    )
    if (lsl is not None or usl is not None) and measurements is not None and sigma is not None:
        result.capability = capability(
            measurements,
            lsl=lsl,
            usl=usl,
            sigma_within=sigma,
            sigma_within_method=method or "",
            mean=primary.center,
            confidence=confidence,
        )
    return result

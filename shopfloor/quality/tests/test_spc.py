"""The SPC engine's rules: run rules on hand-made series, clear errors, and invariants."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopfloor.quality import spc


def _unit_chart(points: list[float]) -> spc.Limits:
    """A chart with center 0, sigma 1 and limits at +/-3, so points are z-scores."""
    m = len(points)
    return spc.Limits("z", np.array(points, dtype=float), 0.0, np.full(m, -3.0), np.full(m, 3.0), np.ones(m))


def _flags(points: list[float], rule: str) -> list[int]:
    return spc.evaluate_rules(_unit_chart(points))[rule].tolist()


def test_rule_1_flags_points_beyond_either_limit_not_on_it():
    assert _flags([0, 3.0, 3.01, -3.5, 0], "nelson_1") == [2, 3]
    assert _flags([0, 3.0, 3.01, -3.5, 0], "we_1") == [2, 3]


def test_nelson_2_flags_the_ninth_point_on_one_side_and_each_after():
    pts = [-0.5] + [0.5] * 10 + [-0.5]
    assert _flags(pts, "nelson_2") == [9, 10]
    assert _flags([0.5] * 8 + [-0.5], "nelson_2") == []


def test_western_electric_4_needs_eight_on_one_side():
    assert _flags([0.5] * 8, "we_4") == [7]
    assert _flags([0.5] * 7 + [-0.5], "we_4") == []


def test_nelson_3_six_points_steadily_rising_or_falling():
    assert _flags([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.4], "nelson_3") == [5]
    assert _flags([0.5, 0.4, 0.3, 0.2, 0.1, 0.0], "nelson_3") == [5]
    # A tie breaks the trend.
    assert _flags([0, 0.1, 0.2, 0.2, 0.3, 0.4, 0.5], "nelson_3") == []


def test_nelson_4_fourteen_points_alternating():
    pts = [0.1 if i % 2 else -0.1 for i in range(14)]
    assert _flags(pts, "nelson_4") == [13]
    assert _flags(pts[:13], "nelson_4") == []


def test_two_of_three_beyond_two_sigma_flags_the_completing_point_same_side_only():
    assert _flags([0, 2.5, 0, 2.5, 0], "nelson_5") == [3]
    assert _flags([0, 2.5, 0, 2.5, 0], "we_2") == [3]
    assert _flags([0, 2.5, 0, -2.5, 0], "we_2") == []


def test_four_of_five_beyond_one_sigma():
    assert _flags([1.5, 1.5, 0, 1.5, 1.5], "nelson_6") == [4]
    assert _flags([1.5, 1.5, 0, 1.5, -1.5], "we_3") == []


def test_nelson_7_fifteen_points_hugging_the_center_line():
    assert _flags([0.2, -0.2] * 8, "nelson_7") == [14, 15]


def test_nelson_8_eight_points_avoiding_zone_c():
    assert _flags([1.5, -1.5] * 4, "nelson_8") == [7]
    assert _flags([1.5, -1.5, 1.5, 0.5, -1.5, 1.5, -1.5, 1.5], "nelson_8") == []


def test_zones_follow_per_point_sigma_of_a_p_chart_with_varying_sizes():
    r = spc.compute("p", counts=[5, 10, 2, 40, 6], sizes=[50, 100, 20, 100, 60])
    # Per-point limits: the bigger the sample, the tighter the limits.
    assert r.primary.ucl[1] < r.primary.ucl[2]
    assert r.primary.lcl.min() >= 0
    assert r.to_dict()["primary"]["ucl"] is None  # not one constant limit
    assert [p["sample"] for p in r.to_dict()["primary"]["points"] if "nelson_1" in p["rules"]] == [4]


def test_u_chart_per_unit_and_np_chart():
    u = spc.compute("u", counts=[3, 8, 5], sizes=[1, 2, 1.5])
    assert u.primary.center == pytest.approx(16 / 4.5)
    assert u.primary.points.tolist() == pytest.approx([3, 4, 10 / 3])
    np_chart = spc.compute("np", counts=[3, 5, 4], sizes=[50, 50, 50])
    assert np_chart.primary.center == pytest.approx(4)
    assert np_chart.primary.ucl[0] == pytest.approx(4 + 3 * np.sqrt(50 * 0.08 * 0.92))


def test_xbar_s_uses_s_bar_over_c4():
    data = np.array([[1.0, 2, 3, 4], [2, 3, 4, 6], [1, 1, 2, 2]])
    r = spc.compute("xbar_s", subgroups=data.tolist(), lsl=-5, usl=10)
    sbar = data.std(axis=1, ddof=1).mean()
    c = spc.constants(4)
    assert r.sigma == pytest.approx(sbar / c.c4)
    assert r.primary.ucl[0] == pytest.approx(data.mean() + c.A3 * sbar)
    assert r.secondary.ucl[0] == pytest.approx(c.B4 * sbar)
    assert r.capability.sigma_within_method == "S-bar/c4"


def test_imr_uses_moving_range_over_d2_and_excluded_points_drop_their_moving_ranges():
    x = [10.0, 12, 11, 30, 11, 12, 10]
    r = spc.compute("imr", values=x, exclude=[3])
    mrs = [2, 1, 1, 2]  # |12-10|, |11-12|, |12-11|, |10-12|: the ones touching 30 are left out
    assert r.secondary.center == pytest.approx(np.mean(mrs))
    assert r.sigma == pytest.approx(np.mean(mrs) / 1.1283791671)
    assert r.primary.center == pytest.approx(np.mean([10, 12, 11, 11, 12, 10]))
    assert r.to_dict()["secondary"]["points"][0]["value"] is None
    assert r.to_dict()["excluded"] == [4]


def test_phase_two_points_do_not_move_the_limits():
    base = [10.0, 11, 9, 10, 11, 9, 10]
    one = spc.compute("imr", values=base + [100.0], phase1=7)
    two = spc.compute("imr", values=base + [10.0], phase1=7)
    assert one.primary.ucl[0] == two.primary.ucl[0]
    assert one.violations["nelson_1"].tolist() == [7]


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"chart": "xbar_r", "subgroups": [[1, 2, 3], [1, 2]]}, "subgroups", "Subgroup 2 has 2 measurements"),
        ({"chart": "xbar_r", "values": [1, 2, 3, 4, 5], "subgroup_size": 2}, "values", "1 left over"),
        ({"chart": "xbar_r", "values": [1, 2], "subgroup_size": 2}, "values", "at least 2 phase I subgroups"),
        ({"chart": "imr", "values": [1, 2]}, "values", "at least 3 phase I points"),
        ({"chart": "imr", "values": [1, 2, 3], "lsl": 5, "usl": 5}, "lsl", "must be below the USL"),
        ({"chart": "imr", "values": [1, float("nan"), 3]}, "values", "finite numbers (position 2"),
        ({"chart": "imr", "values": [1, float("inf"), 3]}, "values", "finite"),
        ({"chart": "c", "counts": [1, -2, 3]}, "defects", "cannot be negative (sample 2"),
        ({"chart": "p", "counts": [1, 60], "sizes": [50, 50]}, "defectives", "Sample 2 has 60 defectives"),
        ({"chart": "p", "counts": [1, 2]}, "sample_size", "needs the sample size"),
        ({"chart": "np", "counts": [1, 2], "sizes": [50, 40]}, "sample_size", "use a p chart"),
        ({"chart": "c", "counts": [1, 2], "sizes": [1, 2]}, "units", "use a u chart"),
        ({"chart": "c", "counts": [1, 2, 3], "lsl": 0}, "lsl", "variables charts"),
        ({"chart": "imr", "values": [1, 2, 3, 4], "exclude": [5]}, "exclude", "sample 6 is not one"),
        ({"chart": "imr", "values": [1, 2, 3, 4], "phase1": 9}, "phase1_points", "between 1 and 4"),
        ({"chart": "pareto", "values": [1]}, "chart", "Unknown chart"),
        ({"chart": "imr", "values": []}, "values", "No data given"),
        ({"chart": "xbar_s", "subgroups": [[1, "a"], [2, 3]]}, "subgroups", "must be numbers"),
        ({"chart": "xbar_r", "values": list(range(52)), "subgroup_size": 26}, "subgroup_size", "between 2 and 25"),
    ],
)
def test_bad_input_raises_a_clear_spc_error(kwargs, field, message):
    chart = kwargs.pop("chart")
    with pytest.raises(spc.SpcError, match=re.escape(message)) as info:
        spc.compute(chart, **kwargs)
    assert info.value.field == field
    assert isinstance(info.value, ValueError)


# --- invariants -----------------------------------------------------------------------------

measurements = st.lists(
    st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False), min_size=12, max_size=60
)


@settings(max_examples=60, deadline=None)
@given(measurements, st.integers(min_value=2, max_value=6))
def test_xbar_limits_are_symmetric_and_rule_1_flags_exactly_the_points_beyond(values, n):
    values = values[: len(values) - len(values) % n]
    if len(values) < 2 * n:
        return
    r = spc.compute("xbar_r", values=values, subgroup_size=n)
    p = r.primary
    assert p.ucl[0] - p.center == pytest.approx(p.center - p.lcl[0], abs=1e-9 * (1 + abs(p.center)))
    beyond = np.flatnonzero((p.points > p.ucl) | (p.points < p.lcl))
    assert r.violations["nelson_1"].tolist() == beyond.tolist()
    assert r.violations["we_1"].tolist() == beyond.tolist()


@settings(max_examples=60, deadline=None)
@given(
    measurements,
    st.floats(min_value=-2e3, max_value=2e3, allow_nan=False),
    st.floats(min_value=0.01, max_value=2e3, allow_nan=False),
)
def test_cpk_never_exceeds_cp(values, lsl, width):
    if np.ptp(values) == 0:
        return
    r = spc.compute("imr", values=values, lsl=lsl, usl=lsl + width)
    if r.sigma == 0:
        return
    idx = r.capability.indices
    assert idx["Cpk"] <= idx["Cp"] + 1e-12
    if idx["Pp"] is not None:  # None only when the overall deviation underflows to 0
        assert idx["Ppk"] <= idx["Pp"] + 1e-12
    ci = r.capability.intervals["Cp"]
    assert ci.lower <= idx["Cp"] <= ci.upper


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(1, 50)), min_size=3, max_size=40))
def test_p_chart_limits_stay_within_zero_and_contain_the_center(samples):
    counts = [min(d, n) for d, n in samples]
    sizes = [n for _, n in samples]
    r = spc.compute("p", counts=counts, sizes=sizes)
    assert np.all(r.primary.lcl >= 0)
    assert np.all(r.primary.lcl <= r.primary.center) and np.all(r.primary.center <= r.primary.ucl)


def _naive_rules(z: list[float]) -> dict[str, list[int]]:
    """The rules read literally, point by point, to check the vectorised engine against."""
    m = len(z)
    out: dict[str, list[int]] = {k: [] for k in spc.RULES}

    def window(i: int, k: int) -> list[float]:
        return z[max(0, i - k + 1) : i + 1]

    for i in range(m):
        w9, w8, w6, w15 = window(i, 9), window(i, 8), window(i, 6), window(i, 15)
        if abs(z[i]) > 3:
            out["nelson_1"].append(i)
            out["we_1"].append(i)
        if len(w9) == 9 and (all(v > 0 for v in w9) or all(v < 0 for v in w9)):
            out["nelson_2"].append(i)
        if len(w8) == 8 and (all(v > 0 for v in w8) or all(v < 0 for v in w8)):
            out["we_4"].append(i)
        if len(w6) == 6 and (
            all(a < b for a, b in zip(w6, w6[1:], strict=False)) or all(a > b for a, b in zip(w6, w6[1:], strict=False))
        ):
            out["nelson_3"].append(i)
        w14 = window(i, 14)
        if len(w14) == 14:
            d = [b - a for a, b in zip(w14, w14[1:], strict=False)]
            if all(x * y < 0 for x, y in zip(d, d[1:], strict=False)):
                out["nelson_4"].append(i)
        for sign in (1, -1):
            if sign * z[i] > 2 and sum(sign * v > 2 for v in window(i, 3)) >= 2:
                out["nelson_5"].append(i)
                out["we_2"].append(i)
            if sign * z[i] > 1 and sum(sign * v > 1 for v in window(i, 5)) >= 4:
                out["nelson_6"].append(i)
                out["we_3"].append(i)
        if len(w15) == 15 and all(abs(v) < 1 for v in w15):
            out["nelson_7"].append(i)
        if len(w8) == 8 and all(abs(v) > 1 for v in w8):
            out["nelson_8"].append(i)
    return out


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(st.floats(min_value=-4, max_value=4, allow_nan=False), st.sampled_from([0.5, -0.5, 1.5, 2.5])),
        min_size=1,
        max_size=60,
    )
)
def test_vectorised_rules_agree_with_the_rules_read_literally(z):
    found = {k: v.tolist() for k, v in spc.evaluate_rules(_unit_chart(z)).items()}
    assert found == _naive_rules(z)

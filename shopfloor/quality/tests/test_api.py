"""POST /api/v1/quality/spc/: the engine over the API, its error shape and its permission."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from shopfloor.core.tests.factories import member

pytestmark = pytest.mark.django_db
URL = "/api/v1/quality/spc/"
DATA = Path(__file__).parent / "data"


def _juice() -> tuple[list[int], list[int]]:
    with open(DATA / "orangejuice.csv", newline="") as f:
        rows = list(csv.DictReader(f))[:30]
    return [int(r["defectives"]) for r in rows], [int(r["sample_size"]) for r in rows]


def test_p_chart_with_exclusions_gives_montgomerys_revised_limits(api):
    counts, sizes = _juice()
    response = api.post(URL, {"chart": "p", "counts": counts, "sizes": sizes, "exclude": [15, 23]}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    # Montgomery, Example 7.1 (revised limits): p-bar 0.2150, LCL 0.0407, UCL 0.3893.
    assert round(body["primary"]["center"], 4) == 0.2150
    assert (round(body["primary"]["lcl"], 4), round(body["primary"]["ucl"], 4)) == (0.0407, 0.3893)
    assert body["excluded"] == [15, 23]
    assert body["violations"]["nelson_1"] == [15, 21, 23]
    assert "nelson_1" in body["primary"]["points"][20]["rules"]  # sample 21
    assert body["primary"]["points"][14]["excluded"] is True
    assert body["capability"] is None


def test_xbar_r_with_specs_returns_limits_flags_and_capability(api):
    subgroups = [[10.1, 9.9, 10.0], [10.2, 10.0, 9.8], [9.9, 10.1, 10.0], [10.0, 10.0, 10.3], [12.5, 12.7, 12.6]]
    response = api.post(
        URL,
        {"chart": "xbar_r", "subgroups": subgroups, "phase1_points": 4, "lsl": 9, "usl": 11, "rules": "nelson"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["subgroup_size"] == 3
    assert body["sigma_method"] == "R-bar/d2"
    assert body["secondary"]["name"] == "R"
    assert body["violations"]["nelson_1"] == [5]
    assert "we_1" not in body["violations"]
    assert body["primary"]["points"][4]["phase"] == 2
    cap = body["capability"]
    assert cap["sigma_within_method"] == "R-bar/d2"
    assert cap["indices"]["Cpk"] <= cap["indices"]["Cp"]
    assert cap["intervals"]["Cpk"]["method"].startswith("Bissell")
    assert "anderson_darling" in cap["normality"]


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({"chart": "p", "counts": [60, 1], "sizes": [50, 50]}, "counts", "60 defectives"),
        ({"chart": "c", "counts": [1, -1, 2]}, "counts", "cannot be negative"),
        ({"chart": "xbar_r", "subgroups": [[1, 2, 3], [1, 2]]}, "subgroups", "every subgroup needs 3"),
        ({"chart": "imr", "values": [1, 2]}, "values", "at least 3"),
        ({"chart": "imr", "values": [1, 2, 3, 4], "lsl": 5, "usl": 1}, "lsl", "below the USL"),
        ({"chart": "imr", "values": [1, 2, 3, 4], "exclude": [9]}, "exclude", "sample 9"),
        ({"chart": "np", "counts": [1, 2], "sizes": [50, 60]}, "sizes", "use a p chart"),
        ({"chart": "cusum", "values": [1, 2, 3]}, "chart", ""),
        ({"chart": "imr", "values": [1, "x", 3]}, "values.1", "valid number"),
        ({"chart": "imr", "values": [1, 2, 3], "colour": "red"}, "colour", "Unknown field"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, payload, field, words):
    response = api.post(URL, payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and body["title"]
    assert field in body["errors"], body
    assert words in " ".join(body["errors"][field])


def test_a_member_without_quality_permissions_is_refused(org, api_for):
    planner = member(org, ["planning.*"], username="paula")
    response = api_for(planner).post(URL, {"chart": "imr", "values": [1, 2, 3]}, format="json")
    assert response.status_code == 403


def test_a_viewer_may_compute_a_chart(api_for, viewer_user):
    response = api_for(viewer_user).post(URL, {"chart": "c", "counts": [3, 5, 4, 6]}, format="json")
    assert response.status_code == 200
    assert response.json()["primary"]["center"] == 4.5


def test_anonymous_is_401(api_for):
    assert api_for(None).post(URL, {"chart": "c", "counts": [3, 5]}, format="json").status_code == 401

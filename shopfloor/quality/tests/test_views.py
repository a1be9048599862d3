"""The /quality/spc/ page: paste, compute, see the chart and the capability table."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from shopfloor.core.tests.factories import member

pytestmark = pytest.mark.django_db
URL = "/quality/spc/"
DATA = Path(__file__).parent / "data"


@pytest.fixture
def web(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def test_the_page_renders_and_is_in_the_menu(web):
    response = web.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/quality/spc/"' in html
    assert "Compute chart" in html


def test_piston_rings_chart_with_capability(web):
    lines = (DATA / "pistonrings.csv").read_text().splitlines()[1:]
    values = "\n".join(line.split(",")[1] for line in lines)
    response = web.post(
        URL,
        {
            "chart": "xbar_r",
            "values": values,
            "subgroup_size": "5",
            "phase1_points": "25",
            "lsl": "73.95",
            "usl": "74.05",
            "rules": "both",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and 'class="point flagged"' in html
    assert "R-bar/d2" in html
    assert "37, 38, 39" in html  # beyond the limits in phase II
    assert "1.703" in html and "1.663" in html  # Cp and Cpk as qcc publishes them
    assert "Bissell" in html and "Anderson-Darling" in html


def test_bad_figures_are_shown_on_the_field(web):
    response = web.post(URL, {"chart": "p", "values": "3 60", "sizes": "50 50", "rules": "both"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "60 defectives" in html
    assert "<svg" not in html.split("<main", 1)[1]


def test_a_value_that_is_not_a_number_is_named(web):
    response = web.post(URL, {"chart": "imr", "values": "1 2 x 4", "rules": "both"})
    assert response.status_code == 400
    assert "Value 3 (&#x27;x&#x27;) is not a number" in response.content.decode()


def test_a_member_without_quality_permissions_cannot_open_it(org):
    client = Client()
    client.force_login(member(org, ["planning.*"], username="paula"))
    assert client.get(URL).status_code == 403


def test_a_viewer_can_use_it(viewer_user):
    client = Client()
    client.force_login(viewer_user)
    assert client.get(URL).status_code == 200

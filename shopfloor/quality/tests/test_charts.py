"""The SVG control chart: center line, limits, points, flagged points highlighted, text escaped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from shopfloor.quality import spc
from shopfloor.quality.charts import render_control_chart

NS = {"svg": "http://www.w3.org/2000/svg"}


def test_chart_draws_limits_points_and_highlights_the_flagged_ones():
    values = [10, 11, 9, 10, 11, 9, 10, 10, 30, 10]
    result = spc.compute("imr", values=values, phase1=8)
    svg = render_control_chart(result)
    root = ET.fromstring(svg)  # well-formed XML
    assert root.get("role") == "img"
    panels = root.findall("svg:g", NS)
    assert len(panels) == 2  # individuals and moving range
    first = panels[0]
    assert len(first.findall("svg:circle", NS)) == 10
    flagged = [c.get("data-sample") for c in first.findall("svg:circle", NS) if "flagged" in c.get("class")]
    assert flagged == ["9"]
    assert first.find("svg:line[@class='center']", NS) is not None
    assert first.find("svg:polyline[@class='ucl']", NS) is not None
    assert "phase II" in svg
    title = first.find("svg:circle[@data-sample='9']/svg:title", NS).text
    assert "nelson_1" in title and "Sample 9" in title
    # The moving-range panel leaves out the first point, which has no moving range.
    assert len(panels[1].findall("svg:circle", NS)) == 9


def test_varying_limits_are_drawn_as_steps():
    result = spc.compute("p", counts=[5, 10, 2, 6], sizes=[50, 100, 20, 60])
    svg = render_control_chart(result)
    ucl = re.search(r'class="ucl" points="([^"]+)"', svg).group(1).split()
    assert len(ucl) == 8  # two corners per sample
    assert len({p.split(",")[1] for p in ucl}) == 4  # four different heights


def test_excluded_points_are_hollow():
    result = spc.compute("c", counts=[3, 4, 20, 5, 4], exclude=[2])
    root = ET.fromstring(render_control_chart(result))
    point = root.find(".//svg:circle[@data-sample='3']", NS)
    assert point.get("fill") == "none"
    assert "excluded" in point.find("svg:title", NS).text

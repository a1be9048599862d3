"""`manage.py spc`: the same engine from a CSV file, JSON out, one-line errors."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

DATA = Path(__file__).parent / "data"


def run(*args: str) -> dict:
    out = StringIO()
    call_command("spc", *args, stdout=out)
    return json.loads(out.getvalue())


def test_piston_rings_from_a_subgroup_value_file(tmp_path):
    lines = (DATA / "pistonrings.csv").read_text().splitlines()[1:]
    path = tmp_path / "rings.csv"
    path.write_text("subgroup,value\n" + "\n".join(",".join(line.split(",")[:2]) for line in lines))
    result = run(str(path), "--chart", "xbar_r", "--phase1-points", "25", "--lsl", "73.95", "--usl", "74.05")
    # qcc / Montgomery Example 6.1: center 74.00118, limits 73.98805 and 74.0143; 37-39 beyond.
    assert round(result["primary"]["center"], 5) == 74.00118
    assert round(result["primary"]["lcl"], 5) == 73.98805
    assert result["violations"]["we_1"] == [37, 38, 39]
    assert round(result["capability"]["indices"]["Cp"], 3) == 1.703


def test_one_column_of_measurements_is_cut_into_subgroups(tmp_path):
    lines = (DATA / "pistonrings.csv").read_text().splitlines()[1:126]
    path = tmp_path / "diameters.csv"
    path.write_text("diameter\n" + "\n".join(line.split(",")[1] for line in lines))
    result = run(str(path), "--chart", "xbar_s", "--subgroup-size", "5")
    assert result["sigma_method"] == "S-bar/c4"
    assert len(result["primary"]["points"]) == 25


def test_attribute_files_with_exclusions():
    juice = run(str(DATA / "orangejuice.csv"), "--chart", "p", "--phase1-points", "30", "--exclude", "15,23")
    assert round(juice["primary"]["ucl"], 4) == 0.3893  # Montgomery Example 7.1, revised
    boards = run(str(DATA / "circuit.csv"), "--chart", "c", "--phase1-points", "26", "--exclude", "6,20")
    assert round(boards["primary"]["center"], 2) == 19.67  # Montgomery Example 7.3, revised


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (None, ["--chart", "p"], "Cannot read"),
        ("defectives,sample_size\n3,50\n60,50\n", ["--chart", "p"], "60 defectives"),
        ("value\n1\n2\nabc\n", ["--chart", "imr"], "Line 4: 'abc'"),
        ("1\n2\n3\n4\n5\n", ["--chart", "xbar_r", "--subgroup-size", "2"], "1 left over"),
        ("defects\n1\n2\n", ["--chart", "u"], "needs a 'units' column"),
        ("", ["--chart", "imr"], "no data"),
    ],
)
def test_a_bad_file_is_a_one_line_command_error(tmp_path, content, args, message):
    path = tmp_path / "bad.csv"
    if content is not None:
        path.write_text(content)
    with pytest.raises(CommandError, match=message) as info:
        run(str(path), *args)
    assert "\n" not in str(info.value)


def test_a_bad_file_exits_non_zero_without_a_traceback(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "bad.csv"
    path.write_text("defects,units\n3,1\n-2,1\n")
    done = subprocess.run(
        [sys.executable, "manage.py", "spc", str(path), "--chart", "c"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[3],
        timeout=60,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0
    assert "cannot be negative" in done.stderr

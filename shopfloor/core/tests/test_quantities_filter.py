"""The `qty` template builtin writes quantities as people do (never "2E+1")."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("20.000000"), "20"),
        (Decimal("2.500"), "2.5"),
        (Decimal("0.125000"), "0.125"),
        (Decimal("0E-6"), "0"),
        (Decimal("-3.10"), "-3.1"),
        (None, ""),
    ],
)
def test_qty_is_a_builtin_and_writes_plain_digits(value, shown):
    assert Template("{{ q|qty }}").render(Context({"q": value})) == shown

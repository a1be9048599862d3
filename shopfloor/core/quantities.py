"""How a quantity is written for people: in messages, on pages, in documents.

`Decimal.normalize()` alone gives "2E+1" for 20; `plain` gives "20", "2.5", "0.125".
"""

from __future__ import annotations

from decimal import Decimal


def plain(value: Decimal) -> str:
    """Plain digits, no trailing zeros, no exponent."""
    return format(value.normalize(), "f") if value else "0"

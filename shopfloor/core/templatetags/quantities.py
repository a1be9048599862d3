"""`qty`: a quantity as people write it, available in every template (a template builtin).

`Decimal.normalize()` alone writes 20 as "2E+1"; this writes "20", "2.5", "0.125".
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from shopfloor.core.quantities import plain

register = template.Library()


@register.filter
def qty(value: Any) -> str:
    """Plain digits, no trailing zeros, no exponent; empty for None."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not number.is_finite():
        return str(value)
    return plain(number)

"""Inspection plans, characteristics, inspections and measurements."""

__all__: list[str] = []

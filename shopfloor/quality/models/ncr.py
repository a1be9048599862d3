"""Nonconformance reports (NCRs), dispositions and corrective/preventive actions (CAPA)."""

__all__: list[str] = []

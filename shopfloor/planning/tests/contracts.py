"""Planning API contracts, one module per part (`contracts_mrp`, `contracts_schedule`), merged here
for the shared contract suite, as `planning/api.py` merges the parts' viewsets."""

from __future__ import annotations

from importlib import import_module, util

from shopfloor.core.tests.contract import Contract

CONTRACTS: dict[str, Contract] = {}
NOT_EXPOSED: dict[str, str] = {}

for _part in ("contracts_mrp", "contracts_capacity", "contracts_schedule"):
    if util.find_spec(f"shopfloor.planning.tests.{_part}"):
        _module = import_module(f"shopfloor.planning.tests.{_part}")
        CONTRACTS.update(getattr(_module, "CONTRACTS", {}))
        NOT_EXPOSED.update(getattr(_module, "NOT_EXPOSED", {}))

"""Every app's registered default workflow fits the tables it is installed into.

SQLite does not enforce VARCHAR lengths, PostgreSQL does: a too-long signature meaning or
state key would only fail when a new organization is created on PostgreSQL.
"""

from __future__ import annotations

from shopfloor.workflows import registry
from shopfloor.workflows.models import WorkflowState as State
from shopfloor.workflows.models import WorkflowTransition as Transition


def _limit(model, field: str) -> int:
    return model._meta.get_field(field).max_length


def test_every_registered_default_fits_its_columns():
    too_long = []
    specs = registry.DEFAULTS.values() if isinstance(registry.DEFAULTS, dict) else registry.DEFAULTS
    for spec in specs:
        for state in spec.states:
            if len(state.key) > _limit(State, "key") or len(state.label) > _limit(State, "label"):
                too_long.append((spec.model, state.key))
        for t in spec.transitions:
            if len(t.label) > _limit(Transition, "label") or len(t.meaning) > _limit(Transition, "signature_meaning"):
                too_long.append((spec.model, t.source, t.target))
    assert list(specs), "no workflow defaults registered"
    assert too_long == []

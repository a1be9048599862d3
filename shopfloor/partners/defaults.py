"""Action permissions and document numbers of partners."""

from __future__ import annotations

from shopfloor.core import access, numbering

access.register_permission("partners.approve_supplier", "Approve, conditionally approve or block a supplier")

numbering.register("customer", "CUS-")
numbering.register("supplier", "SUP-")

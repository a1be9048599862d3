"""The quality app's action permissions.

`quality.view_spc` is named as a view permission on purpose: every role that reads quality
data (`quality.view_*`, `*.view_*`) may also run a control chart on pasted figures, which
writes nothing.
"""

from __future__ import annotations

from shopfloor.core import access

USE_SPC = access.register_permission("quality.view_spc", "Compute control charts and capability (SPC)")

"""Quality tables, one module per part of the quality system.

- `inspection`: inspection plans (versioned), characteristics, sampling, inspections, measurements.
- `ncr`: nonconformance reports, dispositions, CAPA.
The SPC engine (`spc.py`) works on plain arrays and stores nothing, so it needs no table.
"""

from .inspection import *  # noqa: F403
from .ncr import *  # noqa: F403

"""Planning's writes, one module per part: `mrp` (runs), `forecast`, `firm` (planned orders into
real orders), `schedule` (finite-capacity runs and pins). Import the module you need."""

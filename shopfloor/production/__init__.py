"""Production: work orders, operations, time, material issue, output, genealogy."""

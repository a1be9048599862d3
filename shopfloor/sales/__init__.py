"""Sales: sales orders and available-to-promise."""

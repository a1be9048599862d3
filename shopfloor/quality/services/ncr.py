"""NCR and CAPA services: open, investigate, disposition (acting on stock), close; actions."""

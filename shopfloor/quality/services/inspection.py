"""Inspection services: plans, automatic inspections, measurements, results."""

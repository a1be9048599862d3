"""Quality tables: inspection plans, inspections, NCRs and CAPA (added by later issues).

The SPC engine (`spc.py`) works on plain arrays and stores nothing, so it needs no table.
"""

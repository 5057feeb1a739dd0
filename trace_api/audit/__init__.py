"""Audit of trace records: named rules with severities, findings, and evidence export.

Entry points: `trace_api.audit.service` (findings), `trace_api.audit.export` (CSV / XLSX /
ZIP bundle), `trace_api.audit.routes`; `trace_api.audit.equipment_life_cycle` reads the
life cycle of special equipment for the equipment rules and the consumer view alike.
Nothing outside the package is imported back into it (tests/test_import_graph.py).
"""

"""Audit of trace records: named rules with severities, findings, and evidence export.

Kept import-free on purpose: `trace_api.equipment` imports `trace_api.audit.epcis_view`,
and the equipment rules import `trace_api.equipment`, so this package must not pull
its submodules in at import time. Entry points: `trace_api.audit.service`
(findings), `trace_api.audit.export` (CSV / XLSX / ZIP bundle), `trace_api.audit.routes`.
"""

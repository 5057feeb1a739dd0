"""The FastAPI service: enterprises, EPCIS capture, provenance, verification, labels.

Filled in by the trace-API issue.
"""

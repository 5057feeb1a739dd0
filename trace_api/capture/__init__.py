"""Capture: `/v1/capture` and capture jobs (EPCIS 2.0 REST binding).

Public surface: `trace_api.capture.service.capture_document` and the `CaptureJob` it returns
(`trace_api.capture.results`).
"""

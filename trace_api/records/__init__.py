"""Trace records: `api_events`, `api_event_epcs` (owned by capture)."""

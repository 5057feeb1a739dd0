"""Provenance: the graph built from captured EPCIS events, traces, recalls and impact.

`ingest.write_graph` adds graph rows inside the capture transaction; `trace.trace` walks
them; `recalls` opens recalls on chain and lists what a recall reaches. See README.md.
"""

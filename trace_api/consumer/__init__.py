"""The consumer view: `/v1/public/lookup` (what the scan page shows) and the clone alarm.

`view.lookup` assembles the answer from `sources` (products, records, provenance,
anchors, recalls, equipment) and `evidence` (bodies, proofs, master data and enterprise
records the scan page verifies itself); `clone` holds the alarm's thresholds; `scans` stores
counted scans (`api_consumer_scans`).
"""

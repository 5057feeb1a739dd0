"""The consumer view: `/v1/public/lookup` (what the scan page shows) and the clone alarm.

`view.lookup` assembles the answer from `sources` (products, records, provenance,
anchors, recalls, equipment); `clone` holds the alarm's thresholds; `scans` stores
counted scans (`api_consumer_scans`).
"""

"""Product master data: what a GTIN is (names, class, producer, origin, certifications).

Public surface: `service` (`find_product`, `get_product`, `save_product`,
`list_products`, `Product`), `master_data` (`record_product`: every registration as the
next signed `traceledger.masterdata/v1` record version in the log; `current_record`,
`record_by_hash_id`), `classes` (`ProductClass`) and `ownership` (`owns_key`,
`verify_owns_key`). Routes: `trace_api.products.routes` (and the master-data proof routes
in `trace_api.proofs.routes`).
"""

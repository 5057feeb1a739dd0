"""Product master data: what a GTIN is (names, class, producer, origin, certifications).

Public surface: `service` (`find_product`, `get_product`, `save_product`,
`list_products`, `Product`), `classes` (`ProductClass`) and
`ownership` (`owns_key`, `verify_owns_key`). Routes: `trace_api.products.routes`.
"""

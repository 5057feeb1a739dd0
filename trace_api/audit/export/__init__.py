"""Evidence export (issue 8, item 5): FSMA 204 key data elements per critical tracking
event as CSV or XLSX, or a ZIP bundle of events, proof bundles and checkpoints.

`kde` turns a record into spreadsheet rows; `rows` streams them from the database in
batches with their anchors; `tabular` writes CSV / XLSX with bounded memory; `bundle`
streams the ZIP.
"""

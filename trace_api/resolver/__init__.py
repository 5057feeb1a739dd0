"""GS1 Digital Link resolver: `/01/...`, `/00/...`, `/8004/...`, `/414/...` on the API's host.

Pure parts: `linkset` (RFC 9264 documents), `negotiation` (what a request asks for),
`walkup` (serial -> lot -> GTIN). `known` and `service` look things up; `routes` is HTTP.
"""

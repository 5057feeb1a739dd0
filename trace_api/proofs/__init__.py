"""Proof bundles (`traceledger.proof/v1`): `service.build_bundle`, `GET /v1/events/{id}/proof`."""

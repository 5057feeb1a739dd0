"""The module-scoped `world` fixture (tests.trace_api.proofs.support): a live system, an
in-process ApiContext on it and its dev enterprise key."""

from tests.trace_api.proofs.support import world  # noqa: F401  (a fixture)

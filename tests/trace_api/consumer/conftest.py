"""Fixtures: `api_db`, a module-scoped database with the `api_*` tables (SQLite and PostgreSQL)."""

from tests.trace_api.resolver.dbkit import api_db

__all__ = ["api_db"]

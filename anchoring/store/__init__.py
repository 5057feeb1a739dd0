"""Durable storage of the log: tiles, entry bundles, queue and checkpoints in SQL."""

from anchoring.store.db import Database
from anchoring.store.log_store import Integration, LogHead, LogStore, Receipt

__all__ = ["Database", "Integration", "LogHead", "LogStore", "Receipt"]

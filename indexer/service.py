"""Assembling an indexer (or an auditor) from a node URL, a database URL and settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from indexer.config import IndexerSettings
from indexer.follow import Indexer
from indexer.sink.db import create_mirror_engine, migrate
from indexer.sink.store import MirrorStore
from indexer.source.fetch import ChainSource
from indexer.source.rpc import RetryingRpcClient, RetryPolicy


@contextmanager
def open_indexer(
    rpc_url: str,
    db_url: str,
    settings: IndexerSettings,
    *,
    retry: RetryPolicy | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Iterator[Indexer]:
    """An `Indexer` on a migrated mirror database; closes connections on exit."""
    client = RetryingRpcClient(rpc_url, retry=retry, transport=transport)
    engine = create_mirror_engine(db_url)
    try:
        migrate(engine)
        source = ChainSource(
            client, list(settings.contracts.values()), max_log_span=settings.max_log_span
        )
        yield Indexer(source, MirrorStore(engine), settings)
    finally:
        client.close()
        engine.dispose()


@contextmanager
def open_source_and_store(
    rpc_url: str,
    db_url: str,
    *,
    retry: RetryPolicy | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Iterator[tuple[ChainSource, MirrorStore]]:
    """The node and the mirror as recorded in it (contracts from `indexer_contracts`).
    Read-only: does not migrate or write."""
    client = RetryingRpcClient(rpc_url, retry=retry, transport=transport)
    engine = create_mirror_engine(db_url)
    try:
        store = MirrorStore(engine)
        source = ChainSource(client, list(store.contracts().values()))
        yield source, store
    finally:
        client.close()
        engine.dispose()

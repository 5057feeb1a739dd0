"""What every request handler needs, opened once per app: `ApiContext`.

Route functions take it as `ctx: ContextDep`; services take it (or the parts they
need) as plain arguments, so they can be called and tested without HTTP.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy import Engine

from anchoring.store import LogStore
from contracts.abi import Contract
from trace_api.db import create_api_tables, create_db_engine
from trace_api.settings import ApiSettings

DEPLOYMENT_FILE = "deployment.json"

T = TypeVar("T")


@dataclass(frozen=True)
class Deployment:
    """The chain the API anchors to: chain id and contract addresses (checksummed)."""

    chain_id: int
    contracts: dict[str, str]

    @classmethod
    def load(cls, node_data_dir: Path) -> Deployment:
        document = json.loads((node_data_dir / DEPLOYMENT_FILE).read_text(encoding="utf-8"))
        contracts = {name: entry["address"] for name, entry in document["contracts"].items()}
        return cls(chain_id=int(document["chainId"]), contracts=contracts)

    @property
    def trace_anchor(self) -> str:
        return self.contracts[Contract.TRACE_ANCHOR]

    @property
    def recall_registry(self) -> str:
        return self.contracts[Contract.RECALL_REGISTRY]


@dataclass
class ApiContext:
    """Opened resources of one app: settings, engines, the log store, the deployment,
    and the long-lived helpers made from them on first use (`shared`).
    """

    settings: ApiSettings
    engine: Engine
    mirror_engine: Engine
    log_store: LogStore
    deployment: Deployment
    _shared: dict[Callable[..., Any], Any] = field(default_factory=dict, repr=False)
    _shared_lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def shared(self, factory: Callable[[ApiContext], T]) -> T:
        """The app's one instance made by `factory(self)`, made on first use and closed
        (if it has `close`) with the app.

        The factory is the key, so the dependency is a name imported at the caller's
        top, typed, and visible in the import graph; a test may pre-seed an instance
        with `provide`.
        """
        with self._shared_lock:  # re-entrant: a factory may ask for what it needs
            if factory not in self._shared:
                self._shared[factory] = factory(self)
            return self._shared[factory]  # type: ignore[no-any-return]

    def provide(self, factory: Callable[[ApiContext], T], instance: T) -> None:
        """Use `instance` wherever `shared(factory)` is asked (tests, deployments)."""
        with self._shared_lock:
            self._shared[factory] = instance

    @classmethod
    def open(cls, settings: ApiSettings) -> ApiContext:
        engine = create_db_engine(settings.database_url)
        create_api_tables(engine)
        mirror_engine = (
            engine if settings.mirror_database_url == settings.database_url
            else create_db_engine(settings.mirror_database_url)
        )
        return cls(
            settings=settings,
            engine=engine,
            mirror_engine=mirror_engine,
            log_store=LogStore.open(settings.database_url, table_prefix=settings.table_prefix),
            deployment=Deployment.load(settings.node_data_dir),
        )

    def close(self) -> None:
        for service in self._shared.values():
            close = getattr(service, "close", None)
            if callable(close):
                close()
        self.log_store.close()
        self.engine.dispose()
        self.mirror_engine.dispose()


def get_context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.ctx
    return context


ContextDep = Annotated[ApiContext, Depends(get_context)]


def shared_dependency(factory: Callable[[ApiContext], T]) -> Any:
    """A FastAPI dependency on the app's one instance made by `factory` (`ApiContext.shared`),
    for route parameters typed `Annotated[T, shared_dependency(factory)]`."""

    def dependency(ctx: ContextDep) -> T:
        return ctx.shared(factory)

    return Depends(dependency)

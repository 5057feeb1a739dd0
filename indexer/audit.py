"""`indexer verify`: re-read the chain and compare the mirror with it, row by row, field by
field. The mirror is a cache; this is how anyone can show it has not been edited.

Promises: every row the chain implies but the mirror lacks is reported `missing`, every
mirror row the chain does not imply is reported `extra`, and every differing field of a
row present in both is reported `altered` (with mirror and chain values). Rows are keyed
by their primary key; a row whose key itself was edited shows as one missing plus one
extra. The `final` flag is checked against the checkpoint's finality horizon. The audit
reads only; it never writes to the mirror.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, or_, select

from indexer.decode.abi import EventDecoder
from indexer.decode.batch import decode_range
from indexer.sink.models import CHAIN_TABLES, IndexerCheckpoint
from indexer.sink.store import MirrorCheckpoint, MirrorStore
from indexer.source.fetch import ChainSource

logger = logging.getLogger(__name__)

#: Blocks re-read and compared per step.
AUDIT_RANGE = 2_000
_TABLES: dict[str, Table] = {model.__tablename__: model.__table__ for model in CHAIN_TABLES}  # type: ignore[attr-defined,misc]


@dataclass(frozen=True)
class Discrepancy:
    """One difference between mirror and chain. `field` is None for a missing or extra row."""

    kind: str  # "missing" | "extra" | "altered"
    table: str
    key: dict[str, Any]
    field: str | None = None
    mirror_value: Any = None
    chain_value: Any = None

    def format(self) -> str:
        """One human-readable line."""
        key = ", ".join(f"{name}={value}" for name, value in self.key.items())
        if self.kind == "altered":
            return (
                f"ALTERED {self.table} [{key}] {self.field}: mirror={self.mirror_value!r} "
                f"chain={self.chain_value!r}"
            )
        return f"{self.kind.upper()} {self.table} [{key}]"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "kind": self.kind,
            "table": self.table,
            "key": self.key,
            "field": self.field,
            "mirror_value": self.mirror_value,
            "chain_value": self.chain_value,
        }


@dataclass
class AuditReport:
    """The outcome of one audit."""

    checkpoint: MirrorCheckpoint | None
    discrepancies: list[Discrepancy] = field(default_factory=list)
    blocks_checked: int = 0
    rows_checked: int = 0

    def summary(self) -> str:
        """One line: what was checked and how many discrepancies were found."""
        if self.checkpoint is None:
            return "mirror has no checkpoint: nothing indexed"
        return (
            f"checked {self.blocks_checked} blocks, {self.rows_checked} rows up to block "
            f"{self.checkpoint.block_number}: {len(self.discrepancies)} discrepancies"
        )


def audit_mirror(
    source: ChainSource,
    store: MirrorStore,
    *,
    range_size: int = AUDIT_RANGE,
    decoder: EventDecoder | None = None,
) -> AuditReport:
    """Compare every mirror row with the chain, up to the mirror's checkpoint."""
    decoder = decoder or EventDecoder.from_artifacts()
    checkpoint = store.load_checkpoint()
    report = AuditReport(checkpoint)
    if checkpoint is None:
        return report
    contracts = {address.lower(): name for name, address in store.contracts().items()}
    tip = checkpoint.block_number
    first_block = checkpoint.start_block
    if tip is not None and tip >= first_block:
        canonical = source.block_hashes([tip])[tip]
        if canonical != checkpoint.block_hash:
            report.discrepancies.append(
                Discrepancy(
                    "altered",
                    str(IndexerCheckpoint.__tablename__),
                    {"id": 1},
                    "block_hash",
                    checkpoint.block_hash,
                    canonical,
                )
            )
        for first in range(first_block, tip + 1, range_size):
            last = min(tip, first + range_size - 1)
            expected = decode_range(
                source.fetch_range(first, last, expected_parent=None), contracts, decoder
            ).rows
            for table_name, table in _TABLES.items():
                _compare_table(
                    report,
                    checkpoint,
                    table_name,
                    table,
                    expected.get(table_name, []),
                    _load(store, table, first, last),
                )
            report.blocks_checked += last - first + 1
            logger.info(
                "audited blocks %d..%d: %d discrepancies so far",
                first,
                last,
                len(report.discrepancies),
            )
    _report_outside(report, store, first_block, tip)
    return report


def _number_column(table: Table):  # type: ignore[no-untyped-def]
    return table.c.number if "number" in table.c else table.c.block_number


def _load(store: MirrorStore, table: Table, first: int, last: int) -> list[dict[str, Any]]:
    column = _number_column(table)
    with store.engine.connect() as connection:
        rows = connection.execute(select(table).where(column >= first, column <= last))
        return [dict(row._mapping) for row in rows]


def _key(table: Table, row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[column.name] for column in table.primary_key.columns)


def _compare_table(
    report: AuditReport,
    checkpoint: MirrorCheckpoint,
    table_name: str,
    table: Table,
    chain_rows: list[dict[str, Any]],
    mirror_rows: list[dict[str, Any]],
) -> None:
    key_names = [column.name for column in table.primary_key.columns]
    number_name = _number_column(table).name
    mirror_by_key = {_key(table, row): row for row in mirror_rows}
    report.rows_checked += len(mirror_rows)
    for chain_row in chain_rows:
        key = _key(table, chain_row)
        key_dict = dict(zip(key_names, key, strict=True))
        mirror_row = mirror_by_key.pop(key, None)
        if mirror_row is None:
            report.discrepancies.append(Discrepancy("missing", table_name, key_dict))
            continue
        expected = dict(chain_row)
        horizon = checkpoint.finalized_number
        expected["final"] = horizon is not None and chain_row[number_name] <= horizon
        for column in table.c:
            name = column.name
            if name in key_names:
                continue
            if mirror_row.get(name) != expected.get(name):
                report.discrepancies.append(
                    Discrepancy(
                        "altered",
                        table_name,
                        key_dict,
                        name,
                        mirror_row.get(name),
                        expected.get(name),
                    )
                )
    for key, _row in sorted(mirror_by_key.items(), key=lambda item: str(item[0])):
        report.discrepancies.append(
            Discrepancy("extra", table_name, dict(zip(key_names, key, strict=True)))
        )


def _report_outside(
    report: AuditReport, store: MirrorStore, first_block: int, tip: int | None
) -> None:
    """Rows numbered below the first indexed block or above the checkpoint are all extra."""
    for table_name, table in _TABLES.items():
        column = _number_column(table)
        condition = column < first_block if tip is None else or_(column < first_block, column > tip)
        with store.engine.connect() as connection:
            for row in connection.execute(select(table).where(condition)):
                mapping = dict(row._mapping)
                report.discrepancies.append(
                    Discrepancy(
                        "extra",
                        table_name,
                        {column.name: mapping[column.name] for column in table.primary_key.columns},
                    )
                )

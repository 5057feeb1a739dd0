"""Initial schema: blocks, raw logs, typed event tables, checkpoint, contracts.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _event_table(
    name: str,
    *columns: sa.Column[object],
    constraints: Sequence[sa.Constraint] = (),
    primary_key: Sequence[str] = ("block_hash", "log_index"),
    indexes: Sequence[tuple[str, list[str]]] = (),
) -> None:
    """Create an event table: the log's position (`indexer.sink.models.EventPosition`), then
    `columns`, keyed by the position, indexed by block number (and by `indexes`)."""
    op.create_table(
        name,
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("transaction_hash", sa.String(length=66), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        *columns,
        sa.PrimaryKeyConstraint(*primary_key),
        *constraints,
    )
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{name}_block_number"), ["block_number"], unique=False)
        for index_name, index_columns in indexes:
            batch_op.create_index(index_name, index_columns, unique=False)


def _drop_event_table(name: str, indexes: Sequence[str] = ()) -> None:
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f(f"ix_{name}_block_number"))
        for index_name in indexes:
            batch_op.drop_index(index_name)
    op.drop_table(name)


def _hash(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.String(length=66), nullable=nullable)


def _address(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.String(length=42), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "chain_blocks",
        sa.Column("number", sa.BigInteger(), autoincrement=False, nullable=False),
        _hash("hash"),
        _hash("parent_hash"),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        _address("miner"),
        _address("sealer", nullable=True),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("number"),
        sa.UniqueConstraint("hash"),
    )
    _event_table(
        "chain_company_prefixes",
        sa.Column("company_prefix", sa.String(length=64), nullable=False),
        _hash("enterprise_id"),
        constraints=[sa.UniqueConstraint("company_prefix")],
    )
    _event_table(
        "chain_enterprise_history",
        _hash("enterprise_id"),
        sa.Column("change", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=True),
        _address("actor", nullable=True),
        _address("signing_key", nullable=True),
        _address("old_key", nullable=True),
        sa.Column("sectors", sa.Integer(), nullable=True),
        _hash("metadata_hash", nullable=True),
        _hash("reason_hash", nullable=True),
        sa.Column("company_prefix", sa.Text(), nullable=True),
        indexes=[("ix_chain_enterprise_history_enterprise", ["enterprise_id"])],
    )
    _event_table(
        "chain_enterprises",
        _hash("enterprise_id"),
        _address("signing_key"),
        sa.Column("sectors", sa.Integer(), nullable=False),
        _hash("metadata_hash"),
        constraints=[sa.UniqueConstraint("enterprise_id")],
    )
    _event_table(
        "chain_head_witnesses",
        sa.Column("head_index", sa.BigInteger(), nullable=False),
        _address("witness"),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        _hash("root_hash"),
        constraints=[
            sa.UniqueConstraint(
                "head_index", "witness", name="uq_chain_head_witnesses_head_witness"
            )
        ],
    )
    _event_table(
        "chain_logs",
        sa.Column("transaction_index", sa.Integer(), nullable=False),
        _address("address"),
        sa.Column("contract", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=True),
        *(_hash(f"topic{number}", nullable=True) for number in range(4)),
        sa.Column("data", sa.Text(), nullable=False),
    )
    _event_table(
        "chain_recall_history",
        _hash("subject"),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("recall_class", sa.Integer(), nullable=True),
        _hash("reason_hash"),
        _hash("enterprise_id", nullable=True),
        _address("issuer"),
        sa.Column("company_prefix", sa.Text(), nullable=True),
        indexes=[("ix_chain_recall_history_subject", ["subject", "sequence"])],
    )
    _event_table(
        "chain_role_approvals",
        sa.Column("proposal_id", sa.BigInteger(), nullable=False),
        _address("admin"),
        sa.Column("approvals", sa.BigInteger(), nullable=False),
        constraints=[
            sa.UniqueConstraint(
                "proposal_id", "admin", name="uq_chain_role_approvals_proposal_admin"
            )
        ],
    )
    _event_table(
        "chain_role_executions",
        sa.Column("proposal_id", sa.BigInteger(), nullable=False),
        _address("account"),
        sa.Column("role", sa.Integer(), nullable=False),
        constraints=[sa.UniqueConstraint("proposal_id")],
    )
    _event_table(
        "chain_role_history",
        sa.Column("entry", sa.Integer(), nullable=False),
        _address("account"),
        sa.Column("role", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        _hash("enterprise_id", nullable=True),
        primary_key=("block_hash", "log_index", "entry"),
        indexes=[("ix_chain_role_history_account", ["account"])],
    )
    _event_table(
        "chain_role_proposals",
        sa.Column("proposal_id", sa.BigInteger(), nullable=False),
        _address("proposer"),
        _address("account"),
        sa.Column("role", sa.Integer(), nullable=False),
        constraints=[sa.UniqueConstraint("proposal_id")],
    )
    _event_table(
        "chain_tree_heads",
        sa.Column("head_index", sa.BigInteger(), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        _hash("root_hash"),
        _address("anchorer"),
        constraints=[sa.UniqueConstraint("head_index"), sa.UniqueConstraint("tree_size")],
    )
    op.create_table(
        "indexer_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("start_block", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        _hash("block_hash", nullable=True),
        sa.Column("finalized_number", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "indexer_contracts",
        sa.Column("name", sa.String(length=64), nullable=False),
        _address("address"),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("indexer_contracts")
    op.drop_table("indexer_checkpoint")
    _drop_event_table("chain_tree_heads")
    _drop_event_table("chain_role_proposals")
    _drop_event_table("chain_role_history", ["ix_chain_role_history_account"])
    _drop_event_table("chain_role_executions")
    _drop_event_table("chain_role_approvals")
    _drop_event_table("chain_recall_history", ["ix_chain_recall_history_subject"])
    _drop_event_table("chain_logs")
    _drop_event_table("chain_head_witnesses")
    _drop_event_table("chain_enterprises")
    _drop_event_table("chain_enterprise_history", ["ix_chain_enterprise_history_enterprise"])
    _drop_event_table("chain_company_prefixes")
    op.drop_table("chain_blocks")

"""Initial schema: blocks, raw logs, typed event tables, checkpoint, contracts.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chain_blocks",
        sa.Column("number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=66), nullable=False),
        sa.Column("parent_hash", sa.String(length=66), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("miner", sa.String(length=42), nullable=False),
        sa.Column("sealer", sa.String(length=42), nullable=True),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("number"),
        sa.UniqueConstraint("hash"),
    )
    op.create_table(
        "chain_company_prefixes",
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("transaction_hash", sa.String(length=66), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("company_prefix", sa.String(length=64), nullable=False),
        sa.Column("enterprise_id", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("block_hash", "log_index"),
        sa.UniqueConstraint("company_prefix"),
    )
    with op.batch_alter_table("chain_company_prefixes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_chain_company_prefixes_block_number"), ["block_number"], unique=False
        )

    op.create_table(
        "chain_enterprise_history",
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("transaction_hash", sa.String(length=66), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("enterprise_id", sa.String(length=66), nullable=False),
        sa.Column("change", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("actor", sa.String(length=42), nullable=True),
        sa.Column("signing_key", sa.String(length=42), nullable=True),
        sa.Column("old_key", sa.String(length=42), nullable=True),
        sa.Column("sectors", sa.Integer(), nullable=True),
        sa.Column("metadata_hash", sa.String(length=66), nullable=True),
        sa.Column("reason_hash", sa.String(length=66), nullable=True),
        sa.Column("company_prefix", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("block_hash", "log_index"),
    )
    with op.batch_alter_table("chain_enterprise_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_chain_enterprise_history_block_number"), ["block_number"], unique=False
        )
        batch_op.create_index(
            "ix_chain_enterprise_history_enterprise", ["enterprise_id"], unique=False
        )

    op.create_table(
        "chain_enterprises",
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("transaction_hash", sa.String(length=66), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("enterprise_id", sa.String(length=66), nullable=False),
        sa.Column("signing_key", sa.String(length=42), nullable=False),
        sa.Column("sectors", sa.Integer(), nullable=False),
        sa.Column("metadata_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("block_hash", "log_index"),
        sa.UniqueConstraint("enterprise_id"),
    )
    with op.batch_alter_table("chain_enterprises", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_chain_enterprises_block_number"), ["block_number"], unique=False
        )

    op.create_table(
        "chain_head_witnesses",
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("transaction_hash", sa.String(length=66), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("head_index", sa.BigInteger(), nullable=False),
        sa.Column("witness", sa.String(length=42), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("block_hash", "log_index"),
        sa.UniqueConstraint("head_index", "witness", name="uq_chain_head_witnesses_head_witness"),
    )
    with op.batch_alter_table("chain_head_witnesses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_chain_head_witnesses_block_number"), ["block_number"], unique=False
        )

    op.create_table(
        "chain_logs",
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("transaction_hash", sa.String(length=66), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("transaction_index", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("contract", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=True),
        sa.Column("topic0", sa.String(length=66), nullable=True),
        sa.Column("topic1", sa.String(length=66), nullable=True),
        sa.Column("topic2", sa.String(length=66), nullable=True),
        sa.Column("topic3", sa.String(length=66), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("block_hash", "log_index"),
    )
    with op.batch_alter_table("chain_logs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_chain_logs_block_number"), ["block_number"], unique=False
        )

    op.create_table(
        "chain_recall_history",
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("transaction_hash", sa.String(length=66), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("subject", sa.String(length=66), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("recall_class", sa.Integer(), nullable=True),
        sa.Column("reason_hash", sa.String(length=66), nullable=False),
        sa.Column("enterprise_id", sa.String(length=66), nullable=True),
        sa.Column("issuer", sa.String(length=42), nullable=False),
        sa.Column("company_prefix", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("block_hash", "log_index"),
    )
    with op.batch_alter_table("chain_recall_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_chain_recall_history_block_number"), ["block_number"], unique=False
        )
        batch_op.create_index(
            "ix_chain_recall_history_subject", ["subject", "sequence"], unique=False
        )

    op.create_table(
        "chain_role_approvals",
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("transaction_hash", sa.String(length=66), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("proposal_id", sa.BigInteger(), nullable=False),
        sa.Column("admin", sa.String(length=42), nullable=False),
        sa.Column("approvals", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("block_hash", "log_index"),
        sa.UniqueConstraint("proposal_id", "admin", name="uq_chain_role_approvals_proposal_admin"),
    )
    with op.batch_alter_table("chain_role_approvals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_chain_role_approvals_block_number"), ["block_number"], unique=False
        )

    op.create_table(
        "chain_role_executions",
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("transaction_hash", sa.String(length=66), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("proposal_id", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.String(length=42), nullable=False),
        sa.Column("role", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("block_hash", "log_index"),
        sa.UniqueConstraint("proposal_id"),
    )
    with op.batch_alter_table("chain_role_executions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_chain_role_executions_block_number"), ["block_number"], unique=False
        )

    op.create_table(
        "chain_role_history",
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("transaction_hash", sa.String(length=66), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("entry", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=42), nullable=False),
        sa.Column("role", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.Column("enterprise_id", sa.String(length=66), nullable=True),
        sa.PrimaryKeyConstraint("block_hash", "log_index", "entry"),
    )
    with op.batch_alter_table("chain_role_history", schema=None) as batch_op:
        batch_op.create_index("ix_chain_role_history_account", ["account"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_chain_role_history_block_number"), ["block_number"], unique=False
        )

    op.create_table(
        "chain_role_proposals",
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("transaction_hash", sa.String(length=66), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("proposal_id", sa.BigInteger(), nullable=False),
        sa.Column("proposer", sa.String(length=42), nullable=False),
        sa.Column("account", sa.String(length=42), nullable=False),
        sa.Column("role", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("block_hash", "log_index"),
        sa.UniqueConstraint("proposal_id"),
    )
    with op.batch_alter_table("chain_role_proposals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_chain_role_proposals_block_number"), ["block_number"], unique=False
        )

    op.create_table(
        "chain_tree_heads",
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("transaction_hash", sa.String(length=66), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("head_index", sa.BigInteger(), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.String(length=66), nullable=False),
        sa.Column("anchorer", sa.String(length=42), nullable=False),
        sa.PrimaryKeyConstraint("block_hash", "log_index"),
        sa.UniqueConstraint("head_index"),
        sa.UniqueConstraint("tree_size"),
    )
    with op.batch_alter_table("chain_tree_heads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_chain_tree_heads_block_number"), ["block_number"], unique=False
        )

    op.create_table(
        "indexer_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("start_block", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("block_hash", sa.String(length=66), nullable=True),
        sa.Column("finalized_number", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "indexer_contracts",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("indexer_contracts")
    op.drop_table("indexer_checkpoint")
    with op.batch_alter_table("chain_tree_heads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chain_tree_heads_block_number"))

    op.drop_table("chain_tree_heads")
    with op.batch_alter_table("chain_role_proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chain_role_proposals_block_number"))

    op.drop_table("chain_role_proposals")
    with op.batch_alter_table("chain_role_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chain_role_history_block_number"))
        batch_op.drop_index("ix_chain_role_history_account")

    op.drop_table("chain_role_history")
    with op.batch_alter_table("chain_role_executions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chain_role_executions_block_number"))

    op.drop_table("chain_role_executions")
    with op.batch_alter_table("chain_role_approvals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chain_role_approvals_block_number"))

    op.drop_table("chain_role_approvals")
    with op.batch_alter_table("chain_recall_history", schema=None) as batch_op:
        batch_op.drop_index("ix_chain_recall_history_subject")
        batch_op.drop_index(batch_op.f("ix_chain_recall_history_block_number"))

    op.drop_table("chain_recall_history")
    with op.batch_alter_table("chain_logs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chain_logs_block_number"))

    op.drop_table("chain_logs")
    with op.batch_alter_table("chain_head_witnesses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chain_head_witnesses_block_number"))

    op.drop_table("chain_head_witnesses")
    with op.batch_alter_table("chain_enterprises", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chain_enterprises_block_number"))

    op.drop_table("chain_enterprises")
    with op.batch_alter_table("chain_enterprise_history", schema=None) as batch_op:
        batch_op.drop_index("ix_chain_enterprise_history_enterprise")
        batch_op.drop_index(batch_op.f("ix_chain_enterprise_history_block_number"))

    op.drop_table("chain_enterprise_history")
    with op.batch_alter_table("chain_company_prefixes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chain_company_prefixes_block_number"))

    op.drop_table("chain_company_prefixes")
    op.drop_table("chain_blocks")

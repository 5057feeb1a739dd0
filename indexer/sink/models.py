"""The mirror's SQL tables (SQLModel). `indexer` is their only writer; readers may import.

Conventions: hashes are lowercase 0x-hex (66 chars), addresses EIP-55 (42 chars), chain
integers BIGINT. Every event table is keyed by (block_hash, log_index) so a log is stored
at most once, plus the natural unique keys the contracts guarantee (one head per index
and tree size, one approval per admin and proposal, ...). `final` is true once the row's
block is `confirmations` deep below the head the indexer last saw.

Schema changes need an Alembic migration in indexer/migrations/versions.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

HASH = 66
ADDRESS = 42
NAME = 64


class EventPosition(SQLModel):
    """Columns shared by every event table: where on the chain the log was."""

    block_hash: str = Field(primary_key=True, max_length=HASH)
    log_index: int = Field(primary_key=True, sa_type=Integer)
    block_number: int = Field(sa_type=BigInteger, index=True)
    transaction_hash: str = Field(max_length=HASH)
    final: bool = Field(default=False)


class ChainBlock(SQLModel, table=True):
    """One block of the canonical chain as the node reported it."""

    __tablename__ = "chain_blocks"

    number: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hash: str = Field(max_length=HASH, unique=True)
    parent_hash: str = Field(max_length=HASH)
    timestamp: int = Field(sa_type=BigInteger)
    miner: str = Field(max_length=ADDRESS)
    #: Clique (EIP-225) signer recovered from extraData; None where blocks are not Clique-sealed.
    sealer: str | None = Field(default=None, max_length=ADDRESS)
    final: bool = Field(default=False)


class ChainLog(EventPosition, table=True):
    """Every log of the mirrored contracts, raw, whether or not its event is decoded."""

    __tablename__ = "chain_logs"

    transaction_index: int = Field(sa_type=Integer)
    address: str = Field(max_length=ADDRESS)
    contract: str = Field(max_length=NAME)
    #: Event name from the ABI; None for an event the ABI does not know.
    event: str | None = Field(default=None, max_length=NAME)
    topic0: str | None = Field(default=None, max_length=HASH)
    topic1: str | None = Field(default=None, max_length=HASH)
    topic2: str | None = Field(default=None, max_length=HASH)
    topic3: str | None = Field(default=None, max_length=HASH)
    data: str = Field(sa_type=Text)


class ChainTreeHead(EventPosition, table=True):
    """TraceAnchor.TreeHeadAnchored: an anchored Merkle tree head."""

    __tablename__ = "chain_tree_heads"

    head_index: int = Field(sa_type=BigInteger, unique=True)
    tree_size: int = Field(sa_type=BigInteger, unique=True)
    root_hash: str = Field(max_length=HASH)
    anchorer: str = Field(max_length=ADDRESS)


class ChainHeadWitness(EventPosition, table=True):
    """TraceAnchor.TreeHeadWitnessed: a witness co-signed an anchored head."""

    __tablename__ = "chain_head_witnesses"
    __table_args__ = (
        UniqueConstraint("head_index", "witness", name="uq_chain_head_witnesses_head_witness"),
    )

    head_index: int = Field(sa_type=BigInteger)
    witness: str = Field(max_length=ADDRESS)
    tree_size: int = Field(sa_type=BigInteger)
    root_hash: str = Field(max_length=HASH)


class ChainRoleHistory(EventPosition, table=True):
    """Every change of an account's role: granted, revoked, or rotated out (an enterprise
    key replaced by a newer one). `entry` tells apart the two rows of one key rotation."""

    __tablename__ = "chain_role_history"
    __table_args__ = (Index("ix_chain_role_history_account", "account"),)

    entry: int = Field(default=0, primary_key=True, sa_type=Integer)
    account: str = Field(max_length=ADDRESS)
    role: int = Field(sa_type=Integer)
    change: str = Field(max_length=16)
    enterprise_id: str | None = Field(default=None, max_length=HASH)


class ChainRoleProposal(EventPosition, table=True):
    """MemberRegistry.RoleChangeProposed (role 0: revoke the account)."""

    __tablename__ = "chain_role_proposals"

    proposal_id: int = Field(sa_type=BigInteger, unique=True)
    proposer: str = Field(max_length=ADDRESS)
    account: str = Field(max_length=ADDRESS)
    role: int = Field(sa_type=Integer)


class ChainRoleApproval(EventPosition, table=True):
    """MemberRegistry.RoleChangeApproved: one admin's approval and the count so far."""

    __tablename__ = "chain_role_approvals"
    __table_args__ = (
        UniqueConstraint("proposal_id", "admin", name="uq_chain_role_approvals_proposal_admin"),
    )

    proposal_id: int = Field(sa_type=BigInteger)
    admin: str = Field(max_length=ADDRESS)
    approvals: int = Field(sa_type=BigInteger)


class ChainRoleExecution(EventPosition, table=True):
    """MemberRegistry.RoleChangeExecuted: a proposal reached its threshold."""

    __tablename__ = "chain_role_executions"

    proposal_id: int = Field(sa_type=BigInteger, unique=True)
    account: str = Field(max_length=ADDRESS)
    role: int = Field(sa_type=Integer)


class ChainEnterprise(EventPosition, table=True):
    """MemberRegistry.EnterpriseRegistered: an enterprise as first registered."""

    __tablename__ = "chain_enterprises"

    enterprise_id: str = Field(max_length=HASH, unique=True)
    signing_key: str = Field(max_length=ADDRESS)
    sectors: int = Field(sa_type=Integer)
    metadata_hash: str = Field(max_length=HASH)


class ChainEnterpriseHistory(EventPosition, table=True):
    """Every enterprise event in order: registered, suspended, reinstated, revoked (with
    the resulting `status`), and metadata updates, key rotations and prefix assignments
    (status None: unchanged)."""

    __tablename__ = "chain_enterprise_history"
    __table_args__ = (Index("ix_chain_enterprise_history_enterprise", "enterprise_id"),)

    enterprise_id: str = Field(max_length=HASH)
    change: str = Field(max_length=24)
    status: str | None = Field(default=None, max_length=16)
    actor: str | None = Field(default=None, max_length=ADDRESS)
    signing_key: str | None = Field(default=None, max_length=ADDRESS)
    old_key: str | None = Field(default=None, max_length=ADDRESS)
    sectors: int | None = Field(default=None, sa_type=Integer)
    metadata_hash: str | None = Field(default=None, max_length=HASH)
    reason_hash: str | None = Field(default=None, max_length=HASH)
    company_prefix: str | None = Field(default=None, sa_type=Text)


class ChainCompanyPrefix(EventPosition, table=True):
    """MemberRegistry.CompanyPrefixAssigned: a GS1 company prefix and its holder."""

    __tablename__ = "chain_company_prefixes"

    company_prefix: str = Field(max_length=64, unique=True)
    enterprise_id: str = Field(max_length=HASH)


class ChainRecallHistory(EventPosition, table=True):
    """Every RecallRegistry event: opened, updated, closed, with the resulting status."""

    __tablename__ = "chain_recall_history"
    __table_args__ = (Index("ix_chain_recall_history_subject", "subject", "sequence"),)

    subject: str = Field(max_length=HASH)
    sequence: int = Field(sa_type=BigInteger)
    change: str = Field(max_length=16)
    status: str = Field(max_length=16)
    recall_class: int | None = Field(default=None, sa_type=Integer)
    reason_hash: str = Field(max_length=HASH)
    enterprise_id: str | None = Field(default=None, max_length=HASH)
    issuer: str = Field(max_length=ADDRESS)
    company_prefix: str | None = Field(default=None, sa_type=Text)


class IndexerCheckpoint(SQLModel, table=True):
    """The last block whose rows are all stored (one row, id 1). Written in the same
    transaction as those rows. `block_number` None: nothing indexed yet."""

    __tablename__ = "indexer_checkpoint"

    id: int = Field(default=1, primary_key=True)
    chain_id: int = Field(sa_type=BigInteger)
    start_block: int = Field(sa_type=BigInteger)
    block_number: int | None = Field(default=None, sa_type=BigInteger)
    block_hash: str | None = Field(default=None, max_length=HASH)
    #: Highest block marked final (None: none yet).
    finalized_number: int | None = Field(default=None, sa_type=BigInteger)


class IndexerContract(SQLModel, table=True):
    """A contract the mirror follows; fixed when the mirror is created."""

    __tablename__ = "indexer_contracts"

    name: str = Field(primary_key=True, max_length=NAME)
    address: str = Field(max_length=ADDRESS)


#: Tables holding chain data, in the order they are written; all have `block_number`
#: (`number` for blocks) and `final`.
CHAIN_TABLES: tuple[type[SQLModel], ...] = (
    ChainBlock,
    ChainLog,
    ChainTreeHead,
    ChainHeadWitness,
    ChainRoleHistory,
    ChainRoleProposal,
    ChainRoleApproval,
    ChainRoleExecution,
    ChainEnterprise,
    ChainEnterpriseHistory,
    ChainCompanyPrefix,
    ChainRecallHistory,
)
ALL_TABLES: tuple[type[SQLModel], ...] = (*CHAIN_TABLES, IndexerCheckpoint, IndexerContract)

"""Mapping decoded events to typed-table rows: what the chain said, nothing more.

Every row carries the log's position (block number and hash, log index, transaction
hash); the sink adds the `final` flag. A table's rows are keyed by (block_hash,
log_index), plus `entry` where one log yields two rows of the same table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from contracts.abi import MemberRole
from indexer.decode.abi import DecodedEvent
from indexer.errors import MalformedNodeDataError
from indexer.source.types import RawLog

#: Largest value a signed 64-bit SQL BIGINT holds; bigger chain integers are refused.
MAX_SQL_INTEGER = 2**63 - 1

# Table names (the sink's SQLModel tables use the same names).
TREE_HEADS = "chain_tree_heads"
HEAD_WITNESSES = "chain_head_witnesses"
ROLE_HISTORY = "chain_role_history"
ROLE_PROPOSALS = "chain_role_proposals"
ROLE_APPROVALS = "chain_role_approvals"
ROLE_EXECUTIONS = "chain_role_executions"
ENTERPRISES = "chain_enterprises"
ENTERPRISE_HISTORY = "chain_enterprise_history"
COMPANY_PREFIXES = "chain_company_prefixes"
RECALL_HISTORY = "chain_recall_history"



@dataclass(frozen=True, slots=True)
class TypedRow:
    """One row for table `table`; `values` excludes the `final` flag."""

    table: str
    values: dict[str, Any]


Rows = list[tuple[str, dict[str, Any]]]


def _tree_head_anchored(a: dict[str, Any]) -> Rows:
    return [
        (
            TREE_HEADS,
            {
                "head_index": a["headIndex"],
                "tree_size": a["treeSize"],
                "root_hash": a["rootHash"],
                "anchorer": a["anchorer"],
            },
        )
    ]


def _tree_head_witnessed(a: dict[str, Any]) -> Rows:
    return [
        (
            HEAD_WITNESSES,
            {
                "head_index": a["headIndex"],
                "witness": a["witness"],
                "tree_size": a["treeSize"],
                "root_hash": a["rootHash"],
            },
        )
    ]


def _role(
    account: str, role: int, change: str, enterprise_id: str | None = None, entry: int = 0
) -> tuple[str, dict[str, Any]]:
    return (
        ROLE_HISTORY,
        {
            "entry": entry,
            "account": account,
            "role": int(role),
            "change": change,
            "enterprise_id": enterprise_id,
        },
    )


def _enterprise(enterprise_id: str, change: str, **fields: Any) -> tuple[str, dict[str, Any]]:
    values = {
        "enterprise_id": enterprise_id,
        "change": change,
        "status": None,
        "actor": None,
        "signing_key": None,
        "old_key": None,
        "sectors": None,
        "metadata_hash": None,
        "reason_hash": None,
        "company_prefix": None,
    }
    values.update(fields)
    return (ENTERPRISE_HISTORY, values)


def _enterprise_registered(a: dict[str, Any]) -> Rows:
    eid = a["enterpriseId"]
    return [
        (
            ENTERPRISES,
            {
                "enterprise_id": eid,
                "signing_key": a["signingKey"],
                "sectors": a["sectors"],
                "metadata_hash": a["metadataHash"],
            },
        ),
        _enterprise(
            eid,
            "registered",
            status="active",
            signing_key=a["signingKey"],
            sectors=a["sectors"],
            metadata_hash=a["metadataHash"],
        ),
        _role(a["signingKey"], MemberRole.ENTERPRISE, "granted", eid),
    ]


def _signing_key_rotated(a: dict[str, Any]) -> Rows:
    eid = a["enterpriseId"]
    return [
        _enterprise(eid, "key_rotated", signing_key=a["newKey"], old_key=a["oldKey"]),
        _role(a["oldKey"], MemberRole.ENTERPRISE, "rotated_out", eid, entry=0),
        _role(a["newKey"], MemberRole.ENTERPRISE, "granted", eid, entry=1),
    ]


def _recall(a: dict[str, Any], change: str, status: str) -> Rows:
    return [
        (
            RECALL_HISTORY,
            {
                "subject": a["subject"],
                "sequence": a["sequence"],
                "change": change,
                "status": status,
                "recall_class": a.get("recallClass"),
                "reason_hash": a["reasonHash"],
                "enterprise_id": a.get("enterpriseId"),
                "issuer": a["issuer"],
                "company_prefix": a.get("companyPrefix"),
            },
        )
    ]


#: (contract, event) -> rows. Events missing here are still kept in the raw log table.
ROW_MAPPERS: dict[tuple[str, str], Callable[[dict[str, Any]], Rows]] = {
    ("TraceAnchor", "TreeHeadAnchored"): _tree_head_anchored,
    ("TraceAnchor", "TreeHeadWitnessed"): _tree_head_witnessed,
    ("MemberRegistry", "RoleGranted"): lambda a: [_role(a["account"], a["role"], "granted")],
    ("MemberRegistry", "RoleRevoked"): lambda a: [_role(a["account"], a["role"], "revoked")],
    ("MemberRegistry", "RoleChangeProposed"): lambda a: [
        (
            ROLE_PROPOSALS,
            {
                "proposal_id": a["proposalId"],
                "proposer": a["proposer"],
                "account": a["account"],
                "role": a["role"],
            },
        )
    ],
    ("MemberRegistry", "RoleChangeApproved"): lambda a: [
        (
            ROLE_APPROVALS,
            {"proposal_id": a["proposalId"], "admin": a["admin"], "approvals": a["approvals"]},
        )
    ],
    ("MemberRegistry", "RoleChangeExecuted"): lambda a: [
        (
            ROLE_EXECUTIONS,
            {"proposal_id": a["proposalId"], "account": a["account"], "role": a["role"]},
        )
    ],
    ("MemberRegistry", "EnterpriseRegistered"): _enterprise_registered,
    ("MemberRegistry", "CompanyPrefixAssigned"): lambda a: [
        _enterprise(a["enterpriseId"], "prefix_assigned", company_prefix=a["prefix"]),
        (COMPANY_PREFIXES, {"company_prefix": a["prefix"], "enterprise_id": a["enterpriseId"]}),
    ],
    ("MemberRegistry", "EnterpriseMetadataUpdated"): lambda a: [
        _enterprise(a["enterpriseId"], "metadata_updated", metadata_hash=a["metadataHash"])
    ],
    ("MemberRegistry", "EnterpriseSuspended"): lambda a: [
        _enterprise(
            a["enterpriseId"],
            "suspended",
            status="suspended",
            actor=a["regulator"],
            reason_hash=a["reasonHash"],
        )
    ],
    ("MemberRegistry", "EnterpriseReinstated"): lambda a: [
        _enterprise(a["enterpriseId"], "reinstated", status="active", actor=a["regulator"])
    ],
    ("MemberRegistry", "EnterpriseRevoked"): lambda a: [
        _enterprise(a["enterpriseId"], "revoked", status="revoked")
    ],
    ("MemberRegistry", "SigningKeyRotated"): _signing_key_rotated,
    ("RecallRegistry", "RecallOpened"): lambda a: _recall(a, "opened", "open"),
    ("RecallRegistry", "RecallUpdated"): lambda a: _recall(a, "updated", "updated"),
    ("RecallRegistry", "RecallClosed"): lambda a: _recall(a, "closed", "closed"),
}


def position_of(log: RawLog) -> dict[str, Any]:
    """The columns every row of `log` carries."""
    return {
        "block_number": log.block_number,
        "block_hash": log.block_hash,
        "log_index": log.log_index,
        "transaction_hash": log.transaction_hash,
    }


def rows_for_event(event: DecodedEvent) -> list[TypedRow]:
    """The typed rows `event` yields (none for an event without a mapping).

    Raises `MalformedNodeDataError` if an integer does not fit a SQL BIGINT.
    """
    mapper = ROW_MAPPERS.get((event.contract, event.name))
    if mapper is None:
        return []
    rows = []
    for table, values in mapper(dict(event.args)):
        for name, value in values.items():
            if isinstance(value, int) and not isinstance(value, bool) and value > MAX_SQL_INTEGER:
                raise MalformedNodeDataError(
                    f"block {event.log.block_number} ({event.log.block_hash}) log "
                    f"{event.log.log_index}: {event.name}.{name}={value} exceeds a SQL BIGINT"
                )
        rows.append(TypedRow(table, {**position_of(event.log), **values}))
    return rows


def raw_log_row(log: RawLog, contract: str, event_name: str | None) -> dict[str, Any]:
    """The raw-log table row of `log` (topics spread over topic0..topic3)."""
    topics = list(log.topics) + [None] * (4 - len(log.topics))
    return {
        **position_of(log),
        "transaction_index": log.transaction_index,
        "address": log.address,
        "contract": contract,
        "event": event_name,
        "topic0": topics[0],
        "topic1": topics[1],
        "topic2": topics[2],
        "topic3": topics[3],
        "data": log.data,
    }

"""Recalls: open, update and close them on chain (`RecallRegistry`); list them from the mirror.

The chain holds each recall's subject (SHA-256 of the canonical Digital Link URI,
contracts/README.md), class, status and the hash of its reason; the reason text and the
URI stay off-chain, in `api_recall_reasons` (keyed by reason hash) and
`api_recall_subjects` (keyed by subject), written here before the transaction so the
mirror's rows can always be joined back to words.

Who may: a regulator (or admin, through the regulator operator key) recalls anything;
an enterprise recalls only identifiers carrying one of its GS1 company prefixes, with its
own key: custodial keys are used by the API, self-custody enterprises send the signed
`openRecall` / `updateRecall` / `closeRecall` transaction, which is checked and relayed.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from sqlalchemy import BigInteger, Column, Text
from sqlmodel import Field, Session, SQLModel, col, select

from gs1 import DEFAULT_STEM
from gs1.errors import IdentifierError
from gs1.keys import (
    ASSET,
    ITEM,
    LOGISTIC_UNIT,
    LOT,
    PRODUCT,
    RETURNABLE_ASSET,
    parse_identifier,
    recall_subject,
    recall_uri,
)
from indexer.sink.models import ChainBlock, ChainRecallHistory
from trace_api.auth.principal import Principal, Role
from trace_api.chain_gateway import gateway
from trace_api.context import ApiContext
from trace_api.enterprises import service as enterprises
from trace_api.errors import InvalidInput, NotAllowed, NotFound

RECALL_CLASSES = {"1": 1, "2": 2, "3": 3, "I": 1, "II": 2, "III": 3}
RECALLABLE_KINDS = frozenset({ITEM, LOT, PRODUCT, ASSET, LOGISTIC_UNIT, RETURNABLE_ASSET})
MAX_REASON_CHARS = 4000
OPEN_STATUSES = ("open", "updated")


class RecallReason(SQLModel, table=True):
    """The words behind a reason hash on chain (opening, update or closing notice)."""

    __tablename__ = "api_recall_reasons"

    reason_hash: str = Field(primary_key=True, max_length=66)  # 0x + SHA-256 of the UTF-8 text
    reason: str = Field(sa_column=Column(Text, nullable=False))
    created_at_ms: int = Field(sa_column=Column(BigInteger, nullable=False))


class RecallSubject(SQLModel, table=True):
    """The canonical Digital Link URI behind a subject hash, and where a trace starts."""

    __tablename__ = "api_recall_subjects"

    subject: str = Field(primary_key=True, max_length=66)
    uri: str = Field(sa_column=Column(Text, nullable=False))
    node_key: str = Field(sa_column=Column(Text, nullable=False))
    kind: str


@dataclass(frozen=True)
class RecallTarget:
    """What a recall names: canonical URI, its subject hash, the graph node, and its kind."""

    uri: str
    subject: str
    node_key: str
    kind: str


def sha256_hex(value: str) -> str:
    return "0x" + hashlib.sha256(value.encode("utf-8")).hexdigest()


def recall_target(identifier: str) -> RecallTarget:
    """The recall subject of a Digital Link URI or EPC (class) URI.

    The canonical URI is the Digital Link on id.gs1.org with the primary key and its
    qualifiers as given (a serial keeps its lot if the URI had one), without data
    attributes or resolver parameters. Raises `IdentifierError` for anything else.
    """
    parsed = parse_identifier(identifier)
    if parsed.kind not in RECALLABLE_KINDS:
        raise IdentifierError(identifier, "a recall names a GTIN, GTIN + lot, serialised item, SSCC, GRAI or GIAI")
    uri = recall_uri(parsed)
    return RecallTarget(uri=uri, subject=recall_subject(uri), node_key=parsed.key, kind=parsed.kind)


def parse_recall_class(value: object) -> int:
    """1, 2, 3 or "I", "II", "III" -> 1..3; raises InvalidInput otherwise."""
    recall_class = RECALL_CLASSES.get(str(value).strip().upper())
    if recall_class is None:
        raise InvalidInput("bad-recall", "Invalid recall class", "class must be I, II or III (or 1, 2, 3)")
    return recall_class


def _check_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON_CHARS:
        raise InvalidInput("bad-recall", "Invalid recall reason",
                      f"reason must be 1-{MAX_REASON_CHARS} characters of text")
    return reason


def company_prefix_for(key: str, prefixes: list[str]) -> str | None:
    """The longest of `prefixes` that the GS1 key in `key` carries, else None.

    GTIN-14 and SSCC start with an indicator / extension digit, then the company prefix
    (a GTIN-13's leading zero is that digit); GRAI starts with a 0 filler; GIAI starts with
    the prefix itself (GS1 General Specifications §3.3).
    """
    path = key[len(DEFAULT_STEM) + 1:].split("/")
    ai, value = path[0], path[1] if len(path) > 1 else ""
    body = value[1:] if ai in ("01", "00", "8003") else value
    matches = [p for p in prefixes if body.startswith(p)]
    return max(matches, key=len) if matches else None


def _store_words(ctx: ApiContext, target: RecallTarget | None, reason: str) -> str:
    reason_hash = sha256_hex(reason)
    with Session(ctx.engine) as session:
        if session.get(RecallReason, reason_hash) is None:
            session.add(RecallReason(reason_hash=reason_hash, reason=reason, created_at_ms=int(time.time() * 1000)))
        if target is not None and session.get(RecallSubject, target.subject) is None:
            session.add(RecallSubject(subject=target.subject, uri=target.uri, node_key=target.node_key,
                                      kind=target.kind))
        session.commit()
    return reason_hash


def _send_as_enterprise(ctx: ApiContext, principal: Principal, function: str, args: tuple[Any, ...],
                        signed_transaction: str | None) -> dict[str, Any]:
    """Send a RecallRegistry call with the enterprise's own key (custodial) or relay the
    enterprise's signed transaction after checking it makes exactly this call."""
    assert principal.enterprise_id is not None
    identity = enterprises.capture_identity(ctx, principal.enterprise_id)
    chain = gateway(ctx)
    if identity.custody == enterprises.CUSTODY_CUSTODIAL:
        if signed_transaction:
            raise InvalidInput("bad-recall", "Unexpected signed transaction",
                          "a custodial enterprise's recall is signed by the API")
        ring = ctx.shared(enterprises.keyring)
        account = ring.cached(principal.enterprise_id, identity.signing_address)
        if account is None:
            row = enterprises.require_enterprise(ctx, principal.enterprise_id)
            assert row.encrypted_key is not None
            account = ring.account(principal.enterprise_id, identity.signing_address, row.encrypted_key)
        return chain.transact_as(account, "RecallRegistry", function, *args)
    if not signed_transaction:
        raise InvalidInput("signature-required", "Signed transaction required",
                      f"a self-custody enterprise signs RecallRegistry.{function} itself: send it as "
                      "signedTransaction (0x hex)", extensions={
                          "contract": ctx.deployment.recall_registry, "function": function,
                          "arguments": ["0x" + a.hex() if isinstance(a, bytes) else a for a in args]})
    raw = _hex_bytes(signed_transaction)
    _check_relayed_call(ctx, raw, identity.signing_address, function, args)
    return chain.send_raw(raw)


def _hex_bytes(value: str) -> bytes:
    try:
        return bytes.fromhex(value.removeprefix("0x"))
    except ValueError as exc:
        raise InvalidInput("bad-recall", "Invalid signed transaction", "signedTransaction is not hex") from exc


def _check_relayed_call(ctx: ApiContext, raw: bytes, signer: str, function: str, args: tuple[Any, ...]) -> None:
    try:
        sender = Account.recover_transaction(raw)
        decoded = _decode_transaction(raw)
    except Exception as exc:
        raise InvalidInput("bad-recall", "Invalid signed transaction", "cannot decode signedTransaction") from exc
    contract = gateway(ctx).contract("RecallRegistry")
    to = decoded.get("to")
    if sender != signer or not to or to.lower() != ctx.deployment.recall_registry.lower():
        raise NotAllowed("bad-recall", "Transaction not from this enterprise to RecallRegistry",
                      "signedTransaction must be signed by the enterprise's current key and sent to RecallRegistry")
    called, params = contract.decode_function_input(decoded["data"])
    values = tuple(params.values())
    if called.fn_name != function or values != args:
        raise InvalidInput("bad-recall", "Transaction makes another call",
                      f"signedTransaction must call {function} with the arguments of this request")


def _decode_transaction(raw: bytes) -> dict[str, Any]:
    """`to` and `data` of a signed transaction: typed (EIP-2718, first byte <= 0x7f) or legacy."""
    from eth_account._utils.legacy_transactions import Transaction
    from eth_account.typed_transactions import TypedTransaction  # type: ignore[attr-defined]
    from hexbytes import HexBytes

    if raw and raw[0] <= 0x7F:
        fields = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
        return {"to": "0x" + bytes(fields["to"]).hex() if fields.get("to") else None, "data": bytes(fields["data"])}
    legacy = Transaction.from_bytes(raw)
    return {"to": "0x" + bytes(legacy.to).hex() if legacy.to else None, "data": bytes(legacy.data)}


def _send(ctx: ApiContext, principal: Principal, function: str, args: tuple[Any, ...],
          signed_transaction: str | None) -> dict[str, Any]:
    if principal.role in (Role.REGULATOR, Role.ADMIN):
        return gateway(ctx).transact("regulator", "RecallRegistry", function, *args)
    return _send_as_enterprise(ctx, principal, function, args, signed_transaction)


@dataclass(frozen=True)
class RecallReceipt:
    subject: str
    uri: str | None
    recall_class: int | None
    reason: str
    reason_hash: str
    transaction_hash: str
    block_number: int


def _receipt(target_subject: str, uri: str | None, recall_class: int | None, reason: str, reason_hash: str,
             receipt: dict[str, Any]) -> RecallReceipt:
    tx_hash = receipt["transactionHash"]
    return RecallReceipt(subject=target_subject, uri=uri, recall_class=recall_class, reason=reason,
                         reason_hash=reason_hash,
                         transaction_hash=tx_hash if isinstance(tx_hash, str) else "0x" + bytes(tx_hash).hex(),
                         block_number=int(receipt["blockNumber"]))


def open_recall(ctx: ApiContext, principal: Principal, identifier: str, recall_class: object, reason: str,
                *, signed_transaction: str | None = None) -> RecallReceipt:
    """Open a recall of `identifier` on chain and keep its words; returns once mined.

    Raises `IdentifierError` (bad identifier), InvalidInput (class, reason), NotAllowed (an
    enterprise recalling a prefix it does not hold), 409 (already open; from the chain).
    """
    target = recall_target(identifier)
    klass = parse_recall_class(recall_class)
    words = _check_reason(reason)
    prefix = ""
    if principal.role == Role.ENTERPRISE:
        assert principal.enterprise_id is not None
        held = company_prefix_for(target.uri, enterprises.require_enterprise(ctx, principal.enterprise_id).prefixes)
        if held is None:
            raise NotAllowed("not-your-prefix", "Not your company prefix",
                          f"{target.uri} does not carry a GS1 company prefix of enterprise {principal.enterprise_id}")
        prefix = held
    reason_hash = _store_words(ctx, target, words)
    args = (bytes.fromhex(target.subject[2:]), klass, bytes.fromhex(reason_hash[2:]), prefix)
    receipt = _send(ctx, principal, "openRecall", args, signed_transaction)
    return _receipt(target.subject, target.uri, klass, words, reason_hash, receipt)


def update_recall(ctx: ApiContext, principal: Principal, subject: str, recall_class: object, reason: str,
                  *, signed_transaction: str | None = None) -> RecallReceipt:
    """Change an open recall's class and reason (the chain decides who may)."""
    subject_bytes = _subject_bytes(subject)
    klass = parse_recall_class(recall_class)
    words = _check_reason(reason)
    reason_hash = _store_words(ctx, None, words)
    receipt = _send(ctx, principal, "updateRecall", (subject_bytes, klass, bytes.fromhex(reason_hash[2:])),
                    signed_transaction)
    return _receipt(subject.lower(), None, klass, words, reason_hash, receipt)


def close_recall(ctx: ApiContext, principal: Principal, subject: str, reason: str,
                 *, signed_transaction: str | None = None) -> RecallReceipt:
    """Close an open recall with a closing notice (the chain decides who may)."""
    subject_bytes = _subject_bytes(subject)
    words = _check_reason(reason)
    reason_hash = _store_words(ctx, None, words)
    receipt = _send(ctx, principal, "closeRecall", (subject_bytes, bytes.fromhex(reason_hash[2:])),
                    signed_transaction)
    return _receipt(subject.lower(), None, None, words, reason_hash, receipt)


def _subject_bytes(subject: str) -> bytes:
    text_value = subject.lower()
    if len(text_value) == 66 and text_value.startswith("0x"):
        with contextlib.suppress(ValueError):
            return bytes.fromhex(text_value[2:])
    raise InvalidInput("bad-recall", "Invalid recall id", "a recall id is its subject: 0x + 64 hex digits")


# --- reading, from the indexer mirror ----------------------------------------------------


@dataclass(frozen=True)
class RecallChange:
    change: str  # opened | updated | closed
    status: str
    recall_class: int | None
    reason_hash: str
    reason: str | None
    issuer: str
    enterprise_id: str | None
    company_prefix: str | None
    block_number: int
    block_time_ms: int | None
    transaction_hash: str


@dataclass(frozen=True)
class RecallView:
    """A recall as the mirror has it: latest state plus its history, with words joined in."""

    subject: str
    uri: str | None
    node_key: str | None
    status: str
    recall_class: int | None
    sequence: int
    reason: str | None
    opened_by_enterprise: str | None
    history: list[RecallChange]


def list_recalls(ctx: ApiContext, *, subject: str | None = None, status: str | None = None) -> list[RecallView]:
    """Recalls from the mirror (latest opening of each subject), newest first."""
    with Session(ctx.mirror_engine) as session:
        query = select(ChainRecallHistory)
        if subject is not None:
            query = query.where(col(ChainRecallHistory.subject) == subject.lower())
        rows = list(session.exec(query.order_by(col(ChainRecallHistory.block_number),
                                                col(ChainRecallHistory.log_index))).all())
        block_numbers = {row.block_number for row in rows}
        times = {block.number: block.timestamp for block in session.exec(
            select(ChainBlock).where(col(ChainBlock.number).in_(block_numbers)))} if block_numbers else {}
    by_subject: dict[str, list[ChainRecallHistory]] = {}
    for row in rows:
        by_subject.setdefault(row.subject, []).append(row)
    reason_hashes = {row.reason_hash for row in rows}
    with Session(ctx.engine) as session:
        words = {r.reason_hash: r.reason for r in session.exec(
            select(RecallReason).where(col(RecallReason.reason_hash).in_(reason_hashes)))} if reason_hashes else {}
        subjects = {s.subject: s for s in session.exec(
            select(RecallSubject).where(col(RecallSubject.subject).in_(list(by_subject))))} if by_subject else {}
    views: list[RecallView] = []
    for key, history in by_subject.items():
        latest = history[-1]
        current = [row for row in history if row.sequence == latest.sequence]
        opened = next((row for row in current if row.change == "opened"), current[0])
        klass = next((row.recall_class for row in reversed(current) if row.recall_class is not None), None)
        stored = subjects.get(key)
        view = RecallView(
            subject=key, uri=stored.uri if stored else None, node_key=stored.node_key if stored else None,
            status=latest.status, recall_class=klass, sequence=latest.sequence,
            reason=words.get(next((row.reason_hash for row in reversed(current) if row.change != "closed"),
                                  opened.reason_hash)),
            opened_by_enterprise=opened.enterprise_id,
            history=[RecallChange(
                change=row.change, status=row.status, recall_class=row.recall_class, reason_hash=row.reason_hash,
                reason=words.get(row.reason_hash), issuer=row.issuer, enterprise_id=row.enterprise_id,
                company_prefix=row.company_prefix, block_number=row.block_number,
                block_time_ms=times[row.block_number] * 1000 if row.block_number in times else None,
                transaction_hash=row.transaction_hash) for row in history],
        )
        if status is None or view.status == status or (status == "open" and view.status in OPEN_STATUSES):
            views.append(view)
    return sorted(views, key=lambda v: (-v.history[-1].block_number, v.subject))


def get_recall(ctx: ApiContext, subject: str) -> RecallView:
    """One recall by subject; NotFound if the mirror has none (yet)."""
    _subject_bytes(subject)
    found = list_recalls(ctx, subject=subject)
    if not found:
        raise NotFound("unknown-recall", "Unknown recall", f"no recall of subject {subject.lower()} on chain "
                      "(or the indexer has not mirrored it yet)")
    return found[0]


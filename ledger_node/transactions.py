"""Signed transactions as the node handles them: decoded once, sender recovered once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coincurve import PublicKey
from eth.abc import SignedTransactionAPI, TransactionBuilderAPI
from eth.vm.forks.cancun.constants import BLOB_TX_TYPE
from eth.vm.forks.cancun.transactions import CancunTransactionBuilder
from eth_utils import keccak

from ledger_node.errors import TxRejected, invalid_params

# geth's txpool limit: a transaction bigger than 128 KiB is refused outright.
MAX_TX_SIZE = 128 * 1024

#: Decodes the transactions of this chain's fork (ledger_node/vm.py runs Cancun). Types 0,
#: 1 and 2 are admitted; type 3 (blobs) decodes only to be refused: without a consensus
#: layer there is nowhere to keep blobs.
TRANSACTION_BUILDER = CancunTransactionBuilder


@dataclass(frozen=True)
class SignedTx:
    """A decoded, signature-checked transaction with its hash, sender and raw bytes."""

    tx: SignedTransactionAPI
    hash: bytes
    sender: bytes
    raw: bytes

    @property
    def nonce(self) -> int:
        return int(self.tx.nonce)

    @property
    def type_id(self) -> int:
        return tx_type(self.tx)

    @property
    def gas_fee_cap(self) -> int:
        """maxFeePerGas, or gasPrice for legacy and access-list transactions."""
        return int(getattr(self.tx, "max_fee_per_gas", None) or _gas_price(self.tx))

    @property
    def gas_tip_cap(self) -> int:
        """maxPriorityFeePerGas, or gasPrice for legacy and access-list transactions."""
        return int(getattr(self.tx, "max_priority_fee_per_gas", None) or _gas_price(self.tx))


def _gas_price(tx: Any) -> int:
    try:
        return int(tx.gas_price)
    except AttributeError:
        return 0


def tx_type(tx: SignedTransactionAPI) -> int:
    """EIP-2718 type: 0 legacy, 1 access list, 2 dynamic fee."""
    return int(getattr(tx, "type_id", None) or 0)


SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
UINT256_LIMIT = 2**256
NONCE_LIMIT = 2**64 - 1  # EIP-2681
MAX_INITCODE_SIZE = 2 * 24_576  # EIP-3860 (Shanghai): twice EIP-170's code size limit


def _validate_fields(tx: Any) -> None:
    """What py-evm's `validate()` checks, minus the signature (checked by recovery below).

    Raises TxRejected with geth's wording."""
    numbers = [tx.gas, tx.value, tx.r, tx.s]
    numbers += [getattr(tx, name) for name in ("gas_price", "max_fee_per_gas",
                                                "max_priority_fee_per_gas", "chain_id")
                if getattr(tx, name, None) is not None]
    if any(not 0 <= value < UINT256_LIMIT for value in numbers):
        raise TxRejected("invalid transaction: field exceeds 256 bits")
    if not 0 <= tx.nonce < NONCE_LIMIT:
        raise TxRejected("nonce has max value")
    if tx.to and len(tx.to) != 20:
        raise TxRejected("invalid transaction: bad recipient")
    if not tx.to and len(tx.data) > MAX_INITCODE_SIZE:
        raise TxRejected(
            f"max initcode size exceeded: code size {len(tx.data)} limit {MAX_INITCODE_SIZE}"
        )
    intrinsic = tx.intrinsic_gas
    if tx.gas < intrinsic:
        raise TxRejected(f"intrinsic gas too low: gas {tx.gas}, minimum needed {intrinsic}")
    # EIP-2: s in the lower half of the curve order; r, s non-zero.
    if not (0 < tx.r < SECP256K1_N and 0 < tx.s <= SECP256K1_N // 2):
        raise TxRejected("invalid sender")


def _recover_sender(tx: Any) -> bytes:
    """One public-key recovery (coincurve) instead of py-evm's recover + verify + recover."""
    y_parity = tx.y_parity
    if y_parity not in (0, 1):
        raise TxRejected("invalid sender")
    signature = tx.r.to_bytes(32, "big") + tx.s.to_bytes(32, "big") + bytes([y_parity])
    message_hash = keccak(tx.get_message_for_signing())
    try:
        public_key = PublicKey.from_signature_and_message(signature, message_hash, hasher=None)
    except Exception as exc:
        raise TxRejected("invalid sender") from exc
    return keccak(public_key.format(compressed=False)[1:])[12:]


def decode_signed_transaction(
    raw: bytes, builder: type[TransactionBuilderAPI] = TRANSACTION_BUILDER
) -> SignedTx:
    """Decode `raw` (RLP or typed envelope), check the fields and signature, recover the sender.

    Raises RpcError -32602 for bytes that are not a transaction and TxRejected (-32000) for
    an invalid signature or fields, with geth's message text where geth has one. The sender
    is cached on the py-evm transaction, so execution does not recover it again.
    """
    if len(raw) > MAX_TX_SIZE:
        raise TxRejected("oversized data")
    try:
        tx = builder.decode(raw)
    except Exception as exc:  # rlp raises many types; all mean "not a transaction"
        raise invalid_params(f"rlp: invalid transaction: {exc.__class__.__name__}") from exc
    if tx_type(tx) == BLOB_TX_TYPE:
        raise TxRejected("transaction type not supported")
    try:
        _validate_fields(tx)
        sender = _recover_sender(tx)
    except TxRejected:
        raise
    except Exception as exc:  # a malformed field py-evm cannot even read
        raise TxRejected(f"invalid transaction: {exc.__class__.__name__}") from exc
    tx.__dict__["sender"] = sender  # py-evm's cached_property slot for `sender`
    return SignedTx(tx=tx, hash=keccak(raw), sender=sender, raw=raw)

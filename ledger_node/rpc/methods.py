"""The Ethereum JSON-RPC methods the node serves (HTTP and WebSocket share them).

Each method takes the JSON `params` list and returns a JSON value or raises RpcError.
Administrative methods (Clique votes) are not here: `ledger_node/rpc/admin.py` serves them
on the admin socket only. eth_call / eth_estimateGas are thread-safe: they read the state of
a committed block by its root (immutable trie nodes) and write only to a throw-away journal.

Block tags: "latest", "pending", "safe" and "finalized" all mean the head (Clique with one
sealer is final at once), "earliest" is 0; EIP-1898 `{"blockHash"|"blockNumber"}` objects
are accepted where a block parameter is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth.abc import BlockHeaderAPI
from eth_utils import keccak

from ledger_node.chain import decode_header
from ledger_node.errors import LIMIT_EXCEEDED, SERVER_ERROR, RpcError, invalid_params
from ledger_node.execution import CallRequest, call, estimate_gas
from ledger_node.node import LedgerNode
from ledger_node.rpc import format as fmt
from ledger_node.rpc.filters import FilterManager, LogFilter, parse_log_filter
from ledger_node.store import BlockRow
from ledger_node.transactions import TRANSACTION_BUILDER, decode_signed_transaction

CLIENT_VERSION = "TraceLedger/v0.1.0/py-evm-0.12.1b1/python3.11"
# eth_getLogs limits (documented in ledger_node/README.md): a query may span at most
# MAX_LOG_BLOCK_RANGE blocks and return at most MAX_LOG_RESULTS logs, else -32005.
MAX_LOG_BLOCK_RANGE = 10_000
MAX_LOG_RESULTS = 10_000
MAX_FEE_HISTORY_BLOCKS = 1_024
# Methods that execute EVM code: the server runs them in worker threads (bounded, under an
# execution deadline), never on the event loop.
OFFLOADED_METHODS = frozenset({"eth_call", "eth_estimateGas"})

Handler = Callable[[list[Any]], Any]


def _arity(params: list[Any], minimum: int, maximum: int) -> list[Any]:
    if len(params) < minimum or len(params) > maximum:
        expected = str(minimum) if minimum == maximum else f"{minimum} to {maximum}"
        raise invalid_params(f"expected {expected} params, got {len(params)}")
    return params + [None] * (maximum - len(params))


class EthApi:
    """The method table over one node."""

    def __init__(self, node: LedgerNode) -> None:
        self.node = node
        self.store = node.store
        self.chain = node.chain
        self.filters = FilterManager(self.store, lambda: self._head_row().number)
        self.methods: dict[str, Handler] = {
            name: getattr(self, name)
            for name in dir(self)
            if name.startswith(("eth_", "net_", "web3_", "clique_"))
        }

    # ------------------------------------------------------------------ helpers
    def _head_row(self) -> BlockRow:
        row = self.store.head()
        assert row is not None
        return row

    def _block_row(self, tag: Any, required: bool = True) -> BlockRow | None:
        if tag is None:
            tag = "latest"
        if isinstance(tag, dict):
            if "blockHash" in tag:
                row = self.store.block_by_hash(fmt.parse_hash(tag["blockHash"], "blockHash"))
                if row is None and required:
                    raise RpcError(SERVER_ERROR, "header for hash not found")
                return row
            if "blockNumber" in tag:
                tag = tag["blockNumber"]
            else:
                raise invalid_params("invalid argument: block object needs blockHash or blockNumber")
        if tag in ("latest", "pending", "safe", "finalized"):
            return self._head_row()
        if tag == "earliest":
            return self.store.block_by_number(0)
        number = fmt.parse_quantity(tag, "block number")
        row = self.store.block_by_number(number)
        if row is None and required:
            raise RpcError(SERVER_ERROR, "header not found")
        return row

    def _header(self, tag: Any) -> BlockHeaderAPI:
        row = self._block_row(tag)
        assert row is not None
        return decode_header(row.header_rlp)

    def _state(self, tag: Any) -> Any:
        return self.chain.state_at(self._header(tag))

    def _block_json(self, row: BlockRow, full: bool) -> dict[str, Any]:
        header = decode_header(row.header_rlp)
        result = fmt.header_json(header, row)
        result["totalDifficulty"] = fmt.quantity(self.chain.chain.chaindb.get_score(row.hash))
        txs = self.store.txs_in_block(row.number)
        if full:
            result["transactions"] = [
                fmt.tx_json(t, TRANSACTION_BUILDER.decode(t.raw), row.hash) for t in txs
            ]
        else:
            result["transactions"] = [fmt.data(t.hash) for t in txs]
        return result

    def _call_request(self, obj: Any) -> CallRequest:
        if not isinstance(obj, dict):
            raise invalid_params("invalid argument 0: transaction must be an object")
        sender = fmt.parse_address(obj["from"], "from") if obj.get("from") else bytes(20)
        to = fmt.parse_address(obj["to"], "to") if obj.get("to") else b""
        payload = obj.get("input", obj.get("data"))
        if "input" in obj and "data" in obj and obj["input"] != obj["data"]:
            raise invalid_params("both \"data\" and \"input\" are set and not equal")
        return CallRequest(
            sender=sender,
            to=to,
            data=fmt.parse_data(payload, "input") if payload else b"",
            value=fmt.parse_quantity(obj["value"], "value") if obj.get("value") else 0,
            gas=fmt.parse_quantity(obj["gas"], "gas") if obj.get("gas") else None,
            gas_price=fmt.parse_quantity(obj["gasPrice"], "gasPrice") if obj.get("gasPrice") else 0,
        )

    # ------------------------------------------------------------------ web3 / net
    def web3_clientVersion(self, params: list[Any]) -> str:
        _arity(params, 0, 0)
        return CLIENT_VERSION

    def web3_sha3(self, params: list[Any]) -> str:
        (value,) = _arity(params, 1, 1)
        return fmt.data(keccak(fmt.parse_data(value)))

    def net_version(self, params: list[Any]) -> str:
        _arity(params, 0, 0)
        return str(self.node.config.chain_id)

    def net_listening(self, params: list[Any]) -> bool:
        _arity(params, 0, 0)
        return True

    def net_peerCount(self, params: list[Any]) -> str:
        _arity(params, 0, 0)
        return fmt.quantity(0)

    # ------------------------------------------------------------------ chain info
    def eth_chainId(self, params: list[Any]) -> str:
        _arity(params, 0, 0)
        return fmt.quantity(self.node.config.chain_id)

    def eth_syncing(self, params: list[Any]) -> bool:
        _arity(params, 0, 0)
        return False

    def eth_blockNumber(self, params: list[Any]) -> str:
        _arity(params, 0, 0)
        return fmt.quantity(self._head_row().number)

    def eth_gasPrice(self, params: list[Any]) -> str:
        _arity(params, 0, 0)
        return fmt.quantity(0)

    def eth_maxPriorityFeePerGas(self, params: list[Any]) -> str:
        _arity(params, 0, 0)
        return fmt.quantity(0)

    def eth_accounts(self, params: list[Any]) -> list[str]:
        _arity(params, 0, 0)
        return []  # the node holds no user keys; clients sign locally

    def eth_feeHistory(self, params: list[Any]) -> dict[str, Any]:
        count_value, newest, percentiles = _arity(params, 2, 3)
        count = (
            count_value if isinstance(count_value, int)
            else fmt.parse_quantity(count_value, "blockCount")
        )
        count = max(0, min(count, MAX_FEE_HISTORY_BLOCKS))
        newest_row = self._block_row(newest)
        assert newest_row is not None
        oldest = max(0, newest_row.number - count + 1)
        ratios = []
        for number in range(oldest, newest_row.number + 1):
            row = self.store.block_by_number(number)
            assert row is not None
            header = decode_header(row.header_rlp)
            ratios.append(header.gas_used / header.gas_limit if header.gas_limit else 0.0)
        result: dict[str, Any] = {
            "oldestBlock": fmt.quantity(oldest),
            "baseFeePerGas": [fmt.quantity(0)] * (len(ratios) + 1),
            "gasUsedRatio": ratios,
        }
        if percentiles:
            result["reward"] = [[fmt.quantity(0)] * len(percentiles) for _ in ratios]
        return result

    # ------------------------------------------------------------------ clique (EIP-225)
    def clique_getSigners(self, params: list[Any]) -> list[str]:
        (tag,) = _arity(params, 0, 1)
        row = self._block_row(tag)
        assert row is not None
        return self._signers_after(row.number)

    def clique_getSignersAtHash(self, params: list[Any]) -> list[str]:
        (block_hash,) = _arity(params, 1, 1)
        row = self._block_row({"blockHash": block_hash})
        assert row is not None
        return self._signers_after(row.number)

    def clique_getProposals(self, params: list[Any]) -> dict[str, bool]:
        _arity(params, 0, 0)
        return {fmt.address(a): auth for a, auth in sorted(self.node.proposals.items())}

    def _signers_after(self, number: int) -> list[str]:
        return [fmt.address(a) for a in self.node.chain.snapshots.at(number).signers]

    # ------------------------------------------------------------------ state
    def eth_getBalance(self, params: list[Any]) -> str:
        account, tag = _arity(params, 1, 2)
        account_bytes = fmt.parse_address(account)
        return fmt.quantity(self._state(tag).get_balance(account_bytes))

    def eth_getTransactionCount(self, params: list[Any]) -> str:
        account, tag = _arity(params, 1, 2)
        account_bytes = fmt.parse_address(account)
        if tag == "pending":
            return fmt.quantity(self.node.pool.pending_nonce(account_bytes))
        return fmt.quantity(self._state(tag).get_nonce(account_bytes))

    def eth_getCode(self, params: list[Any]) -> str:
        account, tag = _arity(params, 1, 2)
        account_bytes = fmt.parse_address(account)
        return fmt.data(self._state(tag).get_code(account_bytes))

    def eth_getStorageAt(self, params: list[Any]) -> str:
        account, slot, tag = _arity(params, 2, 3)
        account_bytes = fmt.parse_address(account)
        slot_value = fmt.parse_quantity(slot, "storage slot")
        value = self._state(tag).get_storage(account_bytes, slot_value)
        return fmt.data(value.to_bytes(32, "big"))

    def eth_call(self, params: list[Any]) -> str:
        obj, tag = _arity(params, 1, 3)[:2]
        request = self._call_request(obj)
        return fmt.data(call(self.chain, self._header(tag), request))

    def eth_estimateGas(self, params: list[Any]) -> str:
        obj, tag = _arity(params, 1, 3)[:2]
        request = self._call_request(obj)
        return fmt.quantity(estimate_gas(self.chain, self._header(tag), request))

    # ------------------------------------------------------------------ transactions
    def eth_sendRawTransaction(self, params: list[Any]) -> str:
        (raw,) = _arity(params, 1, 1)
        signed = decode_signed_transaction(fmt.parse_data(raw, "transaction"))
        self.node.submit(signed)
        return fmt.data(signed.hash)

    def eth_getTransactionByHash(self, params: list[Any]) -> dict[str, Any] | None:
        (tx_hash,) = _arity(params, 1, 1)
        hash_bytes = fmt.parse_hash(tx_hash)
        row = self.store.tx_by_hash(hash_bytes)
        if row is not None:
            block = self.store.block_by_number(row.block_number)
            assert block is not None
            return fmt.tx_json(row, TRANSACTION_BUILDER.decode(row.raw), block.hash)
        pending = self.node.pool.get(hash_bytes)
        if pending is None:
            return None
        from ledger_node.store import TxRow

        stub = TxRow(pending.hash, 0, 0, pending.sender, pending.raw, 0, 0, 0, None, 0, b"", 0)
        return fmt.tx_json(stub, pending.tx, None)

    def eth_getTransactionReceipt(self, params: list[Any]) -> dict[str, Any] | None:
        (tx_hash,) = _arity(params, 1, 1)
        row = self.store.tx_by_hash(fmt.parse_hash(tx_hash))
        if row is None:
            return None
        block = self.store.block_by_number(row.block_number)
        assert block is not None
        logs = self.store.logs_of_tx(row.block_number, row.tx_index)
        return fmt.receipt_json(row, TRANSACTION_BUILDER.decode(row.raw), block.hash, logs)

    # ------------------------------------------------------------------ blocks
    def eth_getBlockByNumber(self, params: list[Any]) -> dict[str, Any] | None:
        tag, full = _arity(params, 1, 2)
        row = self._block_row(tag, required=False)
        return None if row is None else self._block_json(row, bool(full))

    def eth_getBlockByHash(self, params: list[Any]) -> dict[str, Any] | None:
        block_hash, full = _arity(params, 1, 2)
        row = self.store.block_by_hash(fmt.parse_hash(block_hash))
        return None if row is None else self._block_json(row, bool(full))

    def eth_getBlockTransactionCountByNumber(self, params: list[Any]) -> str | None:
        (tag,) = _arity(params, 1, 1)
        row = self._block_row(tag, required=False)
        return None if row is None else fmt.quantity(row.tx_count)

    def eth_getBlockTransactionCountByHash(self, params: list[Any]) -> str | None:
        (block_hash,) = _arity(params, 1, 1)
        row = self.store.block_by_hash(fmt.parse_hash(block_hash))
        return None if row is None else fmt.quantity(row.tx_count)

    # ------------------------------------------------------------------ logs and filters
    def resolve_log_filter(self, obj: Any) -> LogFilter:
        """Parse an eth_getLogs / eth_newFilter object with block tags resolved."""
        return parse_log_filter(obj, self._resolve_number, self._resolve_hash)

    def _resolve_number(self, tag: Any) -> int:
        if tag is None or tag in ("latest", "pending", "safe", "finalized"):
            return self._head_row().number
        if tag == "earliest":
            return 0
        return fmt.parse_quantity(tag, "block number")

    def _resolve_hash(self, block_hash: Any) -> int:
        row = self.store.block_by_hash(fmt.parse_hash(block_hash, "blockHash"))
        if row is None:
            raise RpcError(SERVER_ERROR, "unknown block")
        return row.number

    def eth_getLogs(self, params: list[Any]) -> list[dict[str, Any]]:
        (obj,) = _arity(params, 1, 1)
        log_filter = self.resolve_log_filter(obj)
        to_block = min(log_filter.to_block, self._head_row().number)
        if to_block - log_filter.from_block + 1 > MAX_LOG_BLOCK_RANGE:
            raise RpcError(LIMIT_EXCEEDED, f"block range exceeds {MAX_LOG_BLOCK_RANGE} blocks")
        return self.filters.logs_json(log_filter.with_range(log_filter.from_block, to_block),
                                      MAX_LOG_RESULTS)

    def eth_newFilter(self, params: list[Any]) -> str:
        (obj,) = _arity(params, 1, 1)
        return self.filters.new_log_filter(self.resolve_log_filter(obj), obj)

    def eth_newBlockFilter(self, params: list[Any]) -> str:
        _arity(params, 0, 0)
        return self.filters.new_block_filter()

    def eth_getFilterChanges(self, params: list[Any]) -> list[Any]:
        (filter_id,) = _arity(params, 1, 1)
        return self.filters.changes(filter_id, self.resolve_log_filter)

    def eth_getFilterLogs(self, params: list[Any]) -> list[Any]:
        (filter_id,) = _arity(params, 1, 1)
        return self.filters.all_logs(filter_id, self.resolve_log_filter, MAX_LOG_RESULTS)

    def eth_uninstallFilter(self, params: list[Any]) -> bool:
        (filter_id,) = _arity(params, 1, 1)
        return self.filters.uninstall(filter_id)

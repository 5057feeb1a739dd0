"""Decoding raw logs with the event ABIs of the compiled contracts (contracts/build)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import eth_abi

from contracts.abi import AbiEntry, Contract, canonical_type, entries_of
from indexer.decode.words import decode_word, flat_decoder
from indexer.errors import MalformedNodeDataError
from indexer.source.parse import checksum
from indexer.source.types import RawLog

#: The contracts the indexer mirrors, by artifact name.
CONTRACT_NAMES = (Contract.MEMBER_REGISTRY, Contract.TRACE_ANCHOR, Contract.RECALL_REGISTRY)


@dataclass(frozen=True, slots=True)
class EventAbi:
    """One event of a contract ABI, prepared for decoding."""

    contract: str
    name: str
    signature: str
    topic0: str
    #: (name, type, indexed) for each input, in declaration order.
    inputs: tuple[tuple[str, str, bool], ...]

    @property
    def data_types(self) -> list[str]:
        """Types of the non-indexed inputs, which are ABI-encoded in the log data."""
        return [kind for _, kind, indexed in self.inputs if not indexed]


@dataclass(frozen=True, slots=True)
class DecodedEvent:
    """A log with its event identified and arguments decoded into plain values:
    addresses EIP-55, bytesN/bytes as lowercase 0x-hex, integers as int."""

    contract: str
    name: str
    args: Mapping[str, Any]
    log: RawLog


class EventDecoder:
    """Decodes logs of the mirrored contracts. Build with `from_artifacts()`."""

    def __init__(self, events: list[EventAbi]) -> None:
        self._by_topic: dict[tuple[str, str], EventAbi] = {
            (event.contract, event.topic0): event for event in events
        }
        #: Fast decoders for events whose data is flat (all of ours); eth_abi otherwise.
        self._fast = {
            event.topic0: decoder
            for event in events
            if (decoder := flat_decoder(event.data_types)) is not None
        }

    @classmethod
    def from_artifacts(cls, names: tuple[str, ...] = CONTRACT_NAMES) -> EventDecoder:
        """A decoder for every event in the ABIs of contracts `names`."""
        events = [
            _event_abi(entry)
            for name in names
            for entry in entries_of(name, "event")
            if not entry.item.get("anonymous")
        ]
        return cls(events)

    def event_for(self, contract: str, log: RawLog) -> EventAbi | None:
        """The ABI of `log`'s event in `contract`, or None if the ABI does not know it."""
        if not log.topics:
            return None
        return self._by_topic.get((contract, log.topics[0]))

    def decode(self, contract: str, log: RawLog) -> DecodedEvent | None:
        """Decode `log` emitted by `contract`; None for an event not in its ABI.

        Raises `MalformedNodeDataError` if the log matches a known event but its topics
        or data do not decode as that event's inputs.
        """
        event = self.event_for(contract, log)
        if event is None:
            return None
        indexed_count = sum(1 for _, _, indexed in event.inputs if indexed)
        where = f"block {log.block_number} ({log.block_hash}) log {log.log_index}"
        if len(log.topics) != 1 + indexed_count:
            raise MalformedNodeDataError(
                f"{where}: {event.signature} needs {1 + indexed_count} topics, got {len(log.topics)}"
            )
        try:
            data = bytes.fromhex(log.data[2:])
            fast = self._fast.get(event.topic0)
            if fast is not None:
                data_values = iter(fast(data))
            else:
                data_values = iter(
                    _plain(kind, value)
                    for kind, value in zip(
                        event.data_types, eth_abi.decode(event.data_types, data), strict=True
                    )
                )
            topics = iter(log.topics[1:])
            args: dict[str, Any] = {}
            for name, kind, indexed in event.inputs:
                if not indexed:
                    args[name] = next(data_values)
                elif _is_dynamic(kind):
                    # Indexed dynamic values are stored as their keccak hash (Solidity ABI spec).
                    args[name] = next(topics)
                else:
                    args[name] = decode_word(kind, bytes.fromhex(next(topics)[2:]))
        except Exception as exc:  # eth_abi raises several types for bad encodings
            raise MalformedNodeDataError(
                f"{where}: cannot decode {event.signature}: {exc}"
            ) from exc
        return DecodedEvent(contract=contract, name=event.name, args=args, log=log)


def _event_abi(entry: AbiEntry) -> EventAbi:
    """An event of the chain vocabulary (`contracts.abi`), its topic 0 as 0x-hex."""
    inputs = entry.item["inputs"]
    return EventAbi(
        contract=str(entry.contract),
        name=entry.name,
        signature=entry.signature,
        topic0="0x" + entry.signature_hash.hex(),
        inputs=tuple(
            (item["name"], canonical_type(item), bool(item.get("indexed"))) for item in inputs
        ),
    )


def _is_dynamic(kind: str) -> bool:
    return kind in ("string", "bytes") or kind.endswith("]") or kind.startswith("(")


def _plain(kind: str, value: Any) -> Any:
    if kind == "address":
        return checksum(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value

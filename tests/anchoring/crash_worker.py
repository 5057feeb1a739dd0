"""A log writer for the crash tests, killed with SIGKILL by its parent.

Usage: python -m tests.anchoring.crash_worker URL PREFIX FIRST_NUMBER MODE

Submits batches of entries numbered FIRST_NUMBER, FIRST_NUMBER+1, ... while a sequencer
thread integrates them, printing `ACK <first number> <last number> <first leaf index>`
after each submit returned. MODE `in-integration` makes every integration print `IN_TX`
and stall inside its transaction (after tiles and bundles were written, before COMMIT).
"""

from __future__ import annotations

import faulthandler
import logging
import sys
import threading
import time

from anchoring.core.note import NoteSigner
from anchoring.sequencer import Sequencer, SequencerConfig
from anchoring.store import LogStore
from anchoring.store import log_store as log_store_module
from tests.anchoring.helpers import LOG_SEED, ORIGIN, make_entry

BATCH = 300
_SAY = threading.Lock()


def say(line: str) -> None:
    """Write one whole line: print() from two threads interleaves its arguments."""
    with _SAY:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def main() -> None:
    url, prefix, first_number, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    faulthandler.dump_traceback_later(30, exit=False)  # explains a stall in the parent's report
    store = LogStore.open(url, table_prefix=prefix)
    acknowledged = threading.Event()  # stall only once this run has acknowledged a batch
    if mode == "in-integration":
        original = log_store_module.LogStore._write_bundles

        def stalling(self: LogStore, cursor: object, old_size: int, entries: list[bytes]) -> None:
            original(self, cursor, old_size, entries)  # type: ignore[arg-type]
            if entries and acknowledged.is_set():
                say(f"IN_TX {old_size} {len(entries)}")
                time.sleep(60)

        log_store_module.LogStore._write_bundles = stalling  # type: ignore[method-assign]
    sequencer = Sequencer(
        store,
        NoteSigner.from_seed(ORIGIN, LOG_SEED),
        SequencerConfig(origin=ORIGIN, max_batch=1000, interval_s=0.02),
    )
    sequencer.start()
    number = first_number
    while True:
        receipts = store.submit([make_entry(n) for n in range(number, number + BATCH)])
        say(f"ACK {number} {number + BATCH - 1} {receipts[0].leaf_index}")
        acknowledged.set()
        number += BATCH


if __name__ == "__main__":
    main()

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @notice Uses what a London EVM lacks; compiled with solc's default settings (tests/ledger_node/
///         probe.py): PUSH0 (Shanghai, all through solc's code), TSTORE/TLOAD (Cancun transient
///         storage), MCOPY (Cancun), BLOBBASEFEE (Cancun) and PREVRANDAO (Paris).
contract TodaysEvm {
    uint256 transient lock;
    uint256 public entered;

    error Reentered();

    /// A reentrancy guard in transient storage: set, checked, cleared within one call.
    function guarded() external returns (uint256 seen) {
        if (lock != 0) revert Reentered();
        lock = 1;
        entered += 1;
        seen = lock;
        lock = 0;
    }

    function setTransient(uint256 value) external {
        lock = value;
    }

    function readTransient() external view returns (uint256) {
        return lock;
    }

    /// Transient storage lives for the whole transaction: a nested call sees what was set.
    function roundTrip(uint256 value) external returns (uint256) {
        lock = value;
        return this.readTransient();
    }

    function copy(bytes memory data) external pure returns (bytes memory out) {
        out = new bytes(data.length);
        assembly {
            mcopy(add(out, 32), add(data, 32), mload(data))
        }
    }

    function blobBaseFee() external view returns (uint256) {
        return block.blobbasefee;
    }

    function prevrandao() external view returns (uint256) {
        return block.prevrandao;
    }
}

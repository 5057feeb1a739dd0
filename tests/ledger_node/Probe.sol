// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @notice Test contract for the node conformance suite: storage, events, returns, reverts.
contract Probe {
    event Stored(address indexed writer, uint256 indexed value, bytes note);
    event Pinged(uint256 counter);
    error Refused(address caller, uint256 code);

    uint256 public stored;
    uint256 public pings;

    constructor(uint256 initial) {
        stored = initial;
    }

    function store(uint256 value, bytes calldata note) external {
        stored = value;
        emit Stored(msg.sender, value, note);
    }

    function ping() external {
        pings += 1;
        emit Pinged(pings);
    }

    function echo(bytes32 a, uint256 b) external pure returns (bytes32, uint256) {
        return (a, b);
    }

    function failWithReason(string calldata reason) external pure {
        revert(reason);
    }

    function failWithError(uint256 code) external view {
        revert Refused(msg.sender, code);
    }

    function failRequire(uint256 value) external {
        require(value < 10, "value too large");
        stored = value;
    }

    function divide(uint256 a, uint256 b) external pure returns (uint256) {
        return a / b;
    }
}

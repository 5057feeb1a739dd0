// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title Roles and errors shared by the TraceLedger contracts
/// @notice One role per account. The numeric values are part of the ABI (events, errors and
///         `MemberRegistry.roleOf`) and of the node's admission check: never reorder.
enum Role {
    None, //       0: not a member (also: revoked, or an enterprise key rotated away)
    Admin, //      1: registers enterprises, proposes and approves role changes
    Regulator, //  2: suspends and reinstates enterprises, issues any recall
    Anchorer, //   3: puts Merkle tree heads on chain
    Witness, //    4: co-signs anchored tree heads
    Enterprise //  5: submits trace records, recalls its own products
}

/// @notice `caller` lacks the role the call needs. For calls open to several roles,
///         `requiredRole` is the least privileged role that could have made the call.
error NotAuthorized(address caller, Role requiredRole);

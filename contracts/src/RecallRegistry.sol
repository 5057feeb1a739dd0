// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Role, NotAuthorized} from "./Roles.sol";
import {MemberRegistry} from "./MemberRegistry.sol";

/// @title RecallRegistry: open, update and close product and equipment recalls
/// @notice A recall is keyed by its subject: SHA-256 of the UTF-8 bytes of a canonical GS1
///         Digital Link URI (a GTIN, GTIN + lot, GTIN + serial, or a GIAI for special
///         equipment). SHA-256 rather than keccak256 so a phone browser can recompute the
///         key with WebCrypto.
/// @dev Split of checks: this contract checks that an enterprise caller holds the GS1
///      company prefix it claims (in MemberRegistry). That the subject's URI really carries
///      that prefix is checked off-chain by the API, which canonicalises the URI: a GS1
///      key does not encode where its company prefix ends, and parsing URIs is not chain
///      business. Regulators may recall any subject.
///
///      A recall opened by a regulator is updated and closed by regulators only; one
///      opened by an enterprise by that enterprise (whatever its current key) or by any
///      regulator. A closed recall can be opened again; `sequence` counts the openings.
contract RecallRegistry {
    /// @notice Recall classes (I: serious hazard ... III: unlikely to cause harm).
    uint8 public constant CLASS_I = 1;
    uint8 public constant CLASS_II = 2;
    uint8 public constant CLASS_III = 3;

    /// @notice Lifecycle of a recall.
    enum RecallStatus {
        None, //    0: never recalled
        Open, //    1
        Updated, // 2: open, with a changed class or reason since it was opened
        Closed //   3
    }

    /// @notice A recall as stored; timestamps are block timestamps, 0 when not reached.
    struct Recall {
        RecallStatus status;
        uint8 recallClass;
        uint32 sequence; // 1 for the first opening of this subject, +1 for each re-opening
        uint64 openedAt;
        uint64 updatedAt;
        uint64 closedAt;
        bytes32 reasonHash; // hash of the off-chain recall notice
        bytes32 enterpriseId; // issuing enterprise, 0 when a regulator opened it
        address openedBy;
    }

    // ---------------------------------------------------------------- errors

    /// @notice No recall was ever opened for this subject.
    error UnknownSubject(bytes32 subject);
    /// @notice The subject already has an open recall.
    error RecallAlreadyOpen(bytes32 subject);
    /// @notice The subject's recall is closed; open a new one instead.
    error RecallIsClosed(bytes32 subject);
    /// @notice The recall class is not 1, 2 or 3.
    error InvalidRecallClass(uint8 recallClass);
    /// @notice The enterprise calling does not hold the GS1 company prefix it claims.
    error CompanyPrefixNotHeld(address caller, string prefix);
    /// @notice Only regulators and the issuing enterprise may change this recall.
    error NotRecallIssuer(bytes32 subject, address caller);
    /// @notice The subject is zero.
    error ZeroSubject();

    // ---------------------------------------------------------------- events

    /// @notice A recall was opened (or re-opened). `enterpriseId` is 0 for a regulator;
    ///         `companyPrefix` is what the issuer claimed ("" allowed for regulators).
    event RecallOpened(
        bytes32 indexed subject,
        uint32 sequence,
        uint8 recallClass,
        bytes32 reasonHash,
        bytes32 indexed enterpriseId,
        address indexed issuer,
        string companyPrefix
    );
    /// @notice A recall's class or reason changed.
    event RecallUpdated(
        bytes32 indexed subject, uint32 sequence, uint8 recallClass, bytes32 reasonHash, address indexed issuer
    );
    /// @notice A recall was closed.
    event RecallClosed(bytes32 indexed subject, uint32 sequence, bytes32 reasonHash, address indexed issuer);

    // ---------------------------------------------------------------- state

    /// @notice The registry that decides who is a regulator or an enterprise.
    MemberRegistry public immutable registry;

    mapping(bytes32 => Recall) private _recalls;

    constructor(MemberRegistry memberRegistry) {
        registry = memberRegistry;
    }

    // ---------------------------------------------------------------- writes

    /// @notice Open a recall of `subject`.
    /// @param subject SHA-256 of the canonical GS1 Digital Link URI.
    /// @param recallClass 1, 2 or 3.
    /// @param reasonHash Hash of the off-chain recall notice.
    /// @param companyPrefix The GS1 company prefix the subject carries; an enterprise must
    ///        hold it, a regulator may pass "".
    function openRecall(bytes32 subject, uint8 recallClass, bytes32 reasonHash, string calldata companyPrefix)
        external
    {
        bytes32 enterpriseId;
        if (!registry.hasRole(msg.sender, Role.Regulator)) {
            if (!registry.hasRole(msg.sender, Role.Enterprise)) revert NotAuthorized(msg.sender, Role.Enterprise);
            if (!registry.holdsCompanyPrefix(msg.sender, companyPrefix)) {
                revert CompanyPrefixNotHeld(msg.sender, companyPrefix);
            }
            enterpriseId = registry.enterpriseOf(msg.sender);
        }
        if (subject == bytes32(0)) revert ZeroSubject();
        _checkClass(recallClass);
        Recall storage recall = _recalls[subject];
        if (recall.status == RecallStatus.Open || recall.status == RecallStatus.Updated) {
            revert RecallAlreadyOpen(subject);
        }
        uint32 sequence = recall.sequence + 1;
        _recalls[subject] = Recall({
            status: RecallStatus.Open,
            recallClass: recallClass,
            sequence: sequence,
            openedAt: uint64(block.timestamp),
            updatedAt: 0,
            closedAt: 0,
            reasonHash: reasonHash,
            enterpriseId: enterpriseId,
            openedBy: msg.sender
        });
        emit RecallOpened(subject, sequence, recallClass, reasonHash, enterpriseId, msg.sender, companyPrefix);
    }

    /// @notice Change an open recall's class and reason.
    function updateRecall(bytes32 subject, uint8 recallClass, bytes32 reasonHash) external {
        Recall storage recall = _openRecall(subject);
        _checkClass(recallClass);
        recall.status = RecallStatus.Updated;
        recall.recallClass = recallClass;
        recall.reasonHash = reasonHash;
        recall.updatedAt = uint64(block.timestamp);
        emit RecallUpdated(subject, recall.sequence, recallClass, reasonHash, msg.sender);
    }

    /// @notice Close an open recall.
    /// @param reasonHash Hash of the off-chain closing notice.
    function closeRecall(bytes32 subject, bytes32 reasonHash) external {
        Recall storage recall = _openRecall(subject);
        recall.status = RecallStatus.Closed;
        recall.closedAt = uint64(block.timestamp);
        emit RecallClosed(subject, recall.sequence, reasonHash, msg.sender);
    }

    // ---------------------------------------------------------------- views

    /// @notice The latest recall of `subject`. Reverts UnknownSubject.
    function recallOf(bytes32 subject) external view returns (Recall memory) {
        Recall storage recall = _recalls[subject];
        if (recall.status == RecallStatus.None) revert UnknownSubject(subject);
        return recall;
    }

    /// @notice True if `subject` has an open (or updated) recall; false otherwise, including
    ///         for subjects never recalled.
    function isRecalled(bytes32 subject) external view returns (bool) {
        RecallStatus status = _recalls[subject].status;
        return status == RecallStatus.Open || status == RecallStatus.Updated;
    }

    // ---------------------------------------------------------------- internals

    /// @dev The open recall of `subject`, after checking the caller may change it.
    function _openRecall(bytes32 subject) private view returns (Recall storage recall) {
        bool regulator = registry.hasRole(msg.sender, Role.Regulator);
        if (!regulator && !registry.hasRole(msg.sender, Role.Enterprise)) {
            revert NotAuthorized(msg.sender, Role.Enterprise);
        }
        recall = _recalls[subject];
        if (recall.status == RecallStatus.None) revert UnknownSubject(subject);
        if (recall.status == RecallStatus.Closed) revert RecallIsClosed(subject);
        if (regulator) return recall;
        bytes32 enterpriseId = registry.enterpriseOf(msg.sender);
        if (recall.enterpriseId == bytes32(0) || recall.enterpriseId != enterpriseId) {
            revert NotRecallIssuer(subject, msg.sender);
        }
    }

    function _checkClass(uint8 recallClass) private pure {
        if (recallClass < CLASS_I || recallClass > CLASS_III) revert InvalidRecallClass(recallClass);
    }
}

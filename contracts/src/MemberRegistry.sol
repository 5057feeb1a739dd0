// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Role, NotAuthorized} from "./Roles.sol";

/// @title MemberRegistry: who may write to the TraceLedger chain, and in which role
/// @notice Holds the consortium's members: staff roles (admin, regulator, anchorer, witness)
///         and enterprises with their sectors, GS1 company prefixes and signing-key history.
///         The ledger node admits a transaction only if `isMember(sender)`.
/// @dev Each account holds at most one role, ever: a revoked account, or an enterprise key
///      that was rotated away, cannot be granted a role again (use a fresh address). This
///      keeps `roleOf` unambiguous for every record an address ever signed.
///
///      Role changes (granting or revoking any role, and revoking an enterprise) need
///      `approvalThreshold` distinct admin approvals. Registering an enterprise is a single
///      admin action: it creates an entry with the least privileged role, and a regulator
///      can suspend it at once.
contract MemberRegistry {
    /// @notice Sector bit: food (farms, processors, distributors, retailers).
    uint8 public constant SECTOR_FOOD = 1;
    /// @notice Sector bit: special equipment (lifts, boilers, pressure vessels, cylinders).
    uint8 public constant SECTOR_SPECIAL_EQUIPMENT = 2;
    uint8 private constant _ALL_SECTORS = SECTOR_FOOD | SECTOR_SPECIAL_EQUIPMENT;

    /// @dev GS1 company prefixes are 4 to 12 digits (GS1 General Specifications §1.4.3).
    uint256 private constant _MIN_PREFIX_LENGTH = 4;
    uint256 private constant _MAX_PREFIX_LENGTH = 12;

    /// @notice Lifecycle of an enterprise entry.
    enum EnterpriseStatus {
        None, //      0: no such enterprise
        Active, //    1
        Suspended, // 2: by a regulator; can be reinstated
        Revoked //    3: by admin quorum; final
    }

    /// @notice Lifecycle of an account (an address holding a role).
    enum AccountState {
        None, //    0: never held a role
        Active, //  1
        Revoked, // 2: by admin quorum; final
        Rotated //  3: an enterprise key replaced by a newer one; final
    }

    struct Account {
        Role role;
        AccountState state;
        bytes32 enterpriseId; // the enterprise this key belongs (or belonged) to, else 0
    }

    struct Enterprise {
        EnterpriseStatus status;
        uint8 sectors;
        bytes32 metadataHash;
        address signingKey; // current key; earlier keys are in `_keyHistory`
    }

    struct Proposal {
        address account;
        Role role; // Role.None means "revoke whatever `account` holds"
        uint16 approvals;
        bool executed;
        uint64 adminEpoch; // proposals from before an admin was revoked are void
    }

    // ---------------------------------------------------------------- errors

    /// @notice `enterpriseId` (the hash of a Unified Social Credit Code) is not registered.
    error UnknownEnterprise(bytes32 enterpriseId);
    /// @notice The enterprise exists but its status does not allow the call.
    error EnterpriseNotActive(bytes32 enterpriseId, EnterpriseStatus status);
    /// @notice `reinstateEnterprise` on an enterprise that is not suspended.
    error EnterpriseNotSuspended(bytes32 enterpriseId, EnterpriseStatus status);
    /// @notice An enterprise with this Unified Social Credit Code hash already exists.
    error EnterpriseAlreadyRegistered(bytes32 enterpriseId);
    /// @notice `account` holds, or once held, a role; roles go to fresh addresses only.
    error AccountAlreadyUsed(address account, Role role, AccountState state);
    /// @notice `account` holds no active role to revoke.
    error AccountNotActive(address account, AccountState state);
    /// @notice The zero address cannot hold a role, and zero hashes identify nothing.
    error ZeroValue();
    /// @notice `sectors` is empty or has bits other than the known sectors.
    error InvalidSectors(uint8 sectors);
    /// @notice Enterprises are registered with `registerEnterprise`, not granted as a role.
    error InvalidRole(Role role);
    /// @notice `prefix` is not 4 to 12 ASCII digits.
    error InvalidCompanyPrefix(string prefix);
    /// @notice `prefix` already belongs to enterprise `ownerId`.
    error CompanyPrefixTaken(string prefix, bytes32 ownerId);
    /// @notice The threshold must be between 1 and the number of admins.
    error InvalidThreshold(uint256 threshold, uint256 adminCount);
    /// @notice The change would leave fewer active admins than the approval threshold.
    error AdminQuorumUnreachable(uint256 adminsLeft, uint256 threshold);
    /// @notice No proposal with this id.
    error UnknownProposal(uint256 proposalId);
    /// @notice The proposal was already executed.
    error ProposalAlreadyExecuted(uint256 proposalId);
    /// @notice An admin was revoked after the proposal was made; propose again.
    error ProposalStale(uint256 proposalId);
    /// @notice `admin` already approved this proposal.
    error AlreadyApproved(uint256 proposalId, address admin);

    // ---------------------------------------------------------------- events

    /// @notice A role (other than Enterprise) was granted.
    event RoleGranted(address indexed account, Role role);
    /// @notice A role was revoked; for an enterprise key this also revokes the enterprise.
    event RoleRevoked(address indexed account, Role role);
    /// @notice An admin proposed a role change (`role == Role.None`: revoke `account`).
    event RoleChangeProposed(
        uint256 indexed proposalId, address indexed proposer, address indexed account, Role role
    );
    /// @notice An admin approved a proposal (the proposer's own approval included).
    event RoleChangeApproved(uint256 indexed proposalId, address indexed admin, uint256 approvals);
    /// @notice A proposal reached the threshold and was applied.
    event RoleChangeExecuted(uint256 indexed proposalId, address indexed account, Role role);
    /// @notice A new enterprise entry with its first signing key.
    event EnterpriseRegistered(
        bytes32 indexed enterpriseId, address indexed signingKey, uint8 sectors, bytes32 metadataHash
    );
    /// @notice A GS1 company prefix was assigned to an enterprise.
    event CompanyPrefixAssigned(bytes32 indexed enterpriseId, string prefix);
    /// @notice An enterprise changed its metadata hash.
    event EnterpriseMetadataUpdated(bytes32 indexed enterpriseId, bytes32 metadataHash);
    /// @notice A regulator suspended an enterprise.
    event EnterpriseSuspended(bytes32 indexed enterpriseId, address indexed regulator, bytes32 reasonHash);
    /// @notice A regulator reinstated a suspended enterprise.
    event EnterpriseReinstated(bytes32 indexed enterpriseId, address indexed regulator);
    /// @notice Admin quorum revoked an enterprise (and its current key).
    event EnterpriseRevoked(bytes32 indexed enterpriseId);
    /// @notice An enterprise replaced its signing key; the old key is no longer a member.
    event SigningKeyRotated(bytes32 indexed enterpriseId, address indexed oldKey, address indexed newKey);

    // ---------------------------------------------------------------- state

    /// @notice Approvals a role change needs (M of N admins).
    uint256 public immutable approvalThreshold;
    /// @notice Number of active admins (N).
    uint256 public adminCount;
    /// @notice Bumped whenever an admin is revoked; voids older proposals.
    uint64 public adminEpoch;

    mapping(address => Account) private _accounts;
    mapping(bytes32 => Enterprise) private _enterprises;
    mapping(bytes32 => address[]) private _keyHistory;
    mapping(bytes32 => string[]) private _prefixes;
    mapping(bytes32 => bytes32) private _prefixOwner; // keccak256(prefix) => enterpriseId
    Proposal[] private _proposals;
    mapping(uint256 => mapping(address => bool)) private _approved;

    // ---------------------------------------------------------------- set-up

    /// @param initialAdmins The first admins (msg.sender alone if empty).
    /// @param threshold Approvals a role change needs, 1 <= threshold <= number of admins.
    constructor(address[] memory initialAdmins, uint256 threshold) {
        if (initialAdmins.length == 0) {
            initialAdmins = new address[](1);
            initialAdmins[0] = msg.sender;
        }
        if (threshold == 0 || threshold > initialAdmins.length) {
            revert InvalidThreshold(threshold, initialAdmins.length);
        }
        approvalThreshold = threshold;
        for (uint256 i = 0; i < initialAdmins.length; ++i) {
            _grant(initialAdmins[i], Role.Admin);
        }
    }

    modifier onlyRole(Role role) {
        if (!hasRole(msg.sender, role)) revert NotAuthorized(msg.sender, role);
        _;
    }

    // ---------------------------------------------------------------- views

    /// @notice True if `account` may send transactions: an active staff role, or the current
    ///         key of an active enterprise.
    function isMember(address account) external view returns (bool) {
        Account storage entry = _accounts[account];
        if (entry.state != AccountState.Active) return false;
        if (entry.role != Role.Enterprise) return true;
        return _enterprises[entry.enterpriseId].status == EnterpriseStatus.Active;
    }

    /// @notice The role `account` holds, or Role.None if it never held one, was revoked or
    ///         was rotated away. A suspended enterprise's key still reports Role.Enterprise;
    ///         use `isMember` for admission.
    function roleOf(address account) external view returns (Role) {
        Account storage entry = _accounts[account];
        return entry.state == AccountState.Active ? entry.role : Role.None;
    }

    /// @notice True if `account` actively holds `role`; for Role.Enterprise the enterprise
    ///         must also be active (not suspended).
    function hasRole(address account, Role role) public view returns (bool) {
        Account storage entry = _accounts[account];
        if (entry.state != AccountState.Active || entry.role != role || role == Role.None) {
            return false;
        }
        if (role != Role.Enterprise) return true;
        return _enterprises[entry.enterpriseId].status == EnterpriseStatus.Active;
    }

    /// @notice The full record of an address, including revoked and rotated ones, so that
    ///         signatures made with an old key can still be attributed.
    function accountOf(address account)
        external
        view
        returns (Role role, AccountState state, bytes32 enterpriseId)
    {
        Account storage entry = _accounts[account];
        return (entry.role, entry.state, entry.enterpriseId);
    }

    /// @notice The enterprise an address is (or was) a signing key of; 0 if none.
    function enterpriseOf(address account) external view returns (bytes32) {
        return _accounts[account].enterpriseId;
    }

    /// @notice An enterprise entry. Reverts `UnknownEnterprise` if not registered.
    function enterprise(bytes32 enterpriseId)
        external
        view
        returns (EnterpriseStatus status, uint8 sectors, bytes32 metadataHash, address signingKey)
    {
        Enterprise storage entry = _knownEnterprise(enterpriseId);
        return (entry.status, entry.sectors, entry.metadataHash, entry.signingKey);
    }

    /// @notice Every signing key the enterprise has had, oldest first; the last is current.
    function keyHistory(bytes32 enterpriseId) external view returns (address[] memory) {
        _knownEnterprise(enterpriseId);
        return _keyHistory[enterpriseId];
    }

    /// @notice The GS1 company prefixes assigned to the enterprise, in assignment order.
    function companyPrefixes(bytes32 enterpriseId) external view returns (string[] memory) {
        _knownEnterprise(enterpriseId);
        return _prefixes[enterpriseId];
    }

    /// @notice The enterprise holding GS1 company prefix `prefix`, or 0 if none.
    function companyPrefixOwner(string calldata prefix) external view returns (bytes32) {
        return _prefixOwner[keccak256(bytes(prefix))];
    }

    /// @notice True if `account` is the current key of an active enterprise that holds
    ///         `prefix`. Whether a given GS1 key really carries that prefix is checked
    ///         off-chain (the prefix length is not encoded in a GTIN).
    function holdsCompanyPrefix(address account, string calldata prefix) external view returns (bool) {
        if (!hasRole(account, Role.Enterprise)) return false;
        bytes32 id = _accounts[account].enterpriseId;
        return _prefixOwner[keccak256(bytes(prefix))] == id;
    }

    /// @notice Number of proposals made so far (ids are 0 .. count - 1).
    function proposalCount() external view returns (uint256) {
        return _proposals.length;
    }

    /// @notice A role-change proposal. Reverts `UnknownProposal` for an unknown id.
    function proposal(uint256 proposalId)
        external
        view
        returns (address account, Role role, uint256 approvals, bool executed, bool stale)
    {
        Proposal storage entry = _knownProposal(proposalId);
        return (entry.account, entry.role, entry.approvals, entry.executed, entry.adminEpoch != adminEpoch);
    }

    /// @notice True if `admin` approved proposal `proposalId`.
    function hasApproved(uint256 proposalId, address admin) external view returns (bool) {
        return _approved[proposalId][admin];
    }

    // ---------------------------------------------------------------- role changes (M of N)

    /// @notice Propose granting `role` to a fresh `account`, or revoking `account` if
    ///         `role == Role.None`. Counts as the proposer's approval, so with a threshold of
    ///         1 it executes at once.
    /// @return proposalId The id to pass to `approveRoleChange`.
    function proposeRoleChange(address account, Role role)
        external
        onlyRole(Role.Admin)
        returns (uint256 proposalId)
    {
        _checkRoleChange(account, role);
        proposalId = _proposals.length;
        _proposals.push(Proposal(account, role, 0, false, adminEpoch));
        emit RoleChangeProposed(proposalId, msg.sender, account, role);
        _approve(proposalId);
    }

    /// @notice Approve a pending proposal; the approval that reaches the threshold executes it.
    function approveRoleChange(uint256 proposalId) external onlyRole(Role.Admin) {
        Proposal storage entry = _knownProposal(proposalId);
        if (entry.executed) revert ProposalAlreadyExecuted(proposalId);
        if (entry.adminEpoch != adminEpoch) revert ProposalStale(proposalId);
        if (_approved[proposalId][msg.sender]) revert AlreadyApproved(proposalId, msg.sender);
        _approve(proposalId);
    }

    // ---------------------------------------------------------------- enterprises

    /// @notice Register an enterprise with its first signing key.
    /// @param enterpriseId Hash of the enterprise's Unified Social Credit Code (computed and
    ///        check-character-validated off-chain); the stable id across key rotations.
    /// @param signingKey A fresh address for the enterprise's secp256k1 key.
    /// @param sectors Bitmask of SECTOR_FOOD and SECTOR_SPECIAL_EQUIPMENT.
    /// @param prefixes GS1 company prefixes licensed to the enterprise (may be empty).
    /// @param metadataHash Hash of the off-chain enterprise record.
    function registerEnterprise(
        bytes32 enterpriseId,
        address signingKey,
        uint8 sectors,
        string[] calldata prefixes,
        bytes32 metadataHash
    ) external onlyRole(Role.Admin) {
        if (enterpriseId == bytes32(0)) revert ZeroValue();
        if (_enterprises[enterpriseId].status != EnterpriseStatus.None) {
            revert EnterpriseAlreadyRegistered(enterpriseId);
        }
        if (sectors == 0 || sectors & ~_ALL_SECTORS != 0) revert InvalidSectors(sectors);
        _checkFresh(signingKey);
        _enterprises[enterpriseId] = Enterprise(EnterpriseStatus.Active, sectors, metadataHash, signingKey);
        _accounts[signingKey] = Account(Role.Enterprise, AccountState.Active, enterpriseId);
        _keyHistory[enterpriseId].push(signingKey);
        emit EnterpriseRegistered(enterpriseId, signingKey, sectors, metadataHash);
        for (uint256 i = 0; i < prefixes.length; ++i) {
            _assignPrefix(enterpriseId, prefixes[i]);
        }
    }

    /// @notice Assign another GS1 company prefix to a registered, not revoked enterprise.
    function assignCompanyPrefix(bytes32 enterpriseId, string calldata prefix)
        external
        onlyRole(Role.Admin)
    {
        EnterpriseStatus status = _knownEnterprise(enterpriseId).status;
        if (status == EnterpriseStatus.Revoked) revert EnterpriseNotActive(enterpriseId, status);
        _assignPrefix(enterpriseId, prefix);
    }

    /// @notice A regulator suspends an active enterprise: its key stops being a member.
    /// @param reasonHash Hash of the off-chain decision.
    function suspendEnterprise(bytes32 enterpriseId, bytes32 reasonHash)
        external
        onlyRole(Role.Regulator)
    {
        Enterprise storage entry = _knownEnterprise(enterpriseId);
        if (entry.status != EnterpriseStatus.Active) revert EnterpriseNotActive(enterpriseId, entry.status);
        entry.status = EnterpriseStatus.Suspended;
        emit EnterpriseSuspended(enterpriseId, msg.sender, reasonHash);
    }

    /// @notice A regulator reinstates a suspended enterprise.
    function reinstateEnterprise(bytes32 enterpriseId) external onlyRole(Role.Regulator) {
        Enterprise storage entry = _knownEnterprise(enterpriseId);
        if (entry.status != EnterpriseStatus.Suspended) {
            revert EnterpriseNotSuspended(enterpriseId, entry.status);
        }
        entry.status = EnterpriseStatus.Active;
        emit EnterpriseReinstated(enterpriseId, msg.sender);
    }

    /// @notice The current key of an active or suspended enterprise replaces itself with the
    ///         fresh address `newKey`. The old key keeps its history entry (records it signed
    ///         stay attributable) but is no longer a member.
    function rotateSigningKey(address newKey) external {
        Account storage old = _accounts[msg.sender];
        if (old.state != AccountState.Active || old.role != Role.Enterprise) {
            revert NotAuthorized(msg.sender, Role.Enterprise);
        }
        bytes32 enterpriseId = old.enterpriseId;
        Enterprise storage entry = _enterprises[enterpriseId];
        _checkFresh(newKey);
        old.state = AccountState.Rotated;
        _accounts[newKey] = Account(Role.Enterprise, AccountState.Active, enterpriseId);
        entry.signingKey = newKey;
        _keyHistory[enterpriseId].push(newKey);
        emit SigningKeyRotated(enterpriseId, msg.sender, newKey);
    }

    /// @notice The current key of an active enterprise updates its metadata hash.
    function updateMetadata(bytes32 metadataHash) external onlyRole(Role.Enterprise) {
        bytes32 enterpriseId = _accounts[msg.sender].enterpriseId;
        _enterprises[enterpriseId].metadataHash = metadataHash;
        emit EnterpriseMetadataUpdated(enterpriseId, metadataHash);
    }

    // ---------------------------------------------------------------- internals

    function _approve(uint256 proposalId) private {
        Proposal storage entry = _proposals[proposalId];
        _approved[proposalId][msg.sender] = true;
        uint16 approvals = entry.approvals + 1;
        entry.approvals = approvals;
        emit RoleChangeApproved(proposalId, msg.sender, approvals);
        if (approvals >= approvalThreshold) {
            // Re-check: an earlier proposal may have changed the account since.
            _checkRoleChange(entry.account, entry.role);
            entry.executed = true;
            if (entry.role == Role.None) {
                _revoke(entry.account);
            } else {
                _grant(entry.account, entry.role);
            }
            emit RoleChangeExecuted(proposalId, entry.account, entry.role);
        }
    }

    function _checkRoleChange(address account, Role role) private view {
        if (role == Role.Enterprise) revert InvalidRole(role);
        if (role != Role.None) {
            _checkFresh(account);
            return;
        }
        Account storage entry = _accounts[account];
        if (entry.state != AccountState.Active) revert AccountNotActive(account, entry.state);
        if (entry.role == Role.Admin && adminCount - 1 < approvalThreshold) {
            revert AdminQuorumUnreachable(adminCount - 1, approvalThreshold);
        }
    }

    function _checkFresh(address account) private view {
        if (account == address(0)) revert ZeroValue();
        Account storage entry = _accounts[account];
        if (entry.state != AccountState.None) revert AccountAlreadyUsed(account, entry.role, entry.state);
    }

    function _grant(address account, Role role) private {
        _checkFresh(account);
        _accounts[account] = Account(role, AccountState.Active, bytes32(0));
        if (role == Role.Admin) ++adminCount;
        emit RoleGranted(account, role);
    }

    function _revoke(address account) private {
        Account storage entry = _accounts[account];
        entry.state = AccountState.Revoked;
        if (entry.role == Role.Admin) {
            --adminCount;
            ++adminEpoch;
        } else if (entry.role == Role.Enterprise) {
            _enterprises[entry.enterpriseId].status = EnterpriseStatus.Revoked;
            emit EnterpriseRevoked(entry.enterpriseId);
        }
        emit RoleRevoked(account, entry.role);
    }

    function _assignPrefix(bytes32 enterpriseId, string calldata prefix) private {
        bytes memory digits = bytes(prefix);
        if (digits.length < _MIN_PREFIX_LENGTH || digits.length > _MAX_PREFIX_LENGTH) {
            revert InvalidCompanyPrefix(prefix);
        }
        for (uint256 i = 0; i < digits.length; ++i) {
            if (digits[i] < "0" || digits[i] > "9") revert InvalidCompanyPrefix(prefix);
        }
        bytes32 key = keccak256(digits);
        bytes32 owner = _prefixOwner[key];
        if (owner != bytes32(0)) revert CompanyPrefixTaken(prefix, owner);
        _prefixOwner[key] = enterpriseId;
        _prefixes[enterpriseId].push(prefix);
        emit CompanyPrefixAssigned(enterpriseId, prefix);
    }

    function _knownEnterprise(bytes32 enterpriseId) private view returns (Enterprise storage entry) {
        entry = _enterprises[enterpriseId];
        if (entry.status == EnterpriseStatus.None) revert UnknownEnterprise(enterpriseId);
    }

    function _knownProposal(uint256 proposalId) private view returns (Proposal storage) {
        if (proposalId >= _proposals.length) revert UnknownProposal(proposalId);
        return _proposals[proposalId];
    }
}

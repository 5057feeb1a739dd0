// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Role, NotAuthorized} from "./Roles.sol";
import {MemberRegistry} from "./MemberRegistry.sol";

/// @title TraceAnchor: the chain's append-only record of the TraceLedger log's tree heads
/// @notice An anchorer appends tree heads (tree size, RFC 9162 root). Each new head must come
///         with an RFC 9162 consistency proof from the latest anchored head, checked here with
///         the SHA-256 precompile, so the anchored history can only grow. Anyone can check an
///         inclusion proof against an anchored head with `eth_call` on `verifyInclusion`;
///         witnesses co-sign heads they have checked against their own copy of the log.
/// @dev Hashing follows RFC 9162 §2.1.1: node = SHA-256(0x01 || left || right). Leaf hashes
///      (SHA-256(0x00 || entry)) are computed off-chain; this contract never sees entries.
///
///      Errors versus results: a call that cannot be answered (unknown tree size, leaf index
///      out of range, proof of the wrong length) reverts with a custom error; a well-formed
///      inclusion proof that leads to another root returns false.
contract TraceAnchor {
    /// @notice An anchored tree head.
    struct TreeHead {
        uint64 treeSize;
        uint64 blockNumber; // block that anchored it
        uint64 timestamp; //   that block's timestamp
        bytes32 rootHash;
    }

    // ---------------------------------------------------------------- errors

    /// @notice Tree size 0 (the empty tree) is never anchored.
    error EmptyTree();
    /// @notice The new head is smaller than the latest anchored head.
    error TreeShrank(uint64 latestSize, uint64 treeSize);
    /// @notice The new head equals the latest anchored head; nothing to anchor.
    error StaleHead(uint64 treeSize, bytes32 rootHash);
    /// @notice A head of this size is anchored with a different root: evidence of a fork.
    error ConflictingRoot(uint64 treeSize, bytes32 anchoredRoot, bytes32 rootHash);
    /// @notice A proof has the wrong number of hashes for its sizes or index.
    error ProofLengthMismatch(uint256 expected, uint256 actual);
    /// @notice The consistency proof does not lead from the latest head to the new one.
    error InconsistentHead(uint64 oldSize, bytes32 oldRoot, uint64 treeSize, bytes32 rootHash);
    /// @notice No head of this tree size is anchored.
    error UnknownTreeSize(uint64 treeSize);
    /// @notice No head with this index.
    error UnknownHeadIndex(uint256 headIndex);
    /// @notice The leaf index is not below the tree size.
    error LeafIndexOutOfRange(uint64 leafIndex, uint64 treeSize);
    /// @notice This witness already co-signed this head.
    error AlreadyWitnessed(uint256 headIndex, address witness);

    // ---------------------------------------------------------------- events

    /// @notice A tree head was anchored.
    event TreeHeadAnchored(
        uint256 indexed headIndex, uint64 treeSize, bytes32 rootHash, address indexed anchorer
    );
    /// @notice A witness co-signed an anchored head.
    event TreeHeadWitnessed(
        uint256 indexed headIndex, address indexed witness, uint64 treeSize, bytes32 rootHash
    );

    // ---------------------------------------------------------------- state

    /// @notice The registry that decides who is an anchorer or a witness.
    MemberRegistry public immutable registry;

    TreeHead[] private _heads;
    mapping(uint64 => uint256) private _indexPlusOneBySize;
    mapping(uint256 => mapping(address => bool)) private _witnessed;
    mapping(uint256 => uint256) private _witnessCount;

    constructor(MemberRegistry memberRegistry) {
        registry = memberRegistry;
    }

    modifier onlyRole(Role role) {
        if (!registry.hasRole(msg.sender, role)) revert NotAuthorized(msg.sender, role);
        _;
    }

    // ---------------------------------------------------------------- writes

    /// @notice Anchor the tree head (treeSize, rootHash).
    /// @param consistencyProof RFC 9162 §2.1.4.1 PROOF(latest size, D[treeSize]); empty for
    ///        the first head.
    /// @dev Reverts EmptyTree, TreeShrank, StaleHead (same head again), ConflictingRoot (same
    ///      size, other root), ProofLengthMismatch or InconsistentHead.
    function anchor(uint64 treeSize, bytes32 rootHash, bytes32[] calldata consistencyProof)
        external
        onlyRole(Role.Anchorer)
    {
        if (treeSize == 0) revert EmptyTree();
        uint256 count = _heads.length;
        if (count == 0) {
            if (consistencyProof.length != 0) revert ProofLengthMismatch(0, consistencyProof.length);
        } else {
            TreeHead storage latest = _heads[count - 1];
            uint64 oldSize = latest.treeSize;
            bytes32 oldRoot = latest.rootHash;
            if (treeSize < oldSize) revert TreeShrank(oldSize, treeSize);
            if (treeSize == oldSize) {
                if (rootHash == oldRoot) revert StaleHead(treeSize, rootHash);
                revert ConflictingRoot(treeSize, oldRoot, rootHash);
            }
            (bool oldMatches, bytes32 newRoot) =
                _rootFromConsistencyProof(oldSize, treeSize, oldRoot, consistencyProof);
            // RFC 9162 §2.1.4.2 step 7: fr == first_hash and sr == second_hash.
            if (!oldMatches || newRoot != rootHash) {
                revert InconsistentHead(oldSize, oldRoot, treeSize, rootHash);
            }
        }
        _heads.push(TreeHead(treeSize, uint64(block.number), uint64(block.timestamp), rootHash));
        _indexPlusOneBySize[treeSize] = count + 1;
        emit TreeHeadAnchored(count, treeSize, rootHash, msg.sender);
    }

    /// @notice A witness co-signs the anchored head (treeSize, rootHash), once per head.
    /// @dev Reverts UnknownTreeSize, ConflictingRoot (root differs from the anchored one) or
    ///      AlreadyWitnessed.
    function witness(uint64 treeSize, bytes32 rootHash) external onlyRole(Role.Witness) {
        uint256 headIndex = headIndexBySize(treeSize);
        bytes32 anchoredRoot = _heads[headIndex].rootHash;
        if (rootHash != anchoredRoot) revert ConflictingRoot(treeSize, anchoredRoot, rootHash);
        if (_witnessed[headIndex][msg.sender]) revert AlreadyWitnessed(headIndex, msg.sender);
        _witnessed[headIndex][msg.sender] = true;
        ++_witnessCount[headIndex];
        emit TreeHeadWitnessed(headIndex, msg.sender, treeSize, rootHash);
    }

    // ---------------------------------------------------------------- views

    /// @notice Number of anchored heads.
    function headCount() external view returns (uint256) {
        return _heads.length;
    }

    /// @notice The head with index `headIndex` (0 = first anchored). Reverts UnknownHeadIndex.
    function headAt(uint256 headIndex) public view returns (TreeHead memory) {
        if (headIndex >= _heads.length) revert UnknownHeadIndex(headIndex);
        return _heads[headIndex];
    }

    /// @notice The most recent head. Reverts UnknownHeadIndex(0) if none is anchored.
    function latestHead() external view returns (TreeHead memory) {
        uint256 count = _heads.length;
        if (count == 0) revert UnknownHeadIndex(0);
        return _heads[count - 1];
    }

    /// @notice Index of the head of size `treeSize`. Reverts UnknownTreeSize.
    function headIndexBySize(uint64 treeSize) public view returns (uint256) {
        uint256 indexPlusOne = _indexPlusOneBySize[treeSize];
        if (indexPlusOne == 0) revert UnknownTreeSize(treeSize);
        return indexPlusOne - 1;
    }

    /// @notice Root of the head of size `treeSize`. Reverts UnknownTreeSize.
    function rootAtSize(uint64 treeSize) external view returns (bytes32) {
        return _heads[headIndexBySize(treeSize)].rootHash;
    }

    /// @notice Number of witnesses that co-signed head `headIndex`.
    function witnessCount(uint256 headIndex) external view returns (uint256) {
        return _witnessCount[headIndex];
    }

    /// @notice True if `account` co-signed head `headIndex`.
    function hasWitnessed(uint256 headIndex, address account) external view returns (bool) {
        return _witnessed[headIndex][account];
    }

    /// @notice True if `proof` shows `leafHash` at `leafIndex` in the anchored head of size
    ///         `treeSize`, RFC 9162 §2.1.3.2; false if the proof leads to another root.
    /// @param leafHash SHA-256(0x00 || entry), RFC 9162 §2.1.1.
    /// @param proof PATH(leafIndex, D[treeSize]), leaf-side hash first.
    /// @dev Reverts UnknownTreeSize, LeafIndexOutOfRange or ProofLengthMismatch.
    function verifyInclusion(bytes32 leafHash, uint64 leafIndex, uint64 treeSize, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        bytes32 root = _heads[headIndexBySize(treeSize)].rootHash;
        if (leafIndex >= treeSize) revert LeafIndexOutOfRange(leafIndex, treeSize);
        (uint256 inner, uint256 border) = _inclusionProofSize(leafIndex, treeSize);
        if (proof.length != inner + border) revert ProofLengthMismatch(inner + border, proof.length);
        bytes32 node = leafHash;
        uint256 index = leafIndex;
        for (uint256 i = 0; i < proof.length; ++i) {
            // §2.1.3.2 step 3: LSB(fn) set, or on the right border (fn == sn, i >= inner):
            // the sibling is on the left.
            if (i >= inner || index & 1 == 1) {
                node = _hashNode(proof[i], node);
            } else {
                node = _hashNode(node, proof[i]);
            }
            index >>= 1;
        }
        return node == root; // §2.1.3.2 step 4
    }

    // ---------------------------------------------------------------- proof arithmetic

    /// @dev Computes (fr, sr) of RFC 9162 §2.1.4.2 for 0 < oldSize < newSize and returns
    ///      (fr == oldRoot, sr). Same bit arithmetic as anchoring.core.merkle.verify: the
    ///      proof is PATH(oldSize - 1, D[newSize]) with the complete subtree holding the old
    ///      tree's last leaf treated as one node, prefixed by that node unless oldSize is a
    ///      power of two (then the node is oldRoot itself).
    function _rootFromConsistencyProof(
        uint64 oldSize,
        uint64 newSize,
        bytes32 oldRoot,
        bytes32[] calldata proof
    ) private pure returns (bool oldMatches, bytes32 newRoot) {
        uint256 lastOld = oldSize - 1;
        (uint256 inner, uint256 border) = _inclusionProofSize(lastOld, newSize);
        // Step 4: shift out the trailing zero bits of oldSize (the complete subtree).
        uint256 shift = _bitLength(uint256(oldSize) & (~uint256(oldSize) + 1)) - 1;
        inner -= shift;
        // Step 2: when oldSize is a power of two, first_hash is the seed and is not sent.
        bool seeded = uint256(oldSize) == 1 << shift;
        uint256 expected = inner + border + (seeded ? 0 : 1);
        if (proof.length != expected) revert ProofLengthMismatch(expected, proof.length);

        uint256 start = seeded ? 0 : 1;
        bytes32 oldNode = seeded ? oldRoot : proof[0]; // step 5: fr
        bytes32 newNode = oldNode; //                      step 5: sr
        uint256 index = lastOld >> shift;
        for (uint256 i = start; i < proof.length; ++i) {
            bytes32 sibling = proof[i];
            if (i - start >= inner || index & 1 == 1) {
                // Step 6: LSB(fn) set or fn == sn: a left sibling, in both trees.
                oldNode = _hashNode(sibling, oldNode);
                newNode = _hashNode(sibling, newNode);
            } else {
                // Step 6 otherwise: a right sibling, only in the new tree.
                newNode = _hashNode(newNode, sibling);
            }
            index >>= 1;
        }
        return (oldNode == oldRoot, newNode);
    }

    /// @dev (inner, border) parts of PATH(index, D[size]) for index < size: `inner` levels
    ///      below the node where the paths to index and size - 1 diverge, `border` left
    ///      siblings above it.
    function _inclusionProofSize(uint256 index, uint256 size)
        private
        pure
        returns (uint256 inner, uint256 border)
    {
        inner = _bitLength(index ^ (size - 1));
        border = _popCount(index >> inner);
    }

    /// @dev SHA-256(0x01 || left || right), RFC 9162 §2.1.1, through the precompile at 0x02.
    function _hashNode(bytes32 left, bytes32 right) private pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x01), left, right));
    }

    /// @dev Number of bits needed to write x (0 for 0); x < 2^64 here.
    function _bitLength(uint256 x) private pure returns (uint256 length) {
        if (x >= 1 << 32) { x >>= 32; length += 32; }
        if (x >= 1 << 16) { x >>= 16; length += 16; }
        if (x >= 1 << 8) { x >>= 8; length += 8; }
        if (x >= 1 << 4) { x >>= 4; length += 4; }
        if (x >= 1 << 2) { x >>= 2; length += 2; }
        if (x >= 1 << 1) { x >>= 1; length += 1; }
        if (x != 0) length += 1;
    }

    /// @dev Number of set bits in x (x < 2^64 here, so at most 64 iterations).
    function _popCount(uint256 x) private pure returns (uint256 count) {
        while (x != 0) {
            x &= x - 1;
            ++count;
        }
    }
}

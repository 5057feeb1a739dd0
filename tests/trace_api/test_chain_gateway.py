"""The gateway's reverts and outages are domain errors whose problem documents are the
ones clients have always seen (type, status, title, detail, chainError, Retry-After)."""

from __future__ import annotations

from eth_abi.abi import encode

from contracts.abi import Contract, MemberRole, error_selector
from trace_api.chain_gateway import ChainError, _unavailable, decode_revert, revert_error
from trace_api.errors import Conflict, NotAllowed, NotFound, Unavailable, Unprocessable
from trace_api.problems import problem_from

CALLER = "0x" + "ab" * 20


def test_a_custom_error_decodes_by_name_with_its_arguments() -> None:
    data = error_selector(Contract.TRACE_ANCHOR, "NotAuthorized") + encode(
        ["address", "uint8"], [CALLER, MemberRole.ANCHORER])
    assert decode_revert(data) == ChainError("NotAuthorized", {
        "caller": CALLER, "requiredRole": 3})
    assert decode_revert(b"\x00\x11\x22\x33") is None


def test_reverts_keep_their_problem_documents() -> None:
    unknown = revert_error(ChainError("UnknownEnterprise", {"enterpriseId": "0x" + "00" * 32}))
    assert isinstance(unknown, NotFound)
    problem = problem_from(unknown)
    assert problem.to_dict() == {
        "type": "https://traceledger.dev/problems/chain-rejected",
        "title": "Rejected by the chain", "status": 404,
        "detail": "the contract refused the call: UnknownEnterprise",
        "chainError": {"name": "UnknownEnterprise",
                       "arguments": {"enterpriseId": "0x" + "00" * 32}},
    }
    assert isinstance(revert_error(ChainError("InvalidSectors", {})), Unprocessable)
    assert isinstance(revert_error(ChainError("NotAuthorized", {})), NotAllowed)
    assert problem_from(revert_error(ChainError("EnterpriseSuspended", {}))).status == 409
    undecoded = revert_error(None)
    assert isinstance(undecoded, Conflict)
    assert problem_from(undecoded).to_dict() == {
        "type": "https://traceledger.dev/problems/chain-rejected",
        "title": "Rejected by the chain", "status": 409,
        "detail": "the transaction would revert",
    }


def test_an_unanswering_node_is_503_with_retry_after() -> None:
    error = _unavailable(OSError("connection refused"))
    assert isinstance(error, Unavailable)
    problem = problem_from(error)
    assert problem.status == 503
    assert problem.headers == {"Retry-After": "2"}
    assert problem.to_dict() == {
        "type": "https://traceledger.dev/problems/chain-unavailable",
        "title": "The chain is unavailable", "status": 503,
        "detail": "the ledger node did not answer; try again",
    }

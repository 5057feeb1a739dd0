"""`traceledger trace` prints a trace's audit findings under the tree (pure formatting)."""

from __future__ import annotations

from trace_api.provenance.cli import FINDINGS_SHOWN, findings_lines


def finding(number: int, severity: str = "high") -> dict[str, object]:
    return {"rule": "broken_chain", "severity": severity, "message": f"lot [b]{number} received",
            "eventHashId": f"ni:///sha-256;{number:064x}?ver=CBV2.0", "leafIndex": number,
            "enterpriseId": None, "subject": None, "details": {}}


def test_no_findings_print_nothing() -> None:
    assert findings_lines([]) == []


def test_findings_are_listed_with_markup_escaped_and_cut() -> None:
    lines = findings_lines([finding(1, "critical")] + [finding(n) for n in range(2, FINDINGS_SHOWN + 4)])
    assert lines[0] == f"findings: {FINDINGS_SHOWN + 3}"
    assert lines[1] == (f"  [bold red]critical[/] broken_chain: lot \\[b]1 received "
                        f"[dim]ni:///sha-256;{1:064x}?ver=CBV2.0[/]")
    assert len(lines) == 1 + FINDINGS_SHOWN + 1
    assert lines[-1] == "  … 3 more (--json lists all)"

"""Errors of the scan page's Python side (trust anchors, the static bundle): one base class."""

from __future__ import annotations


class ScanPageError(Exception):
    """Base of every error `scanner_app` raises on purpose."""


class TrustAnchorsError(ScanPageError, ValueError):
    """A trust-anchors document is malformed; `member` names the offending member
    (`"contracts.traceAnchor"`, `"witnesses[1].verifierKey"`, `""` for the whole)."""

    def __init__(self, member: str, reason: str) -> None:
        self.member = member
        self.reason = reason
        super().__init__(f"{member}: {reason}" if member else reason)


class NodeMismatchError(ScanPageError):
    """A JSON-RPC node serves another chain than the trust anchors pin (chain id or
    genesis hash), or does not answer the question at all."""

    def __init__(self, what: str, pinned: object, served: object) -> None:
        self.what = what
        self.pinned = pinned
        self.served = served
        super().__init__(f"the node serves {what} {served}, the trust anchors pin {pinned}")


class BundleError(ScanPageError):
    """The static bundle cannot be written (a listed file is missing, the output is not empty)."""

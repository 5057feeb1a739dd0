"""Errors of the `contracts` package; callers catch `ContractsError`."""

from __future__ import annotations


class ContractsError(Exception):
    """Base class of every error this package raises."""


class ToolchainMissingError(ContractsError):
    """Node.js or the pinned npm packages (solc, anvil) are not installed."""


class CompilationError(ContractsError):
    """solc reported errors; `messages` holds its formatted messages."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("solc reported errors:\n" + "\n".join(messages))
        self.messages = messages


class UnknownArtifactError(ContractsError):
    """No compiled artifact of that name in contracts/build/."""

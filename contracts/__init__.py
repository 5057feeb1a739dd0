"""Solidity sources, the pinned solc set-up and the committed build artifacts."""

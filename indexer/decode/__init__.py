"""Decode: raw logs to typed rows, with the ABIs from the compiled contract artifacts.

`abi` decodes a log into a `DecodedEvent` (event name and arguments); `rows` maps each
event to the typed-table rows the sink writes. No I/O here.
"""

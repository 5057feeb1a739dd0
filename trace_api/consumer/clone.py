"""The clone alarm: one serialised item scanned suspiciously often from many places.

A genuine serialised item is in one place at a time: a shop, then one home. Copies of
its label (a counterfeiter printing one real code on many packs) get scanned in many
places. So, per serial, over the last `window_ms` (7 days):

- only scans of a label whose authenticator is **valid** are counted (`scans.record_scan`
  is told so by the consumer view): a code typed in, guessed or forged proves nothing
  about where the genuine label is, and counting it would let anyone raise the alarm on
  any serial (or fill the table) by sending made-up scans;
- a *place* is derived on the server only: the client's IPv4 /24 or IPv6 /48 network,
  stored as a keyed hash (never the address). Nothing the client sends picks the place
  (the scan page's former `place` parameter is gone: varying it used to count as many
  places);
- repeated scans from one place within `repeat_ms` (10 minutes: reloads, a second
  look) count once, and one place counts at most `max_scans_per_place` (2) times in
  the window, so one client cannot push the count up by scanning all week;
- one item keeps at most `max_scans_per_item` (64) counted scans in the window (far
  past the alarm), and its scans older than the window are deleted when it is scanned
  again, so the table holds at most 64 rows per genuine labelled serial;
- the alarm is raised when the serial has at least `min_places` (4) distinct places AND
  at least `min_scans` (8) counted scans in the window.

Why these numbers: a buyer moving between shop Wi-Fi, mobile data (carrier NAT changes
the /24 now and then) and home reaches 2-3 places; 4 places needs the code in several
hands. 8 scans keeps one curious buyer on a train (new /24 every few stations, a scan
each time) from tripping it alone; with at most 2 per place, 8 scans means at least 4
places anyway. Serials only: a lift's GIAI is scanned by every passenger from every
carrier, so places say nothing there.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

DAY_MS = 24 * 60 * 60 * 1000
COUNTED_AUTHENTICATOR = "valid"
"""The only authenticator state whose scans count toward the alarm."""


@dataclass(frozen=True)
class ClonePolicy:
    """Thresholds of the clone alarm (see module docstring for the reasons)."""

    window_ms: int = 7 * DAY_MS
    repeat_ms: int = 10 * 60 * 1000
    min_places: int = 4
    min_scans: int = 8
    max_scans_per_place: int = 2
    max_scans_per_item: int = 64


DEFAULT_POLICY = ClonePolicy()


@dataclass(frozen=True)
class Scan:
    """One counted scan of a serial: when, and from which (hashed) place."""

    at_ms: int
    place: str


@dataclass(frozen=True)
class CloneAssessment:
    """What the consumer view says about a serial's scans (counts are within the window)."""

    scan_count: int
    distinct_places: int
    alarm: bool


def coarse_place(client_host: str | None) -> str:
    """The coarse place of a scan, from the client address alone: its /24 (IPv4) or /48
    (IPv6) network (IPv4-mapped IPv6 as IPv4), else `unknown`."""
    if client_host:
        try:
            address = ipaddress.ip_address(client_host)
        except ValueError:
            return "unknown"
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        prefix = 24 if address.version == 4 else 48
        return "n:" + str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
    return "unknown"


def hash_place(key: bytes, place: str) -> str:
    """A keyed, one-way 16-hex-digit token of a place (the stored form)."""
    return hmac.new(key, b"TLPLACE1\n" + place.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def is_repeat(previous: Iterable[Scan], scan: Scan, policy: ClonePolicy = DEFAULT_POLICY) -> bool:
    """True when `scan` repeats a scan from the same place within `policy.repeat_ms`."""
    return any(p.place == scan.place and 0 <= scan.at_ms - p.at_ms < policy.repeat_ms
               for p in previous)


def is_counted(counted: Sequence[Scan], scan: Scan, policy: ClonePolicy = DEFAULT_POLICY) -> bool:
    """True when an authenticated `scan` of an item counts, given the item's scans counted
    so far: not a repeat, its place under `max_scans_per_place` and the item under
    `max_scans_per_item` within the window ending at the scan."""
    recent = [p for p in counted if scan.at_ms - policy.window_ms < p.at_ms <= scan.at_ms]
    return (not is_repeat(recent, scan, policy)
            and sum(1 for p in recent if p.place == scan.place) < policy.max_scans_per_place
            and len(recent) < policy.max_scans_per_item)


def assess(scans: Iterable[Scan], now_ms: int, policy: ClonePolicy = DEFAULT_POLICY) -> CloneAssessment:
    """Count the counted scans of one serial inside the window ending at `now_ms` and decide."""
    recent = [scan for scan in scans if now_ms - policy.window_ms < scan.at_ms <= now_ms]
    return verdict(len(recent), len({scan.place for scan in recent}), policy)


def verdict(scan_count: int, distinct_places: int, policy: ClonePolicy = DEFAULT_POLICY) -> CloneAssessment:
    """The assessment for counts already taken over the window."""
    return CloneAssessment(
        scan_count=scan_count,
        distinct_places=distinct_places,
        alarm=distinct_places >= policy.min_places and scan_count >= policy.min_scans,
    )

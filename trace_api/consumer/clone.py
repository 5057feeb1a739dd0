"""The clone alarm: one serialised item scanned suspiciously often from many places.

A genuine serialised item is in one place at a time: a shop, then one home. Copies of
its label (a counterfeiter printing one real code on many packs) get scanned in many
places. So, per serial, over the last `window_ms` (7 days):

- a *place* is coarse on purpose: the scan page's `place` value when it sends one
  (a city-level code), else the client's IPv4 /24 or IPv6 /48 network; it is stored only
  as a keyed hash (never the address);
- repeated scans from one place within `repeat_ms` (10 minutes: reloads, a second
  look) count once;
- the alarm is raised when the serial has at least `min_places` (4) distinct places AND
  at least `min_scans` (8) counted scans in the window.

Why these numbers: a buyer moving between shop Wi-Fi, mobile data (carrier NAT changes
the /24 now and then) and home reaches 2-3 places; 4 places needs the code in several
hands. 8 scans keeps one curious buyer on a train (new /24 every few stations, a scan
each time) from tripping it alone. Serials only: a lift's GIAI is scanned by every
passenger from every carrier, so places say nothing there.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

DAY_MS = 24 * 60 * 60 * 1000
PLACE_PARAM = re.compile(r"^[A-Za-z0-9._:-]{1,40}$")


@dataclass(frozen=True)
class ClonePolicy:
    """Thresholds of the clone alarm (see module docstring for the reasons)."""

    window_ms: int = 7 * DAY_MS
    repeat_ms: int = 10 * 60 * 1000
    min_places: int = 4
    min_scans: int = 8


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


def coarse_place(client_host: str | None, place_param: str | None) -> str:
    """The coarse place of a scan: `p:<param>` if the page gave a valid one, else the
    client's /24 (IPv4) or /48 (IPv6) network, else `unknown`."""
    if place_param and PLACE_PARAM.fullmatch(place_param):
        return "p:" + place_param.lower()
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

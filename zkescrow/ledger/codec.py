"""Canonical encoding of ledger objects: one byte string per value, so hashes and signatures agree.

Canonical JSON: keys sorted, no whitespace, integers as JSON integers (Python's
json keeps them exact), bytes as lowercase hex strings.  Transaction ids and
block hashes are SHA-256 over it.
"""
from __future__ import annotations

import hashlib
import json


def canonical(obj) -> bytes:
    """The canonical JSON bytes of a JSON-safe value."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def digest(obj) -> bytes:
    """SHA-256 of the canonical encoding."""
    return hashlib.sha256(canonical(obj)).digest()


def digest_to_field(data: bytes) -> int:
    """A 32-byte digest as an element of Fr: its top 253 bits, always < r."""
    return int.from_bytes(data, "big") >> 3

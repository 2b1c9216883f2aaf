"""Hashing byte strings to a uniform element of Fr.

``hash_to_fr(domain, *parts)`` is BLAKE2b-512 over

    len(domain) ‖ domain ‖ len(parts[0]) ‖ parts[0] ‖ … ‖ len(parts[k−1]) ‖ parts[k−1]

with every length an 8-byte big-endian integer, read as a big-endian 512-bit integer
and reduced mod r.  The length prefixes make the encoding injective: no two different
(domain, parts) tuples hash the same input, so ("ab", "c") and ("a", "bc") differ and
one domain can never collide with another.  A 512-bit value reduced mod a 254-bit r is
within statistical distance r/2^512 < 2^-258 of uniform (bias ≤ 2^-250 as required for
Fiat–Shamir challenges and random-linear-combination weights).
"""
import hashlib

from ..errors import MalformedInput
from .constants import R

_LENGTH_BYTES = 8


def hash_to_fr(domain: bytes, *parts: bytes) -> int:
    """A uniform-looking element of Fr (an int in [0, r)) bound to ``domain`` and ``parts``."""
    h = hashlib.blake2b(digest_size=64)
    for i, item in enumerate((domain, *parts)):
        if not isinstance(item, (bytes, bytearray, memoryview)):
            what = "domain" if i == 0 else f"part {i - 1}"
            raise MalformedInput(f"hash_to_fr {what} must be bytes, got {type(item).__name__}")
        item = bytes(item)
        h.update(len(item).to_bytes(_LENGTH_BYTES, "big"))
        h.update(item)
    return int.from_bytes(h.digest(), "big") % int(R)

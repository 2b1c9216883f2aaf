"""Pedersen value commitments on Baby Jubjub:  cv = v·G + r·H.

``v`` is an amount in [0, 2^64) and ``r`` a blinding factor in [0, SUBORDER).  The commitment
hides v (r is uniform) and binds it as long as nobody knows log_G(H).  It is additively
homomorphic, so a set of commitments balances when their difference is a commitment to 0:

    commit(a, r1) + commit(b, r2) == commit(a + b, r1 + r2 mod SUBORDER)

Generators (nothing up the sleeve).  G and H are found the way circomlib finds its
Pedersen-hash bases (circomlibjs ``pedersen_hash.js``), with our own labels:

    for try = 0, 1, 2, ...:
        h = BLAKE-256( label ‖ "_" ‖ try as a 32-digit zero-padded decimal )     (ASCII)
        clear bit 254 of h (h[31] &= 0xBF)
        if h is a valid packed point P (``Point.unpack``) and 8·P ≠ identity: return 8·P

    G = derive_generator("zkescrow/pedersen/value-base")
    H = derive_generator("zkescrow/pedersen/blinding-base")

Multiplying by the cofactor 8 puts the points in the prime-order subgroup.  Nobody chose the
points, so nobody knows log_G(H), nor the logs relative to BASE8.
"""
import secrets

from gmpy2 import mpz

from zkescrow.errors import MalformedInput

from .babyjub import IDENTITY, SUBORDER, Point
from .blake import blake256

VALUE_BITS = 64
VALUE_BASE_LABEL = "zkescrow/pedersen/value-base"
BLINDING_BASE_LABEL = "zkescrow/pedersen/blinding-base"


def derive_generator(label: str) -> Point:
    """The first try-and-increment hash of ``label`` that is a curve point, times the cofactor."""
    attempt = 0
    while True:
        h = bytearray(blake256(f"{label}_{attempt:032d}".encode("ascii")))
        h[31] &= 0xBF
        try:
            point = Point.unpack(bytes(h)).mul(8)
        except MalformedInput:
            point = IDENTITY
        if point != IDENTITY:
            return point
        attempt += 1


VALUE_BASE = derive_generator(VALUE_BASE_LABEL)          # G
BLINDING_BASE = derive_generator(BLINDING_BASE_LABEL)    # H


def _check_value(value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, type(mpz(0)))) or not 0 <= value < 1 << VALUE_BITS:
        raise MalformedInput(f"committed value must be an integer in [0, 2^{VALUE_BITS}), got {value!r}")
    return int(value)


def _check_blinding(blinding) -> int:
    if isinstance(blinding, bool) or not isinstance(blinding, (int, type(mpz(0)))) or not 0 <= blinding < SUBORDER:
        raise MalformedInput("blinding factor must be an integer in [0, SUBORDER)")
    return int(blinding)


def random_blinding() -> int:
    """A uniform blinding factor in [0, SUBORDER) from ``secrets``."""
    return secrets.randbelow(int(SUBORDER))


def commit(value: int, blinding: int) -> Point:
    """cv = value·G + blinding·H, value in [0, 2^64), blinding in [0, SUBORDER)."""
    return VALUE_BASE.mul(_check_value(value)) + BLINDING_BASE.mul(_check_blinding(blinding))


def verify_opening(commitment: Point, value: int, blinding: int) -> bool:
    """Whether (value, blinding) opens ``commitment``; out-of-range openings are refused."""
    return commit(value, blinding) == commitment


def commitment_to_zero(blinding: int) -> Point:
    """blinding·H, i.e. commit(0, blinding): what a balanced sum of commitments must equal."""
    return commit(0, blinding)

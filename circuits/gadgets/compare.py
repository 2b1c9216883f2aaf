"""Comparison gadgets (circomlib comparators.circom).

``less_than(cs, a, b, bits)`` is circomlib's LessThan: it decomposes
a + 2^bits − b into bits + 1 bits and reads the top one.  It is correct only
when a and b are already known to be < 2^bits (bits ≤ 252); it does NOT check
that.  The ``safe_`` variants range-check both inputs first (2·bits more
constraints) and are the ones to use on values a prover chooses freely.
"""
from gmpy2 import invert

from zkescrow.bn254.constants import R

from .bits import num2bits, range_check

MAX_COMPARE_BITS = 252


def is_zero(cs, x) -> "Signal":
    """1 if x = 0 else 0 (2 constraints: out = 1 − x·inv, x·out = 0)."""
    x = cs._signal(x)
    with cs.scope("IsZero"):
        inv = cs.hint(lambda v: int(invert(v, R)) if v else 0, x, name="inv")
        out = 1 - x * inv
        cs.assert_product(x, out, 0)
    return out


def is_equal(cs, a, b) -> "Signal":
    """1 if a = b else 0 (2 constraints)."""
    with cs.scope("IsEqual"):
        return is_zero(cs, cs._signal(a) - b)


def less_than(cs, a, b, bits: int) -> "Signal":
    """1 if a < b else 0, for a, b already known to be < 2^bits (bits + 1 constraints)."""
    if not 1 <= bits <= MAX_COMPARE_BITS:
        raise ValueError(f"less_than: bits = {bits} must be in 1..{MAX_COMPARE_BITS}")
    with cs.scope("LessThan"):
        diff_bits = num2bits(cs, cs._signal(a) + (1 << bits) - b, bits + 1)
        return 1 - diff_bits[bits]


def less_eq_than(cs, a, b, bits: int) -> "Signal":
    """1 if a ≤ b else 0 (inputs < 2^bits assumed, as for less_than)."""
    return less_than(cs, a, cs._signal(b) + 1, bits)


def greater_than(cs, a, b, bits: int) -> "Signal":
    """1 if a > b else 0 (inputs < 2^bits assumed, as for less_than)."""
    return less_than(cs, b, a, bits)


def greater_eq_than(cs, a, b, bits: int) -> "Signal":
    """1 if a ≥ b else 0 (inputs < 2^bits assumed, as for less_than)."""
    return less_than(cs, b, cs._signal(a) + 1, bits)


def safe_less_than(cs, a, b, bits: int) -> "Signal":
    """less_than after constraining a, b < 2^bits (3·bits + 1 constraints)."""
    with cs.scope("SafeLessThan"):
        range_check(cs, a, bits)
        range_check(cs, b, bits)
        return less_than(cs, a, b, bits)


def safe_less_eq_than(cs, a, b, bits: int) -> "Signal":
    """less_eq_than after constraining a, b < 2^bits."""
    with cs.scope("SafeLessEqThan"):
        range_check(cs, a, bits)
        range_check(cs, b, bits)
        return less_eq_than(cs, a, b, bits)


def assert_less_than(cs, a, b, bits: int) -> None:
    """Constrain a < b with a, b range-checked to `bits` bits."""
    cs.assert_equal(safe_less_than(cs, a, b, bits), 1)


def assert_less_eq_than(cs, a, b, bits: int) -> None:
    """Constrain a ≤ b with a, b range-checked to `bits` bits."""
    cs.assert_equal(safe_less_eq_than(cs, a, b, bits), 1)

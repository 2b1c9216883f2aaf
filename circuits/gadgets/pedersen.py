"""Pedersen value commitment in-circuit:  cv = v·G + r·H  (circuits.crypto.pedersen, same G and H).

Proves knowledge of an opening (v, r) with 0 ≤ v < 2^64 and 0 ≤ r < SUBORDER — the same ranges
the native ``commit`` accepts, so every opening is unique.  Cost: 1222 constraints — Num2Bits(64),
Num2Bits(251) and CompConstant for the ranges, two fixed-base multiplications (64 and 251 bits)
and one addition.  (circomlib has no value commitment; its Pedersen(n) hash is a different function.)
"""
from circuits.crypto.babyjub import SUBORDER
from circuits.crypto.pedersen import BLINDING_BASE, VALUE_BASE, VALUE_BITS

from .babyjub import point_add, scalar_mul_fixed
from .bits import comp_constant, num2bits

BLINDING_BITS = 251          # SUBORDER < 2^251


def value_commitment(cs, v, r) -> tuple:
    """(cx, cy) = v·G + r·H with v range-checked to 64 bits and r checked to be < SUBORDER."""
    with cs.scope("ValueCommitment"):
        v_bits = num2bits(cs, v, VALUE_BITS)
        r_bits = num2bits(cs, r, BLINDING_BITS)
        with cs.scope("BlindingBelowSubOrder"):
            r_too_big = comp_constant(cs, r_bits + [0] * (254 - BLINDING_BITS), SUBORDER - 1)
            cs.assert_equal(r_too_big, 0)
        value_part = scalar_mul_fixed(cs, v_bits, VALUE_BASE)
        blinding_part = scalar_mul_fixed(cs, r_bits, BLINDING_BASE)
        return point_add(cs, *value_part, *blinding_part)

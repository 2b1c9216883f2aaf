"""What a note ciphertext's length says about the note's value (an attack on variable-length plaintexts).

A sealed box adds 48 bytes to its plaintext.  When the plaintext is JSON with the
value in decimal, the length carries the number of digits of the value, blurred only
by the digit counts of the other fields: the owner and blinding (uniform field
elements, 75–77 digits) and ρ — which for an output of a spend anyone computes from
the public first nullifier, ρ_j = H(RHO, nf_0, j).  ``value_digits`` inverts the
length into the likeliest digit counts; ``digit_range`` turns a digit count into the
value interval.  A fixed-size plaintext makes every answer the same.
"""
from __future__ import annotations

from circuits.notes import output_rho

SEAL_OVERHEAD = 48
#: len('{"v":,"o":"","rho":"","r":"","a":}') + one digit of the native asset id 0
JSON_FIXED = 35
#: P(digits of a uniform element of Fr = d), for d = 77, 76, 75 (r ≈ 2.19·10^76)
FIELD_DIGITS = {77: 0.543, 76: 0.411, 75: 0.041}


def _pair_digits() -> dict[int, float]:
    out: dict[int, float] = {}
    for a, pa in FIELD_DIGITS.items():
        for b, pb in FIELD_DIGITS.items():
            out[a + b] = out.get(a + b, 0.0) + pa * pb
    return out


PAIR = _pair_digits()


def rho_digits(nullifiers: list | None, j: int) -> dict[int, float]:
    """Digit count distribution of output j's ρ: exact when the spend's first nullifier is public."""
    if nullifiers:
        return {len(str(output_rho(int(nullifiers[0]), j))): 1.0}
    return dict(FIELD_DIGITS)


def value_digits(ciphertext: str, rho: dict[int, float]) -> dict[int, float]:
    """{digit count of the value: probability} given a hex ciphertext's length (empty when it cannot be JSON)."""
    plain = len(ciphertext) // 2 - SEAL_OVERHEAD
    out: dict[int, float] = {}
    for pair, p_pair in PAIR.items():
        for r, p_rho in rho.items():
            d = plain - JSON_FIXED - pair - r
            if 1 <= d <= 20:
                out[d] = out.get(d, 0.0) + p_pair * p_rho
    total = sum(out.values())
    return {d: p / total for d, p in out.items()} if total else {}


def likely_digits(ciphertext: str, rho: dict[int, float], mass: float = 0.9) -> set[int]:
    """The smallest set of digit counts holding ``mass`` of the probability."""
    dist = sorted(value_digits(ciphertext, rho).items(), key=lambda kv: -kv[1])
    chosen, acc = set(), 0.0
    for d, p in dist:
        chosen.add(d)
        acc += p
        if acc >= mass:
            break
    return chosen


def digit_range(digits: set[int]) -> tuple[int, int]:
    """The values whose decimal digit count is in ``digits`` (1 digit: 0–9)."""
    if not digits:
        return 0, 0
    return (0 if min(digits) == 1 else 10 ** (min(digits) - 1)), 10 ** max(digits) - 1

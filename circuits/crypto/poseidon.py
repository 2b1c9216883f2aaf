"""Poseidon over BN254's scalar field with circomlib's parameters (1..16 inputs, x⁵, 8 full rounds).

``poseidon([x1, …, xn])`` equals circomlibjs ``poseidon`` and circomlib's ``Poseidon(n)`` template: the state
[0, x1, …, xn] (width t = n + 1) goes through the permutation and word 0 is the hash.  ``poseidon_ex`` is
``PoseidonEx``: a chosen initial capacity word and several output words.

The permutation (Poseidon paper; circomlibjs ``poseidon_reference.js``), round r = 0 … 8 + R_P − 1:
    s ← s + C[r];  s ← s⁵ word-wise in full rounds (r < 4 or r ≥ 4 + R_P), s₀ ← s₀⁵ in partial rounds;  s ← M·s.
``permute_reference`` is that text.  ``permute`` computes the same function in the sparse form of
``poseidon_constants.optimized`` (3t − 1 multiplications per partial round instead of t²).
"""
from __future__ import annotations

from collections.abc import Sequence
from itertools import repeat
from operator import mul

from gmpy2 import mpz

from zkescrow.bn254.constants import R
from zkescrow.errors import InvalidFieldElement, MalformedInput

from .poseidon_constants import FULL_ROUNDS, MAX_WIDTH, optimized, params

_P = mpz(R)
MAX_INPUTS = MAX_WIDTH - 1
_ZEROS = tuple(repeat(mpz(0), MAX_WIDTH))


def _field_elements(values, what: str) -> list:
    out = []
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, (int, type(_P))):
            raise InvalidFieldElement(f"{what} {i} must be an integer, got {type(v).__name__}")
        if not 0 <= v < _P:
            raise InvalidFieldElement(f"{what} {i} = {v} is not a field element (0 <= x < r)")
        out.append(mpz(v))
    return out


def _check_arity(inputs: Sequence) -> None:
    if not 1 <= len(inputs) <= MAX_INPUTS:
        raise MalformedInput(f"Poseidon takes 1..{MAX_INPUTS} inputs, got {len(inputs)}")


def _full_round(s, constants, matrix, p=_P):
    """S-box on every word, add the (moved) round constants, multiply by the matrix."""
    u = []
    for x, c in zip(s, constants):
        x2 = x * x % p
        u.append(x2 * x2 % p * x + c)
    return [sum(map(mul, row, u)) % p for row in matrix]


def permute(state: Sequence[int]) -> list[int]:
    """The Poseidon permutation of a state of width 2..17 (elements already in [0, r)), in the sparse form."""
    p = _P
    o = optimized(len(state))
    s = [mpz(x) + c for x, c in zip(state, o.first)]
    for constants in o.full_first:
        s = _full_round(s, constants, o.mds)
    s = _full_round(s, o.partial_in, o.pre_sparse)
    # Words 1.. only accumulate (x + c·s0) during the partial rounds: they are reduced once, after them.
    if o.t == 3:                                   # the Merkle-tree width: the same loop, unpacked
        s0, s1, s2 = s
        for k, r0, (r1, r2), (c1, c2) in o.partial:
            x2 = s0 * s0 % p
            s0 = x2 * x2 % p * s0 % p + k
            s0, s1, s2 = (r0 * s0 + r1 * s1 + r2 * s2) % p, s1 + c1 * s0, s2 + c2 * s0
        s = [s0, s1 % p, s2 % p]
    else:
        s0, rest = s[0], s[1:]
        for k, r0, row_rest, column in o.partial:
            x2 = s0 * s0 % p
            s0 = x2 * x2 % p * s0 % p + k
            s0, rest = ((r0 * s0 + sum(map(mul, row_rest, rest))) % p,
                        [x + c * s0 for x, c in zip(rest, column)])
        s = [s0, *(x % p for x in rest)]
    for constants in o.full_last:
        s = _full_round(s, constants, o.mds)
    s = _full_round(s, _ZEROS, o.mds)
    return [int(x) for x in s]


def permute_reference(state: Sequence[int]) -> list[int]:
    """The same permutation computed literally from the round description (the test oracle for ``permute``)."""
    pr = params(len(state))
    half = FULL_ROUNDS // 2
    s = [mpz(x) for x in state]
    for r, constants in enumerate(pr.round_constants):
        s = [(x + c) % _P for x, c in zip(s, constants)]
        if r < half or r >= half + pr.partial_rounds:
            s = [pow(x, 5, _P) for x in s]
        else:
            s[0] = pow(s[0], 5, _P)
        s = [sum(m * x for m, x in zip(row, s)) % _P for row in pr.mds]
    return [int(x) for x in s]


def poseidon_ex(inputs: Sequence[int], init_state: int = 0, n_out: int = 1) -> list[int]:
    """circomlib ``PoseidonEx(n, n_out)``: the first n_out words of permute([init_state, *inputs])."""
    _check_arity(inputs)
    state = _field_elements([init_state, *inputs], "Poseidon input")
    if not 1 <= n_out <= len(state):
        raise MalformedInput(f"Poseidon with {len(inputs)} inputs has 1..{len(state)} outputs, not {n_out}")
    return permute(state)[:n_out]


def poseidon(inputs: Sequence[int]) -> int:
    """circomlib ``Poseidon(n)`` / circomlibjs ``poseidon(inputs)`` for 1..16 field elements."""
    _check_arity(inputs)
    return permute([_P * 0, *_field_elements(inputs, "Poseidon input")])[0]


def poseidon_reference(inputs: Sequence[int], init_state: int = 0) -> int:
    """``poseidon`` through ``permute_reference`` (slow, literal)."""
    _check_arity(inputs)
    return permute_reference(_field_elements([init_state, *inputs], "Poseidon input"))[0]

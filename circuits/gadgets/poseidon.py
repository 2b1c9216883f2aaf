"""Poseidon in-circuit, circomlib's ``Poseidon(n)`` / ``PoseidonEx(n, n_out)`` (circuits/poseidon.circom).

The same sparse form as the native hash (``circuits.crypto.poseidon_constants.optimized``): every S-box x⁵ is three
constraints (x², x⁴, x⁵); round constants and matrices are free linear combinations.  Poseidon(n) therefore costs
3·(8·t + R_P) constraints, minus 3 because the capacity word is the constant 0 in the first round (its S-box folds
to a constant, as circom's optimiser folds it): Poseidon(2) = 240, as in circomlib.  Witness values ride along the
signals, so the witness comes from this very code.
"""
from __future__ import annotations

from circuits.crypto.poseidon import MAX_INPUTS
from circuits.crypto.poseidon_constants import optimized
from zkescrow.errors import MalformedInput


def _sbox(cs, x):
    """x⁵ with three multiplications (none when x is a constant)."""
    x2 = cs.mul(x, x)
    x4 = cs.mul(x2, x2)
    return cs.mul(x4, x)


def _mix(cs, matrix, state):
    """matrix·state (+ constants), free."""
    return [cs.sum([s.scale(m) for m, s in zip(row, state)]) for row in matrix]


def _add_constants(state, constants):
    return [s + c for s, c in zip(state, constants)]


def poseidon_ex(cs, inputs, init_state=0, n_out: int = 1) -> list:
    """circomlib ``PoseidonEx``: the first n_out state words after permuting [init_state, *inputs]."""
    inputs = [cs._signal(x) for x in inputs]
    if not 1 <= len(inputs) <= MAX_INPUTS:
        raise MalformedInput(f"Poseidon takes 1..{MAX_INPUTS} inputs, got {len(inputs)}")
    t = len(inputs) + 1
    if not 1 <= n_out <= t:
        raise MalformedInput(f"Poseidon with {len(inputs)} inputs has 1..{t} outputs, not {n_out}")
    o = optimized(t)
    with cs.scope("Poseidon"):
        state = _add_constants([cs._signal(init_state), *inputs], o.first)
        for constants in o.full_first:
            state = _mix(cs, o.mds, _add_constants([_sbox(cs, s) for s in state], constants))
        state = _mix(cs, o.pre_sparse, _add_constants([_sbox(cs, s) for s in state], o.partial_in))
        for k, r0, row_rest, column in o.partial:
            s0 = _sbox(cs, state[0]) + k
            rest = state[1:]
            first = cs.sum([s0.scale(r0)] + [s.scale(m) for m, s in zip(row_rest, rest)])
            state = [first] + [s + s0.scale(c) for s, c in zip(rest, column)]
        for constants in o.full_last:
            state = _mix(cs, o.mds, _add_constants([_sbox(cs, s) for s in state], constants))
        last = [_sbox(cs, s) for s in state]
        return [cs.sum([s.scale(m) for m, s in zip(o.mds[i], last)]) for i in range(n_out)]


def poseidon(cs, *inputs):
    """circomlib ``Poseidon(n)`` of 1..16 signals (or ints): one Signal equal to the native ``poseidon``."""
    return poseidon_ex(cs, inputs)[0]

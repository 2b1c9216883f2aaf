"""Poseidon in-circuit, circomlib's ``Poseidon(n)`` / ``PoseidonEx(n, n_out)`` (circuits/poseidon.circom).

The same sparse form as the native hash (``circuits.crypto.poseidon_constants.optimized``): every S-box x⁵ is three
constraints (x², x⁴, x⁵); round constants and matrices are free linear combinations.  Poseidon(n) therefore costs
3·(8·t + R_P) constraints, minus 3 because the capacity word is the constant 0 in the first round (its S-box folds
to a constant, as circom's optimiser folds it): Poseidon(2) = 240, as in circomlib.  Witness values ride along the
signals, so the witness comes from this very code.

In the partial rounds word 0 after the sparse matrix is made a wire and x⁵ is not (see ``_partial_round``), so the
A and B sides of the constraints stay one or two terms long and the long combinations sit on the C side, which a
Groth16 proving key does not store: about the density circom --O2 reaches for circomlib's template.
"""
from __future__ import annotations

from circuits.crypto.poseidon import MAX_INPUTS
from circuits.crypto.poseidon_constants import optimized
from zkescrow.bn254.constants import R
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


def _partial_round(cs, state, k, r0, row_rest, column):
    """s0 ← s0⁵ + k, then the sparse matrix: new0 = r0·s0 + row_rest·s[1:], new_i = s_i + column[i-1]·s0.

    The new word 0 becomes a wire y and the S-box's last constraint is written x⁴·x = (y − L)/r0 − k, with L the
    free part row_rest·s[1:]: x⁵ itself is never a wire (circom's linear substitution does the same).  The next
    round's S-box then squares the single wire y, which keeps the long combinations out of A and B.
    """
    x, rest = state[0], state[1:]
    others = cs.sum([s.scale(m) for m, s in zip(row_rest, rest)])
    if x.is_constant or not r0:
        s0 = _sbox(cs, x) + k
        return [s0.scale(r0) + others] + [s + s0.scale(c) for s, c in zip(rest, column)]
    x2 = cs.mul(x, x)
    x4 = cs.mul(x2, x2)
    y = cs.hint(lambda a, b, ell, k=k, r0=r0: (r0 * (a * b + k) + ell) % R, x4, x, others, name="state0")
    s0 = (y - others).scale(pow(int(r0), -1, R))          # = x⁵ + k
    cs.assert_product(x4, x, s0 - k)
    return [y] + [s + s0.scale(c) for s, c in zip(rest, column)]


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
            state = _partial_round(cs, state, k, r0, row_rest, column)
        for constants in o.full_last:
            state = _mix(cs, o.mds, _add_constants([_sbox(cs, s) for s in state], constants))
        last = [_sbox(cs, s) for s in state]
        return [cs.sum([s.scale(m) for m, s in zip(o.mds[i], last)]) for i in range(n_out)]


def poseidon(cs, *inputs):
    """circomlib ``Poseidon(n)`` of 1..16 signals (or ints): one Signal equal to the native ``poseidon``."""
    return poseidon_ex(cs, inputs)[0]

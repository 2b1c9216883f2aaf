"""circomlib's Poseidon constants, loaded per width t on first use, and their optimised (Neptune) form.

``poseidon_constants.json`` is produced by ``python -m circuits.crypto.grain`` and holds, for t = 2..17, the round
constants C (flat, round-major, (8 + R_P)·t values) and the MDS matrix M (t×t, applied as new[i] = Σ_j M[i][j]·s[j]).

``optimized(t)`` rewrites the plain permutation into the cheaper equivalent form of circomlib's ``poseidon_opt``
(filecoin-project/neptune; Poseidon paper appendix B), derived here from C and M:

* full-round constants of rounds 1..3 and of the second half are moved in front of the matrix: M·s + c = M·(s + M⁻¹c);
* partial-round constants are pushed backwards through the partial rounds, so each partial round adds only one
  scalar after its S-box; what is left of them joins the constants of the first partial round;
* the partial-round matrices are factored as M = S·D, with D = [[1, 0], [0, M̂]] (commutes with the partial S-box)
  and S = [[M₀₀, v̂], [w, I]] sparse; the D's are pushed back and absorbed into one dense matrix P.

The layout matches circomlibjs ``poseidon_constants_opt.json`` (C, S, M, P), with M and P kept in the
new = A·s orientation here (circomlibjs stores them transposed).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from pathlib import Path

from gmpy2 import mpz

from zkescrow.bn254.constants import R

from .mds_checks import mat_inv, mat_mul, mat_vec

FULL_ROUNDS = 8
#: Partial rounds for t = 2..17 (index t - 2).
PARTIAL_ROUNDS = (56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68)
MIN_WIDTH, MAX_WIDTH = 2, 17

_DATA_FILE = Path(__file__).with_name("poseidon_constants.json")


@dataclass(frozen=True)
class PoseidonParams:
    """The plain constants of one width: C[r][i] (round r, word i) and M (new = M·s), as gmpy2.mpz."""
    t: int
    partial_rounds: int
    round_constants: tuple[tuple[int, ...], ...]
    mds: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class OptimizedParams:
    """The equivalent sparse form of one width, as gmpy2.mpz (see the module docstring for the round structure).

    first:        constants added to the input state (= C[0])
    full_first:   3 vectors, added after the S-box of full rounds 0..2, before M
    partial_in:   1 vector added after the S-box of full round 3, before P
    partial:      R_P tuples (k, row0, row_rest, column), one per partial round: s0 ← s0⁵ + k, then the sparse
                  matrix: new0 = row0·s0 + row_rest·s[1:], new_i = s_i + column[i-1]·s0
    full_last:    3 vectors, added after the S-box of full rounds 4..6 (second half), before M
    mds, pre_sparse: M and P, both as new = A·s
    """
    t: int
    first: tuple[int, ...]
    full_first: tuple[tuple[int, ...], ...]
    partial_in: tuple[int, ...]
    partial: tuple[tuple[int, int, tuple[int, ...], tuple[int, ...]], ...]
    full_last: tuple[tuple[int, ...], ...]
    mds: tuple[tuple[int, ...], ...]
    pre_sparse: tuple[tuple[int, ...], ...]


@lru_cache(maxsize=1)
def _document() -> dict:
    with _DATA_FILE.open() as fh:
        return json.load(fh)


def check_width(t: int) -> None:
    if not isinstance(t, int) or not MIN_WIDTH <= t <= MAX_WIDTH:
        raise ValueError(f"circomlib Poseidon takes 1..16 inputs (width t = 2..17), not t = {t}")


@lru_cache(maxsize=None)
def params(t: int) -> PoseidonParams:
    """The plain constants for width t, from the shipped file."""
    check_width(t)
    doc = _document()
    flat = [mpz(c, 0) for c in doc["C"][str(t)]]
    matrix = tuple(tuple(mpz(m, 0) for m in row) for row in doc["M"][str(t)])
    rounds = tuple(tuple(flat[r * t:(r + 1) * t]) for r in range(len(flat) // t))
    return PoseidonParams(t, PARTIAL_ROUNDS[t - 2], rounds, matrix)


def _vec_add(a, b, p=R):
    return [(x + y) % p for x, y in zip(a, b)]


@lru_cache(maxsize=None)
def optimized(t: int) -> OptimizedParams:
    """The sparse-partial-round form of width t, derived from ``params(t)``."""
    plain = params(t)
    p = int(R)
    m = [list(row) for row in plain.mds]
    m_inv = mat_inv(m, p)
    c = [list(row) for row in plain.round_constants]
    half, n_p = FULL_ROUNDS // 2, plain.partial_rounds

    # Constants.  Full rounds 1..3 and 4+R_P+1..: move the addition before the matrix of the previous round.
    full_first = [mat_vec(m_inv, c[r], p) for r in range(1, half)]
    full_last = [mat_vec(m_inv, c[r], p) for r in range(half + n_p + 1, FULL_ROUNDS + n_p)]
    # Partial rounds: walk back from the first constant after them; each step leaves word 0 after the S-box.
    partial = [0] * n_p
    acc = c[half + n_p]
    for j in range(half + n_p - 1, half - 1, -1):
        u = mat_vec(m_inv, acc, p)
        partial[j - half] = u[0]
        acc = _vec_add(c[j], [0] + u[1:], p)
    partial_in = mat_vec(m_inv, acc, p)

    # Matrices.  From the last partial round back: A = S·D with D = diag(1, Â) and S = [[A₀₀, A[0,1:]·Â⁻¹],
    # [A[1:,0], I]]; D commutes with the partial round, so the round before sees diag(1, Â)·M.  Row 0 of that is
    # M's row 0, its block is Â·M̂ and its column Â·w: Â runs through the powers of M̂, and Â⁻¹ through M̂⁻¹'s.
    m_hat = [row[1:] for row in m[1:]]
    m_hat_inv = mat_inv(m_hat, p)
    v, w = m[0][1:], [row[0] for row in m[1:]]
    a_hat, a_hat_inv, column = m_hat, m_hat_inv, w
    sparse = [None] * n_p
    for r in range(n_p - 1, -1, -1):
        v_hat = mat_vec(list(map(list, zip(*a_hat_inv))), v, p)                 # the row vector v·Â⁻¹
        sparse[r] = (tuple([m[0][0]] + v_hat), tuple(column))
        if r:
            column = mat_vec(a_hat, w, p)
            a_hat, a_hat_inv = mat_mul(a_hat, m_hat, p), mat_mul(m_hat_inv, a_hat_inv, p)
    block = mat_mul(a_hat, m_hat, p)
    pre_sparse = [m[0]] + [[x] + row for x, row in zip(mat_vec(a_hat, w, p), block)]   # diag(1, Â)·M

    return _as_mpz(OptimizedParams(
        t=t,
        first=tuple(c[0]),
        full_first=tuple(map(tuple, full_first)),
        partial_in=tuple(partial_in),
        partial=tuple((k, row[0], row[1:], column) for k, (row, column) in zip(partial, sparse)),
        full_last=tuple(map(tuple, full_last)),
        mds=plain.mds,
        pre_sparse=tuple(map(tuple, pre_sparse)),
    ))


def _as_mpz(o: OptimizedParams) -> OptimizedParams:
    """The same constants as gmpy2.mpz (mixing Python ints into mpz arithmetic costs a conversion per operation)."""
    def convert(x):
        return tuple(convert(y) for y in x) if isinstance(x, tuple) else mpz(x)
    return replace(o, **{f.name: convert(getattr(o, f.name)) for f in fields(o) if f.name != "t"})

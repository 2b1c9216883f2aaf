"""Groth16 key generation: ``setup`` from a snarkjs ptau (= ``snarkjs groth16 setup``) and
``setup_dev``, a single-party key from fresh randomness for development.

``setup(r1cs, ptau)`` follows snarkjs ``src/zkey_new.js`` step by step, so the key, written with
``write_zkey``, is byte-identical to the .zkey snarkjs makes from the same .r1cs and .ptau:

* domain: 2^k with k = ⌊log2(m + nPublic)⌋ + 1 (m constraints), so n ≥ m + nPublic + 1;
* the extra rows m + s, s = 0 … nPublic, with A = 1·w_s (the coefficients (0, m+s, s, 1));
* A, B1, B2 and IC/C as combinations of the ptau's Lagrange points (sections 12–15) at level k,
  with γ = δ = the generators (γ never changes; δ changes with each contribution);
* H: the odd points of the Lagrange basis of the 2n domain (section 12 at level k + 1);
* the circuit hash csHash: blake2b-512 over the key in snarkjs's write order, points in the
  uncompressed form, each section prefixed by its point count (u32 big endian), with H replaced
  by the "textbook" points (τ^(i+n) − τ^i)·G1, i < n − 1, from the monomial section 2.

Sums of points are formed per wire in Jacobian coordinates and normalised in one batch.
"""
from __future__ import annotations

import hashlib
import secrets
import struct
from functools import lru_cache

from gmpy2 import mpz, powmod

from ..bn254.constants import G1_GENERATOR, G2_GENERATOR, R
from ..bn254.curve import (JAC_G1_INFINITY, JAC_G2_INFINITY, g1_batch_from_jacobian, g1_neg, g1_to_jacobian,
                           g2_batch_from_jacobian, g2_to_jacobian, jac_g1_add, jac_g1_add_affine, jac_g1_mul,
                           jac_g2_add, jac_g2_mul)
from ..bn254.fields import batch_inverse
from ..bn254.msm import msm_g1, msm_g2
from ..bn254.ntt import root_of_unity
from ..errors import MalformedInput
from ..formats.lem import G1_SIZE, decode_g1_points, g1_points_to_u, g1_to_u, g2_points_to_u, g2_to_u
from ..formats.ptau import LAGRANGE_ALPHA_TAU_G1, LAGRANGE_BETA_TAU_G1, LAGRANGE_TAU_G1, PreparedPtau, read_ptau
from .fixed_base import FixedBase, jac_g2_mul_psi
from .keys import ProvingKey

#: Printed by ``zkescrow setup --dev`` (and available to any other front end).
DEV_SETUP_WARNING = (
    "WARNING: development setup. One process generated the toxic waste (tau, alpha, beta, gamma, "
    "delta) from OS randomness and discarded it, but nobody else can check that: whoever ran this "
    "could forge proofs. Use `zkescrow setup CIRCUIT.r1cs POT.ptau OUT.zkey` followed by "
    "`zkescrow zkey contribute` from independent parties for anything that holds value.")

_SMALL = 1 << 64
_R = int(R)


def _domain_power(r1cs) -> int:
    """snarkjs's cirPower: ⌊log2(m + nPublic)⌋ + 1 (log2(0) taken as 0)."""
    return max(1, (r1cs.n_constraints + r1cs.n_public).bit_length())


def _check_r1cs(r1cs) -> None:
    if int(r1cs.prime) != _R:
        raise MalformedInput("the circuit is not over the BN254 scalar field (r1cs prime ≠ r)")
    if r1cs.n_wires < r1cs.n_public + 1:
        raise MalformedInput("the circuit has fewer wires than public signals")


class _Columns:
    """The QAP columns of a circuit in snarkjs's order: per wire, the (row, coefficient) terms
    of A (with the extra public rows), B, and C, plus the section-4 coefficient list."""

    def __init__(self, r1cs):
        n_vars, n_public, m = r1cs.n_wires, r1cs.n_public, r1cs.n_constraints
        self.a = [[] for _ in range(n_vars)]
        self.b = [[] for _ in range(n_vars)]
        self.c = [[] for _ in range(n_vars)]
        coefs = []
        for row, (lc_a, lc_b, lc_c) in enumerate(r1cs.constraints):
            for s, v in lc_a.items():
                self.a[s].append((row, v))
                coefs.append((0, row, s, mpz(v)))
            for s, v in lc_b.items():
                self.b[s].append((row, v))
                coefs.append((1, row, s, mpz(v)))
            for s, v in lc_c.items():
                self.c[s].append((row, v))
        for s in range(n_public + 1):
            self.a[s].append((m + s, 1))
            coefs.append((0, m + s, s, mpz(1)))
        self.coefs = coefs


def _times(P, k):
    """k·P (P affine G1, k in [0, r)) as a Jacobian point, cheap for ±small k."""
    if _R - k < _SMALL:
        return jac_g1_mul(g1_neg(P), _R - k)
    return jac_g1_mul(P, k)


def _times_g2(P, k):
    if _R - k < _SMALL:
        return jac_g2_mul(P, k - _R)
    if k < _SMALL:
        return jac_g2_mul(P, k)
    return jac_g2_mul_psi(P, k)


#: A wire with at least this many terms is summed with the MSM (Pippenger) instead of term by term.
_MSM_TERMS = 24


def _g1_sum(terms):
    """Σ k·P over (P, k) pairs, Jacobian."""
    terms = list(terms)
    if len(terms) >= _MSM_TERMS:
        return g1_to_jacobian(msm_g1([P for P, _ in terms], [int(k) for _, k in terms]))
    acc = JAC_G1_INFINITY
    for P, k in terms:
        if P is None or not k:
            continue
        if k == 1:
            acc = jac_g1_add_affine(acc, P)
        elif k == _R - 1:
            acc = jac_g1_add_affine(acc, g1_neg(P))
        else:
            acc = jac_g1_add(acc, _times(P, k))
    return acc


def _g2_sum(terms):
    terms = list(terms)
    if len(terms) >= _MSM_TERMS:
        return g2_to_jacobian(msm_g2([P for P, _ in terms], [int(k) for _, k in terms]))
    acc = JAC_G2_INFINITY
    for P, k in terms:
        if P is None or not k:
            continue
        acc = jac_g2_add(acc, _times_g2(P, k))
    return acc


def setup(r1cs, ptau, *, progress=None) -> ProvingKey:
    """The initial Groth16 key of ``r1cs`` from a prepared phase-2 ptau (path or PreparedPtau),
    identical to ``snarkjs groth16 setup`` (γ = δ = generator, no contribution yet).

    ``progress(step: str)`` is called before each phase when given.
    """
    _check_r1cs(r1cs)
    if isinstance(ptau, PreparedPtau):
        return _setup(r1cs, ptau, progress)
    with read_ptau(ptau) as opened:
        return _setup(r1cs, opened, progress)


def _setup(r1cs, ptau: PreparedPtau, progress) -> ProvingKey:
    report = progress or (lambda step: None)
    n_vars, n_public, m = r1cs.n_wires, r1cs.n_public, r1cs.n_constraints
    k = _domain_power(r1cs)
    if k > ptau.power:
        raise MalformedInput(f"circuit too big for this powers of tau: {m} constraints + {n_public} public "
                             f"signals need 2^{k} points, the ptau has 2^{ptau.power}")
    if k >= 28:
        raise MalformedInput("domains of 2^28 points (snarkjs's extended-ptau branch) are not supported")
    n = 1 << k

    report("reading the ptau")
    tau1 = ptau.lagrange_g1(k, LAGRANGE_TAU_G1)
    tau2 = ptau.lagrange_g2(k)
    alpha_tau = ptau.lagrange_g1(k, LAGRANGE_ALPHA_TAU_G1)
    beta_tau = ptau.lagrange_g1(k, LAGRANGE_BETA_TAU_G1)
    cols = _Columns(r1cs)

    report("computing A, B1, B2, IC and C")
    a = g1_batch_from_jacobian([_g1_sum((tau1[row], v) for row, v in col) for col in cols.a])
    b1 = g1_batch_from_jacobian([_g1_sum((tau1[row], v) for row, v in col) for col in cols.b])
    b2 = g2_batch_from_jacobian([_g2_sum((tau2[row], v) for row, v in col) for col in cols.b])
    combined = []
    for s in range(n_vars):
        terms = [(beta_tau[row], v) for row, v in cols.a[s]]
        terms += [(alpha_tau[row], v) for row, v in cols.b[s]]
        terms += [(tau1[row], v) for row, v in cols.c[s]]
        combined.append(_g1_sum(terms))
    combined = g1_batch_from_jacobian(combined)
    ic, c = combined[:n_public + 1], combined[n_public + 1:]

    report("reading H")
    level = ptau.lagrange_g1_raw(k + 1, LAGRANGE_TAU_G1)
    odd = b"".join(level[(2 * i + 1) * G1_SIZE:(2 * i + 2) * G1_SIZE] for i in range(n))
    h = decode_g1_points(odd, n, f"{ptau.name} section 12 (Lagrange tauG1, 2^{k + 1})")

    pk = ProvingKey(n_vars=n_vars, n_public=n_public, domain_size=n,
                    alpha1=ptau.alpha1, beta1=ptau.beta1, beta2=ptau.beta2,
                    gamma2=G2_GENERATOR, delta1=G1_GENERATOR, delta2=G2_GENERATOR,
                    ic=ic, coefs=cols.coefs, a=a, b1=b1, b2=b2, c=c, h=h)
    report("hashing the circuit")
    pk.cs_hash = circuit_hash(pk, ptau.tau_g1(0, 2 * n - 1))
    return pk


def _hash_u32(hasher, value: int) -> None:
    hasher.update(struct.pack(">I", value))


def circuit_hash(pk: ProvingKey, tau_powers=None) -> bytes:
    """snarkjs's csHash of an initial key (before any contribution).

    ``tau_powers`` are τ^i·G1, i < 2n − 1 (ptau section 2); the H part of the hash is over
    (τ^(i+n) − τ^i)·G1, i < n − 1.  Without them (a key made by ``setup_dev``, which has no
    ptau) the key's own H points are hashed instead, which binds the contributions to the key
    but is not the hash snarkjs would compute for any ptau.
    """
    hasher = hashlib.blake2b(digest_size=64)
    for P in (pk.alpha1, pk.beta1):
        hasher.update(g1_to_u(P))
    hasher.update(g2_to_u(pk.beta2))
    hasher.update(g2_to_u(pk.gamma2))
    hasher.update(g1_to_u(pk.delta1))
    hasher.update(g2_to_u(pk.delta2))

    _hash_u32(hasher, len(pk.ic))
    hasher.update(g1_points_to_u(pk.ic))

    n = pk.domain_size
    if tau_powers is not None:
        _hash_u32(hasher, n - 1)
        diffs = [jac_g1_add_affine((tau_powers[i + n][0], tau_powers[i + n][1], mpz(1)), g1_neg(tau_powers[i]))
                 if tau_powers[i] is not None else (tau_powers[i + n][0], tau_powers[i + n][1], mpz(1))
                 for i in range(n - 1)]
        hasher.update(g1_points_to_u(g1_batch_from_jacobian(diffs)))
    else:
        _hash_u32(hasher, n)
        hasher.update(g1_points_to_u(pk.h))

    for points in (pk.c, pk.a, pk.b1):
        _hash_u32(hasher, len(points))
        hasher.update(g1_points_to_u(points))
    _hash_u32(hasher, len(pk.b2))
    hasher.update(g2_points_to_u(pk.b2))
    return hasher.digest()


# --- development setup --------------------------------------------------------------------

def _lagrange_at(tau, log_n: int) -> list:
    """[L_i(τ) for the domain of size 2^log_n] = (τ^n − 1)/n · ω^i / (τ − ω^i)."""
    n = 1 << log_n
    omega = root_of_unity(log_n)
    points = [mpz(1)] * n
    for i in range(1, n):
        points[i] = points[i - 1] * omega % R
    z_over_n = (powmod(tau, n, R) - 1) * powmod(n, -1, R) % R
    inverses = batch_inverse([(tau - x) % R for x in points], R)
    return [z_over_n * x % R * inv % R for x, inv in zip(points, inverses)]


@lru_cache(maxsize=1)
def _generator_tables():
    """Fixed-base tables of the G1 and G2 generators (public data, built once per process)."""
    return FixedBase(G1_GENERATOR), FixedBase(G2_GENERATOR, is_g2=True)


def _random_nonzero() -> mpz:
    return mpz(secrets.randbelow(_R - 1) + 1)


def setup_dev(r1cs, *, progress=None) -> ProvingKey:
    """A Groth16 key from one party's fresh OS randomness (``secrets``), for development only.

    τ, α, β, γ, δ are drawn inside this function and every local holding them is overwritten
    before it returns.  Python cannot promise more: big integers are immutable, so copies may
    linger in freed memory until it is reused, and nothing here is locked against swapping.
    Show ``DEV_SETUP_WARNING`` to whoever runs it.  snarkjs proves with the key as with any
    .zkey; ``snarkjs zkey verify`` cannot check it because there is no ptau.
    """
    _check_r1cs(r1cs)
    report = progress or (lambda step: None)
    n_vars, n_public = r1cs.n_wires, r1cs.n_public
    k = _domain_power(r1cs)
    if k >= 28:
        raise MalformedInput("domains of 2^28 points are not supported")
    n = 1 << k
    cols = _Columns(r1cs)

    report("sampling the toxic waste")
    while True:
        tau = _random_nonzero()
        if powmod(tau, 2 * n, R) != 1:       # τ must not be a 2n-th root of unity
            break
    alpha, beta, gamma, delta = (_random_nonzero() for _ in range(4))
    scratch = []                             # every list of secret-derived scalars, wiped below

    def kept(values: list) -> list:
        scratch.append(values)
        return values

    try:
        report("evaluating the QAP at tau")
        lag = kept(_lagrange_at(tau, k))
        lag2 = kept(_lagrange_at(tau, k + 1))
        u = kept([sum((v * lag[row] for row, v in col), mpz(0)) % R for col in cols.a])
        v_ = kept([sum((v * lag[row] for row, v in col), mpz(0)) % R for col in cols.b])
        w = kept([sum((v * lag[row] for row, v in col), mpz(0)) % R for col in cols.c])
        gamma_inv, delta_inv = powmod(gamma, -1, R), powmod(delta, -1, R)
        combined = kept([(beta * u[s] + alpha * v_[s] + w[s]) % R for s in range(n_vars)])
        ic_scalars = kept([x * gamma_inv % R for x in combined[:n_public + 1]])
        c_scalars = kept([x * delta_inv % R for x in combined[n_public + 1:]])
        h_scalars = kept([lag2[2 * i + 1] * delta_inv % R for i in range(n)])

        report("multiplying the generators")
        g1, g2 = _generator_tables()
        a_pts = g1.multiply(u)
        b1_pts = g1.multiply(v_)
        b2_pts = g2.multiply(v_)
        ic = g1.multiply(ic_scalars)
        c_pts = g1.multiply(c_scalars)
        h_pts = g1.multiply(h_scalars)
        alpha1, beta1, delta1 = g1.multiply([alpha, beta, delta])
        beta2, gamma2, delta2 = g2.multiply([beta, gamma, delta])
    finally:
        tau = alpha = beta = gamma = delta = gamma_inv = delta_inv = None
        for values in scratch:
            values[:] = [0] * len(values)

    pk = ProvingKey(n_vars=n_vars, n_public=n_public, domain_size=n, alpha1=alpha1, beta1=beta1, beta2=beta2,
                    gamma2=gamma2, delta1=delta1, delta2=delta2, ic=ic, coefs=cols.coefs, a=a_pts, b1=b1_pts,
                    b2=b2_pts, c=c_pts, h=h_pts)
    pk.cs_hash = circuit_hash(pk)
    return pk

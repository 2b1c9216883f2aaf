"""The Groth16 prover, step for step the one in snarkjs (``src/groth16_prove.js``).

Given a proving key read from a snarkjs .zkey and a full witness w (w[0] = 1, then the public
signals, then the private ones):

1. buildABC: A_T[c] = Σ a_{c,s}·w[s] and B_T[c] = Σ b_{c,s}·w[s] over the stored A/B coefficients
   (the evaluations of the A and B polynomials on the domain ω^0..ω^(n−1)); C_T = A_T·B_T
   pointwise, which equals the C evaluations for a satisfying witness.
2. For X in A, B, C: the evaluations on the odd coset inc·ω^i (inc = w[log2 n + 1]), where
   Z(x) = x^n − 1 = −2 is constant; d_i = A·B − C there.  snarkjs moves them with an inverse NTT
   and a coset NTT; here the same map is one cyclic convolution (``bn254.coset``).
3. MSMs: A = Σ w·A_i, B1 = Σ w·B1_i, B2 = Σ w·B2_i (G2), C = Σ_{i>ℓ} w·C_i, H = Σ d_i·H_i.
   The zkey's H points are the odd Lagrange points of the 2n domain, which turn Σ d_i·H_i into
   h(τ)·Z(τ)/δ; the key holds nothing else for h.
4. Blinding with fresh random r, s:
   π_A = A + α + r·δ,  π_B = B2 + β + s·δ,  π_C = C + H + s·π_A + r·(B1 + β + s·δ) − r·s·δ.

The public signals are w[1..ℓ].  Zero and one witness values cost nothing in buildABC and the
MSM skips them, so boolean-heavy circuits prove faster.  On large domains the work is spread over
one forked worker per usable CPU, cut by measured cost (``pool`` and ``schedule``).
"""
import multiprocessing
import os
import secrets
import time

from gmpy2 import mpz

from ..bn254.constants import R
from ..bn254.curve import g1_add, g1_mul, g2_add, g2_mul
from ..bn254.msm import msm_g1, msm_g2
from ..bn254.coset import domain_to_coset
from ..bn254.ntt import FR_SHIFT, root_of_unity
from ..errors import InvalidFieldElement, MalformedInput
from .proof import Proof

#: Phases reported in the timings, in the order they run (one worker).
PHASES = ("build_abc", "ntt", "msm_a", "msm_b1", "msm_b2", "msm_c", "msm_h", "blind")

#: Smallest domain for which ``default_workers`` forks workers.  On an idle 2-core machine two workers
#: prove a 2^12 circuit in 0.57–0.64× the wall time for 6–13 % more CPU; on 2^9 the fork adds 22 % CPU.
PARALLEL_MIN_DOMAIN = 1 << 12


def _checked_witness(pk, witness) -> list:
    if len(witness) != pk.n_vars:
        raise MalformedInput(f"witness has {len(witness)} values but the proving key needs {pk.n_vars}")
    out = [mpz(v) for v in witness]
    for i, v in enumerate(out):
        if not 0 <= v < R:
            raise InvalidFieldElement(f"witness value {i} is not in [0, r)")
    if out[0] != 1:
        raise MalformedInput("witness[0] must be 1 (the constant wire)")
    return out


def build_abc(pk, witness):
    """(A_T, B_T, C_T): the A, B and C = A·B polynomials evaluated on the domain."""
    n = pk.domain_size
    at = [0] * n
    bt = [0] * n
    for matrix, constraint, signal, value in pk.coefs:
        w = witness[signal]
        if not w:
            continue
        term = value if w == 1 else value * w
        if matrix == 0:
            at[constraint] += term
        else:
            bt[constraint] += term
    at = [mpz(x) % R for x in at]
    bt = [mpz(x) % R for x in bt]
    ct = [x * y % R for x, y in zip(at, bt)]
    return at, bt, ct


def quotient_evaluations(pk, at, bt, ct) -> list:
    """d_i = A(x_i)·B(x_i) − C(x_i) on the odd coset x_i = inc·ω^i of the domain (the H scalars)."""
    log_n = pk.domain_size.bit_length() - 1
    inc = FR_SHIFT if log_n == 28 else root_of_unity(log_n + 1)
    a, b, c = (domain_to_coset(values, inc) for values in (at, bt, ct))
    return [(x * y - z) % R for x, y, z in zip(a, b, c)]


def default_workers(pk) -> int:
    """The CPUs of this process's affinity mask (so ``taskset -c 0`` proves in-process and a 16-core
    server forks 16 workers) for domains of at least ``PARALLEL_MIN_DOMAIN``, else 1."""
    if pk.domain_size < PARALLEL_MIN_DOMAIN or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(cpus, 1)


def blind(pk, a, b1, b2, c_plus_h, rng):
    """The proof from the five MSM sums (C and H added) and fresh r, s from ``rng``."""
    r = mpz(rng.randbelow(R))
    s = mpz(rng.randbelow(R))
    pi_a = g1_add(g1_add(a, pk.alpha1), g1_mul(pk.delta1, r))
    pi_b = g2_add(g2_add(b2, pk.beta2), g2_mul(pk.delta2, s))
    b1 = g1_add(g1_add(b1, pk.beta1), g1_mul(pk.delta1, s))
    pi_c = g1_add(c_plus_h, g1_mul(pi_a, s))
    pi_c = g1_add(pi_c, g1_mul(b1, r))
    pi_c = g1_add(pi_c, g1_mul(pk.delta1, (-r * s) % R))
    return Proof(pi_a, pi_b, pi_c)


def prove(pk, witness, *, rng=secrets, timings: dict | None = None, progress=None, workers: int | None = None):
    """A Groth16 proof of ``witness`` under proving key ``pk``: ``(Proof, public_signals)``.

    ``witness`` is the full assignment (length ``pk.n_vars``, values in [0, r), ``witness[0] = 1``),
    e.g. from ``read_wtns``.  ``rng`` supplies the blinding scalars r, s through ``randbelow``
    (default: the ``secrets`` module).  When ``timings`` is a dict it receives the seconds spent in
    each of ``PHASES`` and ``total`` (wall time).  ``progress(phase, fraction)`` is called as phases
    start.  ``workers=N > 1`` spreads the work over N forked processes balanced by measured cost
    (``zkescrow.groth16.pool``; default: ``default_workers(pk)``); the phases are then the CPU
    seconds the workers spent in each.  The proof does not depend on it.  To prove repeatedly with
    one key, keep a ``ProverPool`` (or call ``prove_many``) instead of forking for every proof.
    """
    if workers is None:
        workers = default_workers(pk)
    if workers > 1:
        from .pool import ProverPool
        _checked_witness(pk, witness)           # before forking: malformed input is one error
        with ProverPool(pk, workers) as pool:
            return pool.prove(witness, rng=rng, timings=timings, progress=progress)
    t_start = time.perf_counter()
    clock = [t_start]
    spent = {} if timings is None else timings
    w = _checked_witness(pk, witness)

    def phase_done(name, next_name=None):
        now = time.perf_counter()
        spent[name] = now - clock[0]
        clock[0] = now
        if progress is not None and next_name is not None:
            progress(next_name, _FRACTION[next_name])

    if progress is not None:
        progress("build_abc", 0.0)
    at, bt, ct = build_abc(pk, w)
    phase_done("build_abc", "ntt")
    d = quotient_evaluations(pk, at, bt, ct)
    del at, bt, ct
    phase_done("ntt", "msm_a")
    a = msm_g1(pk.a, w)
    phase_done("msm_a", "msm_b1")
    b1 = msm_g1(pk.b1, w)
    phase_done("msm_b1", "msm_b2")
    b2 = msm_g2(pk.b2, w)
    phase_done("msm_b2", "msm_c")
    c = msm_g1(pk.c, w[pk.n_public + 1:])
    phase_done("msm_c", "msm_h")
    h = msm_g1(pk.h, d)
    phase_done("msm_h", "blind")
    proof = blind(pk, a, b1, b2, g1_add(c, h), rng)
    phase_done("blind")
    spent["total"] = time.perf_counter() - t_start
    if progress is not None:
        progress("done", 1.0)
    return proof, [int(v) for v in w[1:pk.n_public + 1]]


#: Rough share of the proving time spent before each phase starts (for a progress bar, one worker).
_FRACTION = {"build_abc": 0.0, "ntt": 0.03, "msm_a": 0.1, "msm_b1": 0.22, "msm_b2": 0.34,
             "msm_c": 0.62, "msm_h": 0.72, "blind": 0.99, "done": 1.0}

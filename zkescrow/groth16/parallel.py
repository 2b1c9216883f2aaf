"""The Groth16 prover with its five MSMs spread over worker processes that share the key.

The proof is the one ``zkescrow.groth16.prove`` computes (same buildABC, odd-coset NTTs,
MSMs and blinding); only where the MSMs run changes.  Workers are forked, so they inherit the
decoded proving key and the witness without pickling them: nothing is sent to a worker, and
each sends back one affine point per MSM.

Schedule: the parent keeps buildABC, the NTTs and the H MSM (its scalars exist only after the
NTTs); the A, B1, B2 and C MSMs are handed out greedily, longest first, to whichever of the
parent and the workers has the least estimated work (an MSM costs about its number of non-zero
terms, a G2 term about three G1 terms, the NTTs about a third of a G1 term per domain point).
With two cores this puts B2 and C in the worker and NTT + H + A + B1 in the parent.

CPython's fork copy-on-write is imperfect (touching an object writes its reference count, so
the pages a worker reads get copied), but a worker reads only its own MSMs' points, and the
parent's peak stays that of the sequential prover plus the worker's copy of those pages.

Where fork is unavailable (or ``workers`` is 1), everything runs in this process.
"""
from __future__ import annotations

import multiprocessing
import os
import secrets
import time

from gmpy2 import mpz

from ..bn254.constants import R
from ..bn254.curve import g1_add, g1_mul, g2_add, g2_mul
from ..bn254.msm import msm_g1, msm_g2
from .proof import Proof
from .prove import _checked_witness, build_abc, quotient_evaluations

#: Relative cost of one G2 MSM term against one G1 term, and of the NTTs per domain point.
G2_TERM_COST = 3.0
NTT_POINT_COST = 0.35


def default_workers() -> int:
    """Usable cores (the CPU affinity mask when the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def _nonzero_terms(points, scalars) -> int:
    return sum(1 for P, k in zip(points, scalars) if k and P is not None)


def _msm_jobs(pk, w) -> dict:
    """name -> (group, points, scalars) for the four MSMs whose scalars are the witness."""
    return {
        "msm_a": ("g1", pk.a, w),
        "msm_b1": ("g1", pk.b1, w),
        "msm_b2": ("g2", pk.b2, w),
        "msm_c": ("g1", pk.c, w[pk.n_public + 1:]),
    }


def schedule(pk, w, lanes: int) -> list[list[str]]:
    """The MSM names of each lane; lane 0 is the parent, which also runs the NTTs and MSM H."""
    jobs = _msm_jobs(pk, w)
    cost = {name: _nonzero_terms(pts, ks) * (G2_TERM_COST if group == "g2" else 1.0)
            for name, (group, pts, ks) in jobs.items()}
    loads = [pk.domain_size * (1 + NTT_POINT_COST)] + [0.0] * (lanes - 1)
    plan = [[] for _ in range(lanes)]
    for name in sorted(cost, key=cost.get, reverse=True):
        lane = min(range(lanes), key=loads.__getitem__)
        plan[lane].append(name)
        loads[lane] += cost[name]
    return plan


def _run(job):
    group, points, scalars = job
    return (msm_g2 if group == "g2" else msm_g1)(points, scalars)


def _worker(conn, jobs, names):
    try:
        out = {}
        for name in names:
            t = time.perf_counter()
            out[name] = (_run(jobs[name]), time.perf_counter() - t)
        conn.send(("ok", out))
    except BaseException as exc:            # report, never hang the parent
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _fork_context():
    try:
        return multiprocessing.get_context("fork")
    except ValueError:
        return None


def blind(pk, a, b1, b2, c, h, rng=secrets) -> Proof:
    """π from the five MSM results and fresh r, s (snarkjs ``groth16_prove.js`` step 7)."""
    r = mpz(rng.randbelow(R))
    s = mpz(rng.randbelow(R))
    pi_a = g1_add(g1_add(a, pk.alpha1), g1_mul(pk.delta1, r))
    pi_b = g2_add(g2_add(b2, pk.beta2), g2_mul(pk.delta2, s))
    b1 = g1_add(g1_add(b1, pk.beta1), g1_mul(pk.delta1, s))
    pi_c = g1_add(c, h)
    pi_c = g1_add(pi_c, g1_mul(pi_a, s))
    pi_c = g1_add(pi_c, g1_mul(b1, r))
    pi_c = g1_add(pi_c, g1_mul(pk.delta1, (-r * s) % R))
    return Proof(pi_a, pi_b, pi_c)


def prove_parallel(pk, witness, *, workers: int | None = None, rng=secrets, timings: dict | None = None):
    """``(Proof, public_signals)`` like ``zkescrow.groth16.prove``, with the MSMs over ``workers``
    processes in all (default: the usable cores).  ``timings`` gets seconds per phase; the MSMs that
    ran in a worker are reported under their own names with the worker's time."""
    t0 = time.perf_counter()
    spent = {} if timings is None else timings
    lanes = max(1, workers or default_workers())
    ctx = _fork_context() if lanes > 1 else None
    w = _checked_witness(pk, witness)
    jobs = _msm_jobs(pk, w)
    plan = schedule(pk, w, lanes if ctx is not None else 1)
    children = []
    for names in plan[1:]:
        if not names:
            continue
        parent_end, child_end = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_worker, args=(child_end, jobs, names), daemon=True)
        proc.start()
        child_end.close()
        children.append((proc, parent_end))
    results = {}
    try:
        t = time.perf_counter()
        at, bt, ct = build_abc(pk, w)
        spent["build_abc"] = time.perf_counter() - t
        t = time.perf_counter()
        d = quotient_evaluations(pk, at, bt, ct)
        del at, bt, ct
        spent["ntt"] = time.perf_counter() - t
        t = time.perf_counter()
        results["msm_h"] = msm_g1(pk.h, d)
        spent["msm_h"] = time.perf_counter() - t
        for name in plan[0]:
            t = time.perf_counter()
            results[name] = _run(jobs[name])
            spent[name] = time.perf_counter() - t
        t = time.perf_counter()
        for proc, conn in children:
            try:
                status, payload = conn.recv()
            except EOFError:
                raise MemoryError(f"MSM worker exited with code {proc.exitcode} before sending its result "
                                  f"(killed, or out of memory)") from None
            if status != "ok":
                raise RuntimeError(f"MSM worker failed: {payload}")
            for name, (point, seconds) in payload.items():
                results[name] = point
                spent[name] = seconds
        spent["wait"] = time.perf_counter() - t
    finally:
        for proc, conn in children:
            conn.close()
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join()
    t = time.perf_counter()
    proof = blind(pk, results["msm_a"], results["msm_b1"], results["msm_b2"], results["msm_c"],
                  results["msm_h"], rng)
    spent["blind"] = time.perf_counter() - t
    spent["total"] = time.perf_counter() - t0
    return proof, [int(v) for v in w[1:pk.n_public + 1]]

"""Each prover/verifier technique measured against the plain path on the depth-20 transfer key.

    python -m bench.techniques [--runs 3] [--fixture transfer-d20] [--json out.json]

Alternating runs, medians of wall and CPU time (CPU time is what to compare on a loaded machine;
wall time is what parallelism changes).  Techniques:

* GLV split of the G1 MSM (k = k1 + k2·λ, φ(P) = (β·x, y)) and ψ split of the G2 MSM, fed to the
  same bucket MSM, against the MSM on the unsplit scalars;
* batch-affine bucket accumulation (bench/alternatives/msm_batch_affine.py) and buckets filled in
  sorted runs (bench/alternatives/msm_sorted_buckets.py) against zkescrow's XYZZ buckets;
* one MSM for C + r·B1 + H (π_C needs only that sum) against three;
* the quotient step's move of A, B, C from the domain to its coset: one convolution per polynomial
  (``zkescrow.bn254.coset``, kernel included) against an inverse NTT and a coset NTT, on the key's
  domain and on random values for 2^10 … 2^16;
* the work spread over 2 forked workers by measured cost (``prove(workers=2)``) against ``workers=1``,
  on the fixture and on two small built-in circuits (2^11, 2^12; CPU includes the workers');
* the decoded-key cache against ``read_zkey``;
* multi-pairing (one final exponentiation) against four pairings;
* what the cheap parts cost: the blinding scalar multiplications (the target of fixed-base tables)
  and the share of 0/1 witness values (skipped by the MSM);
* start-up: importing what ``zkescrow prove``/``verify`` need, against ``import galois``.
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

from .fixtures import REPO, fixture
from .scaling_replay import FixedRng
from .timing import fmt


def _cpu() -> float:
    """CPU seconds of this process and of its reaped children (forked prover workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _pair(name, plain, fast, runs):
    rows = {"plain": {"wall": [], "cpu": []}, "fast": {"wall": [], "cpu": []}}
    outs = {}
    for _ in range(runs):
        for key, fn in (("plain", plain), ("fast", fast)):
            w, c = time.perf_counter(), _cpu()
            outs[key] = fn()
            rows[key]["wall"].append(time.perf_counter() - w)
            rows[key]["cpu"].append(_cpu() - c)
    same = outs["plain"] == outs["fast"]
    med = {k: {m: statistics.median(v[m]) for m in v} for k, v in rows.items()}
    return {"technique": name, "samples": rows, "median": med, "same_result": same,
            "gain_wall": med["plain"]["wall"] / med["fast"]["wall"],
            "gain_cpu": med["plain"]["cpu"] / med["fast"]["cpu"]}


def _import_time(code: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def run(fx_name: str, runs: int) -> list[dict]:
    from gmpy2 import mpz

    from bench.alternatives import msm_batch_affine as ba
    from bench.alternatives import msm_sorted_buckets as sb
    from zkescrow.bn254 import msm
    from zkescrow.bn254.constants import GLV_BETA, Q
    from zkescrow.bn254.g1 import glv_decompose
    from zkescrow.bn254.g2 import PSI_EIGENVALUE, g2_psi
    from zkescrow.bn254.pairing import multi_pairing, pairing
    from zkescrow.formats.wtns_file import read_wtns
    from zkescrow.groth16.zkey import read_zkey
    from zkescrow.groth16.key_cache import load_proving_key
    from zkescrow.groth16.prove import build_abc, prove, quotient_evaluations

    fx = fixture(fx_name)
    pk = read_zkey(fx.zkey)
    w = [mpz(v) for v in read_wtns(fx.wtns)]
    out = []

    def glv_msm():
        pts, ks = [], []
        for P, k in zip(pk.a, w):
            if P is None or not k:
                continue
            k1, k2 = glv_decompose(int(k))
            if k1:
                pts.append(P if k1 > 0 else (P[0], -P[1] % Q))
                ks.append(abs(k1))
            if k2:
                pts.append((GLV_BETA * P[0] % Q, P[1] if k2 > 0 else -P[1] % Q))
                ks.append(abs(k2))
        return msm.msm_g1(pts, ks)
    out.append(_pair("GLV split, G1 MSM (A)", lambda: msm.msm_g1(pk.a, w), glv_msm, runs))

    def psi_msm():
        pts, ks = [], []
        m = int(PSI_EIGENVALUE)
        for P, k in zip(pk.b2, w):
            if P is None or not k:
                continue
            k2, k1 = divmod(int(k), m)
            if k1:
                pts.append(P)
                ks.append(k1)
            if k2:
                pts.append(g2_psi(P))
                ks.append(k2)
        return msm.msm_g2(pts, ks)
    out.append(_pair("ψ split, G2 MSM (B2)", lambda: msm.msm_g2(pk.b2, w), psi_msm, runs))
    out.append(_pair("batch-affine buckets, G1 MSM (A)", lambda: msm.msm_g1(pk.a, w), lambda: ba.msm_g1(pk.a, w),
                     runs))
    out.append(_pair("batch-affine buckets, G2 MSM (B2)", lambda: msm.msm_g2(pk.b2, w),
                     lambda: ba.msm_g2(pk.b2, w), runs))

    d = quotient_evaluations(pk, *build_abc(pk, w))
    out.append(_pair("buckets filled in sorted runs (numpy), G1 MSM (H)", lambda: msm.msm_g1(pk.h, d),
                     lambda: sb.msm_g1(pk.h, d), runs))
    out.extend(_merged_and_coset(pk, w, d, runs))

    out.append(_pair("work split over 2 forked workers by measured cost (whole in-process prove, workers=2)",
                     lambda: prove(pk, w, rng=FixedRng(), workers=1)[0].to_json(),
                     lambda: prove(pk, w, rng=FixedRng(), workers=2)[0].to_json(), runs))
    for small in ("value_commitment", "channel_settle"):      # 2^11 and 2^12: where forking starts to pay
        sfx = fixture(small)
        spk, sw = read_zkey(sfx.zkey), [mpz(v) for v in read_wtns(sfx.wtns)]
        out.append(_pair(f"2 forked workers on {small} (2^{spk.log_domain_size}, whole in-process prove)",
                         lambda: prove(spk, sw, rng=FixedRng(), workers=1)[0].to_json(),
                         lambda: prove(spk, sw, rng=FixedRng(), workers=2)[0].to_json(), runs))
    import tempfile
    with tempfile.TemporaryDirectory() as cache:
        load_proving_key(fx.zkey, cache_dir=cache)
        out.append(_pair("decoded-key cache (hit) vs read_zkey", lambda: read_zkey(fx.zkey),
                         lambda: load_proving_key(fx.zkey, cache_dir=cache)[0], runs))
    from zkescrow.bn254.constants import G1_GENERATOR, G2_GENERATOR
    from zkescrow.bn254.curve import g1_mul, g2_mul
    pairs = [(g1_mul(G1_GENERATOR, 3 + i), g2_mul(G2_GENERATOR, 5 + i)) for i in range(4)]

    def four():
        from zkescrow.bn254.tower import fq12_mul
        f = pairing(*pairs[0])
        for P, Q_ in pairs[1:]:
            f = fq12_mul(f, pairing(P, Q_))
        return f
    out.append(_pair("multi-pairing (4 pairs, one final exponentiation)", four, lambda: multi_pairing(pairs), runs))

    timings = {}
    prove(pk, w, workers=1, timings=timings)
    out.append({"technique": "blinding (what fixed-base tables for α, β, δ would speed up)",
                "median": {"plain": {"wall": timings["blind"]}},
                "note": f"per proof, of {fmt(timings['total'])} in all"})
    zero_one = sum(1 for v in w if v in (0, 1))
    out.append({"technique": "0/1 witness values skipped by the MSMs", "count": zero_one, "of": len(w),
                "note": f"{zero_one / len(w):.1%} of the witness"})
    base = _import_time("pass", runs)
    out.append({"technique": "start-up imports", "python": base,
                "zkescrow prove path": _import_time(
                    "import click, zkescrow.cli.main, zkescrow.cli.prove, zkescrow.groth16.zkey, "
                    "zkescrow.formats.wtns_file, zkescrow.groth16.prove, "
                    "zkescrow.groth16.key_cache", runs) - base,
                "zkescrow verify path": _import_time(
                    "import click, zkescrow.cli.main, zkescrow.cli.prove, zkescrow.groth16.verify, "
                    "zkescrow.groth16.vk", runs) - base,
                "galois": _import_time("import galois", runs) - base})
    return out


def _merged_and_coset(pk, w, d, runs) -> list[dict]:
    """The merged C + r·B1 + H MSM, and domain → coset by convolution on the key's domain and a sweep."""
    import random

    from gmpy2 import mpz

    from zkescrow.bn254 import coset, msm
    from zkescrow.bn254.constants import R
    from zkescrow.bn254.curve import g1_add, g1_mul
    from zkescrow.bn254.ntt import coset_ntt_of_intt, root_of_unity
    from zkescrow.groth16.prove import build_abc

    r = mpz(random.Random(1).randrange(1, int(R)))
    cw = w[pk.n_public + 1:]
    rows = [_pair("one MSM for C + r·B1 + H instead of three",
                  lambda: g1_add(g1_add(msm.msm_g1(pk.c, cw), msm.msm_g1(pk.h, d)), g1_mul(msm.msm_g1(pk.b1, w), r)),
                  lambda: msm.msm_g1(list(pk.c) + list(pk.b1) + list(pk.h), list(cw) + [x * r % R for x in w] + d),
                  runs)]

    def by_convolution(columns, shift):
        coset._packed_kernel.cache_clear()         # a CLI proof computes the kernel once per process
        return [coset.domain_to_coset(v, shift) for v in columns]

    columns = build_abc(pk, w)
    inc = root_of_unity(pk.log_domain_size + 1)
    rows.append(_pair(f"domain → coset by convolution, A/B/C of the witness (2^{pk.log_domain_size})",
                      lambda: [coset_ntt_of_intt(v, inc) for v in columns], lambda: by_convolution(columns, inc),
                      runs))
    rng = random.Random(2)
    for log_n in (10, 12, 14, 16):
        values = [[mpz(rng.randrange(int(R))) for _ in range(1 << log_n)] for _ in range(3)]
        shift = root_of_unity(log_n + 1)
        rows.append(_pair(f"domain → coset by convolution, 3 random columns of 2^{log_n}",
                          lambda: [coset_ntt_of_intt(v, shift) for v in values],
                          lambda: by_convolution(values, shift), runs))
    return rows


def table(rows) -> str:
    lines = ["| technique | plain (wall / CPU) | with it (wall / CPU) | gain wall | gain CPU | same result |",
             "|---|---|---|---|---|---|"]
    notes = []
    for r in rows:
        if "gain_wall" in r:
            p, f = r["median"]["plain"], r["median"]["fast"]
            lines.append(f"| {r['technique']} | {fmt(p['wall'])} / {fmt(p['cpu'])} | {fmt(f['wall'])} / "
                         f"{fmt(f['cpu'])} | {r['gain_wall']:.2f}× | {r['gain_cpu']:.2f}× | "
                         f"{'yes' if r['same_result'] else 'NO'} |")
        elif r["technique"] == "start-up imports":
            notes.append(f"- start-up: python {fmt(r['python'])}; imports of the prove path "
                         f"{fmt(r['zkescrow prove path'])}, of the verify path {fmt(r['zkescrow verify path'])}; "
                         f"`import galois` alone {fmt(r['galois'])}")
        elif "count" in r:
            notes.append(f"- {r['technique']}: {r['count']} of {r['of']} ({r['note']})")
        else:
            notes.append(f"- {r['technique']}: {fmt(r['median']['plain']['wall'])} {r['note']}")
    return "\n".join(lines + [""] + notes)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fixture", default="transfer-d20")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    rows = run(args.fixture, args.runs)
    print(table(rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1, default=str)


if __name__ == "__main__":
    main()

"""BN254 primitive benchmark: zkescrow.bn254 beside py_ecc.optimized_bn128, measured in the same run.

    python -m bench.bn254_ops [--runs 5] [--json out.json]

Prints a Markdown table: G1 add, G1 and G2 scalar multiplication, one pairing,
a 4-pair multi-pairing, G1 MSM of 2^12 and 2^14 points and an NTT of 2^14 —
each with py_ecc's time for the same operation where py_ecc has one (py_ecc has
no MSM or NTT; its MSM column is the sum of single multiplications, estimated
from 64 of them).  Medians of --runs runs after one warm-up.
"""
from __future__ import annotations

import argparse
import json
import platform
import secrets

import py_ecc.optimized_bn128 as ref
from gmpy2 import mpz

from zkescrow.bn254.constants import G1_GENERATOR, G2_GENERATOR, R
from zkescrow.bn254.g1 import g1_add, g1_mul
from zkescrow.bn254.g2 import g2_mul
from zkescrow.bn254.msm import msm_g1
from zkescrow.bn254.ntt import ntt
from zkescrow.bn254.pairing import multi_pairing, pairing

from .timing import fmt, measure


def _random_points(n: int) -> list:
    """n distinct G1 points k_i·G without n scalar multiplications: a running sum of a random step."""
    step = g1_mul(G1_GENERATOR, secrets.randbelow(int(R)))
    points, current = [], G1_GENERATOR
    for _ in range(n):
        current = g1_add(current, step)
        points.append(current)
    return points


def run(runs: int) -> list[dict]:
    k = secrets.randbelow(int(R))
    P2, Q2 = g1_mul(G1_GENERATOR, 7), g2_mul(G2_GENERATOR, 11)
    pairs = [(g1_mul(G1_GENERATOR, 3 + i), g2_mul(G2_GENERATOR, 5 + i)) for i in range(4)]
    ref_P2 = ref.multiply(ref.G1, 7)
    ref_pairs = [(ref.multiply(ref.G2, 5 + i), ref.multiply(ref.G1, 3 + i)) for i in range(4)]
    rows = []

    def row(name, ours, theirs=None, note=""):
        ours_sample = measure(name, ours, runs=runs)
        theirs_sample = measure(name, theirs, runs=max(1, min(runs, 3))) if theirs else None
        rows.append({"operation": name, "zkescrow": ours_sample.to_json(),
                     "py_ecc": theirs_sample.to_json() if theirs_sample else None, "note": note})

    row("G1 add (affine)", lambda: [g1_add(G1_GENERATOR, P2) for _ in range(1000)],
        lambda: [ref.add(ref.G1, ref_P2) for _ in range(1000)], "1000 additions")
    row("G1 scalar mul", lambda: g1_mul(G1_GENERATOR, k), lambda: ref.multiply(ref.G1, k))
    row("G2 scalar mul", lambda: g2_mul(G2_GENERATOR, k), lambda: ref.multiply(ref.G2, k))
    row("pairing", lambda: pairing(P2, Q2), lambda: ref.pairing(ref.multiply(ref.G2, 11), ref_P2))

    def ref_multi():
        f = ref.FQ12.one()
        for q, p in ref_pairs:
            f = f * ref.pairing(q, p, final_exponentiate=False)
        return ref.final_exponentiate(f)
    row("multi-pairing, 4 pairs", lambda: multi_pairing(pairs), ref_multi, "one final exponentiation")
    for log_n in (12, 14):
        n = 1 << log_n
        points = _random_points(n)
        scalars = [secrets.randbelow(int(R)) for _ in range(n)]
        per_mul = measure("py_ecc mul", lambda: [ref.multiply(ref.G1, s) for s in scalars[:64]], runs=1).median / 64
        rows.append({"operation": f"G1 MSM 2^{log_n}", "zkescrow": measure(f"msm 2^{log_n}",
                     lambda: msm_g1(points, scalars), runs=max(1, runs // 2)).to_json(),
                     "py_ecc": {"median_s": per_mul * n, "estimated": True}, "note": "py_ecc: n single muls"})
    values = [mpz(secrets.randbelow(int(R))) for _ in range(1 << 14)]
    row("NTT 2^14", lambda: ntt(values))
    return rows


def table(rows) -> str:
    lines = ["| operation | zkescrow (median) | min–max | py_ecc | ratio |", "|---|---|---|---|---|"]
    for r in rows:
        ours = r["zkescrow"]
        theirs = r["py_ecc"]
        ratio = f"{theirs['median_s'] / ours['median_s']:.1f}×" if theirs else "—"
        ref_text = "—" if not theirs else fmt(theirs["median_s"]) + (" (est.)" if theirs.get("estimated") else "")
        lines.append(f"| {r['operation']}{' (' + r['note'] + ')' if r['note'] else ''} | {fmt(ours['median_s'])} "
                     f"| {fmt(ours['min_s'])}–{fmt(ours['max_s'])} | {ref_text} | {ratio} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", help="also write every sample to this file")
    args = parser.parse_args(argv)
    rows = run(args.runs)
    print(f"BN254 primitives on {platform.processor() or platform.machine()}, Python {platform.python_version()}\n")
    print(table(rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": platform.uname()._asdict(), "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()

"""A reference Groth16 prover on py_ecc's optimized_bn128: the baseline a Python user has without zkescrow.

    python -m bench.alternatives.py_ecc_prover KEY.zkey WITNESS.wtns PROOF.json PUBLIC.json

The algorithm is snarkjs's (zkescrow's buildABC and odd-coset NTTs, which are plain integer
arithmetic); every MSM is a sum of py_ecc scalar multiplications, which is what py_ecc offers.
The output is snarkjs JSON, verified by the benchmark like the other provers' proofs.  Only
for small circuits: ~6 ms per G1 and ~20 ms per G2 multiplication.
"""
from __future__ import annotations

import secrets
import sys

import py_ecc.optimized_bn128 as bn

from zkescrow.bn254.constants import R
from zkescrow.formats.wtns_file import read_wtns
from zkescrow.groth16.zkey import read_zkey
from zkescrow.groth16.proof import Proof, dumps, public_signals_to_json
from zkescrow.groth16.prove import build_abc, quotient_evaluations


def _g1(P):
    return bn.Z1 if P is None else (bn.FQ(int(P[0])), bn.FQ(int(P[1])), bn.FQ.one())


def _g2(P):
    if P is None:
        return bn.Z2
    (x0, x1), (y0, y1) = P
    return (bn.FQ2([int(x0), int(x1)]), bn.FQ2([int(y0), int(y1)]), bn.FQ2.one())


def _msm(points, scalars, conv, zero):
    acc = zero
    for P, k in zip(points, scalars):
        if P is not None and k:
            acc = bn.add(acc, bn.multiply(conv(P), int(k)))
    return acc


def _affine_g1(P):
    a = bn.normalize(P)
    return None if bn.is_inf(P) else (int(a[0].n), int(a[1].n))


def _affine_g2(P):
    a = bn.normalize(P)
    return None if bn.is_inf(P) else ((int(a[0].coeffs[0]), int(a[0].coeffs[1])),
                                      (int(a[1].coeffs[0]), int(a[1].coeffs[1])))


def prove(pk, witness):
    w = [int(v) for v in witness]
    at, bt, ct = build_abc(pk, w)
    d = quotient_evaluations(pk, at, bt, ct)
    a = _msm(pk.a, w, _g1, bn.Z1)
    b1 = _msm(pk.b1, w, _g1, bn.Z1)
    b2 = _msm(pk.b2, w, _g2, bn.Z2)
    c = _msm(pk.c, w[pk.n_public + 1:], _g1, bn.Z1)
    h = _msm(pk.h, [int(x) for x in d], _g1, bn.Z1)
    r, s = secrets.randbelow(int(R)), secrets.randbelow(int(R))
    delta1, delta2 = _g1(pk.delta1), _g2(pk.delta2)
    pi_a = bn.add(bn.add(a, _g1(pk.alpha1)), bn.multiply(delta1, r))
    pi_b = bn.add(bn.add(b2, _g2(pk.beta2)), bn.multiply(delta2, s))
    b1 = bn.add(bn.add(b1, _g1(pk.beta1)), bn.multiply(delta1, s))
    pi_c = bn.add(bn.add(c, h), bn.multiply(pi_a, s))
    pi_c = bn.add(pi_c, bn.multiply(b1, r))
    pi_c = bn.add(pi_c, bn.multiply(delta1, (-r * s) % int(R)))
    return Proof(_affine_g1(pi_a), _affine_g2(pi_b), _affine_g1(pi_c)), w[1:pk.n_public + 1]


def main(argv=None) -> None:
    zkey, wtns, proof_path, public_path = (argv or sys.argv[1:])[:4]
    proof, public = prove(read_zkey(zkey), read_wtns(wtns))
    with open(proof_path, "w") as f:
        f.write(dumps(proof.to_json()))
    with open(public_path, "w") as f:
        f.write(dumps(public_signals_to_json(public)))


if __name__ == "__main__":
    main()

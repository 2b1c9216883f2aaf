"""Groth16 verification: one pairing check per proof.

A proof (A, B, C) for public signals x_1..x_ℓ verifies under (α, β, γ, δ, IC) when

    e(−A, B) · e(vk_x, γ) · e(C, δ) · e(α, β) = 1,    vk_x = IC_0 + Σ x_i·IC_i,

computed as one multi-pairing (four Miller loops sharing their squarings, one final
exponentiation) with the lines of β, γ, δ prepared once per key (``VerificationKey.prepared``).

Before that, everything is checked the way snarkjs checks it and more: each public signal is an
integer below r and there are exactly ℓ of them (snarkjs does not count them), A and C are on the
curve, and B is on the twist and in the order-r subgroup G2 (snarkjs checks only the curve
equation).  Malformed input raises ``MalformedInput``/``InvalidPoint``; a well-formed proof that does
not verify returns False.  A key under which anyone can forge (γ = ±δ, δ = ±G2; see
``VerificationKey.insecurity``) raises ``InsecureKey`` unless ``allow_insecure=True`` (tests only).
"""
import time

from ..bn254.curve import g1_add, g1_neg
from ..bn254.msm import msm_g1
from ..bn254.pairing import pairing_check
from ..errors import MalformedInput
from .proof import Proof, parse_public_signals
from .vk import VerificationKey


def checked_inputs(vk: VerificationKey, public, proof) -> tuple[list[int], Proof]:
    """(public signals as ints, validated proof), or ``MalformedInput``/``InvalidPoint``."""
    if not isinstance(vk, VerificationKey):
        raise MalformedInput(f"expected a VerificationKey, got {type(vk).__name__}")
    signals = parse_public_signals(public, vk.n_public)
    if not isinstance(proof, Proof):
        proof = Proof.from_json(proof)
    proof.validate()
    return signals, proof


def public_input_point(vk: VerificationKey, signals: list[int]):
    """vk_x = IC_0 + Σ x_i·IC_i."""
    if not signals:
        return vk.ic[0]
    return g1_add(vk.ic[0], msm_g1(vk.ic[1:], signals))


def verify(vk: VerificationKey, public, proof, *, timings: dict | None = None,
           allow_insecure: bool = False) -> bool:
    """Whether ``proof`` (a ``Proof`` or snarkjs JSON) proves the statement with ``public`` signals.

    ``public`` is a list of ints or decimal strings (or public.json text).  When ``timings`` is a dict
    it receives seconds spent in ``checks``, ``vk_x``, ``pairing`` and ``total``.  Raises
    ``InsecureKey`` for a key anyone can forge under, unless ``allow_insecure`` (for tests of such keys).
    """
    t0 = time.perf_counter()
    signals, proof = checked_inputs(vk, public, proof)
    if not allow_insecure:
        vk.check_trusted()
    t1 = time.perf_counter()
    vk_x = public_input_point(vk, signals)
    t2 = time.perf_counter()
    beta, gamma, delta = vk.prepared()
    ok = pairing_check([(g1_neg(proof.pi_a), proof.pi_b), (vk_x, gamma), (proof.pi_c, delta),
                        (vk.alpha1, beta)])
    t3 = time.perf_counter()
    if timings is not None:
        timings.update(checks=t1 - t0, vk_x=t2 - t1, pairing=t3 - t2, total=t3 - t0)
    return ok

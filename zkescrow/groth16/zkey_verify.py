"""Check that a Groth16 .zkey follows from a circuit, a ptau and its recorded contributions,
as ``snarkjs zkey verify`` does (``src/zkey_verify_fromr1cs.js``, ``zkey_verify_frominit.js``).

1. Every contribution: its transcript is the running blake2b transcript, its public key has
   the same ratio in G1 and G2 (e(g1_s, g2_spx) = e(g1_sx, h)), δ moves by that ratio
   (e(δ_before, g2_spx) = e(δ_after, h)), h = hash_to_g2(transcript); beacon contributions
   re-derive their key from the beacon.
2. The initial key is recomputed with ``setup(r1cs, ptau)``: same sizes, α, β, γ, circuit
   hash, and identical IC, coefficients, A, B1 and B2.
3. δ1 is the last δ_after, and δ2 has the same ratio to G2 as δ1 to G1.
4. C and H are the initial ones divided by δ: with random 64-bit r_i,
   e(Σ r_i·C⁰_i, δ⁰) = e(Σ r_i·C_i, δ) and the same for H (one pairing check each).

``zkey_verify`` returns True or raises ``InvalidSetup`` naming the first failed check.
"""
from __future__ import annotations

import secrets

from ..bn254.constants import G1_GENERATOR, G2_GENERATOR
from ..bn254.curve import g1_eq, g1_mul, g1_neg
from ..bn254.msm import msm_g1
from ..bn254.pairing import pairing_check
from ..errors import InvalidSetup
from ..formats.lem import g1_to_u
from .contribute import fr_from_rng, g1_from_rng, hash_pubkey, hash_to_g2, rng_from_beacon, transcript_hasher
from .keys import ProvingKey
from .setup import setup


def same_ratio(g1_s, g1_sx, g2_s, g2_sx) -> bool:
    """snarkjs ``misc.sameRatio``: e(g1_s, g2_sx) = e(g1_sx, g2_s), none of them infinity."""
    if None in (g1_s, g1_sx, g2_s, g2_sx):
        return False
    return pairing_check([(g1_s, g2_sx), (g1_neg(g1_sx), g2_s)])


def check_contributions(pk: ProvingKey):
    """Check the contribution chain of ``pk``; return δ1 after the last one."""
    if pk.cs_hash is None:
        raise InvalidSetup("the zkey has no ceremony record (section 10)")
    hasher = transcript_hasher(pk.cs_hash, [])
    delta = G1_GENERATOR
    for i, c in enumerate(pk.contributions, start=1):
        label = f"contribution #{i}" + (f" ({c.name})" if c.name else "")
        ours = hasher.copy()
        ours.update(g1_to_u(c.g1_s))
        ours.update(g1_to_u(c.g1_sx))
        if ours.digest() != c.transcript:
            raise InvalidSetup(f"{label}: inconsistent transcript")
        g2_sp = hash_to_g2(c.transcript)
        if not same_ratio(c.g1_s, c.g1_sx, g2_sp, c.g2_spx):
            raise InvalidSetup(f"{label}: the public key does not have the same ratio in G1 and G2")
        if not same_ratio(delta, c.delta_after, g2_sp, c.g2_spx):
            raise InvalidSetup(f"{label}: deltaAfter does not follow from the public key")
        if c.type == 1:
            if c.beacon_hash is None or c.num_iterations_exp is None:
                raise InvalidSetup(f"{label}: beacon contribution without its beacon parameters")
            rng = rng_from_beacon(c.beacon_hash, c.num_iterations_exp)
            prv = fr_from_rng(rng)
            g1_s = g1_from_rng(rng)
            if not g1_eq(g1_s, c.g1_s) or not g1_eq(g1_mul(g1_s, prv), c.g1_sx):
                raise InvalidSetup(f"{label}: the key does not match the beacon")
        hash_pubkey(hasher, c)
        delta = c.delta_after
    return delta


def _random_scalars(n: int) -> list:
    return [secrets.randbits(64) for _ in range(n)]


def _same_ratio_section(initial, current, delta2_initial, delta2, name: str) -> None:
    if len(initial) != len(current):
        raise InvalidSetup(f"{name} section has {len(current)} points, expected {len(initial)}")
    if not initial:
        return
    scalars = _random_scalars(len(initial))
    r1, r2 = msm_g1(initial, scalars), msm_g1(current, scalars)
    if not same_ratio(r1, r2, delta2, delta2_initial):
        raise InvalidSetup(f"{name} section does not match delta")


def zkey_verify(r1cs, ptau, zkey, *, progress=None) -> bool:
    """True if ``zkey`` (a ProvingKey or .zkey path) is the key of ``r1cs`` (R1CS or .r1cs path)
    from ``ptau`` (path) after its recorded contributions; else ``InvalidSetup`` with the reason.
    Malformed files raise ``MalformedFile``."""
    report = progress or (lambda step: None)
    if not isinstance(zkey, ProvingKey):
        from .zkey import read_zkey
        zkey = read_zkey(zkey)
    if not hasattr(r1cs, "constraints"):
        from ..formats.r1cs_file import read_r1cs
        r1cs = read_r1cs(r1cs)

    report("checking the contributions")
    delta = check_contributions(zkey)

    report("recomputing the initial key")
    init = setup(r1cs, ptau)
    if (zkey.n_vars, zkey.n_public, zkey.domain_size) != (init.n_vars, init.n_public, init.domain_size):
        raise InvalidSetup(f"different circuit parameters: the zkey has nVars {zkey.n_vars}, nPublic "
                           f"{zkey.n_public}, domain {zkey.domain_size}; the circuit gives {init.n_vars}, "
                           f"{init.n_public}, {init.domain_size}")
    for field in ("alpha1", "beta1", "beta2", "gamma2"):
        if getattr(zkey, field) != getattr(init, field):
            raise InvalidSetup(f"invalid {field}")
    if zkey.delta1 != delta:
        raise InvalidSetup("invalid delta1: it is not the last contribution's deltaAfter")
    if not same_ratio(G1_GENERATOR, delta, G2_GENERATOR, zkey.delta2):
        raise InvalidSetup("invalid delta2: it does not match delta1")
    if zkey.cs_hash != init.cs_hash:
        raise InvalidSetup("circuit hash does not match: the zkey is for another circuit or ptau")
    for field, name in (("ic", "IC"), ("coefs", "coefficients"), ("a", "A"), ("b1", "B1"), ("b2", "B2")):
        if getattr(zkey, field) != getattr(init, field):
            raise InvalidSetup(f"{name} section is not identical to the one the circuit and ptau give")

    report("checking C and H against delta")
    _same_ratio_section(init.c, zkey.c, init.delta2, zkey.delta2, "C (L)")
    _same_ratio_section(init.h, zkey.h, init.delta2, zkey.delta2, "H")
    return True

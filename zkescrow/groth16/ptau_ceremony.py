"""Phase 1 (powers of tau) of a Groth16 ceremony, exactly as snarkjs runs it.

``new_ptau`` (``snarkjs powersoftau new``): every point is its group's generator, no contribution.

``contribute`` / ``beacon`` (snarkjs ``src/powersoftau_contribute.js``, ``powersoftau_beacon.js``):
secrets τ, α, β multiply the points: section 2 and 3 point i by τ^i, section 4 by α·τ^i, section 5
by β·τ^i, β·G2 by β.  The public key proves knowledge of each secret x (snarkjs ``keypair.js``)::

    g1_s  = G1.fromRng(rng)            g1_sx = x·g1_s
    g2_sp = hashToG2(blake2b-512(personalisation ‖ challenge ‖ U(g1_s) ‖ U(g1_sx)))   (τ 0, α 1, β 2)
    g2_spx = x·g2_sp

with τ, α, β, then the three g1_s drawn in that order from one ChaCha stream: seeded by
blake2b-512(64 random bytes ‖ entropy) for a contribution, by SHA-256 iterated 2^exp times over the
beacon hash for a beacon (so anyone can recompute a beacon's key).

Hashes: the first challenge is blake2b-512(blake2b-512("") ‖ the new file's points, U form).  A
contribution's response hash is blake2b-512(challenge ‖ its points in C form ‖ its key in U form);
the state before the key is stored (the 216-byte partial hash).  The next challenge is
blake2b-512(response ‖ its points in U form).

``prepare_phase2`` (snarkjs ``powersoftau_preparephase2.js``): sections 12 – 15 hold, for every
level p = 0 … power (and power + 1 for τ·G1, whose last monomial is taken as zero), the Lagrange
points L_i(τ)·G = (1/n)·Σ_j ω^(−ij)·τ^j·G over the roots ω = w[p] — an inverse FFT over the group.
"""
from __future__ import annotations

import hashlib
import os

from gmpy2 import invert, mpz

from ..bn254.constants import G1_GENERATOR, G2_GENERATOR, R
from ..bn254.curve import (JAC_G1_INFINITY, JAC_G2_INFINITY, g1_batch_from_jacobian, g1_mul, g1_to_jacobian,
                           g2_batch_from_jacobian, g2_mul, g2_to_jacobian, jac_g1_add, jac_g1_mul, jac_g1_neg,
                           jac_g2_add, jac_g2_mul, jac_g2_neg)
from ..bn254.ntt import root_of_unity
from ..errors import MalformedInput
from ..formats.blake2b_state import Blake2bState
from ..formats.lem import encode_g1_points, encode_g2_points, g1_points_to_u, g1_to_u, g2_points_to_u, g2_to_u
from ..formats.ptau_file import MAX_POWER, PtauContribution, PtauFile, PtauKey, g1_to_c, g2_to_c
from .contribute import chacha_from_hash, fr_from_rng, g1_from_rng, hash_to_g2, rng_from_beacon

_R = int(R)
#: points per hasher update in snarkjs's contribute (1 MiB of LEM points per chunk).
_CHUNK_G1, _CHUNK_G2 = (1 << 20) // 64, (1 << 20) // 128


# --- hashes ---------------------------------------------------------------------------------------

def first_challenge_hash(power: int) -> bytes:
    """snarkjs ``calculateFirstChallengeHash``: the challenge a fresh file of ``power`` answers."""
    n = 1 << power
    u1, u2 = g1_to_u(G1_GENERATOR), g2_to_u(G2_GENERATOR)
    hasher = hashlib.blake2b(digest_size=64)
    hasher.update(hashlib.blake2b(digest_size=64).digest())
    for block, count in ((u1, 2 * n - 1), (u2, n), (u1, n), (u1, n)):
        done = 0
        while done < count:
            step = min(count - done, 1 << 14)
            hasher.update(block * step)
            done += step
    hasher.update(u2)
    return hasher.digest()


def last_challenge(ptau: PtauFile) -> bytes:
    if ptau.contributions:
        return ptau.contributions[-1].next_challenge
    return first_challenge_hash(ptau.power)


def g2_sp(personalisation: int, challenge: bytes, g1_s, g1_sx):
    """snarkjs ``keypair.getG2sp``."""
    digest = hashlib.blake2b(bytes([personalisation]) + bytes(challenge) + g1_to_u(g1_s) + g1_to_u(g1_sx),
                             digest_size=64).digest()
    return hash_to_g2(digest)


def create_key(challenge: bytes, rng) -> tuple[tuple, PtauKey]:
    """snarkjs ``keypair.createPTauKey``: ((τ, α, β), public key) from a ChaCha stream."""
    secrets = (fr_from_rng(rng), fr_from_rng(rng), fr_from_rng(rng))
    parts = []
    for personalisation, x in enumerate(secrets):
        g1_s = g1_from_rng(rng)
        g1_sx = g1_mul(g1_s, x)
        parts.append((g1_s, g1_sx, g2_mul(g2_sp(personalisation, challenge, g1_s, g1_sx), x)))
    return secrets, PtauKey(tau=parts[0], alpha=parts[1], beta=parts[2])


def key_from_beacon(challenge: bytes, beacon_hash: bytes, num_iterations_exp: int):
    return create_key(challenge, rng_from_beacon(beacon_hash, num_iterations_exp))


# --- new, contribute, beacon -------------------------------------------------------------------------

def check_power(power: int) -> None:
    if not isinstance(power, int) or not 1 <= power <= MAX_POWER:
        raise MalformedInput(f"power {power!r} is outside 1..{MAX_POWER}")


def new_ptau(power: int) -> PtauFile:
    """A fresh accumulator: every point a generator, no contribution (``snarkjs powersoftau new``)."""
    check_power(power)
    n = 1 << power
    return PtauFile(power=power, ceremony_power=power, tau_g1=[G1_GENERATOR] * (2 * n - 1),
                    tau_g2=[G2_GENERATOR] * n, alpha_tau_g1=[G1_GENERATOR] * n, beta_tau_g1=[G1_GENERATOR] * n,
                    beta_g2=G2_GENERATOR)


def _scaled(points, first, inc, g2: bool) -> list:
    """points[i]·first·inc^i, affine."""
    mul, batch = (jac_g2_mul, g2_batch_from_jacobian) if g2 else (jac_g1_mul, g1_batch_from_jacobian)
    out, t = [], mpz(first)
    for P in points:
        out.append(mul(P, t) if P is not None else (JAC_G2_INFINITY if g2 else JAC_G1_INFINITY))
        t = t * inc % R
    return batch(out)


def _apply(ptau: PtauFile, secrets, key: PtauKey, record: dict, report) -> tuple[PtauFile, bytes]:
    if ptau.power != ptau.ceremony_power:
        raise MalformedInput("this ptau has been reduced (power < ceremony power): it cannot take contributions")
    tau, alpha, beta = secrets
    challenge = last_challenge(ptau)
    report("tauG1")
    tau_g1 = _scaled(ptau.tau_g1, 1, tau, False)
    report("tauG2")
    tau_g2 = _scaled(ptau.tau_g2, 1, tau, True)
    report("alphaTauG1")
    alpha_tau_g1 = _scaled(ptau.alpha_tau_g1, alpha, tau, False)
    report("betaTauG1")
    beta_tau_g1 = _scaled(ptau.beta_tau_g1, beta, tau, False)
    beta_g2 = _scaled([ptau.beta_g2], beta, tau, True)[0]
    report("hashes")
    response = Blake2bState().update(challenge)
    for points, to_c, chunk in ((tau_g1, g1_to_c, _CHUNK_G1), (tau_g2, g2_to_c, _CHUNK_G2),
                                (alpha_tau_g1, g1_to_c, _CHUNK_G1), (beta_tau_g1, g1_to_c, _CHUNK_G1),
                                ([beta_g2], g2_to_c, _CHUNK_G2)):
        for start in range(0, len(points), chunk):      # snarkjs's update calls, for the same state bytes
            response.update(b"".join(map(to_c, points[start:start + chunk])))
    partial = response.partial()
    response_hash = response.update(key.to_u()).digest()
    encoded = {2: encode_g1_points(tau_g1), 3: encode_g2_points(tau_g2), 4: encode_g1_points(alpha_tau_g1),
               5: encode_g1_points(beta_tau_g1), 6: encode_g2_points([beta_g2])}
    nxt = hashlib.blake2b(response_hash, digest_size=64)
    nxt.update(g1_points_to_u(tau_g1))
    nxt.update(g2_points_to_u(tau_g2))
    nxt.update(g1_points_to_u(alpha_tau_g1))
    nxt.update(g1_points_to_u(beta_tau_g1))
    nxt.update(g2_to_u(beta_g2))
    contribution = PtauContribution(tau_g1=tau_g1[1], tau_g2=tau_g2[1], alpha_g1=alpha_tau_g1[0],
                                    beta_g1=beta_tau_g1[0], beta_g2=beta_g2, key=key, partial_hash=partial,
                                    next_challenge=nxt.digest(), **record)
    new = PtauFile(power=ptau.power, ceremony_power=ptau.ceremony_power, tau_g1=tau_g1, tau_g2=tau_g2,
                   alpha_tau_g1=alpha_tau_g1, beta_tau_g1=beta_tau_g1, beta_g2=beta_g2,
                   contributions=[*ptau.contributions, contribution])
    new.encoded = encoded
    return new, response_hash


def contribute(ptau: PtauFile, name: str | None = None, entropy: str | bytes | None = None, *,
               progress=None) -> tuple[PtauFile, bytes]:
    """A new accumulator with one more contribution, and its response hash.

    The secrets come from a ChaCha stream seeded with blake2b-512(64 bytes of ``os.urandom`` ‖
    ``entropy``), as snarkjs seeds it; they are never stored.  Lagrange sections are dropped (run
    ``prepare_phase2`` again).
    """
    if isinstance(entropy, str):
        entropy = entropy.encode("utf-8")
    rng = chacha_from_hash(hashlib.blake2b(os.urandom(64) + (entropy or b""), digest_size=64).digest())
    secrets, key = create_key(last_challenge(ptau), rng)
    rng = None
    return _apply(ptau, secrets, key, {"type": 0, "name": name or None}, progress or (lambda step: None))


def parse_beacon_hash(text: str) -> bytes:
    try:
        beacon = bytes.fromhex(text)
    except ValueError:
        beacon = b""
    if not beacon or len(beacon) * 2 != len(text):
        raise MalformedInput(f"beacon hash {text[:40]!r} is not a non-empty hexadecimal byte string")
    if len(beacon) >= 256:
        raise MalformedInput("a beacon hash has at most 255 bytes")
    return beacon


def check_beacon_exp(num_iterations_exp: int, minimum: int = 10) -> None:
    if not minimum <= num_iterations_exp <= 63:
        raise MalformedInput(f"numIterationsExp {num_iterations_exp} is outside {minimum}..63")


def beacon(ptau: PtauFile, beacon_hash: bytes, num_iterations_exp: int, name: str | None = None, *,
           progress=None, minimum_exp: int = 10) -> tuple[PtauFile, bytes]:
    """The final, publicly reproducible contribution (snarkjs ``powersoftau beacon``).

    snarkjs asks for 10 ≤ numIterationsExp ≤ 63 (2^exp SHA-256 iterations); tests may lower the
    minimum to keep a ceremony fast.
    """
    check_beacon_exp(num_iterations_exp, minimum_exp)
    if not 1 <= len(beacon_hash) < 256:
        raise MalformedInput("a beacon hash has 1 to 255 bytes")
    secrets, key = key_from_beacon(last_challenge(ptau), beacon_hash, num_iterations_exp)
    record = {"type": 1, "name": name or None, "num_iterations_exp": num_iterations_exp,
              "beacon_hash": bytes(beacon_hash)}
    return _apply(ptau, secrets, key, record, progress or (lambda step: None))


# --- prepare phase 2 ---------------------------------------------------------------------------------

class _Group:
    def __init__(self, g2: bool):
        if g2:
            self.mul, self.add, self.neg = jac_g2_mul, jac_g2_add, jac_g2_neg
            self.to_jac, self.batch, self.zero = g2_to_jacobian, g2_batch_from_jacobian, JAC_G2_INFINITY
        else:
            self.mul, self.add, self.neg = jac_g1_mul, jac_g1_add, jac_g1_neg
            self.to_jac, self.batch, self.zero = g1_to_jacobian, g1_batch_from_jacobian, JAC_G1_INFINITY


def group_intt(points, G: _Group) -> list:
    """(1/n)·Σ_j ω^(−ij)·points[j] for i < n (affine in, affine out; None is the identity)."""
    n = len(points)
    log_n = n.bit_length() - 1
    if n == 1:
        return list(points)
    w_inv = invert(root_of_unity(log_n), R)
    bits = [int(format(i, f"0{log_n}b")[::-1], 2) for i in range(n)]
    a = [points[bits[i]] for i in range(n)]                 # affine, bit-reversed
    m = 2
    while m <= n:
        half = m // 2
        w_m = pow(w_inv, n // m, R)
        twiddles = [pow(w_m, j, R) for j in range(half)]
        out = [None] * n
        for k in range(0, n, m):
            for j in range(half):
                u = G.to_jac(a[k + j])
                v = a[k + j + half]
                t = G.to_jac(v) if j == 0 else (G.mul(v, twiddles[j]) if v is not None else G.zero)
                out[k + j] = G.add(u, t)
                out[k + j + half] = G.add(u, G.neg(t))
        a = G.batch(out)
        m *= 2
    n_inv = invert(mpz(n), R)
    return G.batch([G.mul(P, n_inv) if P is not None else G.zero for P in a])


def lagrange_section(monomial, levels: int, g2: bool, pad_last: bool = False, report=None) -> bytes:
    """The Lagrange points of levels 0 … levels − 1, LEM; ``pad_last`` takes the missing last monomial
    of the top level as zero (section 2 has 2^(power+1) − 1 points)."""
    G = _Group(g2)
    encode = encode_g2_points if g2 else encode_g1_points
    parts = []
    for p in range(levels):
        n = 1 << p
        points = list(monomial[:n])
        if len(points) < n:
            if not pad_last or len(points) != n - 1:
                raise MalformedInput(f"section has {len(monomial)} points, level {p} needs {n}")
            points.append(None)
        if report is not None:
            report(p)
        parts.append(encode(group_intt(points, G)))
    return b"".join(parts)


def prepare_phase2(ptau: PtauFile, *, progress=None) -> PtauFile:
    """The same accumulator with Lagrange sections 12 – 15 (``snarkjs powersoftau prepare phase2``)."""
    report = progress or (lambda step: None)
    power = ptau.power
    new = PtauFile(power=power, ceremony_power=ptau.ceremony_power, tau_g1=ptau.tau_g1, tau_g2=ptau.tau_g2,
                   alpha_tau_g1=ptau.alpha_tau_g1, beta_tau_g1=ptau.beta_tau_g1, beta_g2=ptau.beta_g2,
                   contributions=list(ptau.contributions))
    report("Lagrange tauG1")
    new.lagrange[12] = lagrange_section(ptau.tau_g1, power + 2, False, pad_last=True)
    report("Lagrange tauG2")
    new.lagrange[13] = lagrange_section(ptau.tau_g2, power + 1, True)
    report("Lagrange alphaTauG1")
    new.lagrange[14] = lagrange_section(ptau.alpha_tau_g1, power + 1, False)
    report("Lagrange betaTauG1")
    new.lagrange[15] = lagrange_section(ptau.beta_tau_g1, power + 1, False)
    return new

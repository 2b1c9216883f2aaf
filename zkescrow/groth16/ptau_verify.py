"""``powersoftau verify``: check a ptau against its recorded ceremony, as snarkjs does.

Following snarkjs ``src/powersoftau_verify.js``:

* every contribution, against the one before it (the first against the generators and the first
  challenge hash): a beacon's key is recomputed from its hash and iteration count; each secret's
  proof of knowledge e(g1_s, g2_spx) = e(g1_sx, g2_sp) with g2_sp re-derived from the previous
  challenge; and τ·G1, τ·G2, α·G1, β·G1, β·G2 follow the previous ones by the same secrets;
* the points of the last contribution: a random linear combination R1 = Σ r_i·P_i, R2 = Σ r_i·P_(i+1)
  per section with e(R1, τ·G2) = e(R2, G2) (for τ·G2: e(G1, R2) = e(τ·G1, R1)), the first points
  are the generators (α·G1, β·G1), and the next challenge hash of the file equals the recorded one;
* when the file is prepared for phase 2, each Lagrange level p against the monomials:
  Σ r_j·τ^j·G = Σ_i FFT(r)_i·L_i(τ)·G for random r.

Failures raise ``InvalidPtau`` (a false statement) naming the check; random scalars come from
``secrets`` (64 bits each).
"""
from __future__ import annotations

import hashlib
import secrets

from ..bn254.constants import G1_GENERATOR, G2_GENERATOR
from ..bn254.curve import g1_eq, g2_eq, g2_in_subgroup
from ..bn254.msm import msm_g1, msm_g2
from ..bn254.ntt import ntt
from ..errors import InvalidPtau, MalformedInput
from ..formats.blake2b_state import Blake2bState
from ..formats.lem import G1_SIZE, G2_SIZE, decode_g1_points, decode_g2_points, g1_points_to_u, g2_points_to_u
from ..formats.ptau_file import PtauContribution, PtauFile
from .ptau_ceremony import first_challenge_hash, g2_sp, key_from_beacon
from .zkey_verify import same_ratio

#: Beacons asking for more SHA-256 iterations than 2^this are refused rather than run for hours.
MAX_VERIFIED_BEACON_EXP = 32


class _Initial:
    """The state before the first contribution."""

    def __init__(self, ceremony_power: int):
        self.tau_g1 = self.alpha_g1 = self.beta_g1 = G1_GENERATOR
        self.tau_g2 = self.beta_g2 = G2_GENERATOR
        self.next_challenge = first_challenge_hash(ceremony_power)


def response_hash(c: PtauContribution) -> bytes:
    """The contribution's response hash: its stored partial hash finished with its public key."""
    try:
        state = Blake2bState.from_partial(c.partial_hash)
    except ValueError as exc:
        raise MalformedInput(f"contribution partial hash: {exc}") from None
    return state.update(c.key.to_u()).digest()


def _points_equal(a, b, g2: bool) -> bool:
    if a is None or b is None:
        return a is b
    return g2_eq(a, b) if g2 else g1_eq(a, b)


def verify_contribution(cur: PtauContribution, prev, index: int) -> None:
    where = f"contribution #{index}" + (f" ({cur.name})" if cur.name else "")
    if cur.type == 1:
        if cur.num_iterations_exp > MAX_VERIFIED_BEACON_EXP:
            raise MalformedInput(f"{where}: a beacon with 2^{cur.num_iterations_exp} iterations is beyond what this "
                                 f"verifier runs (2^{MAX_VERIFIED_BEACON_EXP})")
        _, expected = key_from_beacon(prev.next_challenge, cur.beacon_hash, cur.num_iterations_exp)
        for part in ("tau", "alpha", "beta"):
            got, want = getattr(cur.key, part), getattr(expected, part)
            if not (_points_equal(got[0], want[0], False) and _points_equal(got[1], want[1], False)
                    and _points_equal(got[2], want[2], True)):
                raise InvalidPtau(f"{where}: the beacon key ({part}) is not the one its hash and iterations give")
    for point in (cur.tau_g2, cur.beta_g2, cur.key.tau[2], cur.key.alpha[2], cur.key.beta[2]):
        if point is None or not g2_in_subgroup(point):
            raise InvalidPtau(f"{where}: a G2 point of the contribution is not in the order-r subgroup")
    sp = {}
    for personalisation, part in enumerate(("tau", "alpha", "beta")):
        g1_s, g1_sx, g2_spx = getattr(cur.key, part)
        if None in (g1_s, g1_sx):
            raise InvalidPtau(f"{where}: the {part} key has a point at infinity")
        sp[part] = g2_sp(personalisation, prev.next_challenge, g1_s, g1_sx)
        if not same_ratio(g1_s, g1_sx, sp[part], g2_spx):
            raise InvalidPtau(f"{where}: invalid key ({part}): no proof of knowledge of the secret")
    checks = (("tau*G1", prev.tau_g1, cur.tau_g1, sp["tau"], cur.key.tau[2]),
              ("alpha*G1", prev.alpha_g1, cur.alpha_g1, sp["alpha"], cur.key.alpha[2]),
              ("beta*G1", prev.beta_g1, cur.beta_g1, sp["beta"], cur.key.beta[2]))
    for what, before, after, g2_s, g2_sx in checks:
        if not same_ratio(before, after, g2_s, g2_sx):
            raise InvalidPtau(f"{where}: {what} does not follow the previous contribution")
    if not same_ratio(cur.key.tau[0], cur.key.tau[1], prev.tau_g2, cur.tau_g2):
        raise InvalidPtau(f"{where}: tau*G2 does not follow the previous contribution")
    if not same_ratio(cur.key.beta[0], cur.key.beta[1], prev.beta_g2, cur.beta_g2):
        raise InvalidPtau(f"{where}: beta*G2 does not follow the previous contribution")


def _shifted_sums(points, g2: bool):
    """(Σ r_i·P_i, Σ r_i·P_(i+1)) over i < len − 1, r random."""
    r = [secrets.randbits(64) for _ in range(len(points) - 1)]
    msm = msm_g2 if g2 else msm_g1
    return msm(points[:-1], r), msm(points[1:], r)


def _check_powers(ptau: PtauFile, cur: PtauContribution) -> None:
    r1, r2 = _shifted_sums(ptau.tau_g1, False)
    if not same_ratio(r1, r2, G2_GENERATOR, cur.tau_g2):
        raise InvalidPtau("tauG1 section: the points are not successive powers of tau")
    if not g1_eq(ptau.tau_g1[0], G1_GENERATOR) or not _points_equal(ptau.tau_g1[1], cur.tau_g1, False):
        raise InvalidPtau("tauG1 section: its first points are not G1 and the last contribution's tau*G1")
    if len(ptau.tau_g2) > 1:
        r1, r2 = _shifted_sums(ptau.tau_g2, True)
        if not same_ratio(G1_GENERATOR, cur.tau_g1, r1, r2):
            raise InvalidPtau("tauG2 section: the points are not successive powers of tau")
    if not g2_eq(ptau.tau_g2[0], G2_GENERATOR) or not _points_equal(ptau.tau_g2[1], cur.tau_g2, True):
        raise InvalidPtau("tauG2 section: its first points are not G2 and the last contribution's tau*G2")
    for name, points, first in (("alphaTauG1", ptau.alpha_tau_g1, cur.alpha_g1),
                                ("betaTauG1", ptau.beta_tau_g1, cur.beta_g1)):
        r1, r2 = _shifted_sums(points, False)
        if not same_ratio(r1, r2, G2_GENERATOR, cur.tau_g2):
            raise InvalidPtau(f"{name} section: the points are not successive powers of tau")
        if not _points_equal(points[0], first, False):
            raise InvalidPtau(f"{name} section: its first point is not the last contribution's")
    if not _points_equal(ptau.beta_g2, cur.beta_g2, True):
        raise InvalidPtau("betaG2 section: the point is not the last contribution's beta*G2")


def _next_challenge(ptau: PtauFile, cur: PtauContribution) -> bytes:
    hasher = hashlib.blake2b(response_hash(cur), digest_size=64)
    hasher.update(g1_points_to_u(ptau.tau_g1))
    hasher.update(g2_points_to_u(ptau.tau_g2))
    hasher.update(g1_points_to_u(ptau.alpha_tau_g1))
    hasher.update(g1_points_to_u(ptau.beta_tau_g1))
    hasher.update(g2_points_to_u([ptau.beta_g2]))
    return hasher.digest()


def _check_lagrange(ptau: PtauFile, section: int, monomial, g2: bool, levels: int, report) -> None:
    size = G2_SIZE if g2 else G1_SIZE
    decode, msm = (decode_g2_points, msm_g2) if g2 else (decode_g1_points, msm_g1)
    raw = ptau.lagrange[section]
    for p in range(levels):
        n = 1 << p
        report(f"Lagrange section {section} level {p}")
        lagrange = decode(raw[(n - 1) * size:(2 * n - 1) * size], n, f"ptau section {section} level {p}")
        points = list(monomial[:n])
        r = [secrets.randbits(64) for _ in range(n)]
        if len(points) < n:                  # the top τ·G1 level: the missing monomial counts as zero
            points.append(None)
            r[-1] = 0
        if msm(points, r) != msm(lagrange, ntt(r)):
            raise InvalidPtau(f"section {section} (Lagrange) level {p} does not match the powers of tau")


def verify_ptau(ptau: PtauFile, *, progress=None) -> list:
    """Check ``ptau``; return [(index, contribution, response hash)] or raise ``InvalidPtau``."""
    report = progress or (lambda step: None)
    contributions = ptau.contributions
    if not contributions:
        raise InvalidPtau("the file has no contribution: it cannot be used in production")
    initial = _Initial(ptau.ceremony_power)
    report("last contribution")
    cur = contributions[-1]
    verify_contribution(cur, contributions[-2] if len(contributions) > 1 else initial, len(contributions))
    report("powers")
    _check_powers(ptau, cur)
    if ptau.power == ptau.ceremony_power and _next_challenge(ptau, cur) != cur.next_challenge:
        raise InvalidPtau("the hash of the points is not the next challenge recorded by the last contributor")
    for i in range(len(contributions) - 2, -1, -1):
        report(f"contribution #{i + 1}")
        verify_contribution(contributions[i], contributions[i - 1] if i > 0 else initial, i + 1)
    if ptau.prepared:
        _check_lagrange(ptau, 12, ptau.tau_g1, False, ptau.power + 2, report)
        _check_lagrange(ptau, 13, ptau.tau_g2, True, ptau.power + 1, report)
        _check_lagrange(ptau, 14, ptau.alpha_tau_g1, False, ptau.power + 1, report)
        _check_lagrange(ptau, 15, ptau.beta_tau_g1, False, ptau.power + 1, report)
    return [(i + 1, c, response_hash(c)) for i, c in enumerate(contributions)]

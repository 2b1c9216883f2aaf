"""Batch verification of Groth16 proofs under one key by a random linear combination.

For proofs (A_i, B_i, C_i) with public inputs giving vk_x,i, pick independent random 128-bit
z_i and check the single equation (Zcash protocol spec, App. B.2; bellman ``groth16::batch``)

    ∏ e(z_i·(−A_i), B_i) · e(Σ z_i·vk_x,i, γ) · e(Σ z_i·C_i, δ) · e((Σ z_i)·α, β) = 1.

It holds whenever every proof verifies; if one does not, it holds with probability at most
about 2^−128 over the z_i.  Cost: n + 3 Miller loops (β, γ, δ prepared once per key) and one final
exponentiation instead of 4n loops and n exponentiations; Σ z_i·vk_x,i is one MSM over the IC
points with scalars Σ z_i·x_i,j.  ``find_invalid`` bisects a failing batch down to the bad proofs.
"""
import secrets

from ..bn254.constants import R
from ..bn254.curve import g1_mul, g1_neg
from ..bn254.msm import msm_g1
from ..bn254.pairing import pairing_check, prepare_g2
from ..errors import MalformedInput
from .verify import checked_inputs, verify

#: Bits of each random coefficient z_i.
Z_BITS = 128


def _random_z(rng) -> int:
    while True:
        z = rng.randbits(Z_BITS)
        if z:
            return z


def _check_batch(vk, checked, rng, b_lines=None) -> bool:
    """The combined check over validated ``(signals, proof)`` pairs; ``b_lines`` may hold each π_B
    already prepared (``prepare_g2``) when the same proofs are checked repeatedly."""
    zs = [_random_z(rng) for _ in checked]
    ic_scalars = [sum(zs) % R] + [0] * vk.n_public
    for z, (signals, _) in zip(zs, checked):
        for j, x in enumerate(signals, start=1):
            ic_scalars[j] += z * x
    ic_scalars = [s % R for s in ic_scalars]
    vk_x = msm_g1(vk.ic, ic_scalars)
    c_sum = msm_g1([proof.pi_c for _, proof in checked], zs)
    beta, gamma, delta = vk.prepared()
    if b_lines is None:
        b_lines = [proof.pi_b for _, proof in checked]
    pairs = [(g1_mul(g1_neg(proof.pi_a), z), b) for z, (_, proof), b in zip(zs, checked, b_lines)]
    pairs += [(vk_x, gamma), (c_sum, delta), (g1_mul(vk.alpha1, ic_scalars[0]), beta)]
    return pairing_check(pairs)


def verify_batch(vk, items, *, rng=secrets, allow_insecure: bool = False) -> bool:
    """Whether every ``(public, proof)`` in ``items`` verifies under ``vk`` (one combined check).

    Malformed public signals or proof points raise ``MalformedInput``/``InvalidPoint`` as in ``verify``,
    and a key anyone can forge under raises ``InsecureKey`` unless ``allow_insecure``.
    An empty batch is vacuously valid.  ``rng`` provides ``randbits`` (default: ``secrets``).
    """
    checked = [checked_inputs(vk, public, proof) for public, proof in _pairs(items)]
    if not allow_insecure:
        vk.check_trusted()
    if not checked:
        return True
    if len(checked) == 1:
        return verify(vk, *checked[0], allow_insecure=True)
    return _check_batch(vk, checked, rng)


def find_invalid(vk, items, *, rng=secrets, allow_insecure: bool = False) -> list[int]:
    """Indices (ascending) of the items that do not verify: the malformed ones, and the bad proofs a
    bisection of failing batches isolates (single items are decided by ``verify``).  Raises
    ``InsecureKey`` as ``verify_batch`` does."""
    items = _pairs(items)
    if not allow_insecure:
        vk.check_trusted()
    bad, good = [], []
    for i, (public, proof) in enumerate(items):
        try:
            good.append((i, checked_inputs(vk, public, proof)))
        except MalformedInput:
            bad.append(i)

    lines = {i: prepare_g2(proof.pi_b) for i, (_, proof) in good}   # reused by every sub-batch

    def fails(group) -> bool:
        if len(group) == 1:
            return not verify(vk, *group[0][1], allow_insecure=True)
        return not _check_batch(vk, [c for _, c in group], rng, [lines[i] for i, _ in group])

    def bisect(group):
        """``group`` holds at least one bad proof: find all of them."""
        if len(group) == 1:
            bad.append(group[0][0])
            return
        left, right = group[:len(group) // 2], group[len(group) // 2:]
        left_fails = fails(left)
        if left_fails:
            bisect(left)
        if not left_fails or fails(right):      # a passing left half leaves the failure on the right
            bisect(right)

    if good and fails(good):
        bisect(good)
    return sorted(bad)


def _pairs(items) -> list:
    items = list(items)
    for k, item in enumerate(items):
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise MalformedInput(f"batch item {k} is not a (public, proof) pair")
    return items

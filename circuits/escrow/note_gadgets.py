"""The note scheme in-circuit: each function mirrors its namesake in ``circuits.notes``."""
from __future__ import annotations

from circuits.domains import Domain
from circuits.gadgets.merkle import merkle_root
from circuits.gadgets.poseidon import poseidon


def owner_of(cs, sk):
    """owner = H(OWNER, sk)."""
    return poseidon(cs, Domain.OWNER, sk)


def nullifier_key(cs, sk):
    """nk = H(NULLIFIER_KEY, sk)."""
    return poseidon(cs, Domain.NULLIFIER_KEY, sk)


def note_commitment(cs, value, asset, owner, rho, blind):
    """cm = H(NOTE_COMMITMENT, v, asset, owner, ρ, r)."""
    return poseidon(cs, Domain.NOTE_COMMITMENT, value, asset, owner, rho, blind)


def nullifier(cs, nk, cm, position):
    """nf = H(NULLIFIER, nk, cm, pos)."""
    return poseidon(cs, Domain.NULLIFIER, nk, cm, position)


def output_rho(cs, first_nullifier, j: int):
    """ρ_j = H(RHO, nf_0, j)."""
    return poseidon(cs, Domain.RHO, first_nullifier, j)


def position_of(index_bits):
    """The leaf position Σ 2^i·bit_i (free; the Merkle gadget constrains the bits)."""
    total = None
    for i, bit in enumerate(index_bits):
        term = bit.scale(1 << i)
        total = term if total is None else total + term
    return total


def assert_member_if(cs, enabled, leaf, path, index_bits, root):
    """(root(leaf, path) − root)·enabled = 0: membership, skipped for zero-value (dummy) notes."""
    with cs.scope("MerkleMembership"):
        computed = merkle_root(cs, leaf, path, index_bits)
        cs.assert_product(computed - root, enabled, 0)

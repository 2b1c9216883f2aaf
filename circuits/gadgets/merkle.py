"""Merkle membership in-circuit: the root of a Poseidon(2) tree from a leaf and its authentication path.

Per level: the index bit is constrained boolean (1 constraint), ``swap`` orders (node, sibling) into (left, right)
(1 constraint, circomlib DualMux-style), and Poseidon(left, right) hashes them (240 constraints): 242 per level.
Matches ``circuits.crypto.merkle`` (same node hash, same bit convention: bit i = 1 means the running node is the
right child at level i).
"""
from __future__ import annotations

from zkescrow.errors import MalformedInput

from .mux import swap
from .poseidon import poseidon


def merkle_root(cs, leaf, path_elements, path_index_bits):
    """The root reached from `leaf` through `path_elements` (leaf level first); constrains the bits boolean."""
    if len(path_elements) != len(path_index_bits):
        raise MalformedInput(f"Merkle path has {len(path_elements)} elements but {len(path_index_bits)} index bits")
    node = cs._signal(leaf)
    with cs.scope("MerkleRoot"):
        for sibling, bit in zip(path_elements, path_index_bits):
            cs.assert_bool(bit)
            left, right = swap(cs, bit, node, sibling)
            node = poseidon(cs, left, right)
    return node


def assert_merkle_member(cs, root, leaf, path_elements, path_index_bits) -> None:
    """Constrain `leaf` to be in the tree with `root`: merkle_root plus one equality constraint."""
    cs.assert_equal(merkle_root(cs, leaf, path_elements, path_index_bits), root)

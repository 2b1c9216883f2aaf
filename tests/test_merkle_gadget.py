"""The Merkle gadget against the native tree: same roots, wrong paths and non-boolean bits rejected."""
import random

import pytest

from circuits.crypto.merkle import MerkleTree
from circuits.dsl import Circuit, Output, Private, Public
from circuits.gadgets.merkle import assert_merkle_member, merkle_root
from zkescrow.bn254.constants import R
from zkescrow.errors import MalformedInput, UnsatisfiedConstraint


class Root(Circuit):
    """root = the tree root reached from leaf through the path."""
    root = Output()
    leaf = Private()
    path_elements = Private(n="depth")
    path_indices = Private(n="depth")

    def define(self, cs):
        self.root = merkle_root(cs, self.leaf, self.path_elements, self.path_indices)


class Membership(Circuit):
    """leaf is in the tree whose root is public."""
    root = Public()
    leaf = Private()
    path_elements = Private(n="depth")
    path_indices = Private(n="depth")

    def define(self, cs):
        assert_merkle_member(cs, self.root, self.leaf, self.path_elements, self.path_indices)


@pytest.fixture(scope="module")
def tree():
    rng = random.Random(20)
    t = MerkleTree(depth=20)
    t.extend(rng.randrange(R) for _ in range(37))
    return t


def inputs(tree, index, **override):
    path = tree.path(index)
    doc = {"root": tree.root, "leaf": tree.leaf(index), "path_elements": list(path.elements),
           "path_indices": list(path.index_bits)}
    doc.update(override)
    return doc


@pytest.mark.parametrize("index", [0, 1, 18, 36])
def test_gadget_root_equals_native(tree, index):
    doc = inputs(tree, index)
    del doc["root"]
    witness = Root(depth=20).witness(doc)
    assert witness[1] == tree.root


def test_membership_and_constraint_counts(tree):
    assert len(Root(depth=20).compile().constraints) == 20 * 242
    assert len(Membership(depth=20).compile().constraints) == 20 * 242 + 1
    Membership(depth=20).witness(inputs(tree, 5))


def test_wrong_leaf_sibling_or_position_fails(tree):
    circuit = Membership(depth=20)
    good = inputs(tree, 7)
    with pytest.raises(UnsatisfiedConstraint):
        circuit.witness({**good, "leaf": tree.leaf(8)})
    elements = list(good["path_elements"])
    elements[3] = (elements[3] + 1) % R
    with pytest.raises(UnsatisfiedConstraint):
        circuit.witness({**good, "path_elements": elements})
    bits = list(good["path_indices"])
    bits[0] ^= 1
    with pytest.raises(UnsatisfiedConstraint):
        circuit.witness({**good, "path_indices": bits})
    with pytest.raises(UnsatisfiedConstraint):
        circuit.witness({**good, "root": (tree.root + 1) % R})


def test_non_boolean_index_bit_is_rejected(tree):
    # a "bit" of 2 would let a prover mix sibling and node; assert_bool stops it first
    doc = inputs(tree, 4)
    bits = list(doc["path_indices"])
    bits[2] = 2
    with pytest.raises(UnsatisfiedConstraint, match="MerkleRoot"):
        Membership(depth=20).witness({**doc, "path_indices": bits})


def test_a_tree_of_other_depth_does_not_verify(tree):
    small = MerkleTree(depth=4)
    small.extend(tree.leaves[:5])
    path = small.path(3)
    doc = {"root": tree.root, "leaf": small.leaf(3), "path_elements": list(path.elements),
           "path_indices": list(path.index_bits)}
    with pytest.raises(UnsatisfiedConstraint):
        Membership(depth=4).witness(doc)
    Membership(depth=4).witness({**doc, "root": small.root})


def test_mismatched_lengths():
    class Broken(Circuit):
        root = Output()
        leaf = Private()
        path_elements = Private(n=3)
        path_indices = Private(n=2)

        def define(self, cs):
            self.root = merkle_root(cs, self.leaf, self.path_elements, self.path_indices)

    with pytest.raises(MalformedInput):
        Broken().compile()


def test_every_computed_wire_is_pinned():
    tree = MerkleTree(depth=2)
    tree.extend([5, 6, 7])
    doc = inputs(tree, 2)
    del doc["root"]
    circuit = Root(depth=2)
    r1cs = circuit.compile()
    witness = circuit.witness(doc)
    first_internal = 1 + r1cs.n_pub_out + r1cs.n_pub_in + r1cs.n_prv_in
    for wire in [1, *range(first_internal, r1cs.n_wires)]:
        forged = list(witness)
        forged[wire] = (forged[wire] + 1) % R
        with pytest.raises(UnsatisfiedConstraint):
            r1cs.check(forged)

"""The native note tree: roots against a naive full-tree build, paths, frontier, serialization, root history."""
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from circuits.crypto.merkle import (ZERO_LEAF, MerkleFrontier, MerklePath, MerkleTree, RootHistory, compute_root,
                                    hash_pair, verify_path, zero_hashes)
from circuits.crypto.poseidon import poseidon
from zkescrow.bn254.constants import R
from zkescrow.errors import InvalidFieldElement, MalformedInput, MerkleTreeFull


def naive_root(leaves, depth):
    """Pad to 2^depth leaves with ZERO_LEAF and hash level by level."""
    level = list(leaves) + [ZERO_LEAF] * ((1 << depth) - len(leaves))
    for _ in range(depth):
        level = [poseidon([level[i], level[i + 1]]) for i in range(0, len(level), 2)]
    return level[0]


def leaves_for(n, seed=0):
    rng = random.Random(seed)
    return [rng.randrange(R) for _ in range(n)]


def test_zero_leaf_and_zero_hashes():
    assert 0 < ZERO_LEAF < R
    z = zero_hashes(4)
    assert len(z) == 5 and z[0] == ZERO_LEAF
    for i in range(4):
        assert z[i + 1] == poseidon([z[i], z[i]])
    assert hash_pair(1, 2) == 7853200120776062878684798364095072458815029376092732009249414926327459813530


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 8])
def test_root_equals_naive_full_tree(n):
    leaves = leaves_for(n, n)
    tree = MerkleTree(depth=3)
    for i, leaf in enumerate(leaves):
        assert tree.append(leaf) == i
    assert tree.root == naive_root(leaves, 3)
    assert len(tree) == tree.size == n


def test_paths_of_every_leaf_verify():
    leaves = leaves_for(6, 1)
    tree = MerkleTree(depth=4)
    tree.extend(leaves)
    for i, leaf in enumerate(leaves):
        path = tree.path(i)
        assert path.index == i and path.depth == 4
        assert path.index_bits == tuple((i >> k) & 1 for k in range(4))
        assert compute_root(leaf, path) == tree.root
        assert verify_path(tree.root, leaf, path)


def test_wrong_paths_fail():
    leaves = leaves_for(5, 2)
    tree = MerkleTree(depth=4)
    tree.extend(leaves)
    path = tree.path(2)
    assert not verify_path(tree.root, leaves[3], path)                        # other leaf
    flipped = MerklePath(path.elements, (1 - path.index_bits[0],) + path.index_bits[1:])
    assert not verify_path(tree.root, leaves[2], flipped)                     # other position
    bad = MerklePath((path.elements[0] + 1,) + path.elements[1:], path.index_bits)
    assert not verify_path(tree.root, leaves[2], bad)                         # other sibling
    assert not verify_path((tree.root + 1) % R, leaves[2], path)             # other root


def test_extend_equals_appends_and_the_frontier_follows():
    leaves = leaves_for(13, 3)
    a, b, f = MerkleTree(depth=5), MerkleTree(depth=5), MerkleFrontier(depth=5)
    a.extend(leaves[:4])
    a.extend(leaves[4:])
    for i, leaf in enumerate(leaves):
        b.append(leaf)
        assert f.append(leaf) == i
        assert f.root == b.root
        assert b.frontier().to_dict() == f.to_dict()
    assert a.root == b.root == naive_root(leaves, 5)
    assert [a.path(i) for i in range(13)] == [b.path(i) for i in range(13)]


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(0, R - 1), max_size=9), st.integers(0, 8))
def test_frontier_continues_any_tree(prefix, extra):
    tree = MerkleTree(depth=4)
    tree.extend(prefix)
    frontier = MerkleFrontier.from_dict(json.loads(json.dumps(tree.frontier().to_dict())))
    more = leaves_for(min(extra, 16 - len(prefix)), len(prefix))
    tree.extend(more)
    for leaf in more:
        frontier.append(leaf)
    assert frontier.root == tree.root == naive_root(prefix + more, 4)


def test_depth_20_and_32():
    for depth in (20, 32):
        tree = MerkleTree(depth=depth)
        assert tree.root == zero_hashes(depth)[depth]
        leaves = leaves_for(3, depth)
        tree.extend(leaves)
        assert verify_path(tree.root, leaves[2], tree.path(2))
        f = MerkleFrontier(depth)
        for leaf in leaves:
            f.append(leaf)
        assert f.root == tree.root


def test_full_tree_refuses_more():
    tree, frontier = MerkleTree(depth=2), MerkleFrontier(depth=2)
    for i in range(4):
        tree.append(i)
        frontier.append(i)
    with pytest.raises(MerkleTreeFull):
        tree.append(4)
    with pytest.raises(MerkleTreeFull):
        frontier.append(4)
    with pytest.raises(MerkleTreeFull):
        MerkleTree(depth=2).extend(range(5))


def test_bad_inputs():
    tree = MerkleTree(depth=3)
    with pytest.raises(InvalidFieldElement):
        tree.append(R)
    with pytest.raises(InvalidFieldElement):
        tree.append(-1)
    tree.append(7)
    with pytest.raises(MalformedInput):
        tree.path(1)
    with pytest.raises(MalformedInput):
        MerkleTree(depth=0)
    with pytest.raises(MalformedInput):
        MerklePath((1, 2), (0,))
    with pytest.raises(MalformedInput):
        MerklePath((1,), (2,))
    with pytest.raises(MalformedInput):
        MerklePath.for_index([1, 2], 4)


def test_tree_serialization_roundtrip_and_tamper_detection():
    tree = MerkleTree(depth=6)
    tree.extend(leaves_for(9, 4))
    doc = json.loads(json.dumps(tree.to_dict()))
    again = MerkleTree.from_dict(doc)
    assert again.root == tree.root and again.leaves == tree.leaves
    doc["root"] = str(tree.root)
    assert MerkleTree.from_dict(doc).root == tree.root
    doc["root"] = str((tree.root + 1) % R)
    with pytest.raises(MalformedInput, match="root"):
        MerkleTree.from_dict(doc)
    with pytest.raises(MalformedInput):
        MerkleTree.from_dict({"depth": 6})
    with pytest.raises(InvalidFieldElement):
        MerkleTree.from_dict({"depth": 6, "leaves": ["x"]})


def test_frontier_serialization_checks_shape():
    f = MerkleFrontier(depth=4)
    f.append(5)
    doc = f.to_dict()
    assert MerkleFrontier.from_dict(doc).to_dict() == doc
    with pytest.raises(MalformedInput):
        MerkleFrontier.from_dict({**doc, "filled": doc["filled"][:3]})
    with pytest.raises(MalformedInput):
        MerkleFrontier.from_dict({**doc, "size": 17})


def test_path_dict_is_circuit_input_shaped():
    tree = MerkleTree(depth=3)
    tree.extend([1, 2, 3])
    path = tree.path(2)
    doc = path.to_dict()
    assert doc["pathIndices"] == [0, 1, 0]
    assert MerklePath.from_dict(json.loads(json.dumps(doc))) == path


def test_root_history_window():
    h = RootHistory(capacity=3)
    assert h.latest is None and not h.is_known(1)
    for root in (10, 11, 12, 13, 14):
        h.push(root)
    assert list(h) == [12, 13, 14] and h.latest == 14 and len(h) == 3
    assert h.is_known(12) and 14 in h
    assert not h.is_known(11) and 10 not in h
    again = RootHistory.from_dict(json.loads(json.dumps(h.to_dict())))
    assert list(again) == [12, 13, 14] and again.capacity == 3
    assert RootHistory().capacity == 100
    with pytest.raises(MalformedInput):
        RootHistory(capacity=0)
    with pytest.raises(InvalidFieldElement):
        h.push(R)

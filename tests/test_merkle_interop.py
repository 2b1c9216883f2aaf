"""The note tree against outside implementations: circom (circomlib Poseidon + Switcher) and js-sha3 keccak."""
import json
import random

import pytest

from circuits.crypto.merkle import ZERO_LEAF, MerkleTree
from conftest import CIRCOMLIB_CIRCUITS, run_circom, run_node_cli, run_node_script
from test_merkle_gadget import Root
from zkescrow.bn254.constants import R
from zkescrow.errors import UnsatisfiedConstraint
from zkescrow.formats.r1cs_file import read_r1cs
from zkescrow.formats.wtns_file import read_wtns

pytestmark = pytest.mark.interop

DEPTH = 4

CIRCOM_MERKLE = """pragma circom 2.0.0;
include "poseidon.circom";
include "switcher.circom";

template MerkleRoot(levels) {
    signal input leaf;
    signal input pathElements[levels];
    signal input pathIndices[levels];
    signal output root;
    component switchers[levels];
    component hashers[levels];
    signal node[levels + 1];
    node[0] <== leaf;
    for (var i = 0; i < levels; i++) {
        pathIndices[i] * (1 - pathIndices[i]) === 0;
        switchers[i] = Switcher();
        switchers[i].sel <== pathIndices[i];
        switchers[i].L <== node[i];
        switchers[i].R <== pathElements[i];
        hashers[i] = Poseidon(2);
        hashers[i].inputs[0] <== switchers[i].outL;
        hashers[i].inputs[1] <== switchers[i].outR;
        node[i + 1] <== hashers[i].out;
    }
    root <== node[levels];
}

component main = MerkleRoot(%d);
""" % DEPTH


@pytest.fixture(scope="module")
def circom_merkle(tmp_path_factory):
    directory = tmp_path_factory.mktemp("circom-merkle")
    (directory / "merkle.circom").write_text(CIRCOM_MERKLE)
    run_circom(directory / "merkle.circom", "--r1cs", "--wasm", "--O2", "-o", directory, "-l", CIRCOMLIB_CIRCUITS)
    return directory


def circom_witness(directory, doc, name):
    (directory / f"{name}.json").write_text(json.dumps(doc))
    js = directory / "merkle_js"
    run_node_cli(js / "generate_witness.js", js / "merkle.wasm", directory / f"{name}.json",
                 directory / f"{name}.wtns")
    return read_wtns(directory / f"{name}.wtns")


def test_zero_leaf_is_keccak_of_the_project_name():
    digest = run_node_script('const {keccak256} = require("js-sha3"); '
                             'console.log(JSON.stringify(BigInt("0x" + keccak256("zkescrow")).toString()));')
    assert int(digest) % R == ZERO_LEAF


@pytest.mark.slow
def test_same_constraint_count_as_circom(circom_merkle):
    theirs = read_r1cs(circom_merkle / "merkle.r1cs")
    ours = Root(depth=DEPTH).compile()
    assert len(theirs.constraints) == len(ours.constraints) == DEPTH * 242
    assert (theirs.n_pub_out, theirs.n_pub_in, theirs.n_prv_in) == (ours.n_pub_out, ours.n_pub_in, ours.n_prv_in)


@pytest.mark.slow
def test_roots_and_io_wires_equal_circom_witness(circom_merkle):
    rng = random.Random(4)
    tree = MerkleTree(depth=DEPTH)
    tree.extend(rng.randrange(R) for _ in range(11))
    theirs = read_r1cs(circom_merkle / "merkle.r1cs")
    for index in (0, 5, 10):
        path = tree.path(index)
        doc = {"leaf": str(tree.leaf(index)), **path.to_dict()}
        their_witness = circom_witness(circom_merkle, doc, f"in{index}")
        theirs.check(their_witness)
        ours = Root(depth=DEPTH).witness({"leaf": tree.leaf(index), "path_elements": list(path.elements),
                                         "path_indices": list(path.index_bits)})
        n_io = 1 + 1 + 1 + 2 * DEPTH                          # ONE, root, leaf, elements, indices
        assert their_witness[:n_io] == ours[:n_io]
        assert their_witness[1] == tree.root


@pytest.mark.slow
def test_circom_and_we_both_refuse_a_non_boolean_bit(circom_merkle):
    tree = MerkleTree(depth=DEPTH)
    tree.extend([1, 2, 3])
    path = tree.path(1)
    bits = list(path.index_bits)
    bits[1] = 2
    doc = {"leaf": "2", "pathElements": [str(e) for e in path.elements], "pathIndices": bits}
    (circom_merkle / "bad.json").write_text(json.dumps(doc))
    js = circom_merkle / "merkle_js"
    proc = run_node_cli(js / "generate_witness.js", js / "merkle.wasm", circom_merkle / "bad.json",
                        circom_merkle / "bad.wtns", check=False)
    assert proc.returncode != 0                                # circom's witness code asserts the === line
    with pytest.raises(UnsatisfiedConstraint):
        Root(depth=DEPTH).witness({"leaf": 2, "path_elements": list(path.elements), "path_indices": bits})

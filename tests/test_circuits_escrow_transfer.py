"""deposit and transfer: honest statements give satisfying witnesses, false ones never do."""
import pytest

from circuits.crypto.merkle import MerkleTree
from circuits.escrow.deposit import Deposit, deposit_inputs
from circuits.escrow.transfer import SpendInput, Transfer, transfer_inputs
from circuits.notes import Note, SpendingKey, from_field, to_field
from conftest import run_snarkjs
from zkescrow.bn254.constants import R
from zkescrow.errors import MalformedInput, UnsatisfiedConstraint, WitnessError
from zkescrow.formats.r1cs_file import write_r1cs
from zkescrow.formats.wtns_file import write_wtns

DEPTH = 4


@pytest.fixture(scope="module")
def pool():
    alice, bob = SpendingKey.generate(), SpendingKey.generate()
    tree = MerkleTree(DEPTH)
    notes = [Note.new(70, alice.owner), Note.new(30, alice.owner), Note.new(11, bob.owner)]
    idx = [tree.append(n.commitment) for n in notes]
    return alice, bob, tree, notes, idx


def spend(pool, k, key=None):
    alice, bob, tree, notes, idx = pool
    return SpendInput(notes[k], key or (alice if k < 2 else bob), tree.path(idx[k]))


def test_deposit_witness_and_range():
    owner = SpendingKey.generate().owner
    circuit = Deposit()
    w = circuit.witness(deposit_inputs(Note.new(5, owner)))
    circuit.compile().check(w)
    inputs = deposit_inputs(Note.new(5, owner))
    inputs["value"] = 6
    with pytest.raises(UnsatisfiedConstraint):
        circuit.witness(inputs)
    with pytest.raises(MalformedInput):
        Note.new(1 << 64, owner)


def test_transfer_two_in_two_out_with_unshield(pool):
    alice, bob, tree, notes, idx = pool
    st = transfer_inputs([spend(pool, 0), spend(pool, 1)], [Note.new(90, bob.owner), Note.new(5, alice.owner)],
                         root=tree.root, public_amount=-5, depth=DEPTH)
    circuit = Transfer(depth=DEPTH)
    circuit.compile().check(circuit.witness(st.inputs))
    assert from_field(st.public["public_amount"]) == -5
    assert [o.commitment for o in st.output_notes] == st.public["commitments"]
    assert st.public["nullifiers"][0] == notes[0].nullifier(alice.nullifier_key, idx[0])


def test_transfer_with_dummy_input_and_shield(pool):
    alice, bob, tree, notes, idx = pool
    st = transfer_inputs([spend(pool, 2)], [Note.new(20, alice.owner)], root=tree.root, public_amount=9, depth=DEPTH)
    Transfer(depth=DEPTH).witness(st.inputs)


def test_transfer_rejects_unbalanced_values(pool):
    alice, bob, tree, notes, idx = pool
    with pytest.raises(WitnessError, match="input notes sum to 100 .* outputs sum to 101"):
        transfer_inputs([spend(pool, 0), spend(pool, 1)], [Note.new(101, bob.owner)], root=tree.root, depth=DEPTH)


def test_transfer_rejects_wrong_owner(pool):
    alice, bob, tree, notes, idx = pool
    with pytest.raises(WitnessError, match="not owned"):
        transfer_inputs([spend(pool, 0, key=bob)], [Note.new(70, bob.owner)], root=tree.root, depth=DEPTH)


def test_transfer_rejects_same_note_twice(pool):
    alice, bob, tree, notes, idx = pool
    with pytest.raises(WitnessError, match="same note"):
        transfer_inputs([spend(pool, 0), spend(pool, 0)], [Note.new(140, bob.owner)], root=tree.root, depth=DEPTH)


def test_circuit_refuses_forged_inputs(pool):
    """Bypassing the builder's checks: the constraints themselves refuse."""
    alice, bob, tree, notes, idx = pool
    circuit = Transfer(depth=DEPTH)
    st = transfer_inputs([spend(pool, 0)], [Note.new(70, bob.owner)], root=tree.root, depth=DEPTH)
    for field, value in [("root", tree.root + 1),                      # not in the tree
                         ("in_value", [71, 0]),                         # inflate the input
                         ("public_amount", to_field(1)),                # print money
                         ("in_sk", [bob.sk, st.inputs["in_sk"][1]])]:   # spend someone else's note
        forged = dict(st.inputs)
        forged[field] = value
        with pytest.raises(UnsatisfiedConstraint):
            circuit.witness(forged)
    forged = dict(st.inputs)
    forged["nullifiers"] = [st.inputs["nullifiers"][0]] * 2
    with pytest.raises((UnsatisfiedConstraint, WitnessError)):
        circuit.witness(forged)


def test_output_value_must_fit_64_bits(pool):
    """An output of 2^64 + x with a matching negative partner would inflate supply; the range check stops it."""
    alice, bob, tree, notes, idx = pool
    st = transfer_inputs([spend(pool, 0)], [Note.new(70, bob.owner)], root=tree.root, depth=DEPTH)
    forged = dict(st.inputs)
    forged["out_value"] = [(1 << 64) + 70, -(1 << 64) % int(R)]
    with pytest.raises(UnsatisfiedConstraint):
        Transfer(depth=DEPTH).witness(forged)


def test_constraint_counts_at_depth_20():
    assert len(Transfer(depth=20).compile().constraints) == 13267
    assert len(Deposit().compile().constraints) == 416


@pytest.mark.interop
def test_snarkjs_accepts_our_transfer_witness(pool, tmp_path):
    alice, bob, tree, notes, idx = pool
    st = transfer_inputs([spend(pool, 0), spend(pool, 1)], [Note.new(100, bob.owner)], root=tree.root, depth=DEPTH)
    circuit = Transfer(depth=DEPTH)
    write_r1cs(circuit.compile(), tmp_path / "t.r1cs")
    write_wtns(circuit.witness(st.inputs), tmp_path / "t.wtns")
    out = run_snarkjs("wtns", "check", tmp_path / "t.r1cs", tmp_path / "t.wtns")
    assert "WITNESS IS CORRECT" in out.stdout + out.stderr

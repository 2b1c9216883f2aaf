"""The verifier against snarkjs: it accepts `snarkjs groth16 prove` proofs, rejects every tamper and
every malformed input with the precise error, and batch verification agrees with single verification."""
import copy
import json
import random

import pytest

from conftest import run_snarkjs
from groth16_fixtures import *  # noqa: F401,F403  (session fixtures)

from zkescrow.bn254.constants import B2, G1_GENERATOR, G2_GENERATOR, Q, R
from zkescrow.bn254.curve import g1_add, g1_neg, g2_add, g2_in_subgroup, g2_is_on_curve
from zkescrow.bn254.fields import fq2_add, fq2_mul, fq2_sqr, fq2_sqrt
from zkescrow.errors import InvalidFieldElement, InvalidPoint, MalformedInput
from zkescrow.formats.wtns_file import read_wtns
from zkescrow.groth16.zkey import read_zkey
from zkescrow.groth16.batch import find_invalid, verify_batch
from zkescrow.groth16.proof import Proof, dumps, parse_public_signals
from zkescrow.groth16.prove import prove
from zkescrow.groth16.verify import verify
from zkescrow.groth16.vk import VerificationKey

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def snarkjs_proof(snarkjs_zkey, tmp_path_factory):
    """(proof JSON object, public list) from `snarkjs groth16 prove` on the multiplier fixture."""
    d = tmp_path_factory.mktemp("snarkjs-proof")
    run_snarkjs("groth16", "prove", snarkjs_zkey.zkey, snarkjs_zkey.circuit.wtns, d / "proof.json", d / "public.json")
    return json.loads((d / "proof.json").read_text()), json.loads((d / "public.json").read_text())


@pytest.fixture(scope="module")
def vk(snarkjs_zkey):
    return VerificationKey.from_json(snarkjs_zkey.vk_json.read_text())


@pytest.fixture(scope="module")
def pk(snarkjs_zkey):
    return read_zkey(snarkjs_zkey.zkey)


def non_subgroup_g2_point():
    """A point on the twist y² = x³ + b' that is not in the order-r subgroup."""
    x0 = 1
    while True:
        x = (x0, 0)
        y = fq2_sqrt(fq2_add(fq2_mul(fq2_sqr(x), x), B2))
        if y is not None:
            point = (x, y)
            assert g2_is_on_curve(point) and not g2_in_subgroup(point)
            return point
        x0 += 1


# --- the verification key ------------------------------------------------------------------

def test_vk_json_identical_to_snarkjs(snarkjs_zkey, vk, pk):
    text = snarkjs_zkey.vk_json.read_text()
    assert dumps(vk.to_json()) == text
    assert dumps(pk.verification_key().to_json()) == text


def test_vk_from_json_rejects_malformed_keys(snarkjs_zkey):
    good = json.loads(snarkjs_zkey.vk_json.read_text())
    cases = [
        (lambda o: o.update(protocol="plonk"), MalformedInput, "protocol"),
        (lambda o: o.update(curve="bls12381"), MalformedInput, "curve"),
        (lambda o: o.update(nPublic=o["nPublic"] + 1), MalformedInput, "nPublic"),
        (lambda o: o.update(nPublic="2"), MalformedInput, "nPublic"),
        (lambda o: o.pop("vk_delta_2"), MalformedInput, "vk_delta_2"),
        (lambda o: o["IC"][1].__setitem__(1, str(int(o["IC"][1][1]) + 1)), InvalidPoint, r"IC\[1\]"),
        (lambda o: o["vk_alpha_1"].__setitem__(0, str(int(o["vk_alpha_1"][0]) + Q)), MalformedInput, "vk_alpha_1"),
        (lambda o: o.update(vk_beta_2=_g2_json(non_subgroup_g2_point())), InvalidPoint, "subgroup"),
        (lambda o: o.update(vk_gamma_2=[["0", "0"], ["1", "0"], ["0", "0"]]), InvalidPoint, "infinity"),
        (lambda o: o["vk_alphabeta_12"][0].pop(), MalformedInput, "vk_alphabeta_12"),
        (lambda o: o["vk_alphabeta_12"][1][2].__setitem__(0, str(Q)), MalformedInput, "vk_alphabeta_12"),
    ]
    for mutate, error, words in cases:
        obj = copy.deepcopy(good)
        mutate(obj)
        with pytest.raises(error, match=words):
            VerificationKey.from_json(obj)
    with pytest.raises(MalformedInput, match="not JSON"):
        VerificationKey.from_json("{")


def _g2_json(point):
    (x0, x1), (y0, y1) = point
    return [[str(x0), str(x1)], [str(y0), str(y1)], ["1", "0"]]


# --- single proofs ---------------------------------------------------------------------------

def test_accepts_snarkjs_proof(vk, snarkjs_proof):
    proof, public = snarkjs_proof
    timings = {}
    assert verify(vk, public, proof, timings=timings)
    assert set(timings) == {"checks", "vk_x", "pairing", "total"}
    assert verify(vk, [int(x) for x in public], Proof.from_json(proof))


def test_proof_for_one_public_vector_fails_for_another(vk, snarkjs_proof):
    proof, public = snarkjs_proof
    for i in range(len(public)):
        other = list(public)
        other[i] = str((int(other[i]) + 1) % R)
        assert not verify(vk, other, proof)
    assert not verify(vk, list(reversed(public)), proof)


COORDINATES = [("pi_a", (0,)), ("pi_a", (1,)), ("pi_c", (0,)), ("pi_c", (1,)),
               ("pi_b", (0, 0)), ("pi_b", (0, 1)), ("pi_b", (1, 0)), ("pi_b", (1, 1))]


@pytest.mark.parametrize("key,path", COORDINATES, ids=[f"{k}{list(p)}" for k, p in COORDINATES])
def test_every_coordinate_tamper_is_rejected(vk, snarkjs_proof, key, path):
    """Changing one coordinate moves the point off the curve: InvalidPoint, never acceptance."""
    proof, public = snarkjs_proof
    tampered = copy.deepcopy(proof)
    holder = tampered[key]
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = str((int(holder[path[-1]]) + 1) % Q)
    with pytest.raises(InvalidPoint, match=key):
        verify(vk, public, tampered)


@pytest.mark.parametrize("which", ["pi_a", "pi_b", "pi_c", "negate_a", "swap_a_c"])
def test_valid_point_substitutions_do_not_verify(vk, snarkjs_proof, which):
    """Tampers that keep every point valid are well-formed statements that are false."""
    proof = Proof.from_json(snarkjs_proof[0])
    public = snarkjs_proof[1]
    a, b, c = proof.pi_a, proof.pi_b, proof.pi_c
    tampered = {
        "pi_a": Proof(g1_add(a, G1_GENERATOR), b, c),
        "pi_b": Proof(a, g2_add(b, G2_GENERATOR), c),
        "pi_c": Proof(a, b, g1_add(c, G1_GENERATOR)),
        "negate_a": Proof(g1_neg(a), b, c),
        "swap_a_c": Proof(c, b, a),
    }[which]
    assert verify(vk, public, tampered) is False


def test_each_public_signal_tamper_is_rejected(vk, snarkjs_proof):
    proof, public = snarkjs_proof
    for i in range(len(public)):
        for delta in (1, R - 1):
            other = list(public)
            other[i] = str((int(other[i]) + delta) % R)
            assert not verify(vk, other, proof)


def test_public_signal_not_below_r_is_malformed(vk, snarkjs_proof):
    proof, public = snarkjs_proof
    for i in range(len(public)):
        aliased = list(public)
        aliased[i] = str(int(aliased[i]) + R)      # same residue: snarkjs rejects it too
        with pytest.raises(InvalidFieldElement, match=f"public signal {i}"):
            verify(vk, aliased, proof)
    with pytest.raises(MalformedInput):
        verify(vk, ["-1"] + public[1:], proof)
    with pytest.raises(MalformedInput):
        verify(vk, ["0x21"] + public[1:], proof)
    with pytest.raises(MalformedInput):
        verify(vk, [1.5] + public[1:], proof)


def test_wrong_public_signal_count_is_malformed(vk, snarkjs_proof):
    proof, public = snarkjs_proof
    with pytest.raises(MalformedInput, match=f"expected {vk.n_public} public signals, got {len(public) - 1}"):
        verify(vk, public[:-1], proof)
    with pytest.raises(MalformedInput, match="got"):
        verify(vk, public + ["0"], proof)


def test_coordinate_not_below_q_is_rejected(vk, snarkjs_proof):
    proof, public = snarkjs_proof
    aliased = copy.deepcopy(proof)
    aliased["pi_a"][0] = str(int(aliased["pi_a"][0]) + Q)
    with pytest.raises(MalformedInput, match="pi_a"):
        verify(vk, public, aliased)
    aliased = copy.deepcopy(proof)
    aliased["pi_b"][1][0] = str(int(aliased["pi_b"][1][0]) + Q)
    with pytest.raises(MalformedInput, match="pi_b"):
        verify(vk, public, aliased)


def test_pi_b_outside_the_subgroup_is_rejected(vk, snarkjs_proof):
    proof, public = snarkjs_proof
    bad = copy.deepcopy(proof)
    bad["pi_b"] = _g2_json(non_subgroup_g2_point())
    with pytest.raises(InvalidPoint, match="subgroup"):
        verify(vk, public, bad)
    a = Proof.from_json(proof)
    with pytest.raises(InvalidPoint, match="subgroup"):
        verify(vk, public, Proof(a.pi_a, non_subgroup_g2_point(), a.pi_c))


def test_malformed_proof_shapes(vk, snarkjs_proof):
    proof, public = snarkjs_proof
    for mutate in (lambda p: p.pop("pi_c"), lambda p: p.update(pi_a=["1"]),
                   lambda p: p.update(pi_b=[["1", "2"]]), lambda p: p.update(protocol="plonk"),
                   lambda p: p.update(pi_a=["x", "2", "1"])):
        bad = copy.deepcopy(proof)
        mutate(bad)
        with pytest.raises(MalformedInput):
            verify(vk, public, bad)


def test_public_signals_parse_like_snarkjs():
    assert parse_public_signals('["33", "3"]') == [33, 3]
    assert parse_public_signals([str(R - 1)]) == [R - 1]
    with pytest.raises(MalformedInput, match="expected 3"):
        parse_public_signals(["1"], 3)
    with pytest.raises(MalformedInput):
        parse_public_signals({"a": "1"})


# --- batches -----------------------------------------------------------------------------------

def multiplier_witness(a: int, b: int) -> list[int]:
    """circom's wire order for c <== a*b with public a: ONE, c (output), a (public input), b."""
    return [1, a * b % R, a, b]


@pytest.fixture(scope="module")
def eight_proofs(pk, snarkjs_zkey):
    assert multiplier_witness(3, 11) == read_wtns(snarkjs_zkey.circuit.wtns)
    rnd = random.Random(2024)
    return [prove(pk, multiplier_witness(rnd.randrange(R), rnd.randrange(R)))[::-1] for _ in range(8)]


def test_batch_accepts_eight_good_proofs(vk, eight_proofs, snarkjs_proof):
    items = list(eight_proofs)
    assert verify_batch(vk, items)
    assert verify_batch(vk, items + [(snarkjs_proof[1], snarkjs_proof[0])])
    assert find_invalid(vk, items) == []
    assert verify_batch(vk, []) and verify_batch(vk, items[:1])


def test_batch_rejects_one_bad_proof_and_find_invalid_names_it(vk, eight_proofs):
    for bad_index in (0, 5):
        items = list(eight_proofs)
        public, proof = items[bad_index]
        items[bad_index] = ([(public[0] + 1) % R] + public[1:], proof)
        assert not verify_batch(vk, items)
        assert find_invalid(vk, items) == [bad_index]


def test_batch_with_swapped_proofs_and_two_bad(vk, eight_proofs):
    items = list(eight_proofs)
    (p1, a), (p2, b) = items[2], items[6]
    items[2], items[6] = (p1, b), (p2, a)           # each proof valid, but for the other statement
    assert not verify_batch(vk, items)
    assert find_invalid(vk, items) == [2, 6]


def test_find_invalid_reports_malformed_items_and_batch_raises(vk, eight_proofs, snarkjs_proof):
    items = list(eight_proofs)
    bad_json = copy.deepcopy(snarkjs_proof[0])
    bad_json["pi_b"] = _g2_json(non_subgroup_g2_point())
    items[3] = (snarkjs_proof[1], bad_json)
    items[4] = (items[4][0][:-1], items[4][1])
    assert find_invalid(vk, items) == [3, 4]
    with pytest.raises(InvalidPoint):
        verify_batch(vk, items)

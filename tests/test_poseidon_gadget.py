"""The Poseidon gadget: same values as the native hash, circomlib's constraint counts, false claims caught."""
import random

import pytest

from circuits.crypto.poseidon import poseidon, poseidon_ex
from circuits.crypto.poseidon_constants import PARTIAL_ROUNDS
from circuits.dsl import Circuit, Output, Private, Public
from circuits.gadgets.poseidon import poseidon as poseidon_gadget
from circuits.gadgets.poseidon import poseidon_ex as poseidon_ex_gadget
from zkescrow.bn254.constants import R
from zkescrow.errors import MalformedInput, UnsatisfiedConstraint


class Hash(Circuit):
    """out = Poseidon(x[0..n))."""
    out = Output()
    x = Private(n="n")

    def define(self, cs):
        self.out = poseidon_gadget(cs, *self.x)


class Preimage(Circuit):
    """Knowledge of x, y with Poseidon(x, y) = digest."""
    digest = Public()
    x = Private()
    y = Private()

    def define(self, cs):
        cs.assert_equal(poseidon_gadget(cs, self.x, self.y), self.digest)


class HashEx(Circuit):
    """PoseidonEx(n, n_out) with a private initial state."""
    out = Output(n="n_out")
    x = Private(n="n")
    init = Private()

    def define(self, cs):
        self.out = poseidon_ex_gadget(cs, self.x, self.init, self.n_out)


def expected_constraints(n_inputs: int) -> int:
    t = n_inputs + 1
    return 3 * (8 * t + PARTIAL_ROUNDS[t - 2]) - 3       # the constant capacity word's first S-box folds


@pytest.mark.parametrize("n", range(1, 17))
def test_gadget_equals_native_for_every_width(n):
    rng = random.Random(n)
    circuit = Hash(n=n)
    for _ in range(2):
        xs = [rng.randrange(R) for _ in range(n)]
        witness = circuit.witness({"x": xs})
        assert witness[1] == poseidon(xs)
    assert len(circuit.compile().constraints) == expected_constraints(n)


def test_constraint_counts_match_circomlib():
    assert len(Hash(n=2).compile().constraints) == 240      # circom --O2 on circomlib Poseidon(2)
    assert len(Hash(n=1).compile().constraints) == 213


def test_edge_values():
    for xs in ([0, 0], [R - 1, R - 1], [1, 2]):
        assert Hash(n=2).witness({"x": xs})[1] == poseidon(xs)


def test_poseidon_ex_gadget_equals_native():
    rng = random.Random(5)
    for n, n_out in ((2, 3), (4, 2)):
        xs, init = [rng.randrange(R) for _ in range(n)], rng.randrange(R)
        witness = HashEx(n=n, n_out=n_out).witness({"x": xs, "init": init})
        assert witness[1:1 + n_out] == poseidon_ex(xs, init, n_out)
    # a variable capacity word costs its first S-box: 3 more constraints than Poseidon(2)
    assert len(HashEx(n=2, n_out=1).compile().constraints) == 243


def test_wrong_digest_is_unsatisfiable():
    x, y = 11, 22
    digest = poseidon([x, y])
    assert Preimage().witness({"digest": digest, "x": x, "y": y})
    with pytest.raises(UnsatisfiedConstraint, match="main"):
        Preimage().witness({"digest": (digest + 1) % R, "x": x, "y": y})
    with pytest.raises(UnsatisfiedConstraint):
        Preimage().witness({"digest": digest, "x": y, "y": x})


def test_forged_internal_wire_is_caught_by_the_r1cs():
    r1cs = Preimage().compile()
    witness = Preimage().witness({"digest": poseidon([3, 4]), "x": 3, "y": 4})
    r1cs.check(witness)
    forged = list(witness)
    forged[10] = (forged[10] + 1) % R
    with pytest.raises(UnsatisfiedConstraint, match="Poseidon"):
        r1cs.check(forged)


@pytest.mark.parametrize("n", [1, 2])
def test_every_internal_wire_is_pinned_by_a_constraint(n):
    """Changing any one internal wire (x², x⁴, the hinted partial-round words, ...) breaks the system."""
    circuit = Hash(n=n)
    r1cs = circuit.compile()
    witness = circuit.witness({"x": list(range(3, 3 + n))})
    r1cs.check(witness)
    first_internal = 1 + r1cs.n_pub_out + r1cs.n_pub_in + r1cs.n_prv_in
    # one constraint per computed wire (outputs and internal): 240 for Poseidon(2), like circom's 243 wires
    assert r1cs.n_pub_out + r1cs.n_wires - first_internal == len(r1cs.constraints)
    for wire in range(1, r1cs.n_wires):
        if 1 + r1cs.n_pub_out <= wire < first_internal:
            continue                                        # the inputs are free by definition
        forged = list(witness)
        forged[wire] = (forged[wire] + 1) % R
        with pytest.raises(UnsatisfiedConstraint):
            r1cs.check(forged)


def test_long_combinations_stay_off_the_a_and_b_sides():
    r1cs = Hash(n=2).compile()
    ab = [len(a) + len(b) for a, b, _ in r1cs.constraints]
    assert sum(ab) < 1100                                   # circom --O2 on circomlib: 954
    assert sorted(ab)[len(ab) // 2] == 2                    # the typical constraint is wire·wire


def test_constant_inputs_cost_nothing():
    class Constant(Circuit):
        out = Output()
        x = Private()

        def define(self, cs):
            self.out = poseidon_gadget(cs, 1, 2) + self.x

    c = Constant()
    assert len(c.compile().constraints) <= 1
    assert c.witness({"x": 5})[1] == (poseidon([1, 2]) + 5) % R


def test_arity_checked():
    class TooMany(Circuit):
        out = Output()
        x = Private(n=17)

        def define(self, cs):
            self.out = poseidon_gadget(cs, *self.x)

    with pytest.raises(MalformedInput):
        TooMany().compile()


def test_domain_tags_are_distinct_small_and_hash_as_constants():
    from circuits.domains import Domain
    values = [int(d) for d in Domain]
    assert len(set(values)) == len(values) and all(0 < v < 64 for v in values)
    for name in ("NOTE_COMMITMENT", "NULLIFIER", "OWNER", "NULLIFIER_KEY", "RHO", "ESCROW_OWNER", "TERMS",
                 "CHANNEL", "RELEASE_MESSAGE", "EXT_DATA", "MERKLE_ZERO"):
        assert name in Domain.__members__

    class NullifierKey(Circuit):
        nk = Output()
        sk = Private()

        def define(self, cs):
            self.nk = poseidon_gadget(cs, Domain.NULLIFIER_KEY, self.sk)

    c = NullifierKey()
    assert c.witness({"sk": 99})[1] == poseidon([Domain.NULLIFIER_KEY, 99]) == poseidon([4, 99])
    assert len(c.compile().constraints) == 237          # the constant tag's first S-box folds as well

"""The value-commitment gadget computes the native commitment and refuses out-of-range openings."""
import random

import pytest
from hypothesis import given, settings, strategies as st

from circuits.crypto.babyjub import SUBORDER, Point
from circuits.crypto.pedersen import commit
from circuits.dsl import Circuit, Output, Private
from circuits.gadgets.pedersen import value_commitment
from zkescrow.bn254.constants import R
from zkescrow.errors import UnsatisfiedConstraint, WitnessError

rng = random.Random(64)
REJECTED = (UnsatisfiedConstraint, WitnessError)


class Commit(Circuit):
    cv = Output(n=2)
    v = Private()
    r = Private()

    def define(self, cs):
        self.cv = value_commitment(cs, self.v, self.r)


def circuit_commit(v, r) -> Point:
    w = Commit().witness({"v": v, "r": r})
    return Point(w[1], w[2])


@pytest.mark.parametrize("v,r", [(0, 0), (1, 1), (2**64 - 1, int(SUBORDER) - 1),
                                 (rng.randrange(2**64), rng.randrange(int(SUBORDER)))])
def test_matches_native_commit(v, r):
    assert circuit_commit(v, r) == commit(v, r)


def test_output_is_pinned_by_constraints():
    w = Commit().witness({"v": 5, "r": 6})
    r1cs = Commit().compile()
    for wire in (1, 2):
        bad = list(w)
        bad[wire] = (bad[wire] + 1) % int(R)
        with pytest.raises(UnsatisfiedConstraint):
            r1cs.check(bad)


@pytest.mark.parametrize("v,r,where", [
    (2**64, 1, r"Num2Bits\[0\]"),                            # value needs 65 bits
    (int(R) - 1, 1, r"Num2Bits\[0\]"),                       # a "negative" value
    (1, int(SUBORDER), "BlindingBelowSubOrder"),            # blinding = subOrder would alias blinding 0
    (1, 2**251 - 1, "BlindingBelowSubOrder"),
    (1, 2**251, r"Num2Bits\[1\]"),                           # blinding needs 252 bits
])
def test_out_of_range_openings_are_rejected(v, r, where):
    with pytest.raises(REJECTED, match=where):
        Commit().witness({"v": v, "r": r})


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 2**63 - 1), st.integers(0, 2**63 - 1),
       st.integers(0, int(SUBORDER) - 1), st.integers(0, int(SUBORDER) - 1))
def test_homomorphism_in_circuit(a, b, r1, r2):
    assert circuit_commit(a, r1) + circuit_commit(b, r2) == circuit_commit(a + b, (r1 + r2) % int(SUBORDER))

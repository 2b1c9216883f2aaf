"""R1CS.check: satisfied, unsatisfied (names the row, gadget and values), malformed witnesses."""
import pytest
from hypothesis import given, settings, strategies as st

from zkescrow.bn254.constants import R
from zkescrow.errors import MalformedInput, UnsatisfiedConstraint
from zkescrow.r1cs import R1CS

r = int(R)


def multiplier() -> R1CS:
    """c = a·b and d = c + a, wires: 0 ONE, 1 c (out), 2 a (pub), 3 b (prv), 4 d."""
    return R1CS(n_wires=5, n_pub_out=1, n_pub_in=1, n_prv_in=1,
                constraints=[({2: 1}, {3: 1}, {1: 1}), ({1: 1, 2: 1, 4: r - 1}, {0: 1}, {})],
                constraint_origins=["main.Mul[0]", "main.Sum[0]"])


@given(st.integers(0, r - 1), st.integers(0, r - 1))
@settings(max_examples=50, deadline=None)
def test_honest_witness_passes(a, b):
    c = a * b % r
    w = [1, c, a, b, (c + a) % r]
    system = multiplier()
    system.check(w)
    assert system.is_satisfied(w)
    assert system.public_signals(w) == [c, a]


def test_first_failing_constraint_is_named_with_values():
    system = multiplier()
    w = [1, 7, 2, 3, 9]                      # 2·3 ≠ 7
    with pytest.raises(UnsatisfiedConstraint, match=r"constraint 0 \(main.Mul\[0\]\).*A = 2, B = 3, A·B = 6, C = 7"):
        system.check(w)
    assert not system.is_satisfied(w)
    w = [1, 6, 2, 3, 9]                      # row 0 holds, row 1: 6 + 2 − 9 ≠ 0
    with pytest.raises(UnsatisfiedConstraint, match=r"constraint 1 \(main.Sum\[0\]\)"):
        system.check(w)


@pytest.mark.parametrize("witness, message", [
    ([1, 6, 2, 3], "4 values"),
    ([2, 6, 2, 3, 8], r"witness\[0\] must be 1"),
    ([1, 6, 2, 3, r], r"witness\[4\]"),
    ([1, 6, 2, -3, 8], r"witness\[3\]"),
])
def test_malformed_witness(witness, message):
    with pytest.raises(MalformedInput, match=message):
        multiplier().check(witness)


def test_unknown_origin_and_names():
    system = R1CS(n_wires=2, n_pub_out=0, n_pub_in=1, n_prv_in=0, constraints=[({1: 1}, {1: 1}, {1: 1})])
    assert system.n_public == 1 and system.n_labels == 2
    assert system.wire_name(1) == "w1"
    with pytest.raises(UnsatisfiedConstraint, match=r"constraint 0 \(\?\)"):
        system.check([1, 2])


def test_too_few_wires_for_the_declared_signals():
    with pytest.raises(MalformedInput, match="fewer than"):
        R1CS(n_wires=2, n_pub_out=1, n_pub_in=1, n_prv_in=0, constraints=[])
    # private inputs circom --O2 dropped are allowed
    assert R1CS(n_wires=2, n_pub_out=1, n_pub_in=0, n_prv_in=8, constraints=[]).n_prv_in == 8

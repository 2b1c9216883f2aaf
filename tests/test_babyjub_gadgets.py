"""Baby Jubjub gadgets: the DSL witness equals the native result, outputs are pinned by the
constraints (a changed output fails the R1CS check), and bad points stop witness generation."""
import random

import pytest

from circuits.crypto.babyjub import BASE8, GENERATOR, IDENTITY, ORDER, SUBORDER, Point
from circuits.dsl import Circuit, Output, Private
from circuits.gadgets.babyjub import (assert_not_small_order, assert_on_curve, derive_public_key, is_identity,
                                      point_add, point_double, scalar_mul_any, scalar_mul_fixed,
                                      scalar_mul_prime_order)
from circuits.gadgets.bits import num2bits
from zkescrow.bn254.constants import R
from zkescrow.errors import UnsatisfiedConstraint, WitnessError

rng = random.Random(168700)


def random_point(subgroup=True):
    return (BASE8 if subgroup else GENERATOR).mul(rng.randrange(1, int(SUBORDER)))


class OnCurve(Circuit):
    x = Private()
    y = Private()

    def define(self, cs):
        assert_on_curve(cs, self.x, self.y)


class Add(Circuit):
    out = Output(n=2)
    p = Private(n=2)
    q = Private(n=2)

    def define(self, cs):
        self.out = point_add(cs, *self.p, *self.q)


class Double(Circuit):
    out = Output(n=2)
    p = Private(n=2)

    def define(self, cs):
        assert_on_curve(cs, *self.p)
        self.out = point_double(cs, *self.p)


class FixedMul(Circuit):
    """k·BASE8 for a k of `n` bits."""
    out = Output(n=2)
    k = Private()

    def define(self, cs):
        self.out = scalar_mul_fixed(cs, num2bits(cs, self.k, self.n), BASE8)


class AnyMul(Circuit):
    """k·P for a k of `n` bits and any P on the curve."""
    out = Output(n=2)
    k = Private()
    p = Private(n=2)

    def define(self, cs):
        self.out = scalar_mul_any(cs, num2bits(cs, self.k, self.n), self.p)


class PrimeOrderMul(Circuit):
    """k·P for a k of `n` bits and P of prime order."""
    out = Output(n=2)
    k = Private()
    p = Private(n=2)

    def define(self, cs):
        self.out = scalar_mul_prime_order(cs, num2bits(cs, self.k, self.n), self.p)


class PublicKeyOf(Circuit):
    out = Output(n=2)
    secret = Private()

    def define(self, cs):
        self.out = derive_public_key(cs, self.secret)


class NotSmallOrder(Circuit):
    out = Output(n=2)
    enabled = Private()
    p = Private(n=2)

    def define(self, cs):
        assert_on_curve(cs, *self.p)
        self.out = assert_not_small_order(cs, *self.p, enabled=self.enabled)


class IsIdentity(Circuit):
    out = Output()
    p = Private(n=2)

    def define(self, cs):
        self.out = is_identity(cs, *self.p)


def xy(p: Point) -> list:
    return [int(p.x), int(p.y)]


def assert_output_is_pinned(circuit, witness, n_out=2):
    """Changing any output wire must break a constraint."""
    r1cs = circuit.compile()
    for wire in range(1, 1 + n_out):
        bad = list(witness)
        bad[wire] = (bad[wire] + 1) % int(R)
        with pytest.raises(UnsatisfiedConstraint):
            r1cs.check(bad)


def test_constraint_counts_match_the_docstring():
    assert len(OnCurve().compile().constraints) == 3
    assert len(Add().compile().constraints) == 6
    assert len(Double().compile().constraints) == 3 + 5
    assert len(NotSmallOrder().compile().constraints) == 3 + 16


def test_on_curve():
    for p in (random_point(), random_point(False), IDENTITY, Point(0, int(R) - 1)):
        OnCurve().witness({"x": p.x, "y": p.y})
    with pytest.raises(UnsatisfiedConstraint, match="BabyCheck"):
        OnCurve().witness({"x": 1, "y": 2})


def test_add_and_double_match_native():
    for _ in range(5):
        p, q = random_point(False), random_point(False)
        w = Add().witness({"p": xy(p), "q": xy(q)})
        assert w[1:3] == xy(p + q)
        assert_output_is_pinned(Add(), w)
        w = Double().witness({"p": xy(p)})
        assert w[1:3] == xy(p + p)
        assert_output_is_pinned(Double(), w)
    # the complete law has no exceptions: identity, P + P, P + (−P)
    assert Add().witness({"p": xy(IDENTITY), "q": xy(p)})[1:3] == xy(p)
    assert Add().witness({"p": xy(p), "q": xy(p)})[1:3] == xy(p.double())
    assert Add().witness({"p": xy(p), "q": xy(-p)})[1:3] == xy(IDENTITY)
    assert Double().witness({"p": xy(IDENTITY)})[1:3] == xy(IDENTITY)


@pytest.mark.parametrize("n", [253, 249, 64, 1])     # 249 bits = one full segment of 83 windows
def test_scalar_mul_fixed_matches_native(n):
    for k in [0, 1, (1 << n) - 1] + [rng.randrange(1 << n) for _ in range(3)]:
        w = FixedMul(n=n).witness({"k": k})
        assert w[1:3] == xy(BASE8.mul(k))
    assert_output_is_pinned(FixedMul(n=n), w)


def test_scalar_mul_fixed_cost_and_base_checks():
    # circomlib's EscalarMulFix(253) costs 523; our Num2Bits(253) adds 253
    assert len(FixedMul(n=253).compile().constraints) - 253 <= 523

    class BadBase(Circuit):
        k = Private()

        def define(self, cs):
            scalar_mul_fixed(cs, num2bits(cs, self.k, 8), self.base)
    for base in (GENERATOR, IDENTITY):          # not of prime order: the Montgomery argument would not hold
        with pytest.raises(ValueError, match="prime order"):
            BadBase(base=base).compile()


@pytest.mark.parametrize("n", [254, 3])
def test_scalar_mul_any_matches_native(n):
    for k in [0, 1, (1 << n) - 1 if n < 254 else int(R) - 1] + [rng.randrange(1 << min(n, 253)) for _ in range(3)]:
        p = random_point(subgroup=k % 2 == 0)
        w = AnyMul(n=n).witness({"k": k, "p": xy(p)})
        assert w[1:3] == xy(p.mul(k))
    assert_output_is_pinned(AnyMul(n=n), w)


@pytest.mark.parametrize("n", [254, 251, 64, 1])     # segments of 250 bits
def test_scalar_mul_prime_order_matches_native(n):
    top = int(R) - 1 if n == 254 else (1 << n) - 1
    for k in sorted({0, 1, top, rng.randrange(top + 1)}):
        p = random_point()
        w = PrimeOrderMul(n=n).witness({"k": k, "p": xy(p)})
        assert w[1:3] == xy(p.mul(k))
    assert_output_is_pinned(PrimeOrderMul(n=n), w)
    if n == 254:     # circomlib EscalarMulAny(254): 2310; our Num2Bits(254) (strict) adds 516
        assert len(PrimeOrderMul(n=n).compile().constraints) - 516 <= 2310


def test_scalar_mul_prime_order_refuses_points_with_x_zero():
    for p in (IDENTITY, Point(0, int(R) - 1)):
        with pytest.raises(UnsatisfiedConstraint, match="EscalarMulPrimeOrder"):
            PrimeOrderMul(n=8).witness({"k": 3, "p": xy(p)})


def test_scalar_mul_any_rejects_off_curve_point():
    with pytest.raises(UnsatisfiedConstraint, match="BabyCheck"):
        AnyMul(n=8).witness({"k": 5, "p": [1, 2]})


def test_not_small_order():
    p = random_point(False)
    for enabled in (1, 0):
        w = NotSmallOrder().witness({"enabled": enabled, "p": xy(p)})
        assert w[1:3] == xy(p.mul(8))
    for torsion in (IDENTITY, GENERATOR.mul(SUBORDER), GENERATOR.mul(SUBORDER * 4), Point(0, int(R) - 1)):
        with pytest.raises((UnsatisfiedConstraint, WitnessError), match="NotSmallOrder"):
            NotSmallOrder().witness({"enabled": 1, "p": xy(torsion)})
        NotSmallOrder().witness({"enabled": 0, "p": xy(torsion)})


def test_is_identity():
    assert IsIdentity().witness({"p": xy(IDENTITY)})[1] == 1
    for p in (Point(0, int(R) - 1), random_point(), GENERATOR.mul(ORDER - 1)):
        assert IsIdentity().witness({"p": xy(p)})[1] == 0


def test_derive_public_key_matches_native_and_babypbk_cost():
    for secret in (1, int(SUBORDER) - 1, rng.randrange(2**253)):
        assert PublicKeyOf().witness({"secret": secret})[1:3] == xy(BASE8.mul(secret))
    assert len(PublicKeyOf().compile().constraints) <= 776        # circomlib BabyPbk
    with pytest.raises(UnsatisfiedConstraint, match="BabyPbk"):
        PublicKeyOf().witness({"secret": 2**253})


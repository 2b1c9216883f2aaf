"""Attacks on the gadgets: aliasing, range wrap-around, unchecked comparators, selectors, hints, EdDSA malleability.

Each test wraps a gadget in a tiny circuit, forges a witness (honest inputs or a
lie, hint values rewritten where the attack is a hint that lies) and checks that
the R1CS refuses it in the gadget meant to — or, for the gadgets documented as
trusting their caller (less_than, mux), that the caller-side guard is what refuses it.
"""
import secrets

import pytest

from circuits.crypto.babyjub import BASE8, SUBORDER, Point
from circuits.crypto.eddsa import poseidon_challenge
from circuits.dsl import Circuit, Private, Public
from circuits.gadgets.bits import num2bits, range_check
from circuits.gadgets.compare import is_zero, less_than, safe_less_than
from circuits.gadgets.eddsa import eddsa_poseidon_verify
from circuits.gadgets.merkle import merkle_root
from circuits.gadgets.mux import mux
from circuits.gadgets.poseidon import poseidon
from test_soundness_common import P, accepts, assert_only_guard_fails, failing, forge, wire


class Bits254(Circuit):
    x = Public()

    def define(self, cs):
        num2bits(cs, self.x, 254)


def _bits_of(value):
    return lambda bits, *_: [(value >> i) & 1 for i in range(len(bits))]


def test_num2bits_254_refuses_the_bits_of_x_plus_r():
    """x and x + r (< 2^254) both solve x = Σ 2^i·b_i in Fr; only AliasCheck tells them apart."""
    circuit = Bits254()
    x = 5
    assert x + P < 1 << 254
    assert accepts(circuit, forge(circuit, {"x": x}))
    w = forge(circuit, {"x": x}, [(r"Num2Bits\[0\]\.bit$", _bits_of(x + P))])
    assert_only_guard_fails(circuit, w, r"AliasCheck")


class Range64(Circuit):
    x = Public()

    def define(self, cs):
        range_check(cs, self.x, 64)


@pytest.mark.parametrize("x", [1 << 64, P - 1, P - (1 << 63)], ids=["2^64", "-1", "-2^63"])
def test_range_check_refuses_wrapped_values(x):
    circuit = Range64()
    assert_only_guard_fails(circuit, forge(circuit, {"x": x}), r"RangeCheck")


def test_range_check_bits_cannot_be_solved_for_a_large_value():
    """Give 2^64 + 3 the 63 low bits of 3: the top 'bit' is then (x − 3)/2^63 = 2, not boolean."""
    circuit = Range64()
    w = forge(circuit, {"x": (1 << 64) + 3}, [(r"bit$", _bits_of(3))])
    assert failing(circuit, w) == ["main.RangeCheck[0].Num2Bits[0]"]


class Less(Circuit):
    a = Private()
    b = Private()
    out = Public()

    def define(self, cs):
        cs.assert_equal(less_than(cs, self.a, self.b, 8), self.out)


class SafeLess(Less):
    def define(self, cs):
        cs.assert_equal(safe_less_than(cs, self.a, self.b, 8), self.out)


def test_less_than_trusts_its_caller_and_safe_less_than_does_not():
    """less_than(−1, 3) says 1 although r − 1 > 3: LessThan assumes inputs < 2^bits (documented);
    safe_less_than range-checks them and refuses the same lie."""
    lie = {"a": P - 1, "b": 3, "out": 1}
    assert accepts(Less(), forge(Less(), lie))
    assert_only_guard_fails(SafeLess(), forge(SafeLess(), lie), r"SafeLessThan\[0\]\.RangeCheck")
    assert accepts(SafeLess(), forge(SafeLess(), {"a": 2, "b": 3, "out": 1}))
    assert_only_guard_fails(SafeLess(), forge(SafeLess(), {"a": 4, "b": 3, "out": 1}), r"^main$")


class Select(Circuit):
    sel = Private()
    out = Public()

    def define(self, cs):
        cs.assert_equal(mux(cs, self.sel, 10, 20), self.out)


class Root(Circuit):
    leaf = Private()
    sibling = Private()
    bit = Private()
    root = Public()

    def define(self, cs):
        cs.assert_equal(merkle_root(cs, self.leaf, [self.sibling], [self.bit]), self.root)


def test_non_boolean_selectors():
    """mux with sel = 2 yields 30, neither input (Mux1 leaves the selector to its caller); the Merkle
    gadget constrains its index bits, so sel = 2 cannot blend node and sibling there."""
    assert accepts(Select(), forge(Select(), {"sel": 2, "out": 30}))
    from circuits.crypto.poseidon import poseidon as h
    blended = h([7 + 2 * (9 - 7), 9 - 2 * (9 - 7)])             # DualMux with s = 2: (11, 5)
    w = forge(Root(), {"leaf": 7, "sibling": 9, "bit": 2, "root": blended})
    assert failing(Root(), w) == ["main.MerkleRoot[0]"]          # its assert_bool(bit), nothing else


class Zero(Circuit):
    x = Private()
    out = Public()

    def define(self, cs):
        cs.assert_equal(is_zero(cs, self.x), self.out)


@pytest.mark.parametrize("x, lie", [(5, 1), (0, 0)])
def test_is_zero_cannot_be_talked_into_a_wrong_answer(x, lie):
    """out = 1 − x·inv and x·out = 0: for x ≠ 0 no inv gives out = 1, for x = 0 none gives out = 0."""
    circuit = Zero()
    for inv in (0, 1, 2, pow(5, -1, P), P - 1):
        w = forge(circuit, {"x": x, "out": lie}, [(r"inv$", lambda _v, *_a, i=inv: i)])
        assert not accepts(circuit, w)


class Hash2(Circuit):
    a = Private()
    b = Private()
    out = Public()

    def define(self, cs):
        cs.assert_equal(poseidon(cs, self.a, self.b), self.out)


def test_poseidon_partial_round_hint_is_pinned():
    from circuits.crypto.poseidon import poseidon as h
    circuit = Hash2()
    inputs = {"a": 1, "b": 2, "out": h([1, 2])}
    assert accepts(circuit, forge(circuit, inputs))
    w = forge(circuit, inputs, [(r"Poseidon\[0\]\.state0$", lambda v, *_: (v + 1) % P)])
    assert failing(circuit, w)
    assert all(o.startswith("main.Poseidon[0]") or o == "main" for o in failing(circuit, w))


# --- EdDSA ------------------------------------------------------------------------------------------

class Verify(Circuit):
    ax = Private()
    ay = Private()
    s = Private()
    r8x = Private()
    r8y = Private()
    msg = Public()

    def define(self, cs):
        eddsa_poseidon_verify(cs, self.ax, self.ay, self.s, self.r8x, self.r8y, self.msg)


class VerifyIf(Verify):
    enabled = Private()

    def define(self, cs):
        eddsa_poseidon_verify(cs, self.ax, self.ay, self.s, self.r8x, self.r8y, self.msg, enabled=self.enabled)


def _signature(msg, *, challenge_below=None):
    """(inputs, a, k, hm) for a fresh key a and nonce k; retries msg until hm < challenge_below if asked."""
    a, k = secrets.randbelow(SUBORDER - 1) + 1, secrets.randbelow(SUBORDER - 1) + 1
    A, R8 = BASE8.mul(a), BASE8.mul(k)
    while True:
        hm = poseidon_challenge(R8, A, msg)
        if challenge_below is None or hm < challenge_below:
            break
        msg += 1
    s = (k + 8 * hm * a) % SUBORDER
    inputs = {"ax": int(A.x), "ay": int(A.y), "s": s, "r8x": int(R8.x), "r8y": int(R8.y), "msg": msg}
    return inputs, a, k, hm


@pytest.fixture(scope="module")
def verify():
    return Verify()


def test_eddsa_s_plus_suborder_is_refused(verify):
    """(R8, S + l) satisfies S·B8 = R8 + 8·hm·A as well: only the S < l check refuses it (malleability)."""
    inputs, *_ = _signature(42)
    assert accepts(verify, forge(verify, inputs))
    assert_only_guard_fails(verify, forge(verify, dict(inputs, s=inputs["s"] + SUBORDER)), r"SBelowSubOrder")


def test_eddsa_challenge_bits_cannot_alias(verify):
    """With the bits of hm + r (and S made for that scalar) the equation holds; only AliasCheck refuses."""
    inputs, a, k, hm = _signature(7, challenge_below=(1 << 254) - P)
    alias_s = (k + 8 * (hm + P) * a) % SUBORDER
    w = forge(verify, dict(inputs, s=alias_s), [(r"EdDSAPoseidonVerifier\[0\]\.Num2Bits\[1\]\.bit$", _bits_of(hm + P))])
    assert_only_guard_fails(verify, w, r"Num2Bits\[1\]\.AliasCheck")


def test_eddsa_small_order_key_is_refused(verify):
    """A = (0, −1) has order 2, so 8·A = O and (S·B8, S) 'signs' every message; NotSmallOrder refuses A."""
    s = 12345
    r8 = BASE8.mul(s)
    inputs = {"ax": 0, "ay": P - 1, "s": s, "r8x": int(r8.x), "r8y": int(r8.y), "msg": 99}
    assert Point(0, P - 1).is_on_curve()
    assert any(".NotSmallOrder" in o for o in failing(verify, forge(verify, inputs)))


def test_eddsa_enabled_switches_off_only_at_zero():
    """enabled = 2 (non-boolean) still enforces the check; enabled = 0 switches it off."""
    circuit = VerifyIf()
    inputs, *_ = _signature(5)
    bad = dict(inputs, msg=6)
    assert accepts(circuit, forge(circuit, dict(inputs, enabled=1)))
    assert not accepts(circuit, forge(circuit, dict(bad, enabled=1)))
    assert not accepts(circuit, forge(circuit, dict(bad, enabled=2)))
    assert accepts(circuit, forge(circuit, dict(bad, enabled=0)))


def test_eddsa_r8_must_be_on_the_curve(verify):
    inputs, *_ = _signature(3)
    i = wire(verify, "r8x")
    w = forge(verify, inputs)
    w[i] = (w[i] + 1) % P
    assert not accepts(verify, w)

"""Native Baby Jubjub: group laws, constants and encoding, and agreement with circomlibjs buildBabyjub."""
import json
import random

import pytest
from hypothesis import given, settings, strategies as st

from circuits.crypto.babyjub import (A, BASE8, D, GENERATOR, IDENTITY, ORDER, SUBORDER, Point, fr_sqrt,
                                     pack_point, unpack_point)
from conftest import run_node_script
from zkescrow.bn254.constants import R
from zkescrow.errors import InvalidPoint

scalars = st.integers(min_value=0, max_value=int(ORDER) * 2)


def naive_mul(p, k):
    """Double-and-add on the affine formula: the plain reference for Point.mul."""
    acc = IDENTITY
    while k:
        if k & 1:
            acc = acc.add(p)
        p, k = p.add(p), k >> 1
    return acc


def test_constants():
    assert (A, D) == (168700, 168696)
    assert ORDER == 8 * SUBORDER
    assert GENERATOR.is_on_curve() and BASE8.is_on_curve()
    assert GENERATOR.mul(8) == BASE8
    assert BASE8.in_subgroup() and not GENERATOR.in_subgroup()
    assert GENERATOR.mul(ORDER) == IDENTITY
    assert pow(int(D), (int(R) - 1) // 2, int(R)) == int(R) - 1, "d must be a non-square (complete addition)"


@settings(max_examples=25, deadline=None)
@given(scalars, scalars)
def test_group_laws(a, b):
    p, q = BASE8.mul(a), BASE8.mul(b)
    assert p + q == q + p == BASE8.mul(a + b)
    assert p - p == IDENTITY and p + IDENTITY == p
    assert p.mul(b) == BASE8.mul(a * b)
    assert (-p).is_on_curve() and -p == BASE8.mul(-a)
    assert p.double() == p + p
    assert Point.unpack(p.pack()) == p


@settings(max_examples=10, deadline=None)
@given(st.integers(min_value=0, max_value=2**80))
def test_windowed_mul_matches_double_and_add(k):
    assert GENERATOR.mul(k) == naive_mul(GENERATOR, k)


def test_small_order_points():
    torsion = GENERATOR.mul(SUBORDER)
    assert torsion.is_on_curve() and torsion.is_small_order() and not torsion.in_subgroup()
    assert not BASE8.is_small_order()
    assert torsion.mul(8) == IDENTITY and torsion.mul(4) != IDENTITY   # order exactly 8
    # the two points with x = 0: identity and (0, -1), which has order 2
    assert Point(0, int(R) - 1).is_on_curve() and Point(0, int(R) - 1).mul(2) == IDENTITY


def test_validate_rejects_off_curve_and_torsion_points():
    with pytest.raises(InvalidPoint, match="not on Baby Jubjub"):
        Point(1, 2).validate()
    with pytest.raises(InvalidPoint, match="subgroup"):
        GENERATOR.validate()
    assert GENERATOR.validate(subgroup=False) is GENERATOR
    with pytest.raises(InvalidPoint):
        Point(int(R), 1)
    with pytest.raises(InvalidPoint):
        Point(-1, 1)


def test_pack_edge_cases():
    assert IDENTITY.pack() == (1).to_bytes(32, "little")
    assert unpack_point(pack_point(IDENTITY)) == IDENTITY
    assert Point.unpack(Point(0, int(R) - 1).pack()) == Point(0, int(R) - 1)
    neg_zero = bytearray(IDENTITY.pack())
    neg_zero[31] |= 0x80
    with pytest.raises(InvalidPoint, match="non-canonical"):
        Point.unpack(bytes(neg_zero))
    with pytest.raises(InvalidPoint, match="y ≥ r"):
        Point.unpack(int(R).to_bytes(32, "little"))
    with pytest.raises(InvalidPoint, match="32 bytes"):
        Point.unpack(b"\x01" * 31)
    # find a y with no x on the curve
    y = next(y for y in range(2, 100) if fr_sqrt((1 - y * y) * pow(int(A) - int(D) * y * y, -1, int(R))) is None)
    with pytest.raises(InvalidPoint, match="not on the curve"):
        Point.unpack(y.to_bytes(32, "little"))


def test_fr_sqrt_canonical():
    rng = random.Random(7)
    for _ in range(20):
        v = rng.randrange(int(R))
        root = fr_sqrt(v * v % int(R))
        assert root in (v, int(R) - v) and root <= (int(R) - 1) // 2


@pytest.mark.interop
def test_matches_circomlibjs_babyjub():
    rng = random.Random(20494)
    ks = [rng.randrange(2**253) for _ in range(12)] + [0, 1, 2, int(SUBORDER) - 1, int(SUBORDER), int(ORDER) - 1]
    pairs = [(rng.randrange(int(SUBORDER)), rng.randrange(int(SUBORDER))) for _ in range(8)]
    script = f"""
const {{buildBabyjub}} = require('circomlibjs');
(async () => {{
  const bj = await buildBabyjub(); const F = bj.F;
  const o = p => [F.toObject(p[0]).toString(), F.toObject(p[1]).toString()];
  const hex = b => Buffer.from(b).toString('hex');
  const muls = {json.dumps([str(k) for k in ks])}.map(k => bj.mulPointEscalar(bj.Generator, BigInt(k)));
  const adds = {json.dumps([[str(a), str(b)] for a, b in pairs])}.map(([a, b]) =>
      bj.addPoint(bj.mulPointEscalar(bj.Base8, BigInt(a)), bj.mulPointEscalar(bj.Base8, BigInt(b))));
  const packs = muls.map(p => hex(bj.packPoint(p)));
  const unpacked = packs.filter((_, i) => !F.isZero(muls[i][0])).map(h => o(bj.unpackPoint(Buffer.from(h, 'hex'))));
  console.log(JSON.stringify({{muls: muls.map(o), adds: adds.map(o), packs, unpacked,
      base8: o(bj.Base8), sub: bj.inSubgroup(bj.Generator), order: bj.order.toString()}}));
  process.exit(0);
}})();
"""
    js = run_node_script(script)
    as_pair = lambda p: [str(int(p.x)), str(int(p.y))]
    muls = [GENERATOR.mul(k) for k in ks]
    assert js["muls"] == [as_pair(p) for p in muls]
    assert js["adds"] == [as_pair(BASE8.mul(a) + BASE8.mul(b)) for a, b in pairs]
    assert js["packs"] == [p.pack().hex() for p in muls]
    assert js["unpacked"] == [as_pair(Point.unpack(p.pack())) for p in muls if p.x != 0]
    assert js["base8"] == as_pair(BASE8) and js["order"] == str(ORDER) and js["sub"] is False

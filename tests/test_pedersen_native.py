"""Pedersen value commitments: generator derivation (re-derived with circomlibjs), homomorphism, input checks."""
import json

import pytest
from hypothesis import given, settings, strategies as st

from circuits.crypto.babyjub import BASE8, IDENTITY, SUBORDER
from circuits.crypto.pedersen import (BLINDING_BASE, BLINDING_BASE_LABEL, VALUE_BASE, VALUE_BASE_LABEL, commit,
                                      commitment_to_zero, derive_generator, random_blinding, verify_opening)
from conftest import run_node_script
from zkescrow.errors import MalformedInput

values = st.integers(min_value=0, max_value=2**63 - 1)
blindings = st.integers(min_value=0, max_value=int(SUBORDER) - 1)


def test_generators_are_rederived_and_in_the_prime_subgroup():
    assert derive_generator(VALUE_BASE_LABEL) == VALUE_BASE
    assert derive_generator(BLINDING_BASE_LABEL) == BLINDING_BASE
    for g in (VALUE_BASE, BLINDING_BASE):
        assert g.in_subgroup() and g != IDENTITY and g != BASE8 and g != -BASE8
    assert VALUE_BASE != BLINDING_BASE and VALUE_BASE != -BLINDING_BASE
    assert derive_generator("another label") not in (VALUE_BASE, BLINDING_BASE)


@settings(max_examples=25, deadline=None)
@given(values, values, blindings, blindings)
def test_homomorphism(a, b, r1, r2):
    c1, c2 = commit(a, r1), commit(b, r2)
    assert c1 + c2 == commit(a + b, (r1 + r2) % SUBORDER)
    hi, lo = max(a, b), min(a, b)
    r_hi, r_lo = (r1, r2) if a >= b else (r2, r1)
    assert commit(hi, r_hi) - commit(lo, r_lo) == commit(hi - lo, (r_hi - r_lo) % SUBORDER)


@settings(max_examples=10, deadline=None)
@given(values, blindings)
def test_opening(v, r):
    c = commit(v, r)
    assert verify_opening(c, v, r)
    assert not verify_opening(c, v + 1, r)
    assert not verify_opening(c, v, (r + 1) % SUBORDER)
    assert c - commit(v, 0) == commitment_to_zero(r)


def test_balance_of_inputs_and_outputs():
    ins = [(700, random_blinding()), (300, random_blinding())]
    outs = [(999, random_blinding()), (1, random_blinding())]
    excess = (sum(r for _, r in outs) - sum(r for _, r in ins)) % SUBORDER
    total_in = commit(*ins[0]) + commit(*ins[1])
    total_out = commit(*outs[0]) + commit(*outs[1])
    assert total_out - total_in == commitment_to_zero(excess)


def test_random_blinding_range_and_freshness():
    rs = {random_blinding() for _ in range(8)}
    assert len(rs) == 8 and all(0 <= r < SUBORDER for r in rs)


@pytest.mark.parametrize("value", [-1, 2**64, 1.0, True, "5"])
def test_rejects_values_outside_64_bits(value):
    with pytest.raises(MalformedInput, match="2\\^64"):
        commit(value, 1)


@pytest.mark.parametrize("blinding", [-1, int(SUBORDER), None])
def test_rejects_blinding_outside_suborder(blinding):
    with pytest.raises(MalformedInput, match="SUBORDER"):
        commit(1, blinding)


@pytest.mark.interop
def test_generator_derivation_reproduced_with_circomlibjs():
    script = f"""
const {{buildBabyjub}} = require('circomlibjs');
const blake = require('blake-hash');
(async () => {{
  const bj = await buildBabyjub(); const F = bj.F;
  const derive = label => {{
    for (let t = 0; ; t++) {{
      const h = blake('blake256').update(label + '_' + String(t).padStart(32, '0')).digest();
      h[31] &= 0xBF;
      // our rule is strict where unpackPoint is not: an encoded y >= r is skipped, not reduced
      const y = BigInt('0x' + Buffer.from(h).reverse().toString('hex')) & ((1n << 255n) - 1n);
      if (y >= bj.p) continue;
      const p = bj.unpackPoint(h);
      if (p === null) continue;
      const g = bj.mulPointEscalar(p, 8);
      if (F.isZero(g[0]) && F.eq(g[1], F.one)) continue;
      return [F.toObject(g[0]).toString(), F.toObject(g[1]).toString()];
    }}
  }};
  console.log(JSON.stringify({json.dumps([VALUE_BASE_LABEL, BLINDING_BASE_LABEL])}.map(derive)));
  process.exit(0);
}})();
"""
    g, h = run_node_script(script)
    assert g == [str(VALUE_BASE.x), str(VALUE_BASE.y)]
    assert h == [str(BLINDING_BASE.x), str(BLINDING_BASE.y)]

"""NTT over Fr against naive evaluation at snarkjs's roots, with galois as a second oracle."""
import random

import pytest
from hypothesis import given, settings, strategies as st

from zkescrow.bn254.constants import R
from zkescrow.bn254.ntt import FR_SHIFT, coset_intt, coset_ntt, coset_ntt_of_intt, intt, ntt, root_of_unity
from zkescrow.errors import MalformedInput

r = int(R)
OMEGA_2_28 = 19103219067921713944291392827692070036145651957329286315305642004821462161904


def naive_eval(coeffs, x):
    acc = 0
    for c in reversed(coeffs):
        acc = (acc * x + c) % r
    return acc


def snarkjs_root(log_n):
    """ffjavascript's w[log_n]: w[28] = 5^((r−1)>>28), w[i] = w[i+1]²."""
    w = pow(5, (r - 1) >> 28, r)
    for _ in range(28 - log_n):
        w = w * w % r
    return w


fr_lists = st.integers(min_value=0, max_value=5).flatmap(
    lambda k: st.lists(st.integers(min_value=0, max_value=r - 1), min_size=1 << k, max_size=1 << k))


def test_root_of_unity_2_28():
    w = root_of_unity(28)
    assert w == OMEGA_2_28 == snarkjs_root(28)
    assert pow(int(w), 1 << 28, r) == 1
    assert pow(int(w), 1 << 27, r) != 1


@pytest.mark.parametrize("log_n", [0, 1, 2, 5, 10, 16, 27])
def test_roots_are_snarkjs_roots_of_exact_order(log_n):
    w = int(root_of_unity(log_n))
    assert w == snarkjs_root(log_n)
    assert pow(w, 1 << log_n, r) == 1
    if log_n:
        assert pow(w, 1 << (log_n - 1), r) == r - 1


@pytest.mark.parametrize("log_n", [-1, 29])
def test_root_of_unity_rejects_out_of_range(log_n):
    with pytest.raises(MalformedInput, match="k ≤ 28"):
        root_of_unity(log_n)


@pytest.mark.parametrize("n", [0, 3, 6, 12])
def test_ntt_rejects_lengths_that_are_not_powers_of_two(n):
    with pytest.raises(MalformedInput, match="power of two"):
        ntt([1] * n)


@settings(max_examples=30, deadline=None)
@given(fr_lists)
def test_ntt_is_evaluation_at_snarkjs_roots(coeffs):
    n = len(coeffs)
    w = snarkjs_root(n.bit_length() - 1)
    assert ntt(coeffs) == [naive_eval(coeffs, pow(w, i, r)) for i in range(n)]
    assert intt(ntt(coeffs)) == coeffs
    assert ntt(intt(coeffs)) == coeffs


@settings(max_examples=20, deadline=None)
@given(fr_lists, st.integers(min_value=1, max_value=r - 1))
def test_coset_ntt_is_evaluation_on_shifted_domain(coeffs, shift):
    n = len(coeffs)
    w = snarkjs_root(n.bit_length() - 1)
    evals = coset_ntt(coeffs, shift)
    assert evals == [naive_eval(coeffs, shift * pow(w, i, r) % r) for i in range(n)]
    assert coset_intt(evals, shift) == coeffs
    on_domain = [naive_eval(coeffs, pow(w, i, r)) for i in range(n)]
    assert coset_ntt_of_intt(on_domain, shift) == evals


def test_snarkjs_odd_coset_and_fr_shift():
    """snarkjs evaluates on w[k+1]·ω^i (the odd points of the 2n domain); FR_SHIFT is its Fr.shift."""
    assert FR_SHIFT == 25 and pow(FR_SHIFT, (r - 1) // 2, r) == 1  # 5² is a square
    coeffs = [random.Random(4).randrange(r) for _ in range(64)]
    big = ntt(coeffs + [0] * 64)
    assert coset_ntt(coeffs, root_of_unity(7)) == big[1::2]
    assert ntt(coeffs) == big[0::2]
    evals = coset_ntt(coeffs, FR_SHIFT)
    assert evals[5] == naive_eval(coeffs, FR_SHIFT * pow(snarkjs_root(6), 5, r) % r)
    assert coset_intt(evals, FR_SHIFT) == coeffs


def test_larger_sizes_round_trip():
    rng = random.Random(5)
    for log_n in (8, 11, 12):
        coeffs = [rng.randrange(r) for _ in range(1 << log_n)]
        evals = ntt(coeffs)
        w = snarkjs_root(log_n)
        for i in (0, 1, 7, (1 << log_n) - 1):
            assert evals[i] == naive_eval(coeffs, pow(w, i, r))
        assert intt(evals) == coeffs


def test_polynomial_product_matches_galois():
    galois = pytest.importorskip("galois")
    # 5 generates Fr* (arkworks' Fr GENERATOR); passing it skips galois's slow search for one.
    GF = galois.GF(r, primitive_element=5, verify=False)
    rng = random.Random(6)
    a = [rng.randrange(r) for _ in range(100)]
    b = [rng.randrange(r) for _ in range(150)]
    n = 256
    prod = intt([x * y % r for x, y in zip(ntt(a + [0] * (n - len(a))), ntt(b + [0] * (n - len(b))))])
    expected = galois.Poly(a[::-1], field=GF) * galois.Poly(b[::-1], field=GF)
    assert prod[:249] == [int(c) for c in expected.coeffs[::-1]]
    assert prod[249:] == [0] * 7


@pytest.mark.parametrize("transform", [coset_ntt, coset_intt, coset_ntt_of_intt])
def test_coset_rejects_zero_shift(transform):
    with pytest.raises(MalformedInput, match="non-zero"):
        transform([1, 2, 3, 4], r)

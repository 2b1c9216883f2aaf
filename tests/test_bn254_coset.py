"""Domain → coset by convolution against naive evaluation, and against the NTT route it replaces."""
import random

import pytest
from hypothesis import given, settings, strategies as st

from zkescrow.bn254 import coset
from zkescrow.bn254.constants import R
from zkescrow.bn254.coset import digit_bytes, domain_to_coset, kernel
from zkescrow.bn254.ntt import FR_SHIFT, coset_ntt_of_intt, root_of_unity
from zkescrow.errors import MalformedInput

from test_bn254_ntt import fr_lists, naive_eval, snarkjs_root

r = int(R)


@settings(max_examples=30, deadline=None)
@given(fr_lists, st.integers(min_value=1, max_value=r - 1))
def test_coset_values_are_the_polynomial_on_the_shifted_domain(coeffs, shift):
    n = len(coeffs)
    w = snarkjs_root(n.bit_length() - 1)
    if pow(shift, n, r) == 1:                       # a shift inside the domain has no coset
        return
    on_domain = [naive_eval(coeffs, pow(w, i, r)) for i in range(n)]
    assert domain_to_coset(on_domain, shift) == [naive_eval(coeffs, shift * pow(w, i, r) % r) for i in range(n)]


@pytest.mark.parametrize("log_n", [0, 1, 5, 10, 13])
def test_same_values_as_the_two_ntts_on_snarkjs_odd_coset(log_n):
    rng = random.Random(log_n)
    values = [rng.randrange(r) for _ in range(1 << log_n)]
    inc = root_of_unity(log_n + 1)
    assert domain_to_coset(values, inc) == coset_ntt_of_intt(values, inc)
    assert domain_to_coset(values, FR_SHIFT) == coset_ntt_of_intt(values, FR_SHIFT)


def test_largest_digits_do_not_carry():
    """All values r − 1 against a kernel of large values: every digit near its bound n·r²."""
    log_n = 12
    values = [r - 1] * (1 << log_n)
    shift = root_of_unity(log_n + 1)
    t = kernel(log_n, shift)
    assert sum(int(x) for x in t) * (r - 1) < 1 << (8 * digit_bytes(log_n))
    assert domain_to_coset(values, shift) == coset_ntt_of_intt(values, shift)


def test_kernel_is_the_lagrange_basis_on_the_coset():
    """t_m = L_0(g·ω^m): the value at g·ω^m of the polynomial that is 1 at ω^0 and 0 elsewhere."""
    log_n, g = 4, 7
    n = 1 << log_n
    delta = [1] + [0] * (n - 1)
    assert kernel(log_n, g) == domain_to_coset(delta, g) == coset_ntt_of_intt(delta, g)


def test_large_domains_use_the_ntts(monkeypatch):
    monkeypatch.setattr(coset, "MAX_LOG_N", 3)
    values = list(range(1, 17))
    called = []
    monkeypatch.setattr(coset, "coset_ntt_of_intt", lambda v, s: called.append(len(v)) or coset_ntt_of_intt(v, s))
    assert domain_to_coset(values, 5) == coset_ntt_of_intt(values, 5)
    assert called == [16]


@pytest.mark.parametrize("shift,match", [(0, "non-zero"), (r, "non-zero"), (1, "outside the domain"),
                                         (int(root_of_unity(3)), "outside the domain")])
def test_shift_without_a_coset_is_refused(shift, match):
    with pytest.raises(MalformedInput, match=match):
        domain_to_coset([1, 2, 3, 4, 5, 6, 7, 8], shift)


@pytest.mark.parametrize("n", [0, 3, 12])
def test_length_must_be_a_power_of_two(n):
    with pytest.raises(MalformedInput, match="power of two"):
        domain_to_coset(list(range(n)), 5)

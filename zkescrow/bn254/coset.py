"""Evaluations on a domain moved to its coset as one cyclic convolution, by one big-integer product.

The prover needs, for a polynomial f of degree < n known by its evaluations v_j = f(ω^j) on the
domain, its evaluations v'_k = f(g·ω^k) on the coset g·H.  With the Lagrange basis of the domain,

    L_j(x) = (ω^j / n)·(x^n − 1)/(x − ω^j),   and at x = g·ω^k (so x^n = g^n):
    L_j(g·ω^k) = ((g^n − 1)/n) / (g·ω^(k−j) − 1),

so v'_k = Σ_j v_j·t_((k − j) mod n) with the fixed kernel t_m = ((g^n − 1)/n)/(g·ω^m − 1): a cyclic
convolution, defined whenever g^n ≠ 1 (g outside the domain).  The inverse NTT followed by a coset
NTT (``ntt.coset_ntt_of_intt``) computes the same map in 2·n·log2 n butterflies.

Here the convolution is one product of two integers (Kronecker substitution): v and t are packed
as base-2^B digits V = Σ v_j·2^(B·j), T = Σ t_m·2^(B·m), with B large enough that no digit of V·T
carries (each digit of the cyclic sum is below n·r², so B = 2·254 + log2 n + 1 bits, rounded up to
bytes).  The digits of V·T at j and j + n are summed by one shift and one addition (the fold that
makes the convolution cyclic) and each digit is reduced mod r once.  GMP multiplies the two
integers with its FFT, so the interpreter does O(n) steps instead of O(n·log n); measured in
``bench/RESULTS.md`` (technique log).  Above ``MAX_LOG_N`` the packed operands (n·B bits each, and
twice that for the product) would cost more memory than the radix-2 transforms, which are used
instead.
"""
from functools import lru_cache

from gmpy2 import invert, mpz, powmod

from ..errors import MalformedInput
from .constants import R
from .ntt import coset_ntt_of_intt, root_of_unity

#: Largest domain (2^MAX_LOG_N) moved by convolution; the packed kernel is n·B/8 bytes (17 MiB at 2^18).
MAX_LOG_N = 18

_R_BITS = int(R).bit_length()
_from_bytes = mpz.from_bytes


def digit_bytes(log_n: int) -> int:
    """Bytes per packed value: every digit of the folded product is below n·r² < 2^(2·254 + log2 n)."""
    return (2 * _R_BITS + log_n + 1 + 7) // 8


def pack(values, width: int):
    """Σ values[i]·2^(8·width·i), values in [0, 2^(8·width))."""
    return _from_bytes(b"".join(v.to_bytes(width, "little") for v in values), "little")


def kernel(log_n: int, shift) -> list:
    """[t_0, …, t_(n−1)], t_m = ((g^n − 1)/n)/(g·ω^m − 1) for g = shift, with one inversion (batched)."""
    n = 1 << log_n
    g = mpz(shift) % R
    if not g:
        raise MalformedInput("coset shift must be a non-zero element of Fr")
    scale = (powmod(g, n, R) - 1) % R
    if not scale:
        raise MalformedInput("coset shift must lie outside the domain (shift^n != 1)")
    scale = scale * invert(mpz(n), R) % R
    omega = root_of_unity(log_n)
    dens = [mpz(0)] * n                     # g·ω^m − 1
    x = g
    for m in range(n):
        dens[m] = (x - 1) % R
        x = x * omega % R
    prefix = [mpz(0)] * n                   # Π_{i<m} dens[i]
    acc = mpz(1)
    for m in range(n):
        prefix[m] = acc
        acc = acc * dens[m] % R
    inv = invert(acc, R) * scale % R        # scale / Π dens
    out = [mpz(0)] * n
    for m in range(n - 1, -1, -1):
        out[m] = prefix[m] * inv % R
        inv = inv * dens[m] % R
    return out


@lru_cache(maxsize=4)
def _packed_kernel(log_n: int, shift):
    return pack(kernel(log_n, shift), digit_bytes(log_n))


def domain_to_coset(values, shift) -> list:
    """[f(shift·ω^k) for k < n] for the f of degree < n with f(ω^j) = values[j] (n = len(values)).

    The same list as ``ntt.coset_ntt_of_intt(values, shift)``; values must lie in [0, r).
    """
    n = len(values)
    log_n = n.bit_length() - 1
    if n < 1 or n != 1 << log_n:
        raise MalformedInput(f"domain size must be a power of two, got {n}")
    if log_n > MAX_LOG_N:
        return coset_ntt_of_intt(values, shift)
    width = digit_bytes(log_n)
    product = pack(values, width) * _packed_kernel(log_n, mpz(shift) % R)
    bits = 8 * width * n
    folded = (product & ((mpz(1) << bits) - 1)) + (product >> bits)   # digit k gets digit k + n
    data = memoryview(folded.to_bytes(width * n, "little"))            # every digit < 2^(8·width): no carry
    return [_from_bytes(data[o:o + width], "little") % R for o in range(0, width * n, width)]

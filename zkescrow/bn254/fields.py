"""Arithmetic in Fr, Fq and Fq2 = Fq[u]/(u² + 1).

Elements of Fr and Fq are ``gmpy2.mpz`` values already reduced into [0, p).
Elements of Fq2 are tuples ``(c0, c1)`` meaning c0 + c1·u.  Functions, not
classes: the interpreter's method dispatch is the main cost at 254 bits, so the
hot paths stay flat.  Values that come from outside go through
``fq_from_int``/``fr_from_int``, which reject anything not in range instead of
reducing it.
"""
from gmpy2 import invert, mpz, powmod

from ..errors import InvalidFieldElement
from .constants import Q, R

ZERO = mpz(0)
ONE = mpz(1)


def _checked(value, modulus, name: str) -> mpz:
    if isinstance(value, bool) or not isinstance(value, (int, type(ZERO))):
        raise InvalidFieldElement(f"{name} element must be an integer, got {type(value).__name__}")
    if not 0 <= value < modulus:
        raise InvalidFieldElement(f"{name} element {value} is not in [0, {name} modulus)")
    return mpz(value)


def fq_from_int(value) -> mpz:
    """An Fq element from an untrusted integer; raises ``InvalidFieldElement`` if ≥ q or < 0."""
    return _checked(value, Q, "Fq")


def fr_from_int(value) -> mpz:
    """An Fr element from an untrusted integer; raises ``InvalidFieldElement`` if ≥ r or < 0."""
    return _checked(value, R, "Fr")


def fq_inv(a) -> mpz:
    """1/a in Fq (a ≠ 0)."""
    return invert(a, Q)


def fr_inv(a) -> mpz:
    """1/a in Fr (a ≠ 0)."""
    return invert(a, R)


def fq_sqrt(a):
    """A square root of a in Fq, or None.  q ≡ 3 (mod 4), so it is a^((q+1)/4)."""
    s = powmod(a, (Q + 1) // 4, Q)
    return s if s * s % Q == a % Q else None


def batch_inverse(values, modulus=Q):
    """Inverses of all (non-zero) values with one modular inversion (Montgomery's trick)."""
    n = len(values)
    prefix = [ONE] * (n + 1)
    acc = ONE
    for i, v in enumerate(values):
        acc = acc * v % modulus
        prefix[i + 1] = acc
    inv = invert(acc, modulus)
    out = [ZERO] * n
    for i in range(n - 1, -1, -1):
        out[i] = inv * prefix[i] % modulus
        inv = inv * values[i] % modulus
    return out


# --- Fq2 = Fq[u]/(u² + 1) ----------------------------------------------------------

FQ2_ZERO = (ZERO, ZERO)
FQ2_ONE = (ONE, ZERO)
#: ξ = 9 + u, the non-residue that defines Fq6 and the twist.
XI = (mpz(9), ONE)


def fq2(c0, c1=0):
    """The Fq2 element c0 + c1·u from trusted integers (reduced mod q)."""
    return (mpz(c0) % Q, mpz(c1) % Q)


def fq2_add(a, b):
    return ((a[0] + b[0]) % Q, (a[1] + b[1]) % Q)


def fq2_sub(a, b):
    return ((a[0] - b[0]) % Q, (a[1] - b[1]) % Q)


def fq2_neg(a):
    return (-a[0] % Q, -a[1] % Q)


def fq2_mul(a, b):
    """(a0 + a1u)(b0 + b1u) with Karatsuba: three Fq multiplications."""
    a0, a1 = a
    b0, b1 = b
    t0 = a0 * b0
    t1 = a1 * b1
    return ((t0 - t1) % Q, ((a0 + a1) * (b0 + b1) - t0 - t1) % Q)


def fq2_sqr(a):
    """(a0 + a1u)² = (a0 + a1)(a0 − a1) + 2a0a1·u."""
    a0, a1 = a
    return ((a0 + a1) * (a0 - a1) % Q, 2 * a0 * a1 % Q)


def fq2_mul_scalar(a, k):
    """k·a for k in Fq."""
    return (a[0] * k % Q, a[1] * k % Q)


def fq2_mul_by_xi(a):
    """(9 + u)·a, the multiplication by the tower's non-residue."""
    a0, a1 = a
    return ((9 * a0 - a1) % Q, (a0 + 9 * a1) % Q)


def fq2_conj(a):
    """The conjugate c0 − c1·u, which is also the Frobenius map a^q."""
    return (a[0], -a[1] % Q)


def fq2_inv(a):
    """1/a = conj(a) / (a0² + a1²)."""
    a0, a1 = a
    t = invert(a0 * a0 + a1 * a1, Q)
    return (a0 * t % Q, -a1 * t % Q)


def fq2_pow(a, e: int):
    result = FQ2_ONE
    base = a
    while e:
        if e & 1:
            result = fq2_mul(result, base)
        base = fq2_sqr(base)
        e >>= 1
    return result


def fq2_is_zero(a) -> bool:
    return a[0] == 0 and a[1] == 0


def fq2_sqrt(a):
    """A square root of a in Fq2, or None (algorithm 9 of ePrint 2012/685, q ≡ 3 mod 4)."""
    if fq2_is_zero(a):
        return FQ2_ZERO
    a1 = fq2_pow(a, (Q - 3) // 4)
    alpha = fq2_mul(a1, fq2_mul(a1, a))
    x0 = fq2_mul(a1, a)
    if alpha == (Q - 1, ZERO):
        x = fq2_mul((ZERO, ONE), x0)
    else:
        b = fq2_pow(fq2_add(FQ2_ONE, alpha), (Q - 1) // 2)
        x = fq2_mul(b, x0)
    return x if fq2_sqr(x) == (a[0] % Q, a[1] % Q) else None

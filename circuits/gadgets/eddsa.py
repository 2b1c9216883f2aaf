"""EdDSA-Poseidon verification in-circuit (circomlib eddsaposeidon.circom, EdDSAPoseidonVerifier).

Proves that (R8, S) is a signature of ``msg`` under the public key A, as circomlibjs
``verifyPoseidon`` and ``circuits.crypto.eddsa.PublicKey.verify_poseidon`` decide it (a key of
small order, which no private key yields, is refused as in circomlib's circuit):

    S < SUBORDER,   8·A ≠ identity,   S·BASE8 = R8 + (8·hm)·A   with hm = Poseidon(R8x, R8y, Ax, Ay, msg)

Beyond circomlib, A and R8 are constrained on the curve (6 constraints): the verification
equation is meaningless for other pairs.  ``enabled`` (a boolean signal) switches the checks off
as circomlib's ``enabled`` input does; a disabled verifier still needs a point on the curve for A
and R8 (the identity (0, 1) will do) and S < 2^253 (0 will do).

Cost: 4197 constraints, 4201 with ``enabled`` (circomlib EdDSAPoseidonVerifier: 4217, circom --O2):
Num2Bits(253) and CompConstant on S, Poseidon(5), strict Num2Bits(254) on hm, 3 doublings,
hm·(8·A) in Montgomery form (scalar_mul_prime_order), S·BASE8 (scalar_mul_fixed), one addition.
"""
from circuits.crypto.babyjub import BASE8, SUBORDER

from .babyjub import (assert_not_small_order, assert_on_curve, point_add, scalar_mul_fixed,
                      scalar_mul_prime_order)
from .bits import comp_constant, num2bits
from .compare import is_zero
from .poseidon import poseidon


def _assert_zero_if_enabled(cs, value, enabled) -> None:
    if enabled is None:
        cs.assert_equal(value, 0)
    else:
        cs.assert_product(value, enabled, 0)


def eddsa_poseidon_verify(cs, ax, ay, s, r8x, r8y, msg, *, enabled=None) -> None:
    """Constrain (r8x, r8y, s) to be an EdDSA-Poseidon signature of msg under (ax, ay)."""
    with cs.scope("EdDSAPoseidonVerifier"):
        assert_on_curve(cs, ax, ay)
        assert_on_curve(cs, r8x, r8y)

        s_bits = num2bits(cs, s, 253)
        with cs.scope("SBelowSubOrder"):
            s_too_big = comp_constant(cs, s_bits + [0], SUBORDER - 1)      # 1 iff S > SUBORDER − 1
            _assert_zero_if_enabled(cs, s_too_big, enabled)

        hm = poseidon(cs, r8x, r8y, ax, ay, msg)
        hm_bits = num2bits(cs, hm, 254)                                     # strict: the bits are hm, not hm + r

        a8 = assert_not_small_order(cs, ax, ay, enabled=enabled)           # 8·A: prime order, or disabled
        if enabled is not None:
            # a disabled verifier may be given A of small order (8·A = identity, x = 0): multiply
            # BASE8 instead so that the prime-order multiplication below stays well defined
            with cs.scope("ZeroPoint"):
                zero = is_zero(cs, a8[0])
                a8 = tuple(c + zero * (b - c) for c, b in zip(a8, (int(BASE8.x), int(BASE8.y))))
        right = point_add(cs, r8x, r8y, *scalar_mul_prime_order(cs, hm_bits, a8))   # R8 + hm·(8·A)
        left = scalar_mul_fixed(cs, s_bits, BASE8)                          # S·BASE8
        with cs.scope("VerificationEquation"):
            for lhs, rhs in zip(left, right):
                _assert_zero_if_enabled(cs, lhs - rhs, enabled)

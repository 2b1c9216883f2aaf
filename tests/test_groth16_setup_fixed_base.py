"""Fixed-base multiples (dev setup) and the Lagrange evaluation it relies on, checked against py_ecc."""
import random

from py_ecc import optimized_bn128 as ref

from zkescrow.bn254.constants import G1_GENERATOR, G2_GENERATOR, R
from zkescrow.bn254.ntt import root_of_unity
from zkescrow.groth16.fixed_base import FixedBase
from zkescrow.groth16.setup import _lagrange_at


def ref_affine(P):
    if ref.is_inf(P):
        return None
    x, y = ref.normalize(P)
    if isinstance(x, ref.FQ2):
        return ((int(x.coeffs[0]), int(x.coeffs[1])), (int(y.coeffs[0]), int(y.coeffs[1])))
    return (int(x), int(y))


def scalars():
    rng = random.Random(2024)
    # 0, small, r − 1, repeated scalars (so equal x-coordinates meet in one round), random ones
    return [0, 1, 2, 255, 256, int(R) - 1, 7, 7, 1 << 200] + [rng.randrange(int(R)) for _ in range(12)]


def test_g1_multiples_match_py_ecc():
    ks = scalars()
    got = FixedBase(G1_GENERATOR).multiply(ks)
    assert got == [ref_affine(ref.multiply(ref.G1, k)) for k in ks]


def test_g2_multiples_match_py_ecc():
    ks = scalars()[:10]
    got = FixedBase(G2_GENERATOR, is_g2=True).multiply(ks)
    assert got == [ref_affine(ref.multiply(ref.G2, k)) for k in ks]


def test_rounds_where_accumulator_and_addend_share_x():
    """With k = r (+ 5) the last window adds −(lower part)·P to the lower part: P + (−P), then 5·P."""
    ks = [int(R), int(R) + 5]
    assert FixedBase(G1_GENERATOR).multiply(ks) == [None, ref_affine(ref.multiply(ref.G1, 5))]
    assert FixedBase(G2_GENERATOR, is_g2=True).multiply(ks) == [None, ref_affine(ref.multiply(ref.G2, 5))]


def test_lagrange_evaluations_interpolate():
    """Σ L_i(τ)·ω^(ij) = τ^j and Σ L_i(τ) = 1 on the snarkjs domain."""
    tau = 1234567891011121314151617181920
    for log_n in (1, 3, 5):
        lag = _lagrange_at(tau, log_n)
        omega = int(root_of_unity(log_n))
        assert sum(lag) % R == 1
        for j in {1, 2, (1 << log_n) - 1} - {1 << log_n}:          # degree < n
            assert sum(int(v) * pow(omega, i * j, int(R)) for i, v in enumerate(lag)) % R == pow(tau, j, int(R))


def test_g2_multiplication_through_psi_matches_py_ecc():
    from zkescrow.bn254.curve import g2_from_jacobian
    from zkescrow.groth16.fixed_base import jac_g2_mul_psi
    lam = 6 * 4965661367192848881 ** 2
    P = ref_affine(ref.multiply(ref.G2, 987654321))
    for k in [0, 1, lam - 1, lam, lam + 1, int(R) - 1] + scalars()[9:14]:
        assert g2_from_jacobian(jac_g2_mul_psi(P, k)) == ref_affine(ref.multiply(ref.G2, 987654321 * k % int(R)))

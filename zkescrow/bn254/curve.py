"""BN254 group arithmetic: G1 (zkescrow.bn254.g1) and G2 (zkescrow.bn254.g2) in one namespace.

All public functions take and return affine points, ``None`` being the point at
infinity: G1 ``(x, y)``, G2 ``((x0, x1), (y0, y1))``.  Jacobian ``(X, Y, Z)`` helpers
(prefixed ``jac_``) are for code that sums many points, such as the MSM and the prover.
"""
from .g1 import (GLV_BASIS, JAC_G1_INFINITY, g1_add, g1_batch_from_jacobian, g1_double, g1_eq,
                 g1_from_jacobian, g1_is_on_curve, g1_mul, g1_neg, g1_to_jacobian, g1_validate,
                 glv_decompose, jac_g1_add, jac_g1_add_affine, jac_g1_double, jac_g1_mul, jac_g1_neg,
                 wnaf)
from .g2 import (JAC_G2_INFINITY, PSI_EIGENVALUE, g2_add, g2_batch_from_jacobian, g2_double, g2_eq,
                 g2_from_jacobian, g2_in_subgroup, g2_is_on_curve, g2_mul, g2_neg, g2_psi,
                 g2_to_jacobian, g2_validate, jac_g2_add, jac_g2_add_affine, jac_g2_double, jac_g2_mul,
                 jac_g2_neg)

__all__ = [
    "GLV_BASIS", "JAC_G1_INFINITY", "g1_add", "g1_batch_from_jacobian", "g1_double", "g1_eq",
    "g1_from_jacobian", "g1_is_on_curve", "g1_mul", "g1_neg", "g1_to_jacobian", "g1_validate",
    "glv_decompose", "jac_g1_add", "jac_g1_add_affine", "jac_g1_double", "jac_g1_mul", "jac_g1_neg",
    "wnaf",
    "JAC_G2_INFINITY", "PSI_EIGENVALUE", "g2_add", "g2_batch_from_jacobian", "g2_double", "g2_eq",
    "g2_from_jacobian", "g2_in_subgroup", "g2_is_on_curve", "g2_mul", "g2_neg", "g2_psi",
    "g2_to_jacobian", "g2_validate", "jac_g2_add", "jac_g2_add_affine", "jac_g2_double", "jac_g2_mul",
    "jac_g2_neg",
]

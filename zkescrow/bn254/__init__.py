"""BN254 (alt_bn128): fields, G1/G2, the optimal ate pairing, MSM and NTT — the layer everything stands on.

Modules, each with one job: ``constants`` (curve parameters), ``fields`` (Fr, Fq, Fq2),
``tower`` (Fq6, Fq12), ``g1``/``g2`` (group law, scalar multiplication, validation;
``curve`` puts both in one namespace), ``pairing`` and ``final_exp``, ``msm``
(Pippenger), ``ntt`` (radix-2 over Fr with snarkjs's roots), ``serialize``
(EIP-196/197, snarkjs JSON, compressed) and ``hash`` (hash to Fr).

Points are affine tuples, ``None`` being infinity: G1 ``(x, y)``, G2 ``((x0, x1), (y0, y1))``
with Fq2 elements ``(c0, c1)`` = c0 + c1·u.  The names below load their module on first use.
"""
import importlib

_EXPORTS = {
    "Q": "constants", "R": "constants", "G1_GENERATOR": "constants", "G2_GENERATOR": "constants",
    "fq_from_int": "fields", "fr_from_int": "fields", "fq_inv": "fields", "fr_inv": "fields",
    "batch_inverse": "fields",
    "g1_add": "g1", "g1_double": "g1", "g1_neg": "g1", "g1_mul": "g1", "g1_eq": "g1",
    "g1_is_on_curve": "g1", "g1_validate": "g1",
    "g2_add": "g2", "g2_double": "g2", "g2_neg": "g2", "g2_mul": "g2", "g2_eq": "g2",
    "g2_is_on_curve": "g2", "g2_in_subgroup": "g2", "g2_validate": "g2",
    "pairing": "pairing", "multi_pairing": "pairing", "pairing_check": "pairing", "prepare_g2": "pairing",
    "miller_loop": "pairing", "final_exponentiation": "final_exp",
    "msm_g1": "msm", "msm_g2": "msm",
    "ntt": "ntt", "intt": "ntt", "coset_ntt": "ntt", "coset_intt": "ntt", "root_of_unity": "ntt",
    "g1_to_eip196": "serialize", "g1_from_eip196": "serialize", "g2_to_eip197": "serialize",
    "g2_from_eip197": "serialize", "g1_to_snarkjs": "serialize", "g1_from_snarkjs": "serialize",
    "g2_to_snarkjs": "serialize", "g2_from_snarkjs": "serialize", "g1_compress": "serialize",
    "g1_decompress": "serialize", "g2_compress": "serialize", "g2_decompress": "serialize",
    "hash_to_fr": "hash",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))

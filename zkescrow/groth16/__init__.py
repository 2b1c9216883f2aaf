"""Groth16 over BN254, drop-in compatible with snarkjs (.zkey, verification_key.json, proofs).

Public names are imported from their modules on first use, so ``import zkescrow.groth16``
stays cheap and the formats layer can load ``zkescrow.groth16.keys`` without pulling in
the prover::

    from zkescrow.groth16 import setup, setup_dev, contribute, zkey_verify, ProvingKey
    from zkescrow.groth16 import prove, verify, verify_batch, VerificationKey, Proof
"""
import importlib

_EXPORTS = {
    "ProvingKey": "keys", "Contribution": "keys",
    "setup": "setup", "setup_dev": "setup", "circuit_hash": "setup", "DEV_SETUP_WARNING": "setup",
    "contribute": "contribute",
    "zkey_verify": "zkey_verify",
    "read_zkey": "zkescrow.formats.zkey", "write_zkey": "zkescrow.formats.zkey",
    "VerificationKey": "vk",
    "Proof": "proof",
    "prove": "prove",
    "verify": "verify",
    "verify_batch": "batch", "find_invalid": "batch",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    path = module if "." in module else f"{__name__}.{module}"
    value = getattr(importlib.import_module(path), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))

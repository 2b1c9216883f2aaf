"""Groth16 over BN254, drop-in compatible with snarkjs (.zkey, verification_key.json, proofs).

Public names are imported from their modules on first use, so ``import zkescrow.groth16``
stays cheap (the verifier never loads the prover)::

    from zkescrow.groth16 import setup, setup_dev, contribute, zkey_verify, ProvingKey
    from zkescrow.groth16 import prove, verify, verify_batch, VerificationKey, Proof
"""
import importlib
import sys
import types

_EXPORTS = {
    "ProvingKey": "keys", "Contribution": "keys",
    "setup": "setup", "setup_dev": "setup", "circuit_hash": "setup", "DEV_SETUP_WARNING": "setup",
    "contribute": "contribute",
    "zkey_verify": "zkey_verify",
    "read_zkey": "zkey", "write_zkey": "zkey",
    "VerificationKey": "vk",
    "Proof": "proof",
    "prove": "prove",
    "verify": "verify",
    "verify_batch": "batch", "find_invalid": "batch",
}

__all__ = sorted(_EXPORTS)
_resolved = {}


def _resolve(name):
    if name not in _resolved:
        module = _EXPORTS[name]
        path = module if "." in module else f"{__name__}.{module}"
        _resolved[name] = getattr(importlib.import_module(path), name)
    return _resolved[name]


class _Package(types.ModuleType):
    """Exported names win over same-named submodules.

    Importing ``zkescrow.groth16.prove`` binds the *module* as the package attribute
    ``prove``; without this, ``from zkescrow.groth16 import prove`` would then return
    the module instead of the function.
    """

    def __getattribute__(self, name):
        if name in _EXPORTS:
            return _resolve(name)
        return super().__getattribute__(name)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return _resolve(name)


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))


sys.modules[__name__].__class__ = _Package

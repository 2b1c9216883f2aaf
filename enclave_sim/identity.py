"""Who an enclave is: its measurement, signer, product, version and debug flag; and its public keys."""
from __future__ import annotations

import enum
from dataclasses import dataclass

from zkescrow.errors import MalformedInput

MEASUREMENT_BYTES = 32


class KeyPolicy(enum.IntEnum):
    """Which identity a sealing key is bound to (SGX KEYPOLICY bits)."""
    MRENCLAVE = 0x0001   #: only the identical enclave (same code and config) can unseal
    MRSIGNER = 0x0002    #: any enclave of the same signer and product id with SVN >= the sealer's


@dataclass(frozen=True)
class EnclaveIdentity:
    """The SGX-like identity of a launched enclave, as a quote reports it.

    mrenclave: SHA-256 measurement of the program (see ``enclave_sim.measurement``);
    mrsigner: SHA-256 of the signer's public key; product_id / svn: ISVPRODID / ISVSVN from the
    signed SIGSTRUCT; debug: launched with the DEBUG attribute (the host can read its memory).
    """
    mrenclave: bytes
    mrsigner: bytes
    product_id: int
    svn: int
    debug: bool

    def __post_init__(self):
        for name in ("mrenclave", "mrsigner"):
            value = getattr(self, name)
            if not isinstance(value, bytes) or len(value) != MEASUREMENT_BYTES:
                raise MalformedInput(f"{name} must be {MEASUREMENT_BYTES} bytes")
        for name in ("product_id", "svn"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 0xFFFF:
                raise MalformedInput(f"{name} must be an integer in [0, 65535], got {value!r}")
        if not isinstance(self.debug, bool):
            raise MalformedInput("debug must be a boolean")

    def to_dict(self) -> dict:
        return {"mrenclave": self.mrenclave.hex(), "mrsigner": self.mrsigner.hex(),
                "product_id": self.product_id, "svn": self.svn, "debug": self.debug}


@dataclass(frozen=True)
class EnclaveKeys:
    """An enclave's public keys: Ed25519 for signing responses, X25519 for receiving encrypted messages."""
    ed25519: bytes
    x25519: bytes

    def __post_init__(self):
        for name in ("ed25519", "x25519"):
            value = getattr(self, name)
            if not isinstance(value, bytes) or len(value) != 32:
                raise MalformedInput(f"enclave {name} public key must be 32 bytes")

    def to_dict(self) -> dict:
        return {"ed25519": self.ed25519.hex(), "x25519": self.x25519.hex()}

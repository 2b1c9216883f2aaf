"""Enclave signing (the SIGSTRUCT analogue): a developer key vouches for a measurement, product and version.

MRSIGNER = SHA-256(signer's raw Ed25519 public key).  The platform launches an image only with a SIGSTRUCT
whose signature verifies and whose measurement equals the image's; so only the signer's code can hold the
signer's identity (which MRSIGNER-policy sealing keys depend on).  SGX signs with RSA-3072; the simulator
uses Ed25519 (pyca/cryptography) for speed.

Signed bytes: "zkescrow/enclave_sim/sigstruct/v1" 0x00 ‖ MRENCLAVE[32] ‖ product_id u16 ‖ svn u16 (big-endian).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from zkescrow.errors import EnclaveLaunchError, MalformedInput

from .measurement import ProgramImage

_DOMAIN = b"zkescrow/enclave_sim/sigstruct/v1\x00"


def mrsigner_of(public_key: bytes) -> bytes:
    """MRSIGNER of a raw 32-byte Ed25519 signer public key."""
    return hashlib.sha256(public_key).digest()


@dataclass(frozen=True)
class SigStruct:
    """The signer's statement: 'code with this measurement is my product ``product_id`` at version ``svn``'."""
    mrenclave: bytes
    product_id: int
    svn: int
    signer_public_key: bytes
    signature: bytes

    @property
    def mrsigner(self) -> bytes:
        return mrsigner_of(self.signer_public_key)

    def signed_bytes(self) -> bytes:
        return _DOMAIN + self.mrenclave + self.product_id.to_bytes(2, "big") + self.svn.to_bytes(2, "big")

    def check(self, image: ProgramImage) -> None:
        """What EINIT checks: the signature verifies and the image is the one signed."""
        try:
            Ed25519PublicKey.from_public_bytes(self.signer_public_key).verify(self.signature, self.signed_bytes())
        except (_CryptoInvalidSignature, ValueError):
            raise EnclaveLaunchError("SIGSTRUCT signature does not verify under its signer key") from None
        if image.measurement != self.mrenclave:
            raise EnclaveLaunchError(f"enclave image measurement {image.measurement.hex()} differs from the "
                                     f"signed SIGSTRUCT's {self.mrenclave.hex()}")


class EnclaveSigner:
    """A developer's enclave signing key."""

    def __init__(self, private_key: Ed25519PrivateKey):
        self._key = private_key

    @classmethod
    def generate(cls) -> "EnclaveSigner":
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, pem: bytes) -> "EnclaveSigner":
        try:
            key = serialization.load_pem_private_key(pem, None)
        except (ValueError, TypeError) as exc:
            raise MalformedInput(f"cannot read the enclave signing key: {exc}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise MalformedInput("enclave signing keys are Ed25519")
        return cls(key)

    def to_pem(self) -> bytes:
        return self._key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())

    @property
    def public_key(self) -> bytes:
        return self._key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def mrsigner(self) -> bytes:
        return mrsigner_of(self.public_key)

    def sign(self, image: ProgramImage, *, product_id: int = 0, svn: int = 0) -> SigStruct:
        """Sign ``image`` as product ``product_id`` at security version ``svn``."""
        for name, value in (("product_id", product_id), ("svn", svn)):
            if not isinstance(value, int) or not 0 <= value <= 0xFFFF:
                raise MalformedInput(f"{name} must be in [0, 65535], got {value!r}")
        unsigned = SigStruct(image.measurement, product_id, svn, self.public_key, b"")
        return SigStruct(image.measurement, product_id, svn, self.public_key,
                         self._key.sign(unsigned.signed_bytes()))

"""Sealing: AES-256-GCM under keys only one enclave identity on one platform can derive.

Key derivation mirrors SGX EGETKEY.  The platform's root seal secret (``fuses``) is the HKDF input key;
the blob's random key id is the salt; the info string binds the key policy and identity:

    seal_key = HKDF-SHA256(ikm = root_seal_secret, salt = key_id, length = 32,
                           info = "zkescrow/enclave_sim/seal-key/v1" 0x00 ‖ policy u16 ‖ identity
                                  ‖ svn u16 ‖ tcb_level u16 ‖ debug u8)
    identity = MRENCLAVE ‖ product_id u16      (KeyPolicy.MRENCLAVE)
             = MRSIGNER ‖ product_id u16       (KeyPolicy.MRSIGNER)

(as in SGX, the product id is bound under both policies).

``svn`` and ``tcb_level`` are the sealer's; an enclave may derive keys for an svn (tcb level) at most its own,
so upgrades can read older data and downgrades cannot read newer data.  The DEBUG bit is always bound, so
debug and production enclaves never share keys.

Blob layout (all integers big-endian); the header is the AES-GCM associated data:

    "ZKSEAL01" ‖ policy u16 ‖ platform_id[16] ‖ key_id[32] ‖ mrenclave[32] ‖ mrsigner[32] ‖ product_id u16
    ‖ svn u16 ‖ tcb_level u16 ‖ debug u8 ‖ has_counter u8 ‖ counter u64 ‖ nonce[12] ‖ ciphertext+tag
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from zkescrow.errors import SealingError

from .identity import EnclaveIdentity, KeyPolicy

MAGIC = b"ZKSEAL01"
_HEADER = struct.Struct(">8sH16s32s32s32sHHHBBQ12s")
_KDF_INFO = b"zkescrow/enclave_sim/seal-key/v1\x00"


@dataclass(frozen=True)
class SealedBlob:
    """A sealed blob's header fields (authenticated, not secret) and its ciphertext."""
    policy: KeyPolicy
    platform_id: bytes
    key_id: bytes
    mrenclave: bytes
    mrsigner: bytes
    product_id: int
    svn: int
    tcb_level: int
    debug: bool
    counter: int | None
    nonce: bytes
    ciphertext: bytes

    def header(self) -> bytes:
        return _HEADER.pack(MAGIC, int(self.policy), self.platform_id, self.key_id, self.mrenclave, self.mrsigner,
                            self.product_id, self.svn, self.tcb_level, int(self.debug),
                            int(self.counter is not None), self.counter or 0, self.nonce)

    def to_bytes(self) -> bytes:
        return self.header() + self.ciphertext

    @classmethod
    def from_bytes(cls, data: bytes) -> "SealedBlob":
        if not isinstance(data, (bytes, bytearray)) or len(data) < _HEADER.size + 16:
            raise SealingError("not a sealed blob (too short)")
        (magic, policy, platform_id, key_id, mrenclave, mrsigner, product_id, svn, tcb_level, debug, has_counter,
         counter, nonce) = _HEADER.unpack_from(data)
        if magic != MAGIC:
            raise SealingError("not a sealed blob (bad magic)")
        if policy not in KeyPolicy.__members__.values() or debug > 1 or has_counter > 1:
            raise SealingError("not a sealed blob (bad header fields)")
        return cls(KeyPolicy(policy), platform_id, key_id, mrenclave, mrsigner, product_id, svn, tcb_level,
                   bool(debug), counter if has_counter else None, nonce, bytes(data[_HEADER.size:]))


def derive_seal_key(root_secret: bytes, policy: KeyPolicy, key_id: bytes, mrenclave: bytes, mrsigner: bytes,
                    product_id: int, svn: int, tcb_level: int, debug: bool) -> bytes:
    """The AES-256 key for one (policy, identity, svn, tcb level, debug, key id); see the module docstring."""
    identity = (mrenclave if policy is KeyPolicy.MRENCLAVE else mrsigner) + product_id.to_bytes(2, "big")
    info = (_KDF_INFO + int(policy).to_bytes(2, "big") + identity + svn.to_bytes(2, "big")
            + tcb_level.to_bytes(2, "big") + bytes([int(debug)]))
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=key_id, info=info).derive(root_secret)


def seal(root_secret: bytes, platform_id: bytes, tcb_level: int, me: EnclaveIdentity, plaintext: bytes,
         policy: KeyPolicy = KeyPolicy.MRENCLAVE, counter: int | None = None) -> bytes:
    """Seal ``plaintext`` for ``me`` on this platform; ``counter`` (if any) is authenticated in the header."""
    blob = SealedBlob(KeyPolicy(policy), platform_id, os.urandom(32), me.mrenclave, me.mrsigner, me.product_id,
                      me.svn, tcb_level, me.debug, counter, os.urandom(12), b"")
    key = derive_seal_key(root_secret, blob.policy, blob.key_id, me.mrenclave, me.mrsigner, me.product_id, me.svn,
                          tcb_level, me.debug)
    ciphertext = AESGCM(key).encrypt(blob.nonce, plaintext, blob.header())
    return blob.header() + ciphertext


def unseal(root_secret: bytes, platform_id: bytes, tcb_level: int, me: EnclaveIdentity,
           data: bytes) -> tuple[bytes, SealedBlob]:
    """Open a blob sealed for ``me`` on this platform: (plaintext, header) or SealingError with the reason.

    The header checks only give precise messages for honest mistakes; security rests on the key derivation
    (an edited header changes the key or the associated data, and authentication fails).
    """
    blob = SealedBlob.from_bytes(data)
    if blob.platform_id != platform_id:
        raise SealingError(f"sealed on another platform ({blob.platform_id.hex()}); this is {platform_id.hex()}")
    if blob.policy is KeyPolicy.MRENCLAVE and (blob.mrenclave, blob.product_id) != (me.mrenclave, me.product_id):
        raise SealingError(f"sealed by another enclave (MRENCLAVE {blob.mrenclave.hex()[:16]}…), "
                           f"product {blob.product_id}); this enclave is {me.mrenclave.hex()[:16]}…, "
                           f"product {me.product_id}")
    if blob.policy is KeyPolicy.MRSIGNER and (blob.mrsigner, blob.product_id) != (me.mrsigner, me.product_id):
        raise SealingError(f"sealed by another signer or product (MRSIGNER {blob.mrsigner.hex()[:16]}…, "
                           f"product {blob.product_id})")
    if blob.debug != me.debug:
        raise SealingError("sealed by a debug enclave; this enclave is a production one" if blob.debug
                           else "sealed by a production enclave; a debug enclave cannot open it")
    if blob.svn > me.svn:
        raise SealingError(f"sealed by SVN {blob.svn}; this enclave has SVN {me.svn} (downgrade refused)")
    if blob.tcb_level > tcb_level:
        raise SealingError(f"sealed at TCB level {blob.tcb_level}; this platform is at {tcb_level}")
    key = derive_seal_key(root_secret, blob.policy, blob.key_id, blob.mrenclave, blob.mrsigner, blob.product_id,
                          blob.svn, blob.tcb_level, blob.debug)
    try:
        plaintext = AESGCM(key).decrypt(blob.nonce, blob.ciphertext, blob.header())
    except InvalidTag:
        raise SealingError("sealed blob fails authentication (tampered, or not sealed for this enclave "
                           "on this platform)") from None
    return plaintext, blob

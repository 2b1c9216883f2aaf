"""Quotes: an enclave's identity and 64 bytes of report data, signed by the platform's attestation key.

Binary layout follows an SGX DCAP v3 quote (little-endian integers):

    header (48 B): version u16 = 3 ‖ att_key_type u16 = 2 (ECDSA-P256) ‖ tee_type u32 = 0 (SGX)
                   ‖ qe_svn u16 ‖ pce_svn u16 ‖ qe_vendor_id[16] ‖ user_data[20] = platform_id[16] ‖ 0^4
    report body (384 B, SGX REPORT offsets): 0 CPUSVN[16] (TCB level u16 ‖ 0^14) · 16 MISCSELECT u32 ·
                   32 ISVEXTPRODID[16] · 48 ATTRIBUTES{flags u64, xfrm u64} · 64 MRENCLAVE[32] · 128 MRSIGNER[32] ·
                   192 CONFIGID[64] · 256 ISVPRODID u16 · 258 ISVSVN u16 · 260 CONFIGSVN u16 · 304 ISVFAMILYID[16]
                   · 320 REPORTDATA[64]
    signature:     ECDSA-P256/SHA-256 over header ‖ body, as r ‖ s (32 B each, big-endian)

The simulator's platform signs directly with its certified attestation key (real DCAP adds a Quoting Enclave
whose report, signed by the PCK key, vouches for the attestation key).  The JSON form carries the same fields
readably, plus what the enclave presents alongside: its public keys, the nonce it bound, and optionally the
certificate chain (DCAP certification data type 5).

Report data convention (``report_data_for``): SHA-512(ed25519_pk ‖ x25519_pk ‖ nonce), all 64 bytes.
"""
from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass, replace
from typing import Any

from zkescrow.errors import MalformedInput

from .identity import EnclaveIdentity, EnclaveKeys
from .pki import PLATFORM_ID_BYTES, CertificateChain

QUOTE_VERSION = 3
ATT_KEY_TYPE_ECDSA_P256 = 2
TEE_TYPE_SGX = 0
#: qe_vendor_id of the simulator (a fixed UUID; Intel's QE uses 939a7233-f79c-4ca9-940a-0db3957f0607).
SIM_VENDOR_ID = bytes.fromhex("a2f1c0e57d2b4b6a9c3e5f70812d4e61")
REPORT_DATA_BYTES = 64
SIGNATURE_BYTES = 64

FLAG_INITTED = 0x1
FLAG_DEBUG = 0x2
FLAG_MODE64BIT = 0x4
XFRM_LEGACY = 0x3

HEADER = struct.Struct("<HHIHH16s20s")
BODY = struct.Struct("<16sI12s16sQQ32s32s32s32s64sHHH42s16s64s")
assert HEADER.size == 48 and BODY.size == 384

JSON_TYPE = "zkescrow-enclave-sim-quote"


def report_data_for(keys: EnclaveKeys, nonce: bytes) -> bytes:
    """REPORTDATA binding an enclave's public keys to a verifier's nonce: SHA-512(ed25519 ‖ x25519 ‖ nonce)."""
    return hashlib.sha512(keys.ed25519 + keys.x25519 + nonce).digest()


@dataclass(frozen=True)
class Quote:
    """A signed statement by a platform: 'an enclave with this identity produced this report data'."""
    platform_id: bytes
    tcb_level: int
    identity: EnclaveIdentity
    report_data: bytes
    signature: bytes
    enclave_keys: EnclaveKeys | None = None
    nonce: bytes | None = None
    certification_data: CertificateChain | None = None

    def __post_init__(self):
        if not isinstance(self.platform_id, bytes) or len(self.platform_id) != PLATFORM_ID_BYTES:
            raise MalformedInput(f"quote platform id must be {PLATFORM_ID_BYTES} bytes")
        if not isinstance(self.tcb_level, int) or isinstance(self.tcb_level, bool) or \
                not 0 <= self.tcb_level <= 0xFFFF:
            raise MalformedInput("quote TCB level must be an integer in [0, 65535]")
        if not isinstance(self.report_data, bytes) or len(self.report_data) != REPORT_DATA_BYTES:
            raise MalformedInput(f"report data must be {REPORT_DATA_BYTES} bytes")
        if not isinstance(self.signature, bytes) or len(self.signature) != SIGNATURE_BYTES:
            raise MalformedInput(f"quote signature must be {SIGNATURE_BYTES} bytes (r ‖ s)")

    # --- binary form --------------------------------------------------------------------

    def header_bytes(self) -> bytes:
        return HEADER.pack(QUOTE_VERSION, ATT_KEY_TYPE_ECDSA_P256, TEE_TYPE_SGX, 0, self.tcb_level,
                           SIM_VENDOR_ID, self.platform_id + bytes(4))

    def body_bytes(self) -> bytes:
        ident = self.identity
        flags = FLAG_INITTED | FLAG_MODE64BIT | (FLAG_DEBUG if ident.debug else 0)
        cpusvn = self.tcb_level.to_bytes(2, "little") + bytes(14)
        return BODY.pack(cpusvn, 0, bytes(12), bytes(16), flags, XFRM_LEGACY, ident.mrenclave, bytes(32),
                         ident.mrsigner, bytes(32), bytes(64), ident.product_id, ident.svn, 0, bytes(42),
                         bytes(16), self.report_data)

    def signed_bytes(self) -> bytes:
        """header ‖ report body: what the attestation key signs."""
        return self.header_bytes() + self.body_bytes()

    def to_bytes(self) -> bytes:
        return self.signed_bytes() + self.signature

    @classmethod
    def from_bytes(cls, data: bytes) -> "Quote":
        """Parse header ‖ body ‖ signature (the presented keys, nonce and chain travel separately)."""
        if len(data) != HEADER.size + BODY.size + SIGNATURE_BYTES:
            raise MalformedInput(f"a quote is {HEADER.size + BODY.size + SIGNATURE_BYTES} bytes, got {len(data)}")
        version, key_type, tee_type, _qe_svn, pce_svn, vendor, user_data = HEADER.unpack_from(data)
        if (version, key_type, tee_type, vendor) != (QUOTE_VERSION, ATT_KEY_TYPE_ECDSA_P256, TEE_TYPE_SGX,
                                                     SIM_VENDOR_ID):
            raise MalformedInput("not a simulator quote (version, key type, TEE type or vendor id)")
        (cpusvn, _misc, _r1, _ext, flags, _xfrm, mrenclave, _r2, mrsigner, _r3, _cfg, prodid, svn, _cfgsvn, _r4,
         _fam, report_data) = BODY.unpack_from(data, HEADER.size)
        if int.from_bytes(cpusvn[:2], "little") != pce_svn:
            raise MalformedInput("quote CPUSVN and PCE SVN disagree")
        identity = EnclaveIdentity(mrenclave, mrsigner, prodid, svn, bool(flags & FLAG_DEBUG))
        return cls(user_data[:PLATFORM_ID_BYTES], pce_svn, identity, report_data,
                   bytes(data[HEADER.size + BODY.size:]))

    # --- JSON form (quote.json) ---------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": JSON_TYPE,
            "version": QUOTE_VERSION,
            "platform_id": self.platform_id.hex(),
            "tcb_level": self.tcb_level,
            **self.identity.to_dict(),
            "report_data": self.report_data.hex(),
            "signature": self.signature.hex(),
            "enclave_keys": self.enclave_keys.to_dict() if self.enclave_keys else None,
            "nonce": self.nonce.hex() if self.nonce is not None else None,
            "certification_data": self.certification_data.to_pem() if self.certification_data else None,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    @classmethod
    def from_dict(cls, obj: Any) -> "Quote":
        if not isinstance(obj, dict):
            raise MalformedInput("quote JSON must be an object")
        expected = set(cls(bytes(16), 0, EnclaveIdentity(bytes(32), bytes(32), 0, 0, False), bytes(64),
                           bytes(64)).to_dict())
        if obj.get("type") != JSON_TYPE or obj.get("version") != QUOTE_VERSION:
            raise MalformedInput(f"not a {JSON_TYPE} version {QUOTE_VERSION} document")
        if set(obj) != expected:
            diff = sorted(set(obj) ^ expected)
            raise MalformedInput(f"quote JSON has missing or unknown fields: {', '.join(diff)}")
        keys = obj["enclave_keys"]
        if keys is not None and (not isinstance(keys, dict) or set(keys) != {"ed25519", "x25519"}):
            raise MalformedInput("quote enclave_keys must be an object with ed25519 and x25519")
        chain = obj["certification_data"]
        if chain is not None and not isinstance(chain, str):
            raise MalformedInput("quote certification_data must be a PEM string")
        return cls(
            platform_id=_hex(obj, "platform_id"), tcb_level=obj["tcb_level"],
            identity=EnclaveIdentity(_hex(obj, "mrenclave"), _hex(obj, "mrsigner"), obj["product_id"], obj["svn"],
                                     obj["debug"]),
            report_data=_hex(obj, "report_data"), signature=_hex(obj, "signature"),
            enclave_keys=EnclaveKeys(_hex(keys, "ed25519"), _hex(keys, "x25519")) if keys is not None else None,
            nonce=_hex(obj, "nonce") if obj["nonce"] is not None else None,
            certification_data=CertificateChain.from_pem(chain) if chain is not None else None)

    @classmethod
    def from_json(cls, text: str | bytes) -> "Quote":
        try:
            obj = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise MalformedInput(f"quote is not JSON: {exc}") from None
        return cls.from_dict(obj)

    def without_chain(self) -> "Quote":
        return replace(self, certification_data=None)


def _hex(obj: dict, key: str) -> bytes:
    value = obj[key]
    if not isinstance(value, str):
        raise MalformedInput(f"quote field {key} must be a hex string")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise MalformedInput(f"quote field {key} is not valid hex") from None

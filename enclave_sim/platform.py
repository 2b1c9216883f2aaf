"""A simulated TEE platform (one 'machine'): fused secret, certified attestation key, counters, host disk.

State lives in a directory so a platform survives restarts of the process that runs it:

    platform.json        public facts: platform id, TCB level
    fuses.bin            the root seal secret (32 random bytes); real CPUs fuse it where software cannot read
    attestation.sealed   the attestation private key, AES-GCM-sealed under a key derived from the fuses
    platform.pem         the vendor's certificate for the attestation key; chain.pem adds the vendor CAs
    counters.json        trusted monotonic counters (see enclave_sim.storage)
    host/                untrusted host storage where enclaves leave their sealed blobs

The files are the simulator's model of hardware; their permissions (0600) are the only thing that protects
them.  See enclave_sim/README.md for what a real TEE adds.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from zkescrow.errors import MalformedInput, SealingError, WrongState

from .identity import EnclaveIdentity
from .measurement import ProgramImage
from .pki import PLATFORM_ID_BYTES, CertificateChain, Vendor, load_certificates, platform_info
from .quote import REPORT_DATA_BYTES, Quote
from .signer import SigStruct
from .storage import HostStorage, MonotonicCounters, atomic_write

_FORMAT = 1


def _derive(fuses: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"zkescrow/enclave_sim/platform/" + purpose + b"/v1").derive(fuses)


class Platform:
    """One simulated machine.  Create with ``Platform.create(dir, vendor)``, reopen with ``Platform.open(dir)``."""

    def __init__(self, directory: Path, fuses: bytes, platform_id: bytes, tcb_level: int,
                 attestation_key: ec.EllipticCurvePrivateKey, chain: CertificateChain):
        self.directory = directory
        self._fuses = fuses
        self.platform_id = platform_id
        self.tcb_level = tcb_level
        self._attestation_key = attestation_key
        self.chain = chain
        self.counters = MonotonicCounters(directory / "counters.json", _derive(fuses, b"counters-mac"))
        self.host_storage = HostStorage(directory / "host")

    # --- lifecycle ---------------------------------------------------------------------

    @classmethod
    def create(cls, directory: str | os.PathLike, vendor: Vendor, *, tcb_level: int = 1) -> "Platform":
        """Manufacture a platform in ``directory`` (which must hold none yet) and have ``vendor`` certify it."""
        d = Path(directory)
        if (d / "platform.json").exists():
            raise WrongState(f"{d} already holds a platform; open it with Platform.open")
        d.mkdir(parents=True, exist_ok=True)
        fuses = os.urandom(32)
        platform_id = os.urandom(PLATFORM_ID_BYTES)
        key = ec.generate_private_key(ec.SECP256R1())
        chain = vendor.chain_for(vendor.certify_platform(key.public_key(), platform_id, tcb_level))
        atomic_write(d / "fuses.bin", fuses)
        platform = cls(d, fuses, platform_id, tcb_level, key, chain)
        platform._save_key()
        platform._save_public()
        return platform

    @classmethod
    def open(cls, directory: str | os.PathLike) -> "Platform":
        """Reopen a platform after a restart; its counters and host storage are as they were left."""
        d = Path(directory)
        try:
            info = json.loads((d / "platform.json").read_text())
            fuses = (d / "fuses.bin").read_bytes()
            sealed_key = (d / "attestation.sealed").read_bytes()
            chain = CertificateChain.from_pem((d / "chain.pem").read_bytes())
            platform_id = bytes.fromhex(info["platform_id"])
            tcb_level = info["tcb_level"]
            if info.get("format") != _FORMAT or len(fuses) != 32 or len(platform_id) != PLATFORM_ID_BYTES:
                raise ValueError("unknown format")
        except FileNotFoundError as exc:
            raise WrongState(f"{d} holds no platform ({Path(exc.filename).name} missing)") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedInput(f"platform directory {d} is corrupt: {exc}") from None
        aead = AESGCM(_derive(fuses, b"attestation-key"))
        try:
            der = aead.decrypt(sealed_key[:12], sealed_key[12:], platform_id)
        except (InvalidTag, ValueError):
            raise SealingError(f"the attestation key in {d} does not unseal on this platform") from None
        key = serialization.load_der_private_key(der, None)
        if platform_info(chain.leaf) != (platform_id, tcb_level):
            raise MalformedInput(f"platform directory {d}: certificate and platform.json disagree")
        return cls(d, fuses, platform_id, tcb_level, key, chain)

    @classmethod
    def open_or_create(cls, directory: str | os.PathLike, vendor: Vendor, *, tcb_level: int = 1) -> "Platform":
        if (Path(directory) / "platform.json").exists():
            return cls.open(directory)
        return cls.create(directory, vendor, tcb_level=tcb_level)

    def recertify(self, vendor: Vendor, tcb_level: int) -> None:
        """TCB recovery: after a microcode/firmware update the vendor certifies the platform at a new level."""
        self.chain = vendor.chain_for(vendor.certify_platform(self._attestation_key.public_key(),
                                                              self.platform_id, tcb_level))
        self.tcb_level = tcb_level
        self._save_public()

    def _save_key(self) -> None:
        der = self._attestation_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption())
        nonce = os.urandom(12)
        sealed = nonce + AESGCM(_derive(self._fuses, b"attestation-key")).encrypt(nonce, der, self.platform_id)
        atomic_write(self.directory / "attestation.sealed", sealed)

    def _save_public(self) -> None:
        atomic_write(self.directory / "platform.pem", self.certificate.public_bytes(serialization.Encoding.PEM),
                     mode=0o644)
        atomic_write(self.directory / "chain.pem", self.chain.to_pem().encode(), mode=0o644)
        info = {"format": _FORMAT, "platform_id": self.platform_id.hex(), "tcb_level": self.tcb_level}
        atomic_write(self.directory / "platform.json", json.dumps(info, indent=2).encode(), mode=0o644)

    @property
    def certificate(self):
        return self.chain.leaf

    # --- what enclaves use -------------------------------------------------------------

    def launch(self, image: ProgramImage, sigstruct: SigStruct, *, debug: bool = False):
        """EINIT + start: check the SIGSTRUCT, restore the latest sealed state, return the running Enclave.

        Raises EnclaveLaunchError for a bad SIGSTRUCT, RollbackDetected if the host offers stale state,
        SealingError if the state cannot be opened here.
        """
        from .enclave import Enclave
        sigstruct.check(image)
        identity = EnclaveIdentity(image.measurement, sigstruct.mrsigner, sigstruct.product_id, sigstruct.svn,
                                   bool(debug))
        enclave = Enclave(_PlatformServices(self), image, identity)
        enclave.start()
        return enclave


class _PlatformServices:
    """What the platform offers one enclave: sealing keys, counters, quoting, the host's disk."""

    def __init__(self, platform: Platform):
        self._platform = platform
        self.platform_id = platform.platform_id
        self.tcb_level = platform.tcb_level
        self.counters = platform.counters
        self.storage = platform.host_storage

    def seal(self, identity, plaintext, policy, counter=None) -> bytes:
        from .sealing import seal
        return seal(self._platform._fuses, self.platform_id, self.tcb_level, identity, plaintext, policy, counter)

    def unseal(self, identity, blob):
        from .sealing import unseal
        return unseal(self._platform._fuses, self.platform_id, self.tcb_level, identity, blob)

    def quote(self, identity: EnclaveIdentity, report_data: bytes, **presented) -> Quote:
        if not isinstance(report_data, bytes) or len(report_data) != REPORT_DATA_BYTES:
            raise MalformedInput(f"report data must be exactly {REPORT_DATA_BYTES} bytes")
        p = self._platform
        unsigned = Quote(p.platform_id, p.tcb_level, identity, report_data, bytes(64))
        der = p._attestation_key.sign(unsigned.signed_bytes(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return Quote(p.platform_id, p.tcb_level, identity, report_data, r.to_bytes(32, "big") + s.to_bytes(32, "big"),
                     certification_data=p.chain, **presented)


def load_chain_file(path: str | os.PathLike) -> CertificateChain:
    """A PEM chain file (leaf first); MalformedInput when unreadable."""
    try:
        return CertificateChain(tuple(load_certificates(Path(path).read_bytes())))
    except OSError as exc:
        raise MalformedInput(f"cannot read {path}: {exc.strerror}") from None

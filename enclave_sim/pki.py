"""The simulated vendor PKI: a root CA, a platform CA, per-platform attestation certificates and a CRL.

Modelled on Intel's DCAP chain (SGX Root CA -> PCK Platform CA -> PCK leaf), with ECDSA P-256 X.509
certificates made by pyca/cryptography, so any X.509 tool (``openssl verify``) can check them:

    root CA (self-signed, pinned by verifiers)
      └── platform CA (issues platform certificates and the CRL)
            └── platform certificate: the platform's attestation key, its platform id and TCB level

The platform id and TCB level ride in a non-critical private extension (OID ``PLATFORM_INFO_OID``) holding
``SEQUENCE { OCTET STRING platform_id (16 bytes), INTEGER tcb_level }`` in DER, the way an Intel PCK
certificate carries its FMSPC and TCB SVNs.
"""
from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from zkescrow.errors import MalformedInput

#: Private-use OID (ITU-T X.667 UUID arc) of the platform-info extension.
PLATFORM_INFO_OID = x509.ObjectIdentifier("2.25.216570608762018124295363026079855406763")
PLATFORM_ID_BYTES = 16
MAX_TCB_LEVEL = 0xFFFF

_ROOT_VALIDITY = _dt.timedelta(days=3650)
_CA_VALIDITY = _dt.timedelta(days=3650)
_PLATFORM_VALIDITY = _dt.timedelta(days=5 * 365)
_CRL_VALIDITY = _dt.timedelta(days=30)
_CLOCK_SKEW = _dt.timedelta(days=1)


def utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


# --- the platform-info extension (tiny DER codec: one SEQUENCE of an OCTET STRING and an INTEGER) ---

def encode_platform_info(platform_id: bytes, tcb_level: int) -> bytes:
    """DER ``SEQUENCE { OCTET STRING platform_id, INTEGER tcb_level }``."""
    if len(platform_id) != PLATFORM_ID_BYTES:
        raise MalformedInput(f"platform id must be {PLATFORM_ID_BYTES} bytes, got {len(platform_id)}")
    if not 0 <= tcb_level <= MAX_TCB_LEVEL:
        raise MalformedInput(f"TCB level must be in [0, {MAX_TCB_LEVEL}], got {tcb_level}")
    octets = b"\x04" + bytes([len(platform_id)]) + platform_id
    magnitude = tcb_level.to_bytes(tcb_level.bit_length() // 8 + 1, "big")   # leading 0 keeps it positive
    integer = b"\x02" + bytes([len(magnitude)]) + magnitude
    body = octets + integer
    return b"\x30" + bytes([len(body)]) + body


def decode_platform_info(der: bytes) -> tuple[bytes, int]:
    """Inverse of ``encode_platform_info``; MalformedInput on anything else."""
    bad = MalformedInput("platform certificate has a malformed platform-info extension")
    if len(der) < 2 or der[0] != 0x30 or der[1] != len(der) - 2:
        raise bad
    body = der[2:]
    if len(body) < 2 + PLATFORM_ID_BYTES or body[0] != 0x04 or body[1] != PLATFORM_ID_BYTES:
        raise bad
    platform_id = body[2:2 + PLATFORM_ID_BYTES]
    rest = body[2 + PLATFORM_ID_BYTES:]
    if len(rest) < 3 or rest[0] != 0x02 or rest[1] != len(rest) - 2 or rest[1] > 3:
        raise bad
    magnitude = rest[2:]
    if magnitude[0] & 0x80 or (len(magnitude) > 1 and magnitude[0] == 0 and not magnitude[1] & 0x80):
        raise bad   # negative or not minimal
    return platform_id, int.from_bytes(magnitude, "big")


def platform_info(certificate: x509.Certificate) -> tuple[bytes, int]:
    """(platform_id, tcb_level) certified in a platform certificate."""
    try:
        ext = certificate.extensions.get_extension_for_oid(PLATFORM_INFO_OID)
    except x509.ExtensionNotFound:
        raise MalformedInput("certificate carries no platform-info extension (not a platform certificate)") from None
    return decode_platform_info(ext.value.value)


# --- PEM helpers ---------------------------------------------------------------------

def load_certificates(pem: bytes | str) -> list[x509.Certificate]:
    """All certificates in a PEM text, in order; MalformedInput if none or unparsable."""
    data = pem.encode() if isinstance(pem, str) else pem
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise MalformedInput(f"cannot parse PEM certificates: {exc}") from None
    return certs


def load_crl(pem: bytes | str) -> x509.CertificateRevocationList:
    data = pem.encode() if isinstance(pem, str) else pem
    try:
        return x509.load_pem_x509_crl(data)
    except ValueError as exc:
        raise MalformedInput(f"cannot parse PEM revocation list: {exc}") from None


def fingerprint(certificate: x509.Certificate) -> bytes:
    """SHA-256 over the certificate's DER encoding (how a verifier pins the root)."""
    return certificate.fingerprint(hashes.SHA256())


def is_directly_issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    """True when ``issuer``'s name and key sign ``certificate``."""
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, _CryptoInvalidSignature):
        return False
    return True


@dataclass(frozen=True)
class CertificateChain:
    """A platform certificate followed by its issuers (leaf first), as a verifier receives it."""
    certificates: tuple[x509.Certificate, ...]

    def __post_init__(self):
        if not self.certificates:
            raise MalformedInput("certificate chain is empty")

    @property
    def leaf(self) -> x509.Certificate:
        return self.certificates[0]

    def to_pem(self) -> str:
        return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in self.certificates)

    @classmethod
    def from_pem(cls, pem: bytes | str) -> "CertificateChain":
        return cls(tuple(load_certificates(pem)))


# --- the vendor ------------------------------------------------------------------------

def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "zkescrow enclave simulator"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _ca_certificate(subject: x509.Name, key, issuer: x509.Name, issuer_key, now, validity, path_length):
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    return (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(issuer).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _CLOCK_SKEW).not_valid_after(now + validity)
            .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(ski, critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                           critical=False)
            .sign(issuer_key, hashes.SHA256()))


class Vendor:
    """The TEE vendor: owns the root CA and the platform CA, certifies platforms, publishes the CRL.

    A verifier trusts only ``root_certificate`` (pinned in its Policy); everything else it receives.
    """

    ROOT_NAME = "zkescrow SimVendor Root CA"
    PLATFORM_CA_NAME = "zkescrow SimVendor Platform CA"

    def __init__(self, root_key, root_certificate, ca_key, ca_certificate, revoked=None):
        self._root_key = root_key
        self._ca_key = ca_key
        self.root_certificate: x509.Certificate = root_certificate
        self.ca_certificate: x509.Certificate = ca_certificate
        self._revoked: dict[int, _dt.datetime] = dict(revoked or {})

    @classmethod
    def create(cls, *, now: _dt.datetime | None = None) -> "Vendor":
        now = now or utcnow()
        root_key = ec.generate_private_key(ec.SECP256R1())
        ca_key = ec.generate_private_key(ec.SECP256R1())
        root_name, ca_name = _name(cls.ROOT_NAME), _name(cls.PLATFORM_CA_NAME)
        root = _ca_certificate(root_name, root_key, root_name, root_key, now, _ROOT_VALIDITY, 1)
        ca = _ca_certificate(ca_name, ca_key, root_name, root_key, now, _CA_VALIDITY, 0)
        return cls(root_key, root, ca_key, ca)

    def certify_platform(self, public_key: ec.EllipticCurvePublicKey, platform_id: bytes, tcb_level: int,
                         *, now: _dt.datetime | None = None) -> x509.Certificate:
        """Issue the platform certificate binding an attestation key to a platform id and TCB level."""
        if not isinstance(public_key, ec.EllipticCurvePublicKey) or public_key.curve.name != "secp256r1":
            raise MalformedInput("platform attestation keys are ECDSA P-256")
        now = now or utcnow()
        info = x509.UnrecognizedExtension(PLATFORM_INFO_OID, encode_platform_info(platform_id, tcb_level))
        return (x509.CertificateBuilder()
                .subject_name(_name(f"zkescrow SimPlatform {platform_id.hex()}"))
                .issuer_name(self.ca_certificate.subject)
                .public_key(public_key)
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - _CLOCK_SKEW).not_valid_after(now + _PLATFORM_VALIDITY)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                             key_encipherment=False, data_encipherment=False, key_agreement=False,
                                             key_cert_sign=False, crl_sign=False, encipher_only=False,
                                             decipher_only=False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self._ca_key.public_key()),
                               critical=False)
                .add_extension(info, critical=False)
                .sign(self._ca_key, hashes.SHA256()))

    def revoke(self, certificate: x509.Certificate, *, now: _dt.datetime | None = None) -> None:
        """Put a platform certificate on the CRL (e.g. its attestation key leaked)."""
        self._revoked[certificate.serial_number] = now or utcnow()

    def crl(self, *, now: _dt.datetime | None = None,
            validity: _dt.timedelta = _CRL_VALIDITY) -> x509.CertificateRevocationList:
        """A fresh CRL signed by the platform CA, valid for ``validity``."""
        now = now or utcnow()
        builder = (x509.CertificateRevocationListBuilder()
                   .issuer_name(self.ca_certificate.subject)
                   .last_update(now - _dt.timedelta(minutes=5)).next_update(now + validity))
        for serial, when in sorted(self._revoked.items()):
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build())
        return builder.sign(self._ca_key, hashes.SHA256())

    def chain_for(self, platform_certificate: x509.Certificate) -> CertificateChain:
        """Leaf, platform CA and root, the PEM chain a platform ships with its quotes."""
        return CertificateChain((platform_certificate, self.ca_certificate, self.root_certificate))

    # --- persistence: the simulator's vendor keeps its CA keys in a directory (files mode 0600) ---

    def save(self, directory: str | os.PathLike) -> None:
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        pem = serialization.Encoding.PEM
        _write_private(d / "root.key", self._root_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        _write_private(d / "platform-ca.key", self._ca_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        (d / "root.pem").write_bytes(self.root_certificate.public_bytes(pem))
        (d / "platform-ca.pem").write_bytes(self.ca_certificate.public_bytes(pem))
        revoked = "".join(f"{serial:x} {when.isoformat()}\n" for serial, when in sorted(self._revoked.items()))
        (d / "revoked.txt").write_text(revoked)
        (d / "platform-ca.crl.pem").write_bytes(self.crl().public_bytes(pem))

    @classmethod
    def load(cls, directory: str | os.PathLike) -> "Vendor":
        d = Path(directory)
        try:
            root_key = serialization.load_pem_private_key((d / "root.key").read_bytes(), None)
            ca_key = serialization.load_pem_private_key((d / "platform-ca.key").read_bytes(), None)
            root = x509.load_pem_x509_certificate((d / "root.pem").read_bytes())
            ca = x509.load_pem_x509_certificate((d / "platform-ca.pem").read_bytes())
            revoked = {}
            for line in (d / "revoked.txt").read_text().splitlines():
                serial, when = line.split()
                revoked[int(serial, 16)] = _dt.datetime.fromisoformat(when)
        except (ValueError, TypeError) as exc:
            raise MalformedInput(f"vendor directory {d} is corrupt: {exc}") from None
        return cls(root_key, root, ca_key, ca, revoked)


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)

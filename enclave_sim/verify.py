"""Quote verification: from a quote, a certificate chain and a policy to a trusted enclave identity and keys.

The checks, in order; each failure raises AttestationError with its own message:

 1. chain      the platform certificate chains, signature by signature, to the pinned vendor root;
               issuers are CAs; every certificate is within its validity period
 2. revocation a CRL from the platform certificate's issuer, signed by it and not expired, does not list it
 3. signature  the quote's ECDSA signature verifies under the certified attestation key
 4. platform   the quote's platform id and TCB level are the certified ones; TCB level >= the policy minimum
 5. enclave    not debug (unless allowed); MRENCLAVE accepted; MRSIGNER, product id accepted; SVN >= minimum
 6. freshness  report data == SHA-512(ed25519 ‖ x25519 ‖ verifier nonce) for the keys the quote presents
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from zkescrow.errors import AttestationError, InvalidSignature, MalformedInput

from .channel import EnclaveChannel
from .enclave import PROGRAM_SIGNATURE_DOMAIN
from .identity import EnclaveIdentity, EnclaveKeys
from .pki import CertificateChain, fingerprint, is_directly_issued_by, platform_info, utcnow
from .policy import Policy
from .quote import Quote, report_data_for

_MAX_CHAIN = 5


@dataclass(frozen=True)
class VerifiedEnclave:
    """An enclave whose quote passed a policy: who it is, where it runs, and its attested keys."""
    identity: EnclaveIdentity
    keys: EnclaveKeys
    platform_id: bytes
    tcb_level: int

    def channel(self) -> EnclaveChannel:
        """A secure channel to this enclave (requests encrypted to its X25519 key, answers checked)."""
        return EnclaveChannel(self.keys.ed25519, self.keys.x25519)

    def verify(self, message: bytes, signature: bytes) -> None:
        """Check a program signature (``EnclaveContext.sign``) by this enclave; InvalidSignature if not."""
        try:
            VerifyKey(self.keys.ed25519).verify(PROGRAM_SIGNATURE_DOMAIN + message, signature)
        except (BadSignatureError, ValueError, TypeError):
            raise InvalidSignature("signature is not by the attested enclave key") from None


def _cn(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


def _path_to_root(chain: CertificateChain, policy: Policy) -> list[x509.Certificate]:
    pinned = policy.root_ca_sha256 or fingerprint(policy.root_ca)
    candidates = list(chain.certificates) + ([policy.root_ca] if policy.root_ca is not None else [])
    path = [chain.leaf]
    while fingerprint(path[-1]) != pinned:
        issuer = next((c for c in candidates if c not in path and is_directly_issued_by(path[-1], c)), None)
        if issuer is None or len(path) >= _MAX_CHAIN:
            raise AttestationError(f"certificate chain does not lead to the pinned vendor root "
                                   f"('{_cn(path[-1])}' has no trusted issuer)")
        path.append(issuer)
    if len(path) < 2:
        raise AttestationError("the platform certificate is the vendor root itself")
    return path


def _check_certificates(path: list[x509.Certificate], now: _dt.datetime) -> None:
    for i, cert in enumerate(path):
        if now < cert.not_valid_before_utc:
            raise AttestationError(f"certificate '{_cn(cert)}' is not valid before {cert.not_valid_before_utc}")
        if now > cert.not_valid_after_utc:
            raise AttestationError(f"certificate '{_cn(cert)}' expired on {cert.not_valid_after_utc}")
        try:
            is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            is_ca = False
        if i > 0 and not is_ca:
            raise AttestationError(f"certificate '{_cn(cert)}' issues certificates but is not a CA")
        if i == 0 and is_ca:
            raise AttestationError(f"certificate '{_cn(cert)}' is a CA, not a platform attestation key")


def _check_revocation(path: list[x509.Certificate], policy: Policy, now: _dt.datetime) -> None:
    for cert, issuer in zip(path, path[1:]):
        crls = [c for c in policy.revocation_lists if c.issuer == issuer.subject]
        if not crls and cert is path[0]:
            raise AttestationError(f"no revocation list from '{_cn(issuer)}' for the platform certificate")
        for crl in crls:
            if not crl.is_signature_valid(issuer.public_key()):
                raise AttestationError(f"revocation list from '{_cn(issuer)}' has an invalid signature")
            if crl.next_update_utc is None or now > crl.next_update_utc:
                raise AttestationError(f"revocation list from '{_cn(issuer)}' expired on {crl.next_update_utc}")
            if crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None:
                what = "platform attestation key" if cert is path[0] else f"certificate '{_cn(cert)}'"
                raise AttestationError(f"{what} is revoked (certificate serial {cert.serial_number:x})")


def verify_quote(quote: Quote, chain: CertificateChain | None, policy: Policy, nonce: bytes | None = None,
                 *, now: _dt.datetime | None = None) -> VerifiedEnclave:
    """Check ``quote`` against ``policy`` (see the module docstring); the trusted identity and keys, or
    AttestationError with the reason.  ``chain`` defaults to the chain embedded in the quote; ``nonce``
    defaults to ``policy.nonce``; one of them is required (MalformedInput otherwise)."""
    now = now or utcnow()
    chain = chain or quote.certification_data
    if chain is None:
        raise MalformedInput("no certificate chain: the quote embeds none and none was given")
    nonce = nonce if nonce is not None else policy.nonce
    if nonce is None:
        raise MalformedInput("no freshness nonce given: pass the nonce the verifier sent to the enclave")

    # 1-2. the platform certificate
    path = _path_to_root(chain, policy)
    _check_certificates(path, now)
    if policy.check_revocation:
        _check_revocation(path, policy, now)
    leaf = path[0]
    key = leaf.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise AttestationError("platform attestation key is not ECDSA P-256")
    platform_id, certified_tcb = platform_info(leaf)

    # 3. the quote signature
    r, s = int.from_bytes(quote.signature[:32], "big"), int.from_bytes(quote.signature[32:], "big")
    try:
        key.verify(encode_dss_signature(r, s), quote.signed_bytes(), ec.ECDSA(hashes.SHA256()))
    except (_CryptoInvalidSignature, ValueError):
        raise AttestationError("quote signature does not verify under the platform attestation key") from None

    # 4. the platform
    if quote.platform_id != platform_id:
        raise AttestationError(f"quote names platform {quote.platform_id.hex()} but the certificate is for "
                               f"{platform_id.hex()}")
    if quote.tcb_level != certified_tcb:
        raise AttestationError(f"quote claims TCB level {quote.tcb_level} but the platform is certified at "
                               f"{certified_tcb}")
    if certified_tcb < policy.min_tcb_level:
        raise AttestationError(f"platform TCB level {certified_tcb} is out of date "
                               f"(policy minimum {policy.min_tcb_level})")

    # 5. the enclave
    ident = quote.identity
    if ident.debug and not policy.allow_debug:
        raise AttestationError("debug enclave rejected: the policy forbids debug enclaves")
    if policy.measurements and ident.mrenclave not in policy.measurements:
        raise AttestationError(f"measurement {ident.mrenclave.hex()} is not an accepted MRENCLAVE")
    if policy.signer is not None and ident.mrsigner != policy.signer:
        raise AttestationError(f"signer {ident.mrsigner.hex()} is not the accepted MRSIGNER")
    if policy.product_id is not None and ident.product_id != policy.product_id:
        raise AttestationError(f"product id {ident.product_id} is not the accepted {policy.product_id}")
    if ident.svn < policy.min_svn:
        raise AttestationError(f"enclave SVN {ident.svn} is below the policy minimum {policy.min_svn}")

    # 6. freshness and key binding
    keys = quote.enclave_keys
    if keys is None:
        raise AttestationError("quote presents no enclave keys to bind")
    if report_data_for(keys, nonce) != quote.report_data:
        if quote.nonce not in (None, nonce) and report_data_for(keys, quote.nonce) == quote.report_data:
            raise AttestationError("quote was made for another nonce (replayed or stale)")
        raise AttestationError("report data does not bind the presented enclave keys and nonce")
    return VerifiedEnclave(ident, keys, platform_id, certified_tcb)

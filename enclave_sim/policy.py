"""A verifier's attestation policy: which enclaves on which platforms it trusts.

TOML form (paths are relative to the policy file)::

    nonce = "…hex…"                       # optional: the freshness nonce, if not given to verify_quote

    [enclave]
    mrenclave = ["…64 hex…"]              # accepted measurements (may be empty if mrsigner is set)
    mrsigner = "…64 hex…"                 # accepted signer (optional if mrenclave is set)
    product_id = 1                        # optional
    min_svn = 1                           # default 0
    allow_debug = false                   # default false: debug enclaves are rejected

    [platform]
    root_ca = "vendor/root.pem"           # the pinned vendor root (or root_ca_sha256 = "…hex…")
    min_tcb_level = 2                     # default 0
    crl = ["vendor/platform-ca.crl.pem"]  # revocation lists; required unless check_revocation = false
    check_revocation = true
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509

from zkescrow.errors import MalformedInput

from .pki import load_certificates, load_crl


@dataclass(frozen=True)
class Policy:
    """What ``verify_quote`` accepts.  Give ``measurements`` or ``signer`` (or both)."""
    measurements: frozenset[bytes] = frozenset()
    signer: bytes | None = None
    product_id: int | None = None
    min_svn: int = 0
    allow_debug: bool = False
    min_tcb_level: int = 0
    root_ca: x509.Certificate | None = None
    root_ca_sha256: bytes | None = None
    revocation_lists: tuple[x509.CertificateRevocationList, ...] = ()
    check_revocation: bool = True
    nonce: bytes | None = None

    def __post_init__(self):
        object.__setattr__(self, "measurements", frozenset(self.measurements))
        object.__setattr__(self, "revocation_lists", tuple(self.revocation_lists))
        if not self.measurements and self.signer is None:
            raise MalformedInput("policy accepts any enclave: give accepted measurements or a signer")
        if any(len(m) != 32 for m in self.measurements) or (self.signer is not None and len(self.signer) != 32):
            raise MalformedInput("policy measurements and signer are 32-byte SHA-256 values")
        if self.root_ca is None and self.root_ca_sha256 is None:
            raise MalformedInput("policy pins no vendor root (root_ca or root_ca_sha256)")
        if self.check_revocation and not self.revocation_lists:
            raise MalformedInput("policy checks revocation but lists no CRL (crl = [...])")
        for name in ("min_svn", "min_tcb_level"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 0xFFFF:
                raise MalformedInput(f"policy {name} must be an integer in [0, 65535]")

    @classmethod
    def for_identity(cls, identity, *, root_ca: x509.Certificate,
                     revocation_lists: tuple[x509.CertificateRevocationList, ...], min_tcb_level: int = 0,
                     nonce: bytes | None = None) -> "Policy":
        """A production policy accepting exactly one build: its MRENCLAVE, MRSIGNER, product id and SVN or later."""
        return cls(measurements=frozenset({identity.mrenclave}), signer=identity.mrsigner,
                   product_id=identity.product_id, min_svn=identity.svn, allow_debug=False,
                   min_tcb_level=min_tcb_level, root_ca=root_ca, revocation_lists=tuple(revocation_lists),
                   nonce=nonce)

    @classmethod
    def from_toml(cls, path: str | os.PathLike) -> "Policy":
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text())
        except OSError as exc:
            raise MalformedInput(f"cannot read policy {p}: {exc.strerror}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise MalformedInput(f"policy {p} is not valid TOML: {exc}") from None
        return cls.from_dict(data, base_dir=p.parent)

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, base_dir: str | os.PathLike = ".") -> "Policy":
        base = Path(base_dir)
        _only(data, {"nonce", "enclave", "platform"}, "policy")
        enclave = data.get("enclave", {})
        platform = data.get("platform", {})
        _only(enclave, {"mrenclave", "mrsigner", "product_id", "min_svn", "allow_debug"}, "[enclave]")
        _only(platform, {"root_ca", "root_ca_sha256", "min_tcb_level", "crl", "check_revocation"}, "[platform]")
        measurements = enclave.get("mrenclave", [])
        if isinstance(measurements, str):
            measurements = [measurements]
        if not isinstance(measurements, list):
            raise MalformedInput("policy [enclave] mrenclave must be a list of hex strings")
        root_ca = None
        if "root_ca" in platform:
            certs = load_certificates(_read(base, platform["root_ca"]))
            if len(certs) != 1:
                raise MalformedInput("policy root_ca must hold exactly one certificate")
            root_ca = certs[0]
        crls = platform.get("crl", [])
        if isinstance(crls, str):
            crls = [crls]
        if not isinstance(crls, list):
            raise MalformedInput("policy [platform] crl must be a list of paths")
        return cls(
            measurements=frozenset(_hexval(m, "mrenclave") for m in measurements),
            signer=_hexval(enclave["mrsigner"], "mrsigner") if "mrsigner" in enclave else None,
            product_id=_int(enclave.get("product_id"), "product_id", optional=True),
            min_svn=_int(enclave.get("min_svn", 0), "min_svn"),
            allow_debug=_bool(enclave.get("allow_debug", False), "allow_debug"),
            min_tcb_level=_int(platform.get("min_tcb_level", 0), "min_tcb_level"),
            root_ca=root_ca,
            root_ca_sha256=_hexval(platform["root_ca_sha256"], "root_ca_sha256")
            if "root_ca_sha256" in platform else None,
            revocation_lists=tuple(load_crl(_read(base, c)) for c in crls),
            check_revocation=_bool(platform.get("check_revocation", True), "check_revocation"),
            nonce=_hexval(data["nonce"], "nonce") if "nonce" in data else None)


def _only(table: Any, allowed: set[str], where: str) -> None:
    if not isinstance(table, dict):
        raise MalformedInput(f"{where} must be a table")
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise MalformedInput(f"unknown key(s) in {where}: {', '.join(unknown)}")


def _read(base: Path, relative: Any) -> bytes:
    if not isinstance(relative, str):
        raise MalformedInput("policy paths must be strings")
    try:
        return (base / relative).read_bytes()
    except OSError as exc:
        raise MalformedInput(f"cannot read {base / relative}: {exc.strerror}") from None


def _hexval(value: Any, name: str) -> bytes:
    if not isinstance(value, str):
        raise MalformedInput(f"policy {name} must be a hex string")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise MalformedInput(f"policy {name} is not valid hex") from None


def _int(value: Any, name: str, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise MalformedInput(f"policy {name} must be an integer")
    return value


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise MalformedInput(f"policy {name} must be true or false")
    return value

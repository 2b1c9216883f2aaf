"""The vendor PKI is ordinary X.509: OpenSSL verifies the chain and honours the CRL exactly as we do."""
import shutil
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from enclave_sim import CertificateChain, Platform, Policy, Vendor
from enclave_sim.pki import (PLATFORM_INFO_OID, decode_platform_info, encode_platform_info, fingerprint,
                             platform_info)
from zkescrow.errors import MalformedInput

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


@pytest.fixture
def vendor():
    return Vendor.create()


def _pem(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _openssl_verify(tmp_path, vendor, platform, crl=None):
    (tmp_path / "root.pem").write_bytes(_pem(vendor.root_certificate))
    (tmp_path / "ca.pem").write_bytes(_pem(vendor.ca_certificate))
    (tmp_path / "leaf.pem").write_bytes(_pem(platform.certificate))
    args = ["openssl", "verify", "-x509_strict", "-CAfile", "root.pem", "-untrusted", "ca.pem"]
    if crl is not None:
        (tmp_path / "crl.pem").write_bytes(crl.public_bytes(serialization.Encoding.PEM))
        args += ["-crl_check", "-CRLfile", "crl.pem"]
    return subprocess.run(args + ["leaf.pem"], cwd=tmp_path, capture_output=True, text=True)


@needs_openssl
def test_openssl_accepts_the_chain_and_rejects_a_revoked_platform(tmp_path, vendor):
    platform = Platform.create(tmp_path / "p", vendor, tcb_level=4)
    ok = _openssl_verify(tmp_path, vendor, platform, crl=vendor.crl())
    assert ok.returncode == 0 and "leaf.pem: OK" in ok.stdout, ok.stdout + ok.stderr
    vendor.revoke(platform.certificate)
    revoked = _openssl_verify(tmp_path, vendor, platform, crl=vendor.crl())
    assert revoked.returncode != 0 and "certificate revoked" in revoked.stdout + revoked.stderr


@needs_openssl
def test_openssl_rejects_a_platform_of_another_vendor(tmp_path, vendor):
    rogue = Vendor.create()
    platform = Platform.create(tmp_path / "p", rogue)
    (tmp_path / "root.pem").write_bytes(_pem(vendor.root_certificate))
    (tmp_path / "ca.pem").write_bytes(_pem(rogue.ca_certificate))
    (tmp_path / "leaf.pem").write_bytes(_pem(platform.certificate))
    out = subprocess.run(["openssl", "verify", "-CAfile", "root.pem", "-untrusted", "ca.pem", "leaf.pem"],
                         cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode != 0


def test_platform_certificate_carries_id_and_tcb_level(tmp_path, vendor):
    platform = Platform.create(tmp_path / "p", vendor, tcb_level=300)
    assert platform_info(platform.certificate) == (platform.platform_id, 300)
    ext = platform.certificate.extensions.get_extension_for_oid(PLATFORM_INFO_OID)
    assert not ext.critical
    assert CertificateChain.from_pem(platform.chain.to_pem()) == platform.chain
    assert [c.subject for c in platform.chain.certificates[1:]] == [vendor.ca_certificate.subject,
                                                                    vendor.root_certificate.subject]


@pytest.mark.parametrize("level", [0, 1, 127, 128, 255, 256, 0xFFFF])
def test_platform_info_der_roundtrip(level):
    pid = bytes(range(16))
    der = encode_platform_info(pid, level)
    assert decode_platform_info(der) == (pid, level)


@pytest.mark.parametrize("der", [b"", b"\x30\x00", b"\x30\x15\x04\x10" + bytes(16) + b"\x02\x01\x80",
                                 b"\x30\x16\x04\x10" + bytes(16) + b"\x02\x02\x00\x05"])
def test_malformed_platform_info_is_rejected(der):
    with pytest.raises(MalformedInput, match="malformed platform-info"):
        decode_platform_info(der)


def test_vendor_survives_save_and_load(tmp_path, vendor):
    platform = Platform.create(tmp_path / "p", vendor)
    vendor.revoke(platform.certificate)
    vendor.save(tmp_path / "vendor")
    again = Vendor.load(tmp_path / "vendor")
    assert fingerprint(again.root_certificate) == fingerprint(vendor.root_certificate)
    crl = x509.load_pem_x509_crl((tmp_path / "vendor" / "platform-ca.crl.pem").read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(platform.certificate.serial_number) is not None
    assert again.crl().get_revoked_certificate_by_serial_number(platform.certificate.serial_number) is not None
    assert (tmp_path / "vendor" / "root.key").stat().st_mode & 0o077 == 0


def test_policy_from_toml(tmp_path, vendor):
    vendor.save(tmp_path / "vendor")
    m = "ab" * 32
    (tmp_path / "policy.toml").write_text(
        f'nonce = "{"00" * 16}"\n[enclave]\nmrenclave = ["{m}"]\nproduct_id = 2\nmin_svn = 3\n'
        f'[platform]\nroot_ca = "vendor/root.pem"\nmin_tcb_level = 4\ncrl = ["vendor/platform-ca.crl.pem"]\n')
    policy = Policy.from_toml(tmp_path / "policy.toml")
    assert policy.measurements == {bytes.fromhex(m)} and policy.signer is None
    assert (policy.product_id, policy.min_svn, policy.min_tcb_level, policy.allow_debug) == (2, 3, 4, False)
    assert policy.root_ca == vendor.root_certificate and policy.nonce == bytes(16)
    assert len(policy.revocation_lists) == 1


@pytest.mark.parametrize("text, reason", [
    ('[enclave]\nmrenclave = ["ab"]\nallow_debugg = true\n', "unknown key"),
    ('[enclave]\nmrsigner = "' + "00" * 32 + '"\n', "pins no vendor root"),
    ('[platform]\nroot_ca_sha256 = "' + "00" * 32 + '"\ncheck_revocation = false\n', "accepts any enclave"),
    ('[enclave]\nmrsigner = "' + "00" * 32 + '"\n[platform]\nroot_ca_sha256 = "' + "00" * 32 + '"\n', "no CRL"),
    ('[enclave\n', "not valid TOML"),
    ('[enclave]\nmrsigner = "zz"\n', "not valid hex"),
])
def test_bad_policies_are_malformed_input(tmp_path, text, reason):
    (tmp_path / "policy.toml").write_text(text)
    with pytest.raises(MalformedInput, match=reason):
        Policy.from_toml(tmp_path / "policy.toml")

"""Remote attestation: every attack on a quote fails with its own precise AttestationError.

Also: the quote's binary layout sits at the SGX offsets of protocols.md §6.1, and its ECDSA signature verifies
with OpenSSL (an independent implementation) over header ‖ body.
"""
import datetime as dt
import secrets
import shutil
import subprocess
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from enclave_sim import (CertificateChain, EnclaveKeys, EnclaveSigner, Platform, Policy, ProgramImage, Quote,
                         Vendor, report_data_for, verify_quote)
from enclave_sim.quote import BODY, HEADER
from zkescrow.errors import AttestationError, MalformedInput

KVSTORE = "enclave_sim.examples.kvstore"


@pytest.fixture(scope="module")
def vendor():
    return Vendor.create()


@pytest.fixture(scope="module")
def signer():
    return EnclaveSigner.generate()


@pytest.fixture(scope="module")
def image():
    return ProgramImage.load(KVSTORE)


@pytest.fixture
def platform(tmp_path, vendor):
    return Platform.create(tmp_path / "platform", vendor, tcb_level=2)


@pytest.fixture
def enclave(platform, image, signer):
    return platform.launch(image, signer.sign(image, product_id=7, svn=3))


def production_policy(vendor, image, signer, **overrides):
    fields = dict(measurements={image.measurement}, signer=signer.mrsigner, product_id=7, min_svn=3,
                  min_tcb_level=2, root_ca=vendor.root_certificate, revocation_lists=[vendor.crl()])
    fields.update(overrides)
    return Policy(**fields)


def nonce():
    return secrets.token_bytes(32)


def test_genuine_quote_verifies_and_yields_the_attested_identity_and_keys(enclave, vendor, image, signer, platform):
    n = nonce()
    trusted = verify_quote(enclave.attest(n), platform.chain, production_policy(vendor, image, signer), n)
    assert trusted.identity == enclave.identity
    assert trusted.keys == enclave.public_keys
    assert trusted.platform_id == platform.platform_id and trusted.tcb_level == 2


def test_quote_json_roundtrip_and_embedded_chain(enclave, vendor, image, signer):
    n = nonce()
    quote = enclave.attest(n)
    again = Quote.from_json(quote.to_json())
    assert again == quote
    assert verify_quote(again, None, production_policy(vendor, image, signer), n).keys == enclave.public_keys


def test_quote_binary_layout_uses_sgx_offsets(enclave):
    quote = enclave.quote(bytes(range(64)))
    raw = quote.to_bytes()
    assert HEADER.size == 48 and BODY.size == 384 and len(raw) == 48 + 384 + 64
    body = raw[48:48 + 384]
    assert int.from_bytes(raw[0:2], "little") == 3            # version
    assert int.from_bytes(raw[2:4], "little") == 2            # ECDSA-P256
    assert body[64:96] == enclave.identity.mrenclave          # MRENCLAVE @ 64
    assert body[128:160] == enclave.identity.mrsigner         # MRSIGNER @ 128
    assert int.from_bytes(body[256:258], "little") == 7       # ISVPRODID @ 256
    assert int.from_bytes(body[258:260], "little") == 3       # ISVSVN @ 258
    assert body[320:384] == bytes(range(64))                  # REPORTDATA @ 320
    flags = int.from_bytes(body[48:56], "little")
    assert flags & 0x1 and not flags & 0x2                    # INITTED, not DEBUG
    parsed = Quote.from_bytes(raw)
    assert parsed.identity == quote.identity and parsed.signature == quote.signature


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_quote_signature_verifies_with_openssl(enclave, platform, tmp_path):
    quote = enclave.attest(nonce())
    r, s = int.from_bytes(quote.signature[:32], "big"), int.from_bytes(quote.signature[32:], "big")
    (tmp_path / "msg").write_bytes(quote.signed_bytes())
    (tmp_path / "sig").write_bytes(encode_dss_signature(r, s))
    (tmp_path / "pub.pem").write_bytes(platform.certificate.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    ok = subprocess.run(["openssl", "dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig", "msg"],
                        cwd=tmp_path, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    (tmp_path / "msg").write_bytes(quote.signed_bytes()[:-1] + bytes([quote.signed_bytes()[-1] ^ 1]))
    bad = subprocess.run(["openssl", "dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig", "msg"],
                         cwd=tmp_path, capture_output=True, text=True)
    assert bad.returncode != 0


def test_report_data_is_sha512_of_keys_and_nonce(enclave):
    n = nonce()
    import hashlib
    keys = enclave.public_keys
    assert enclave.attest(n).report_data == hashlib.sha512(keys.ed25519 + keys.x25519 + n).digest()


# --- the attacks --------------------------------------------------------------------------

def test_modified_enclave_code_is_rejected_by_measurement(platform, vendor, image, signer):
    source = image.source.replace(b'config = {"max_keys": 64}', b'config = {"max_keys": 64}\n    leak = True')
    assert source != image.source
    tampered = ProgramImage.from_source(source, origin="tampered_kvstore.py")
    assert tampered.measurement != image.measurement
    running = platform.launch(tampered, signer.sign(tampered, product_id=7, svn=3))
    n = nonce()
    with pytest.raises(AttestationError, match=f"measurement {tampered.measurement.hex()} is not an accepted"):
        verify_quote(running.attest(n), platform.chain, production_policy(vendor, image, signer), n)


def test_debug_enclave_is_rejected_by_a_production_policy(platform, vendor, image, signer):
    running = platform.launch(image, signer.sign(image, product_id=7, svn=3), debug=True)
    n = nonce()
    quote = running.attest(n)
    assert quote.identity.debug
    with pytest.raises(AttestationError, match="debug enclave rejected"):
        verify_quote(quote, platform.chain, production_policy(vendor, image, signer), n)
    assert verify_quote(quote, platform.chain, production_policy(vendor, image, signer, allow_debug=True), n)


def test_stale_tcb_is_rejected_until_the_platform_is_recertified(platform, enclave, vendor, image, signer):
    n = nonce()
    policy = production_policy(vendor, image, signer, min_tcb_level=3)
    with pytest.raises(AttestationError, match=r"platform TCB level 2 is out of date \(policy minimum 3\)"):
        verify_quote(enclave.attest(n), platform.chain, policy, n)
    platform.recertify(vendor, 3)                      # TCB recovery: microcode update, new certificate
    relaunched = Platform.open(platform.directory).launch(image, signer.sign(image, product_id=7, svn=3))
    assert verify_quote(relaunched.attest(n), None, policy, n).tcb_level == 3


def test_host_lying_about_its_tcb_level_is_caught(platform, vendor, image, signer):
    platform.tcb_level = 9                             # the host edits what the quoting code reports
    running = platform.launch(image, signer.sign(image, product_id=7, svn=3))
    n = nonce()
    with pytest.raises(AttestationError, match="quote claims TCB level 9 but the platform is certified at 2"):
        verify_quote(running.attest(n), None, production_policy(vendor, image, signer), n)


def test_revoked_platform_key_is_rejected(platform, enclave, vendor, image, signer):
    n = nonce()
    quote = enclave.attest(n)
    other = Vendor.create()
    other.revoke(platform.certificate)                 # revoking elsewhere changes nothing here
    assert verify_quote(quote, None, production_policy(vendor, image, signer), n)
    vendor.revoke(platform.certificate)
    try:
        with pytest.raises(AttestationError, match="platform attestation key is revoked"):
            verify_quote(quote, None, production_policy(vendor, image, signer, revocation_lists=[vendor.crl()]), n)
    finally:
        vendor._revoked.clear()


def test_quote_from_a_platform_of_an_unknown_root_is_rejected(tmp_path, vendor, image, signer):
    rogue_vendor = Vendor.create()                     # same subject names, different keys
    rogue = Platform.create(tmp_path / "rogue", rogue_vendor, tcb_level=2)
    running = rogue.launch(image, signer.sign(image, product_id=7, svn=3))
    n = nonce()
    policy = production_policy(vendor, image, signer)
    with pytest.raises(AttestationError, match="certificate chain does not lead to the pinned vendor root"):
        verify_quote(running.attest(n), None, policy, n)
    # A genuine chain does not help a quote signed by the rogue platform's key either.
    genuine = Platform.create(tmp_path / "genuine", vendor, tcb_level=2)
    with pytest.raises(AttestationError, match="quote signature does not verify"):
        verify_quote(replace(running.attest(n), platform_id=genuine.platform_id), genuine.chain, policy, n)


def test_replayed_quote_with_an_old_nonce_is_rejected(enclave, vendor, image, signer):
    old = nonce()
    quote = enclave.attest(old)
    with pytest.raises(AttestationError, match=r"quote was made for another nonce \(replayed or stale\)"):
        verify_quote(quote, None, production_policy(vendor, image, signer), nonce())


def test_report_data_not_binding_the_presented_keys_is_rejected(enclave, vendor, image, signer):
    n = nonce()
    quote = enclave.attest(n)
    attacker = EnclaveKeys(secrets.token_bytes(32), secrets.token_bytes(32))
    with pytest.raises(AttestationError, match="report data does not bind the presented enclave keys and nonce"):
        verify_quote(replace(quote, enclave_keys=attacker), None, production_policy(vendor, image, signer), n)
    # The same with a quote over arbitrary report data: the enclave's keys are not bound.
    loose = replace(enclave.quote(bytes(64)), enclave_keys=enclave.public_keys, nonce=n)
    with pytest.raises(AttestationError, match="report data does not bind"):
        verify_quote(loose, None, production_policy(vendor, image, signer), n)
    assert report_data_for(enclave.public_keys, n) == quote.report_data


@pytest.mark.parametrize("where", ["body", "signature"])
def test_flipped_byte_breaks_the_signature(enclave, vendor, image, signer, where):
    n = nonce()
    quote = enclave.attest(n)
    if where == "body":
        forged = replace(quote, identity=replace(quote.identity, svn=quote.identity.svn + 1))
    else:
        forged = replace(quote, signature=quote.signature[:10] + bytes([quote.signature[10] ^ 1])
                         + quote.signature[11:])
    with pytest.raises(AttestationError, match="quote signature does not verify under the platform attestation key"):
        verify_quote(forged, None, production_policy(vendor, image, signer), n)


def test_wrong_signer_product_and_low_svn_are_rejected(tmp_path, vendor, image, signer):
    n = nonce()

    def attest(name, signed_by, product_id, svn):
        machine = Platform.create(tmp_path / name, vendor, tcb_level=2)
        return machine.launch(image, signed_by.sign(image, product_id=product_id, svn=svn)).attest(n)

    other_signer = EnclaveSigner.generate()
    q = attest("a", other_signer, 7, 3)
    with pytest.raises(AttestationError, match=f"signer {other_signer.mrsigner.hex()} is not the accepted MRSIGNER"):
        verify_quote(q, None, production_policy(vendor, image, signer), n)
    q = attest("b", signer, 8, 3)
    with pytest.raises(AttestationError, match="product id 8 is not the accepted 7"):
        verify_quote(q, None, production_policy(vendor, image, signer), n)
    q = attest("c", signer, 7, 2)
    with pytest.raises(AttestationError, match="enclave SVN 2 is below the policy minimum 3"):
        verify_quote(q, None, production_policy(vendor, image, signer), n)
    # Signer-based policy (any measurement of this signer): a new build passes.
    assert verify_quote(q, None, production_policy(vendor, image, signer, measurements=(), min_svn=2), n)


def test_expired_or_foreign_crl_is_rejected(enclave, vendor, image, signer):
    n = nonce()
    quote = enclave.attest(n)
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=45)
    with pytest.raises(AttestationError, match="revocation list from 'zkescrow SimVendor Platform CA' expired"):
        verify_quote(quote, None, production_policy(vendor, image, signer), n, now=later)
    foreign = Vendor.create().crl()                    # same issuer name, signed by another key
    with pytest.raises(AttestationError, match="has an invalid signature"):
        verify_quote(quote, None, production_policy(vendor, image, signer, revocation_lists=[foreign]), n)


def test_expired_platform_certificate_is_rejected(enclave, vendor, image, signer):
    n = nonce()
    far = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=6 * 365)
    with pytest.raises(AttestationError, match="expired on"):
        verify_quote(enclave.attest(n), None, production_policy(vendor, image, signer), n, now=far)


def test_chain_that_is_just_the_root_is_rejected(enclave, vendor, image, signer):
    n = nonce()
    with pytest.raises(AttestationError, match="platform certificate is the vendor root itself"):
        verify_quote(enclave.attest(n), CertificateChain((vendor.root_certificate,)),
                     production_policy(vendor, image, signer), n)


def test_missing_nonce_and_malformed_quote_json_are_malformed_input(enclave, vendor, image, signer):
    with pytest.raises(MalformedInput, match="no freshness nonce"):
        verify_quote(enclave.attest(nonce()), None, production_policy(vendor, image, signer))
    obj = enclave.attest(nonce()).to_dict()
    obj["surprise"] = 1
    with pytest.raises(MalformedInput, match="unknown fields: surprise"):
        Quote.from_dict(obj)
    with pytest.raises(MalformedInput, match="report data must be 64 bytes"):
        Quote.from_dict({**enclave.attest(nonce()).to_dict(), "report_data": "00"})

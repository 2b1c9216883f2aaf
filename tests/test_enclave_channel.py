"""The secure channel from a verified quote: requests only the attested enclave opens, answers only it signs.

Response and program signatures are also checked with pyca/cryptography's Ed25519 (OpenSSL), independent of
the libsodium code that made them.
"""
import json
import secrets

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from nacl.signing import SigningKey

from enclave_sim import EnclaveSigner, Platform, Policy, ProgramImage, Vendor, verify_quote
from enclave_sim.channel import RESPONSE_DOMAIN, sign_response
from enclave_sim.enclave import PROGRAM_SIGNATURE_DOMAIN
from zkescrow.errors import InvalidSignature, MalformedInput, SecureChannelError, ZkEscrowError


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    vendor, signer = Vendor.create(), EnclaveSigner.generate()
    image = ProgramImage.load("enclave_sim.examples.kvstore")
    platform = Platform.create(tmp_path_factory.mktemp("channel") / "platform", vendor)
    sig = signer.sign(image, product_id=1, svn=1)
    enclave = platform.launch(image, sig)
    policy = Policy.for_identity(enclave.identity, root_ca=vendor.root_certificate, revocation_lists=[vendor.crl()])
    n = secrets.token_bytes(32)
    trusted = verify_quote(enclave.attest(n), None, policy, n)
    twin = Platform.create(tmp_path_factory.mktemp("twin") / "platform", vendor).launch(image, sig)
    return enclave, trusted, twin


def test_encrypted_call_returns_the_signed_result(setup):
    enclave, trusted, _ = setup
    channel = trusted.channel()
    assert channel.call(enclave.handle, "put", "meter", "12.5 kWh") >= 1
    assert channel.call(enclave.handle, "get", "meter") == "12.5 kWh"
    assert enclave.call("get", "meter") == "12.5 kWh"


def test_request_is_opaque_to_the_host(setup):
    _, trusted, _ = setup
    request = trusted.channel().request("put", "pin", "8472")
    assert b"8472" not in request and b"put" not in request


def test_message_encrypted_to_a_different_key_is_refused(setup):
    enclave, trusted, twin = setup
    # Same code, same signer, but another instance (another key): the host reroutes the request there.
    assert twin.identity == enclave.identity and twin.public_keys != enclave.public_keys
    request = trusted.channel().request("get", "meter")
    with pytest.raises(SecureChannelError, match="request is not encrypted to this enclave's attested key"):
        twin.handle(request)
    tampered = request[:-1] + bytes([request[-1] ^ 1])
    with pytest.raises(SecureChannelError, match="not encrypted to this enclave's attested key"):
        enclave.handle(tampered)


def test_response_signed_by_a_non_attested_key_is_refused(setup):
    enclave, trusted, twin = setup
    channel = trusted.channel()
    request = channel.request("get", "meter")
    forged = sign_response(SigningKey.generate(), request, result="0 kWh")
    with pytest.raises(InvalidSignature, match="response is not signed by the attested enclave key"):
        channel.open_response(request, forged)
    # A genuine enclave of the same build, but not the attested instance, is not trusted either.
    twin_request = channel.request("get", "meter")
    with pytest.raises(InvalidSignature, match="not signed by the attested enclave key"):
        channel.open_response(twin_request, sign_response(SigningKey(secrets.token_bytes(32)), twin_request,
                                                          result=None))


def test_response_to_another_request_is_refused(setup):
    enclave, trusted, _ = setup
    channel = trusted.channel()
    first, second = channel.request("get", "meter"), channel.request("size")
    answer_to_first = enclave.handle(first)
    with pytest.raises(SecureChannelError, match="response answers a different request"):
        channel.open_response(second, answer_to_first)


def test_ecall_errors_come_back_signed_and_typed(setup):
    enclave, trusted, _ = setup
    channel = trusted.channel()
    with pytest.raises(MalformedInput, match="enclave: enclave has no ecall 'forget_everything'"):
        channel.call(enclave.handle, "forget_everything")
    with pytest.raises(ZkEscrowError, match="keys and values are strings"):
        channel.call(enclave.handle, "put", "k", 5)


def test_signatures_verify_with_an_independent_ed25519(setup):
    enclave, trusted, _ = setup
    channel = trusted.channel()
    request = channel.request("signed_get", "meter")
    response = json.loads(enclave.handle(request))
    public = Ed25519PublicKey.from_public_bytes(trusted.keys.ed25519)
    public.verify(bytes.fromhex(response["signature"]), RESPONSE_DOMAIN + response["body"].encode())
    result = channel.open_response(request, json.dumps(response).encode())
    message = f"meter={result['value']}".encode()
    public.verify(bytes.fromhex(result["signature"]), PROGRAM_SIGNATURE_DOMAIN + message)
    trusted.verify(message, bytes.fromhex(result["signature"]))
    with pytest.raises(InvalidSignature, match="signature is not by the attested enclave key"):
        trusted.verify(b"meter=0", bytes.fromhex(result["signature"]))

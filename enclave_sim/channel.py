"""The secure channel to an attested enclave: encrypted requests in, signed responses out.

Request  = client_ephemeral_x25519_pk[32] ‖ Box(client_sk, enclave_x25519_pk).encrypt(JSON{method, args, kwargs})
           (pynacl Box: X25519 + XSalsa20-Poly1305, so only the attested enclave key opens it and any change
           to it is detected).
Response = JSON {"body": text, "signature": hex}, body = JSON{"request": SHA-256(request) hex, "ok": bool,
           "result": value | null, "error": {"type", "message"} | null}; signature = Ed25519 by the attested
           enclave key over "zkescrow/enclave_sim/response/v1" 0x00 ‖ body.  The request hash binds each answer
           to its question.

Replay of a request by the host is not prevented here: an ecall that must not run twice carries its own
sequence number or nonce (as the escrow's monotone channel nonces do).
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Callable

import nacl.exceptions
from nacl.public import Box, PrivateKey, PublicKey
from nacl.signing import SigningKey, VerifyKey

from zkescrow import errors
from zkescrow.errors import InvalidSignature, MalformedInput, SecureChannelError

RESPONSE_DOMAIN = b"zkescrow/enclave_sim/response/v1\x00"


def _json(value: Any) -> bytes:
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()
    except (TypeError, ValueError) as exc:
        raise MalformedInput(f"secure-channel values must be JSON: {exc}") from None


def request_hash(request: bytes) -> str:
    return hashlib.sha256(request).hexdigest()


# --- enclave side ----------------------------------------------------------------------

def open_request(agreement_key: PrivateKey, request: bytes) -> tuple[str, list, dict]:
    """Decrypt a request sent to this enclave: (method, args, kwargs), or SecureChannelError."""
    if not isinstance(request, bytes) or len(request) < 32 + Box.NONCE_SIZE + 16:
        raise SecureChannelError("request is too short to be a secure-channel message")
    try:
        plaintext = Box(agreement_key, PublicKey(request[:32])).decrypt(request[32:])
    except nacl.exceptions.CryptoError:
        raise SecureChannelError("request is not encrypted to this enclave's attested key "
                                 "(or was modified in transit)") from None
    try:
        message = json.loads(plaintext)
        method, args, kwargs = message["method"], message["args"], message["kwargs"]
    except (ValueError, KeyError, TypeError):
        raise MalformedInput("secure-channel request is not a method call") from None
    if not isinstance(method, str) or not isinstance(args, list) or not isinstance(kwargs, dict):
        raise MalformedInput("secure-channel request is not a method call")
    return method, args, kwargs


def sign_response(signing_key: SigningKey, request: bytes, *, result: Any = None,
                  error: BaseException | None = None) -> bytes:
    """The signed answer to ``request``: a result, or the error the ecall raised."""
    body = {"request": request_hash(request), "ok": error is None,
            "result": result if error is None else None,
            "error": None if error is None else {"type": type(error).__name__, "message": str(error)}}
    text = _json(body)
    signature = signing_key.sign(RESPONSE_DOMAIN + text).signature
    return _json({"body": text.decode(), "signature": signature.hex()})


# --- client side ----------------------------------------------------------------------

class EnclaveChannel:
    """A client's channel to one verified enclave (make it with ``VerifiedEnclave.channel()``)."""

    def __init__(self, enclave_ed25519: bytes, enclave_x25519: bytes):
        self._verify_key = VerifyKey(enclave_ed25519)
        self._client_key = PrivateKey.generate()
        self._box = Box(self._client_key, PublicKey(enclave_x25519))

    def request(self, method: str, *args: Any, **kwargs: Any) -> bytes:
        """An encrypted call of ecall ``method`` for the host to deliver to ``Enclave.handle``."""
        plaintext = _json({"method": method, "args": list(args), "kwargs": kwargs})
        return bytes(self._client_key.public_key) + bytes(self._box.encrypt(plaintext))

    def open_response(self, request: bytes, response: bytes) -> Any:
        """Check the enclave's signed answer to ``request``; return its result or raise the ecall's error."""
        try:
            outer = json.loads(response)
            body_text, signature = outer["body"], bytes.fromhex(outer["signature"])
            body_bytes = body_text.encode()
        except (ValueError, KeyError, TypeError, AttributeError):
            raise MalformedInput("secure-channel response is not a signed JSON message") from None
        try:
            self._verify_key.verify(RESPONSE_DOMAIN + body_bytes, signature)
        except (nacl.exceptions.BadSignatureError, ValueError, TypeError):
            raise InvalidSignature("response is not signed by the attested enclave key") from None
        body = json.loads(body_text)
        if body.get("request") != request_hash(request):
            raise SecureChannelError("response answers a different request")
        if body.get("ok"):
            return body.get("result")
        error = body.get("error") or {}
        cls = getattr(errors, str(error.get("type")), None)
        if not (isinstance(cls, type) and issubclass(cls, errors.ZkEscrowError)):
            cls = errors.ZkEscrowError
        raise cls(f"enclave: {error.get('message', 'call failed')}")

    def call(self, transport: Callable[[bytes], bytes], method: str, *args: Any, **kwargs: Any) -> Any:
        """request -> transport (the untrusted host, e.g. ``enclave.handle``) -> checked result."""
        req = self.request(method, *args, **kwargs)
        return self.open_response(req, transport(req))

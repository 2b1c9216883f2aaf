"""Enclave registration on the ledger: a quote, checked against the ledger's policy, plus the enclave's EdDSA key.

Body of a ``register_enclave`` transaction::

    quote              the enclave's quote (enclave_sim Quote JSON, certificate chain embedded)
    nonce              hex hash of a recent block: the freshness nonce the quote binds
    eddsa_key          hex packed Baby Jubjub public key the enclave signs releases with
    eddsa_endorsement  hex Ed25519 signature by the attested key over ENDORSEMENT_DOMAIN ‖ eddsa_key

The quote binds the enclave's Ed25519 and X25519 keys to the nonce; the
endorsement binds its Baby Jubjub key to the attested Ed25519 key.
"""
from __future__ import annotations

from circuits.crypto.babyjub import Point
from enclave_sim import Quote, verify_quote
from zkescrow.errors import AttestationError, MalformedInput

#: What the enclave signs (through its program context) to endorse its EdDSA key.
ENDORSEMENT_DOMAIN = b"zkescrow/escrow/eddsa-key\x00"


def endorsement_message(eddsa_key_packed: bytes) -> bytes:
    return ENDORSEMENT_DOMAIN + eddsa_key_packed


def check_registration(body: dict, policy, recent_hashes: list[str]) -> dict:
    """The enclaves-table record for a registration body, or AttestationError/MalformedInput saying why not."""
    try:
        quote = Quote.from_dict(body["quote"])
        nonce = bytes.fromhex(body["nonce"])
        eddsa_packed = bytes.fromhex(body["eddsa_key"])
        endorsement = bytes.fromhex(body["eddsa_endorsement"])
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedInput(f"registration needs quote, nonce, eddsa_key, eddsa_endorsement ({exc})") from None
    if body["nonce"] not in recent_hashes:
        raise AttestationError("the quote's nonce is not the hash of a recent block (stale or replayed quote)")
    verified = verify_quote(quote, None, policy, nonce)
    verified.verify(endorsement_message(eddsa_packed), endorsement)
    Point.unpack(eddsa_packed).validate()
    return {
        "enclave_id": verified.keys.ed25519.hex(),
        "measurement": verified.identity.mrenclave.hex(),
        "signing_key": verified.keys.ed25519.hex(),
        "eddsa_key": eddsa_packed.hex(),
        "box_key": verified.keys.x25519.hex(),
        "quote": quote.to_json(),
        "verdict": f"accepted: MRENCLAVE {verified.identity.mrenclave.hex()[:16]}…, "
                   f"SVN {verified.identity.svn}, TCB level {verified.tcb_level}",
    }

"""Ledger transactions: a kind, a JSON body, and (for most kinds) an Ed25519 signature.

    kind               body                                                        signed by
    genesis            accounts {address: balance}                                  —
    transfer           from, to, amount, nonce                                      from
    register_service   pole_id, operator, price_per_wh, location, meter_key, nonce  operator
    register_enclave   quote, chain, keys {signing, eddsa, box}                     — (the quote binds the keys)
    shield             from, nonce, amount, asset, commitment, ciphertext, proof    from
    shielded_transfer  root, nullifiers[2], commitments[2], public_amount (≤ 0),
                       asset, ciphertexts[2], recipient, proof                      — (the proof)
    escrow_open        shielded_transfer fields + session_id, pole_id, enclave,
                       refund_key, refund_height  (public_amount = −deposit)        — (the proof)
    escrow_payout      session_id, authority ("enclave" | "refund"), transfer fields
                       with public_amount = +escrow balance                         enclave key or refund key
    escrow_release     root, nullifier, pay_commitment, refund_commitment,
                       height (= the including block's), asset, ciphertexts[2],
                       proof                                                        — (the proof)

Addresses are hex Ed25519 public keys.  Field elements and big integers travel as
decimal strings; proofs as snarkjs proof JSON.  The txid is SHA-256 over the
canonical encoding of kind and body; signatures cover the same bytes behind a
domain prefix and the ledger's chain id (the hash of its genesis header), so a
transaction signed for one ledger is refused by every other:

    signing bytes = SIGNING_DOMAIN ‖ chain id (32 bytes) ‖ canonical {kind, body}
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from zkescrow.errors import InvalidSignature, MalformedInput

from .codec import canonical, digest

SIGNING_DOMAIN = b"zkescrow-ledger-v1/tx\x00"

#: What a kind looks like; which kinds a ledger accepts is up to its ``Rulebook``.
_KIND = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(frozen=True)
class Transaction:
    """One ledger transaction (see the module docstring for the kinds)."""

    kind: str
    body: dict = field(hash=False)
    signature: str | None = None

    def __post_init__(self):
        if not isinstance(self.kind, str) or not _KIND.match(self.kind):
            raise MalformedInput(f"malformed transaction kind {self.kind!r}")
        if not isinstance(self.body, dict):
            raise MalformedInput("a transaction body is a JSON object")

    @property
    def txid(self) -> str:
        return digest({"kind": self.kind, "body": self.body}).hex()

    def signing_bytes(self, chain_id: str) -> bytes:
        """What a signer of this transaction on the ledger ``chain_id`` (``Ledger.chain_id``) signs."""
        return SIGNING_DOMAIN + chain_id_bytes(chain_id) + canonical({"kind": self.kind, "body": self.body})

    def signed(self, key: SigningKey, chain_id: str) -> "Transaction":
        """This transaction with an Ed25519 signature by ``key``, valid on the ledger ``chain_id`` only."""
        return Transaction(self.kind, self.body, key.sign(self.signing_bytes(chain_id)).signature.hex())

    def verify_signature(self, public_key_hex: str, chain_id: str, *, prefix: bytes = b"") -> None:
        """Raise InvalidSignature unless the signature is by ``public_key_hex`` over prefix ‖ signing bytes.

        ``prefix`` is the signer's own domain, e.g. an enclave program's signature domain.
        """
        if not self.signature:
            raise InvalidSignature(f"{self.kind} transaction is not signed")
        try:
            VerifyKey(bytes.fromhex(public_key_hex)).verify(prefix + self.signing_bytes(chain_id),
                                                            bytes.fromhex(self.signature))
        except (BadSignatureError, ValueError, TypeError) as exc:
            raise InvalidSignature(f"{self.kind} signature does not verify under {str(public_key_hex)[:16]}… "
                                   f"on this ledger") from exc

    def to_json(self) -> dict:
        out = {"kind": self.kind, "body": self.body}
        if self.signature:
            out["signature"] = self.signature
        return out

    @classmethod
    def from_json(cls, obj) -> "Transaction":
        if isinstance(obj, (str, bytes)):
            try:
                obj = json.loads(obj)
            except ValueError as exc:                 # also a number beyond Python's digit limit
                raise MalformedInput(f"transaction is not JSON: {exc}") from None
        if not isinstance(obj, dict) or "kind" not in obj or "body" not in obj:
            raise MalformedInput("a transaction is an object with 'kind' and 'body'")
        return cls(obj["kind"], obj["body"], obj.get("signature"))

    @property
    def size(self) -> int:
        """Bytes on the ledger: the canonical encoding with the signature."""
        return len(canonical(self.to_json()))


def chain_id_bytes(chain_id: str) -> bytes:
    """The 32 bytes of a chain id (64 hex digits); MalformedInput otherwise."""
    if not isinstance(chain_id, str) or len(chain_id) != 64:
        raise MalformedInput(f"a chain id is 64 hex digits (Ledger.chain_id), got {str(chain_id)[:80]!r}")
    try:
        return bytes.fromhex(chain_id)
    except ValueError:
        raise MalformedInput(f"a chain id is 64 hex digits, got {chain_id[:80]!r}") from None


def address_of(key: SigningKey | VerifyKey) -> str:
    """The account address of an Ed25519 key: its public key in hex."""
    verify_key = key.verify_key if isinstance(key, SigningKey) else key
    return bytes(verify_key).hex()


# --- external data bound into transfer proofs --------------------------------------------------

#: The body fields that a transfer (or release) proof binds through ext_data_hash, for the kinds of the
#: shielded pool and the escrow; other kinds name theirs (``ext_data_hash(..., bound)``).
EXT_FIELDS = {
    "shielded_transfer": ("recipient", "ciphertexts"),
    "escrow_open": ("ciphertexts", "session_id", "pole_id", "enclave", "refund_key", "refund_height"),
    "escrow_payout": ("ciphertexts", "session_id", "authority"),
    "escrow_release": ("ciphertexts",),
}


def ext_data_hash(kind: str, body: dict, bound: tuple[str, ...] | None = None) -> int:
    """H(EXT_DATA, SHA-256 of the bound fields): what the proof's ext_data_hash must equal.

    ``bound`` names the body fields the proof binds; by default ``EXT_FIELDS[kind]``.
    """
    from circuits.crypto.poseidon import poseidon
    from circuits.domains import Domain

    from .codec import digest_to_field
    if bound is None:
        if kind not in EXT_FIELDS:
            raise MalformedInput(f"{kind} transactions name no fields bound into their proof")
        bound = EXT_FIELDS[kind]
    fields = {name: body.get(name) for name in bound}
    return poseidon([Domain.EXT_DATA, digest_to_field(digest({"kind": kind, **fields}))])

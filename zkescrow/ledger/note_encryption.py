"""Note encryption: the recipient of a note learns its contents, nobody else — not even its size.

A note travels as a libsodium sealed box (X25519 + XSalsa20-Poly1305, via pynacl)
to the recipient's viewing key.  The plaintext is a fixed-size binary record, so
every note ciphertext of every transaction kind has the same length
(``CIPHERTEXT_HEX_LENGTH``) whatever the value:

    version (1 byte) ‖ value (8, big-endian u64) ‖ asset ‖ owner ‖ ρ ‖ blinding (32 bytes each, big-endian)

(A decimal-JSON plaintext gave away the number of digits of the value.)  A wallet
tries every new ciphertext with its viewing key and keeps the notes whose commitment
matches the one on the ledger — a ciphertext that lies about its note is simply not
a note for anyone.  A dummy output's ciphertext is a real encryption of a zero note
to a fresh key: the same length, and without that key no different from any other.
"""
from __future__ import annotations

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

from circuits.notes import Note
from zkescrow.errors import MalformedInput

VERSION = 1
PLAINTEXT_BYTES = 1 + 8 + 4 * 32
#: Hex characters of every note ciphertext (sealed-box overhead: 32-byte ephemeral key + 16-byte tag).
CIPHERTEXT_HEX_LENGTH = 2 * (PLAINTEXT_BYTES + 48)


def encode_note(note: Note) -> bytes:
    """The fixed-size plaintext of ``note``."""
    return (bytes([VERSION]) + note.value.to_bytes(8, "big") + note.asset.to_bytes(32, "big")
            + note.owner.to_bytes(32, "big") + note.rho.to_bytes(32, "big") + note.blind.to_bytes(32, "big"))


def decode_note(plain: bytes) -> Note:
    if len(plain) != PLAINTEXT_BYTES or plain[0] != VERSION:
        raise MalformedInput("not a note plaintext")
    words = [int.from_bytes(plain[9 + 32 * k: 41 + 32 * k], "big") for k in range(4)]
    asset, owner, rho, blind = words
    return Note(int.from_bytes(plain[1:9], "big"), owner, rho, blind, asset)


def encrypt_note(note: Note, viewing_public: bytes) -> str:
    """Hex ciphertext of ``note`` for the holder of the X25519 key ``viewing_public``."""
    return SealedBox(PublicKey(viewing_public)).encrypt(encode_note(note)).hex()


def try_decrypt(ciphertext: str, viewing_key: PrivateKey) -> Note | None:
    """The note in ``ciphertext`` if it was encrypted to ``viewing_key``, else None."""
    try:
        return decode_note(SealedBox(viewing_key).decrypt(bytes.fromhex(ciphertext)))
    except (CryptoError, ValueError, TypeError, MalformedInput):
        return None


def dummy_ciphertext() -> str:
    """A ciphertext of the same size as a real one, to nobody (for zero-value outputs)."""
    from circuits.notes import random_field_element
    filler = Note(0, random_field_element(), random_field_element(), random_field_element())
    return encrypt_note(filler, bytes(PrivateKey.generate().public_key))

"""Note encryption: the recipient of a note learns its contents, nobody else does.

A note travels as a libsodium sealed box (X25519 + XSalsa20-Poly1305, via
pynacl) to the recipient's viewing key, holding the note's fields as JSON.  A
wallet tries every new ciphertext with its viewing key and keeps the notes whose
commitment matches the one on the ledger — a ciphertext that lies about its note
is simply not a note for anyone.
"""
from __future__ import annotations

import json

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

from circuits.notes import Note
from zkescrow.errors import MalformedInput


def encrypt_note(note: Note, viewing_public: bytes) -> str:
    """Hex ciphertext of ``note`` for the holder of the X25519 key ``viewing_public``."""
    plain = json.dumps({"v": note.value, "o": str(note.owner), "rho": str(note.rho), "r": str(note.blind),
                        "a": note.asset}, separators=(",", ":")).encode()
    return SealedBox(PublicKey(viewing_public)).encrypt(plain).hex()


def try_decrypt(ciphertext: str, viewing_key: PrivateKey) -> Note | None:
    """The note in ``ciphertext`` if it was encrypted to ``viewing_key``, else None."""
    try:
        plain = SealedBox(viewing_key).decrypt(bytes.fromhex(ciphertext))
        fields = json.loads(plain)
        return Note(int(fields["v"]), int(fields["o"]), int(fields["rho"]), int(fields["r"]), int(fields["a"]))
    except (CryptoError, ValueError, KeyError, TypeError, MalformedInput):
        return None


def dummy_ciphertext() -> str:
    """A ciphertext of the same size as a real one, to nobody (for zero-value outputs)."""
    from circuits.notes import random_field_element
    filler = Note(0, random_field_element(), random_field_element(), random_field_element())
    return encrypt_note(filler, bytes(PrivateKey.generate().public_key))

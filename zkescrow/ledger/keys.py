"""A participant's keys: one 32-byte seed derives them all (HKDF-SHA256).

    spending key   sk ∈ Fr            spends notes (circuits.notes.SpendingKey)
    viewing key    X25519 key pair     decrypts notes sent to us (note_encryption)
    account key    Ed25519 key pair    signs transparent-account transactions; its public key is the address

A ``PaymentAddress`` (owner, viewing public key) is what a payer needs to send a
note; it reveals neither the spending key nor past notes.  Keys are secrets:
``WalletKeys.save`` writes the seed to a file readable by its owner only.
"""
from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from nacl.public import PrivateKey as BoxPrivateKey
from nacl.signing import SigningKey

from circuits.notes import SpendingKey
from zkescrow.bn254.constants import R
from zkescrow.errors import MalformedInput

from .transactions import address_of

SEED_BYTES = 32


def _derive(seed: bytes, label: bytes, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=b"zkescrow/keys/v1", info=label).derive(seed)


@dataclass(frozen=True)
class PaymentAddress:
    """Where to send a shielded note: the note owner field and the X25519 key notes are encrypted to."""

    owner: int
    viewing_public: bytes

    def encode(self) -> str:
        return f"zkpay:{self.owner:064x}:{self.viewing_public.hex()}"

    @classmethod
    def decode(cls, text: str) -> "PaymentAddress":
        try:
            tag, owner, key = text.split(":")
            if tag != "zkpay" or len(key) != 64:
                raise ValueError
            owner_int = int(owner, 16)
            if owner_int >= R:
                raise ValueError
            return cls(owner_int, bytes.fromhex(key))
        except ValueError:
            raise MalformedInput(f"not a payment address: {text!r} (expected zkpay:<owner hex>:<key hex>)") from None


class WalletKeys:
    """All keys of one participant, derived from a seed."""

    def __init__(self, seed: bytes):
        if not isinstance(seed, bytes) or len(seed) != SEED_BYTES:
            raise MalformedInput(f"a wallet seed is {SEED_BYTES} bytes")
        self._seed = seed
        wide = int.from_bytes(_derive(seed, b"spending", 64), "big")
        self.spending = SpendingKey(wide % int(R))
        self.viewing = BoxPrivateKey(_derive(seed, b"viewing"))
        self.account = SigningKey(_derive(seed, b"account"))

    @classmethod
    def generate(cls) -> "WalletKeys":
        return cls(secrets.token_bytes(SEED_BYTES))

    @property
    def owner(self) -> int:
        return self.spending.owner

    @property
    def address(self) -> str:
        """The transparent account address (hex Ed25519 public key)."""
        return address_of(self.account)

    @property
    def payment_address(self) -> PaymentAddress:
        return PaymentAddress(self.owner, bytes(self.viewing.public_key))

    def save(self, path: str | Path) -> None:
        """Write the seed to ``path`` (mode 0600, replaced atomically)."""
        path = Path(path)
        tmp = path.with_suffix(path.suffix + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({"seed": self._seed.hex()}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str | Path) -> "WalletKeys":
        try:
            doc = json.loads(Path(path).read_text())
        except OSError as exc:
            raise MalformedInput(f"cannot read wallet key file {path}: {exc.strerror or exc}") from None
        except (ValueError, RecursionError):
            raise MalformedInput(f"{path} is not a wallet key file (not JSON)") from None
        seed = doc.get("seed") if isinstance(doc, dict) else None
        try:
            return cls(bytes.fromhex(seed))
        except (TypeError, ValueError, MalformedInput):
            raise MalformedInput(f"{path} is not a wallet key file: it needs \"seed\", "
                                 f"{SEED_BYTES} bytes as hex") from None

    def __repr__(self) -> str:
        return f"WalletKeys(address={self.address[:16]}…)"

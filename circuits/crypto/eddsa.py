"""EdDSA-Poseidon on Baby Jubjub, byte-for-byte compatible with circomlibjs ``eddsa.signPoseidon``.

Signing with a 32-byte private key ``k`` and a message ``msg`` in F_r:

    h  = BLAKE-512(k)                                       (original BLAKE, as circomlibjs)
    s  = LE(prune(h[0:32]))     prune: h[0] &= 0xF8, h[31] &= 0x7F, h[31] |= 0x40
    A  = (s >> 3)·BASE8                                     the public key
    r  = LE(BLAKE-512(h[32:64] ‖ LE32(msg))) mod SUBORDER   deterministic nonce
    R8 = r·BASE8
    hm = Poseidon(R8.x, R8.y, A.x, A.y, msg)
    S  = (r + hm·s) mod SUBORDER                            note: s, not s >> 3

Verification accepts (R8, S) for A and msg when S < SUBORDER, R8 and A are on the curve and

    S·BASE8 == R8 + (8·hm)·A

(the cofactored equation, as circomlibjs ``verifyPoseidon`` and circomlib ``EdDSAPoseidonVerifier``).
A packed signature is packPoint(R8) ‖ LE32(S), 64 bytes (circomlibjs ``packSignature``).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from zkescrow.bn254.fields import fr_from_int
from zkescrow.errors import InvalidPoint, InvalidSignature, MalformedInput

from .babyjub import BASE8, SUBORDER, Point
from .blake import blake512
from .poseidon import poseidon

PRIVATE_KEY_BYTES = 32
SIGNATURE_BYTES = 64


def _prune(h: bytes) -> int:
    b = bytearray(h[:32])
    b[0] &= 0xF8
    b[31] &= 0x7F
    b[31] |= 0x40
    return int.from_bytes(b, "little")


def poseidon_challenge(r8: Point, a: Point, msg: int) -> int:
    """hm = Poseidon(R8.x, R8.y, A.x, A.y, msg), the value S binds the key to."""
    return int(poseidon([int(r8.x), int(r8.y), int(a.x), int(a.y), int(msg)]))


@dataclass(frozen=True)
class Signature:
    """An EdDSA signature (R8, S)."""

    r8: Point
    s: int

    def __post_init__(self):
        if not isinstance(self.r8, Point):
            raise MalformedInput("signature R8 must be a Baby Jubjub Point")
        if isinstance(self.s, bool) or not isinstance(self.s, (int, type(SUBORDER))) or not 0 <= self.s < 1 << 256:
            raise MalformedInput("signature S must be an integer in [0, 2^256)")
        object.__setattr__(self, "s", int(self.s))

    def pack(self) -> bytes:
        """circomlibjs packSignature: packPoint(R8) ‖ S as 32 bytes little-endian."""
        return self.r8.pack() + self.s.to_bytes(32, "little")

    @staticmethod
    def unpack(data: bytes) -> "Signature":
        """Inverse of pack; raises InvalidPoint for a bad R8 and MalformedInput for S ≥ SUBORDER."""
        if not isinstance(data, (bytes, bytearray)) or len(data) != SIGNATURE_BYTES:
            raise MalformedInput(f"a packed EdDSA signature is {SIGNATURE_BYTES} bytes")
        s = int.from_bytes(data[32:], "little")
        if s >= SUBORDER:
            raise MalformedInput("EdDSA signature has S ≥ SUBORDER (non-canonical)")
        return Signature(Point.unpack(bytes(data[:32])), s)


class PublicKey:
    """A Baby Jubjub public key A, a point of the prime-order subgroup."""

    __slots__ = ("point",)

    def __init__(self, point: Point):
        if not isinstance(point, Point):
            raise MalformedInput("a public key is a Baby Jubjub Point")
        self.point = point.validate(subgroup=True)
        if point.is_identity():
            raise InvalidPoint("the identity is not a public key")

    @property
    def x(self) -> int:
        return int(self.point.x)

    @property
    def y(self) -> int:
        return int(self.point.y)

    def pack(self) -> bytes:
        return self.point.pack()

    @staticmethod
    def unpack(data: bytes) -> "PublicKey":
        return PublicKey(Point.unpack(data))

    def verify_poseidon(self, msg: int, signature: Signature) -> bool:
        """circomlibjs verifyPoseidon: True iff ``signature`` signs ``msg`` (an F_r element) under this key."""
        msg = fr_from_int(msg)
        if not isinstance(signature, Signature):
            raise MalformedInput("expected a Signature")
        if signature.s >= SUBORDER or not signature.r8.is_on_curve():
            return False
        hm = poseidon_challenge(signature.r8, self.point, msg)
        return BASE8.mul(signature.s) == signature.r8 + self.point.mul(8 * hm)

    def verify(self, msg: int, signature: Signature) -> None:
        """Like verify_poseidon, but raises InvalidSignature instead of returning False."""
        if not self.verify_poseidon(msg, signature):
            raise InvalidSignature("EdDSA-Poseidon signature does not verify under this public key")

    def __eq__(self, other) -> bool:
        return isinstance(other, PublicKey) and self.point == other.point

    def __hash__(self) -> int:
        return hash(self.point)

    def __repr__(self) -> str:
        return f"PublicKey({self.x}, {self.y})"


class PrivateKey:
    """A 32-byte EdDSA private key, as circomlibjs takes it."""

    __slots__ = ("_scalar", "_nonce_key", "_public_key")

    def __init__(self, key: bytes):
        if not isinstance(key, (bytes, bytearray)) or len(key) != PRIVATE_KEY_BYTES:
            raise MalformedInput(f"an EdDSA private key is {PRIVATE_KEY_BYTES} bytes")
        h = blake512(bytes(key))
        self._scalar = _prune(h)
        self._nonce_key = h[32:]
        self._public_key = PublicKey(BASE8.mul(self._scalar >> 3))

    @classmethod
    def generate(cls) -> "PrivateKey":
        """A fresh key from ``secrets``."""
        return cls(secrets.token_bytes(PRIVATE_KEY_BYTES))

    @property
    def public_key(self) -> PublicKey:
        return self._public_key

    def sign_poseidon(self, msg: int) -> Signature:
        """circomlibjs signPoseidon(prv, msg): the deterministic signature (R8, S) of ``msg`` in F_r."""
        msg = int(fr_from_int(msg))
        r = int.from_bytes(blake512(self._nonce_key + msg.to_bytes(32, "little")), "little") % SUBORDER
        r8 = BASE8.mul(r)
        hm = poseidon_challenge(r8, self._public_key.point, msg)
        return Signature(r8, int((r + hm * self._scalar) % SUBORDER))

    def __repr__(self) -> str:
        return f"PrivateKey(public_key={self._public_key!r})"

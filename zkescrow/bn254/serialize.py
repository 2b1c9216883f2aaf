"""Encodings of G1/G2 points: EIP-196/197 bytes, snarkjs JSON objects, and a compressed form.

Every decoder treats its input as untrusted: a coordinate ≥ q is rejected (never
reduced), lengths and shapes must be exact, the point must be on its curve and a G2
point must be in the order-r subgroup.  Failures raise ``InvalidPoint`` (a
``MalformedInput``) with a message naming what was wrong.  Decoded points are affine
tuples of ``mpz`` (``None`` = infinity), as everywhere in ``zkescrow.bn254``.

EIP-196/197 (the EVM precompiles 0x06–0x08, Solidity verifiers)
    32-byte big-endian words.  G1: x ‖ y (64 bytes).  G2: x.c1 ‖ x.c0 ‖ y.c1 ‖ y.c0
    (128 bytes, imaginary part first).  Infinity is all zeros.

snarkjs JSON (proof.json, verification_key.json)
    G1 ``[x, y, "1"]``, G2 ``[[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]]`` (real part first),
    decimal strings; infinity ``["0", "1", "0"]`` / ``[["0","0"],["1","0"],["0","0"]]``.
    Like ffjavascript's ``fromObject`` the readers accept z = 1, a missing z, z = 0
    (infinity, whatever x and y are) and any other z, read as Jacobian coordinates
    (x/z², y/z³) the way wasmcurves' ``toAffine`` does.  Coordinates may be decimal
    strings or ints, each < q.

Compressed (the layout of ffjavascript's ``toRprCompressed`` / wasmcurves ``LEMtoC``)
    G1: 32 bytes, x big-endian.  G2: 64 bytes, x.c1 ‖ x.c0 big-endian (imaginary first,
    as in EIP-197).  Because q < 2^254 the two top bits of the first byte are free:
        bit 7 (0x80)  y is the larger of the two roots y and −y;
        bit 6 (0x40)  infinity: then every other bit must be zero.
    "Larger" is lexicographic on the canonical integers: in Fq, y > q − y; in Fq2 the
    imaginary parts decide unless they are zero, then the real parts (wasmcurves'
    ``sign``, also the BLS12-381 "zcash" convention).  Decompression recomputes
    y = √(x³ + b), picks the root the flag names, and checks the subgroup for G2.
"""
import re

from gmpy2 import mpz

from ..errors import InvalidPoint
from .constants import B, B2, Q
from .fields import fq2_add, fq2_inv, fq2_mul, fq2_sqr, fq2_sqrt, fq_inv, fq_sqrt
from .g1 import g1_validate
from .g2 import g2_validate

N8 = 32
_SIGN_FLAG = 0x80
_INFINITY_FLAG = 0x40
_DECIMAL = re.compile(r"[0-9]+\Z")


# --- 32-byte words ----------------------------------------------------------------------------

def fq_to_bytes(x) -> bytes:
    """An Fq element as a 32-byte big-endian word."""
    return int(x).to_bytes(N8, "big")


def fq_from_bytes(data, what: str = "coordinate"):
    """A 32-byte big-endian word as an Fq element; rejects values ≥ q."""
    if len(data) != N8:
        raise InvalidPoint(f"{what} must be {N8} bytes, got {len(data)}")
    x = mpz(int.from_bytes(data, "big"))
    if x >= Q:
        raise InvalidPoint(f"{what} is not in [0, q)")
    return x


def _as_bytes(data, length: int, what: str) -> bytes:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InvalidPoint(f"{what} must be bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) != length:
        raise InvalidPoint(f"{what} must be {length} bytes, got {len(data)}")
    return data


# --- EIP-196 / EIP-197 ------------------------------------------------------------------------

def g1_to_eip196(P) -> bytes:
    """64 bytes x ‖ y (big-endian); infinity is 64 zero bytes."""
    if P is None:
        return bytes(64)
    return fq_to_bytes(P[0]) + fq_to_bytes(P[1])


def g1_from_eip196(data):
    """Decode and validate a 64-byte EIP-196 G1 point."""
    data = _as_bytes(data, 64, "EIP-196 G1 point")
    if data == bytes(64):
        return None
    x = fq_from_bytes(data[:32], "G1 x coordinate")
    y = fq_from_bytes(data[32:], "G1 y coordinate")
    return g1_validate((x, y))


def g2_to_eip197(P) -> bytes:
    """128 bytes x.c1 ‖ x.c0 ‖ y.c1 ‖ y.c0 (big-endian); infinity is 128 zero bytes."""
    if P is None:
        return bytes(128)
    (x0, x1), (y0, y1) = P
    return fq_to_bytes(x1) + fq_to_bytes(x0) + fq_to_bytes(y1) + fq_to_bytes(y0)


def g2_from_eip197(data):
    """Decode and validate (curve and subgroup) a 128-byte EIP-197 G2 point."""
    data = _as_bytes(data, 128, "EIP-197 G2 point")
    if data == bytes(128):
        return None
    x1, x0, y1, y0 = (fq_from_bytes(data[i:i + 32], f"G2 {name}")
                      for i, name in zip(range(0, 128, 32), ("x.c1", "x.c0", "y.c1", "y.c0")))
    return g2_validate(((x0, x1), (y0, y1)))


# --- snarkjs JSON objects ----------------------------------------------------------------------

def g1_to_snarkjs(P) -> list:
    """``[x, y, "1"]`` as decimal strings; infinity ``["0", "1", "0"]``."""
    if P is None:
        return ["0", "1", "0"]
    return [str(int(P[0])), str(int(P[1])), "1"]


def g2_to_snarkjs(P) -> list:
    """``[[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]]``; infinity ``[["0","0"],["1","0"],["0","0"]]``."""
    if P is None:
        return [["0", "0"], ["1", "0"], ["0", "0"]]
    (x0, x1), (y0, y1) = P
    return [[str(int(x0)), str(int(x1))], [str(int(y0)), str(int(y1))], ["1", "0"]]


def _json_fq(value, what: str):
    if isinstance(value, str):
        if not _DECIMAL.match(value):
            raise InvalidPoint(f"{what} must be a decimal string, got {value[:40]!r}")
        value = int(value)
    elif isinstance(value, bool) or not isinstance(value, (int, type(mpz(0)))):
        raise InvalidPoint(f"{what} must be a decimal string or an integer, got {type(value).__name__}")
    if not 0 <= value < Q:
        raise InvalidPoint(f"{what} is not in [0, q)")
    return mpz(value)


def _json_list(obj, sizes, what: str):
    if not isinstance(obj, (list, tuple)) or len(obj) not in sizes:
        expected = " or ".join(map(str, sizes))
        raise InvalidPoint(f"{what} must be a list of {expected} items")
    return obj


def g1_from_snarkjs(obj):
    """Parse and validate a snarkjs G1 object ``[x, y, z]`` (z optional)."""
    obj = _json_list(obj, (2, 3), "snarkjs G1 point")
    x = _json_fq(obj[0], "G1 x")
    y = _json_fq(obj[1], "G1 y")
    z = _json_fq(obj[2], "G1 z") if len(obj) == 3 else mpz(1)
    if z == 0:
        return None
    if z != 1:
        zi = fq_inv(z)
        zi2 = zi * zi % Q
        x, y = x * zi2 % Q, y * zi2 * zi % Q
    return g1_validate((x, y))


def _json_fq2(obj, what: str):
    obj = _json_list(obj, (2,), f"G2 {what}")
    return (_json_fq(obj[0], f"G2 {what}.c0"), _json_fq(obj[1], f"G2 {what}.c1"))


def g2_from_snarkjs(obj):
    """Parse and validate (curve and subgroup) a snarkjs G2 object ``[[x0,x1],[y0,y1],[z0,z1]]``."""
    obj = _json_list(obj, (2, 3), "snarkjs G2 point")
    x = _json_fq2(obj[0], "x")
    y = _json_fq2(obj[1], "y")
    z = _json_fq2(obj[2], "z") if len(obj) == 3 else (mpz(1), mpz(0))
    if z == (0, 0):
        return None
    if z != (1, 0):
        zi = fq2_inv(z)
        zi2 = fq2_sqr(zi)
        x, y = fq2_mul(x, zi2), fq2_mul(y, fq2_mul(zi2, zi))
    return g2_validate((x, y))


# --- compressed form ------------------------------------------------------------------------------

def _fq_is_larger(y) -> bool:
    return y > Q - y


def _fq2_is_larger(y) -> bool:
    y0, y1 = y
    if y1:
        return y1 > Q - y1
    return y0 > Q - y0


def g1_compress(P) -> bytes:
    """32 bytes: x big-endian, 0x80 in the first byte when y is the larger root, 0x40 for infinity."""
    if P is None:
        return bytes([_INFINITY_FLAG]) + bytes(31)
    out = bytearray(fq_to_bytes(P[0]))
    if _fq_is_larger(P[1]):
        out[0] |= _SIGN_FLAG
    return bytes(out)


def _split_flags(data: bytes, what: str):
    flags = data[0] & 0xC0
    body = bytes([data[0] & 0x3F]) + data[1:]
    if flags & _INFINITY_FLAG:
        if flags & _SIGN_FLAG or any(body):
            raise InvalidPoint(f"{what}: the infinity flag is set but the other bits are not zero")
        return True, False, body
    return False, bool(flags & _SIGN_FLAG), body


def g1_decompress(data):
    """Inverse of ``g1_compress``; validates the encoding and that x is on the curve."""
    data = _as_bytes(data, 32, "compressed G1 point")
    infinity, larger, body = _split_flags(data, "compressed G1 point")
    if infinity:
        return None
    x = fq_from_bytes(body, "compressed G1 x")
    y = fq_sqrt((x * x * x + B) % Q)
    if y is None:
        raise InvalidPoint("compressed G1 x is not the x coordinate of a curve point")
    if y and _fq_is_larger(y) != larger:
        y = Q - y
    elif not y and larger:
        raise InvalidPoint("compressed G1 point has y = 0 but the larger-root flag set")
    return g1_validate((x, y))


def g2_compress(P) -> bytes:
    """64 bytes: x.c1 ‖ x.c0 big-endian with the same two flag bits as G1 in the first byte."""
    if P is None:
        return bytes([_INFINITY_FLAG]) + bytes(63)
    (x0, x1), y = P
    out = bytearray(fq_to_bytes(x1) + fq_to_bytes(x0))
    if _fq2_is_larger(y):
        out[0] |= _SIGN_FLAG
    return bytes(out)


def g2_decompress(data):
    """Inverse of ``g2_compress``; validates the encoding, the curve and the subgroup."""
    data = _as_bytes(data, 64, "compressed G2 point")
    infinity, larger, body = _split_flags(data, "compressed G2 point")
    if infinity:
        return None
    x = (fq_from_bytes(body[32:], "compressed G2 x.c0"), fq_from_bytes(body[:32], "compressed G2 x.c1"))
    y = fq2_sqrt(fq2_add(fq2_mul(fq2_sqr(x), x), B2))
    if y is None:
        raise InvalidPoint("compressed G2 x is not the x coordinate of a point on the twist curve")
    if y != (0, 0) and _fq2_is_larger(y) != larger:
        y = (-y[0] % Q, -y[1] % Q)
    elif y == (0, 0) and larger:
        raise InvalidPoint("compressed G2 point has y = 0 but the larger-root flag set")
    return g2_validate((x, y))

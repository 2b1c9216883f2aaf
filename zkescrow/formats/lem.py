"""Point and scalar encodings of snarkjs binary files (.zkey, .ptau).

* **LEM** ("little endian Montgomery", ffjavascript ``toRprLEM``): an affine point as its
  coordinates x·2^256 mod q, 32 bytes little endian each; G1 is x, y (64 bytes), G2 is
  x.c0, x.c1, y.c0, y.c1 (128 bytes).  The point at infinity is all zero bytes.
* **U** ("uncompressed", wasmcurves ``LEMtoU``): canonical big-endian coordinates; a G2
  coordinate is written c1 then c0 (the whole 64-byte Fq2 little-endian buffer reversed).
  Infinity is all zeros.  snarkjs hashes points in this form (circuit hash, transcripts).
* zkey coefficients: v·R², R = 2^256 mod r (Montgomery applied twice), 32 bytes LE.

Decoders work on whole sections at once and check that every point is on its curve
(y² = x³ + b); G2 subgroup membership is not checked here, as snarkjs does not either.
"""
from gmpy2 import invert, mpz

from ..bn254.constants import B, B2, Q, R
from ..bn254.fields import fq2_mul, fq2_sqr
from ..errors import MalformedFile

G1_SIZE = 64
G2_SIZE = 128

RQ = mpz(2) ** 256 % Q
RQ_INV = invert(RQ, Q)
RR = mpz(2) ** 256 % R
RR2 = RR * RR % R
RR2_INV = invert(RR2, R)

_ZERO64 = bytes(64)
_ZERO128 = bytes(128)
_from_bytes = mpz.from_bytes


def _coordinates(data: bytes, count: int, what: str):
    """The 32-byte LE words of ``data`` out of Montgomery form (``MalformedFile`` if ≥ q)."""
    out = []
    append = out.append
    for o in range(0, 32 * count, 32):
        v = _from_bytes(data[o:o + 32], "little")
        if v >= Q:
            raise MalformedFile(f"{what}: coordinate word {o // 32} is not a reduced Fq element")
        append(v * RQ_INV % Q)
    return out


def decode_g1_points(data, count: int, what: str) -> list:
    """``count`` LEM G1 points from ``data`` (bytes-like); ``None`` for infinity."""
    data = bytes(data)
    if len(data) < G1_SIZE * count:
        raise MalformedFile(f"{what}: truncated: {len(data)} bytes for {count} G1 points")
    coords = _coordinates(data, 2 * count, what)
    out = []
    append = out.append
    for i in range(count):
        x, y = coords[2 * i], coords[2 * i + 1]
        if not x and not y and data[G1_SIZE * i:G1_SIZE * (i + 1)] == _ZERO64:
            append(None)
            continue
        if (y * y - (x * x * x + B)) % Q:
            raise MalformedFile(f"{what}: point {i} is not on the G1 curve")
        append((x, y))
    return out


def decode_g2_points(data, count: int, what: str) -> list:
    """``count`` LEM G2 points ``((x0, x1), (y0, y1))`` from ``data``; ``None`` for infinity."""
    data = bytes(data)
    if len(data) < G2_SIZE * count:
        raise MalformedFile(f"{what}: truncated: {len(data)} bytes for {count} G2 points")
    c = _coordinates(data, 4 * count, what)
    out = []
    append = out.append
    for i in range(count):
        x, y = (c[4 * i], c[4 * i + 1]), (c[4 * i + 2], c[4 * i + 3])
        if not (x[0] or x[1] or y[0] or y[1]) and data[G2_SIZE * i:G2_SIZE * (i + 1)] == _ZERO128:
            append(None)
            continue
        rhs = fq2_mul(fq2_sqr(x), x)
        lhs = fq2_sqr(y)
        if (lhs[0] - rhs[0] - B2[0]) % Q or (lhs[1] - rhs[1] - B2[1]) % Q:
            raise MalformedFile(f"{what}: point {i} is not on the G2 curve")
        append((x, y))
    return out


def _le(v) -> bytes:
    return int(v).to_bytes(32, "little")


def encode_g1_points(points) -> bytes:
    """LEM bytes of affine G1 points (``None`` = infinity)."""
    out = []
    append = out.append
    for P in points:
        if P is None:
            append(_ZERO64)
        else:
            append(_le(P[0] * RQ % Q))
            append(_le(P[1] * RQ % Q))
    return b"".join(out)


def encode_g2_points(points) -> bytes:
    """LEM bytes of affine G2 points (``None`` = infinity)."""
    out = []
    append = out.append
    for P in points:
        if P is None:
            append(_ZERO128)
        else:
            (x0, x1), (y0, y1) = P
            for v in (x0, x1, y0, y1):
                append(_le(v * RQ % Q))
    return b"".join(out)


def _be(v) -> bytes:
    return int(v).to_bytes(32, "big")


def g1_to_u(P) -> bytes:
    """The 64-byte uncompressed (U) form of an affine G1 point."""
    return _ZERO64 if P is None else _be(P[0]) + _be(P[1])


def g2_to_u(P) -> bytes:
    """The 128-byte uncompressed (U) form of an affine G2 point: x.c1, x.c0, y.c1, y.c0 big endian."""
    if P is None:
        return _ZERO128
    (x0, x1), (y0, y1) = P
    return _be(x1) + _be(x0) + _be(y1) + _be(y0)


def g1_points_to_u(points) -> bytes:
    return b"".join(map(g1_to_u, points))


def g2_points_to_u(points) -> bytes:
    return b"".join(map(g2_to_u, points))


def decode_coef(word: bytes) -> mpz:
    """A zkey section-4 coefficient (v·R² mod r, LE) back to v."""
    return _from_bytes(word, "little") * RR2_INV % R


def encode_coef(v) -> bytes:
    """The zkey section-4 encoding of the coefficient v ∈ [0, r)."""
    return _le(mpz(v) * RR2 % R)

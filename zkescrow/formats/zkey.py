"""Reader and writer of snarkjs Groth16 proving keys (.zkey), byte-compatible with snarkjs 0.7.6.

The iden3 container with magic ``zkey``, version 1 (snarkjs ``src/zkey_new.js``,
``src/zkey_utils.js``)::

    1   u32 protocol (1 = Groth16)
    2   u32 n8q, q, u32 n8r, r, u32 nVars, u32 nPublic, u32 domainSize,
        alpha1, beta1 (G1), beta2, gamma2 (G2), delta1 (G1), delta2 (G2)        660 bytes
    3   IC: (nPublic + 1) × G1
    4   u32 nCoef, nCoef × (u32 matrix, u32 constraint, u32 signal, v·R² mod r)
    5   A: nVars × G1      6  B1: nVars × G1      7  B2: nVars × G2
    8   C: (nVars − nPublic − 1) × G1          9  H: domainSize × G1
    10  csHash (64 bytes, blake2b-512), u32 nContributions, contributions

This module knows bytes only: ``read_zkey_fields`` returns plain data and the writers take any
object with ``ProvingKey``'s fields, so the formats layer never imports ``zkescrow.groth16``.
``zkescrow.groth16.zkey`` turns the plain data into a ``ProvingKey`` (``read_zkey``).

Points are LEM (``zkescrow.formats.lem``).  Sections are found by id, in any order.
``snarkjs zkey new`` writes them as 1, 2, 4, 3, 9, 8, 5, 6, 7, 10 and ``zkey contribute``
as 1 … 10; ``write_zkey`` does the same (the first order while the key has no
contribution), so a key written here is byte-identical to snarkjs's for the same data.

A contribution record (``zkey_utils.js`` ``writeContribution``)::

    deltaAfter (G1), g1_s (G1), g1_sx (G1), g2_spx (G2), transcript[64], u32 type,
    u32 paramLength, params: 1 len name[len] | 2 numIterationsExp | 3 len beaconHash[len]
"""
from __future__ import annotations

import struct

from ..bn254.constants import N8, Q, R
from ..errors import MalformedFile, MalformedInput
from .binfile import build_binfile, load_bytes, parse_binfile, write_file
from .lem import (G1_SIZE, G2_SIZE, decode_coef, decode_g1_points, decode_g2_points, encode_coef,
                  encode_g1_points, encode_g2_points)

MAGIC = b"zkey"
VERSION = 1
GROTH16 = 1
_PROTOCOLS = {1: "groth16", 2: "plonk", 10: "fflonk"}
HEADER_SIZE = 4 + N8 + 4 + N8 + 12 + 3 * G1_SIZE + 3 * G2_SIZE
COEF_SIZE = 12 + N8

#: Section order of ``snarkjs zkey new`` and of ``snarkjs zkey contribute``.
ORDER_NEW = (1, 2, 4, 3, 9, 8, 5, 6, 7, 10)
ORDER_CONTRIBUTED = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)


# --- reading ---------------------------------------------------------------------------

def read_zkey_fields(source, *, proving: bool = True) -> dict:
    """The fields of a .zkey (a path or its bytes) as plain data, named as ``ProvingKey``'s.

    ``contributions`` is a list of dicts named as ``Contribution``'s fields;
    ``zkescrow.groth16.zkey.read_zkey`` builds the key objects from them.  With ``proving=False``
    only the header, IC and the ceremony record are decoded (enough for a verification key); the
    proving sections are ``None``.  Raises ``MalformedFile``.
    """
    data, name = load_bytes(source)
    binfile = parse_binfile(data, MAGIC, (1, 2), name)
    sections = binfile.sections

    def section(section_id: int, what: str, size: int | None = None) -> bytes:
        if section_id not in sections:
            raise MalformedFile(f"{name}: zkey has no section {section_id} ({what})")
        payload = sections[section_id]
        if size is not None and len(payload) != size:
            raise MalformedFile(f"{name}: section {section_id} ({what}) has {len(payload)} bytes, expected {size}")
        return payload

    (protocol,) = struct.unpack("<I", section(1, "protocol", 4))
    if protocol != GROTH16:
        raise MalformedFile(f"{name}: zkey protocol is {_PROTOCOLS.get(protocol, protocol)}, not groth16")
    header = _read_header(section(2, "Groth16 header", HEADER_SIZE), name)
    n_vars, n_public, n = header["n_vars"], header["n_public"], header["domain_size"]
    _check_declared_sizes(sections, n_vars, n_public, n, name)

    ic = decode_g1_points(section(3, "IC", (n_public + 1) * G1_SIZE), n_public + 1, f"{name} section 3 (IC)")
    cs_hash, contributions = (None, [])
    if 10 in sections:
        cs_hash, contributions = _read_contributions(sections[10], name)

    proving_parts = dict(coefs=None, a=None, b1=None, b2=None, c=None, h=None)
    if proving:
        n_c = n_vars - n_public - 1
        proving_parts = dict(
            coefs=_read_coefs(section(4, "coefficients"), n_vars, n, name),
            a=decode_g1_points(section(5, "A", n_vars * G1_SIZE), n_vars, f"{name} section 5 (A)"),
            b1=decode_g1_points(section(6, "B1", n_vars * G1_SIZE), n_vars, f"{name} section 6 (B1)"),
            b2=decode_g2_points(section(7, "B2", n_vars * G2_SIZE), n_vars, f"{name} section 7 (B2)"),
            c=decode_g1_points(section(8, "C", n_c * G1_SIZE), n_c, f"{name} section 8 (C)"),
            h=decode_g1_points(section(9, "H", n * G1_SIZE), n, f"{name} section 9 (H)"),
        )
    return dict(n_vars=n_vars, n_public=n_public, domain_size=n, ic=ic, cs_hash=cs_hash,
                contributions=contributions, **header["points"], **proving_parts)


def _check_declared_sizes(sections: dict, n_vars: int, n_public: int, domain_size: int, name: str) -> None:
    """nVars, nPublic and domainSize must match the sizes of the sections present, even when only the
    header is decoded: a caller sizing arrays by them then allocates no more than the file holds."""
    expected = {3: ("IC", (n_public + 1) * G1_SIZE), 5: ("A", n_vars * G1_SIZE), 6: ("B1", n_vars * G1_SIZE),
                7: ("B2", n_vars * G2_SIZE), 8: ("C", (n_vars - n_public - 1) * G1_SIZE),
                9: ("H", domain_size * G1_SIZE)}
    for section_id, (what, size) in expected.items():
        if section_id in sections and len(sections[section_id]) != size:
            raise MalformedFile(f"{name}: section {section_id} ({what}) has {len(sections[section_id])} bytes, "
                                f"expected {size} for nVars = {n_vars}, nPublic = {n_public}, "
                                f"domainSize = {domain_size}")


def _read_header(payload: bytes, name: str) -> dict:
    pos = 0
    n8q = struct.unpack_from("<I", payload, pos)[0]
    q = int.from_bytes(payload[4:4 + N8], "little")
    n8r = struct.unpack_from("<I", payload, 4 + N8)[0]
    r = int.from_bytes(payload[8 + N8:8 + 2 * N8], "little")
    if n8q != N8 or q != Q:
        raise MalformedFile(f"{name}: zkey base field is not BN254's q (n8q = {n8q}, q = {q})")
    if n8r != N8 or r != R:
        raise MalformedFile(f"{name}: zkey scalar field is not BN254's r (n8r = {n8r}, r = {r})")
    pos = 8 + 2 * N8
    n_vars, n_public, domain_size = struct.unpack_from("<III", payload, pos)
    pos += 12
    if n_vars < n_public + 1:
        raise MalformedFile(f"{name}: zkey has nVars = {n_vars} < nPublic + 1 = {n_public + 1}")
    if domain_size < 1 or domain_size & (domain_size - 1) or domain_size > 1 << 28:
        raise MalformedFile(f"{name}: zkey domain size {domain_size} is not a power of two ≤ 2^28")
    what = f"{name} section 2 (header)"
    alpha1, beta1 = decode_g1_points(payload[pos:pos + 2 * G1_SIZE], 2, what)
    pos += 2 * G1_SIZE
    beta2, gamma2 = decode_g2_points(payload[pos:pos + 2 * G2_SIZE], 2, what)
    pos += 2 * G2_SIZE
    (delta1,) = decode_g1_points(payload[pos:pos + G1_SIZE], 1, what)
    pos += G1_SIZE
    (delta2,) = decode_g2_points(payload[pos:pos + G2_SIZE], 1, what)
    return {"n_vars": n_vars, "n_public": n_public, "domain_size": domain_size,
            "points": dict(alpha1=alpha1, beta1=beta1, beta2=beta2, gamma2=gamma2, delta1=delta1, delta2=delta2)}


def _read_coefs(payload: bytes, n_vars: int, domain_size: int, name: str) -> list:
    if len(payload) < 4:
        raise MalformedFile(f"{name}: section 4 (coefficients) is truncated")
    (count,) = struct.unpack_from("<I", payload, 0)
    if len(payload) != 4 + count * COEF_SIZE:
        raise MalformedFile(f"{name}: section 4 declares {count} coefficients "
                            f"({4 + count * COEF_SIZE} bytes) but has {len(payload)} bytes")
    coefs = []
    append = coefs.append
    for matrix, constraint, signal, word in struct.iter_unpack("<III32s", payload[4:]):
        if matrix > 1 or constraint >= domain_size or signal >= n_vars:
            raise MalformedFile(f"{name}: coefficient {len(coefs)} = (matrix {matrix}, constraint {constraint}, "
                                f"signal {signal}) is out of range")
        v = decode_coef(word)
        append((matrix, constraint, signal, v))
    return coefs


def _read_contributions(payload: bytes, name: str):
    what = f"{name} section 10 (contributions)"
    if len(payload) < 68:
        raise MalformedFile(f"{what} is truncated")
    cs_hash = bytes(payload[:64])
    (count,) = struct.unpack_from("<I", payload, 64)
    pos = 68
    record = 3 * G1_SIZE + G2_SIZE + 64 + 8
    contributions = []
    for i in range(count):
        if pos + record > len(payload):
            raise MalformedFile(f"{what}: contribution {i + 1} of {count} is truncated")
        delta_after, g1_s, g1_sx = decode_g1_points(payload[pos:pos + 3 * G1_SIZE], 3, what)
        pos += 3 * G1_SIZE
        (g2_spx,) = decode_g2_points(payload[pos:pos + G2_SIZE], 1, what)
        pos += G2_SIZE
        transcript = bytes(payload[pos:pos + 64])
        ctype, param_length = struct.unpack_from("<II", payload, pos + 64)
        pos += 72
        params = payload[pos:pos + param_length]
        if len(params) != param_length:
            raise MalformedFile(f"{what}: parameters of contribution {i + 1} are truncated")
        pos += param_length
        fields = _read_params(params, f"{what}: contribution {i + 1}")
        contributions.append(dict(delta_after=delta_after, g1_s=g1_s, g1_sx=g1_sx, g2_spx=g2_spx,
                                  transcript=transcript, type=ctype, **fields))
    if pos != len(payload):
        raise MalformedFile(f"{what} has {len(payload) - pos} unexpected trailing bytes")
    return cs_hash, contributions


def _read_params(params: bytes, what: str) -> dict:
    out, pos, last = {}, 0, 0
    try:
        while pos < len(params):
            kind = params[pos]
            if kind <= last:
                raise MalformedFile(f"{what}: parameters must be sorted by type")
            last = kind
            if kind == 1:
                n = params[pos + 1]
                raw = params[pos + 2:pos + 2 + n]
                if len(raw) != n:
                    raise IndexError
                out["name"] = raw.decode("utf-8", errors="replace")
                pos += 2 + n
            elif kind == 2:
                out["num_iterations_exp"] = params[pos + 1]
                pos += 2
            elif kind == 3:
                n = params[pos + 1]
                raw = params[pos + 2:pos + 2 + n]
                if len(raw) != n:
                    raise IndexError
                out["beacon_hash"] = bytes(raw)
                pos += 2 + n
            else:
                raise MalformedFile(f"{what}: unknown parameter type {kind}")
    except IndexError:
        raise MalformedFile(f"{what}: parameters are truncated") from None
    return out


# --- writing ---------------------------------------------------------------------------

def _header_bytes(pk) -> bytes:
    return b"".join([
        struct.pack("<I", N8), int(Q).to_bytes(N8, "little"), struct.pack("<I", N8), int(R).to_bytes(N8, "little"),
        struct.pack("<III", pk.n_vars, pk.n_public, pk.domain_size),
        encode_g1_points([pk.alpha1, pk.beta1]), encode_g2_points([pk.beta2, pk.gamma2]),
        encode_g1_points([pk.delta1]), encode_g2_points([pk.delta2]),
    ])


def _coefs_bytes(coefs) -> bytes:
    pack = struct.Struct("<III").pack
    parts = [struct.pack("<I", len(coefs))]
    for matrix, constraint, signal, value in coefs:
        parts.append(pack(matrix, constraint, signal))
        parts.append(encode_coef(value))
    return b"".join(parts)


def contribution_params(c) -> bytes:
    """The parameter bytes of a contribution record (name, beacon parameters)."""
    params = bytearray()
    if c.name:
        name = c.name[:64]                       # snarkjs keeps the first 64 characters
        raw = name.encode("utf-8")
        while len(raw) > 255:                    # the length is one byte
            name = name[:-1]
            raw = name.encode("utf-8")
        params += bytes([1, len(raw)]) + raw
    if c.type == 1:
        params += bytes([2, c.num_iterations_exp, 3, len(c.beacon_hash)]) + c.beacon_hash
    return bytes(params)


def contributions_bytes(cs_hash: bytes, contributions) -> bytes:
    """Section 10: csHash, the count and the contribution records."""
    if cs_hash is None or len(cs_hash) != 64:
        raise MalformedInput("a zkey needs a 64-byte circuit hash (csHash) to be written")
    parts = [bytes(cs_hash), struct.pack("<I", len(contributions))]
    for c in contributions:
        params = contribution_params(c)
        parts += [encode_g1_points([c.delta_after, c.g1_s, c.g1_sx]), encode_g2_points([c.g2_spx]),
                  bytes(c.transcript), struct.pack("<II", c.type or 0, len(params)), params]
    return b"".join(parts)


def zkey_to_bytes(pk, *, contributions=None, cs_hash=None) -> bytes:
    """The .zkey bytes of ``pk``; ``contributions``/``cs_hash`` default to the key's own record."""
    if not pk.has_proving_sections:
        raise MalformedInput("this proving key was read without its proving sections; it cannot be written")
    contributions = pk.contributions if contributions is None else contributions
    cs_hash = pk.cs_hash if cs_hash is None else cs_hash
    if len(pk.ic) != pk.n_public + 1 or len(pk.a) != pk.n_vars or len(pk.b1) != pk.n_vars \
            or len(pk.b2) != pk.n_vars or len(pk.c) != pk.n_vars - pk.n_public - 1 or len(pk.h) != pk.domain_size:
        raise MalformedInput("proving key sections do not match nVars/nPublic/domainSize")
    payloads = {
        1: struct.pack("<I", GROTH16),
        2: _header_bytes(pk),
        3: encode_g1_points(pk.ic),
        4: _coefs_bytes(pk.coefs),
        5: encode_g1_points(pk.a),
        6: encode_g1_points(pk.b1),
        7: encode_g2_points(pk.b2),
        8: encode_g1_points(pk.c),
        9: encode_g1_points(pk.h),
        10: contributions_bytes(cs_hash, contributions),
    }
    order = ORDER_CONTRIBUTED if contributions else ORDER_NEW
    return build_binfile(MAGIC, VERSION, ((i, payloads[i]) for i in order))


def write_zkey(pk, path, *, contributions=None, cs_hash=None) -> None:
    """Write ``pk`` as a snarkjs .zkey (see ``zkey_to_bytes``)."""
    write_file(path, zkey_to_bytes(pk, contributions=contributions, cs_hash=cs_hash))

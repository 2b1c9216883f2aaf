""".wtns v2 files (snarkjs wtns_utils, circom's witness_calculator).

Section 1: ``u32 n8``, the prime r (n8 bytes LE), ``u32 nWitness``.
Section 2: nWitness canonical (not Montgomery) field elements, n8 bytes LE each.
"""
from __future__ import annotations

import struct

from ..bn254.constants import N8, R
from ..errors import MalformedFile, MalformedInput
from .binfile import build_binfile, field_header, load_bytes, parse_binfile, write_file

MAGIC = b"wtns"
VERSION = 2
SECTION_HEADER, SECTION_VALUES = 1, 2


def read_wtns(source) -> list[int]:
    """The witness vector stored in an .wtns (path or bytes); ``MalformedFile`` if inconsistent."""
    data, name = load_bytes(source)
    binfile = parse_binfile(data, MAGIC, (VERSION,), name)
    header = binfile.section(SECTION_HEADER, "header")
    n8 = field_header(header, int(R), N8)
    n_witness = header.u32()
    header.expect_end()
    raw = binfile.section(SECTION_VALUES, "values").data
    if len(raw) != n_witness * n8:
        raise MalformedFile(f"{name}: header declares {n_witness} values ({n_witness * n8} bytes), "
                            f"the values section has {len(raw)} bytes")
    prime = int(R)
    values = [int.from_bytes(raw[i:i + n8], "little") for i in range(0, len(raw), n8)]
    bad = next((i for i, v in enumerate(values) if v >= prime), None)
    if bad is not None:
        raise MalformedFile(f"{name}: witness[{bad}] = {values[bad]} is not below r")
    return values


def wtns_to_bytes(witness) -> bytes:
    """The .wtns v2 encoding of ``witness`` (values must be integers in [0, r))."""
    prime = int(R)
    values = []
    for i, v in enumerate(witness):
        v = int(v)
        if not 0 <= v < prime:
            raise MalformedInput(f"witness[{i}] = {v} is not in [0, r)")
        values.append(v.to_bytes(N8, "little"))
    header = struct.pack("<I", N8) + prime.to_bytes(N8, "little") + struct.pack("<I", len(values))
    return build_binfile(MAGIC, VERSION, [(SECTION_HEADER, header), (SECTION_VALUES, b"".join(values))])


def write_wtns(witness, path) -> None:
    """Write ``witness`` to ``path`` as a .wtns v2 file."""
    write_file(path, wtns_to_bytes(witness))

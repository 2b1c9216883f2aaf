""".r1cs v1 files (iden3/r1csfile, circom's r1cs_writer).

Sections: 1 header (n8, prime, nWires, nPubOut, nPubIn, nPrvIn, nLabels,
nConstraints), 2 constraints (A, B, C as ``u32 nTerms`` + nTerms × (``u32 wire``,
n8-byte LE canonical coefficient)), 3 wire -> label map (nWires × u64).

circom does not sort terms numerically, so every LC is read as a map (a repeated
wire has its coefficients added, as snarkjs does); we write terms sorted by wire id.
Sections 4/5 (custom gates, PLONK only) are rejected.
"""
from __future__ import annotations

import struct

from ..bn254.constants import N8, R
from ..errors import MalformedFile
from ..r1cs import R1CS
from .binfile import build_binfile, field_header, load_bytes, parse_binfile, write_file

MAGIC = b"r1cs"
VERSION = 1
SECTION_HEADER, SECTION_CONSTRAINTS, SECTION_WIRE2LABEL = 1, 2, 3


def read_r1cs(source) -> R1CS:
    """Parse an .r1cs from a path or bytes; ``MalformedFile`` on any inconsistency."""
    data, name = load_bytes(source)
    binfile = parse_binfile(data, MAGIC, (VERSION,), name)
    for custom in (4, 5):
        if custom in binfile.sections:
            raise MalformedFile(f"{name}: custom gates (section {custom}) are not supported")

    header = binfile.section(SECTION_HEADER, "header")
    n8 = field_header(header, int(R), N8)
    n_wires, n_pub_out, n_pub_in, n_prv_in = (header.u32() for _ in range(4))
    n_labels = header.u64()
    n_constraints = header.u32()
    header.expect_end()
    # circom --O2 may drop private inputs that end up unconstrained, so only the public
    # signals (read by the prover as witness[1 .. nPublic]) must be wires.
    if n_wires < 1 + n_pub_out + n_pub_in:
        raise MalformedFile(f"{name}: nWires = {n_wires} is smaller than 1 + nPubOut + nPubIn "
                            f"= {1 + n_pub_out + n_pub_in}")
    if n_labels < n_wires:
        raise MalformedFile(f"{name}: nLabels = {n_labels} is smaller than nWires = {n_wires}")
    constraints_section = binfile.section(SECTION_CONSTRAINTS, "constraints")
    _check_declared_sizes(binfile, constraints_section, n_wires, n_constraints, n8, name)

    constraints = _read_constraints(constraints_section, n_constraints, n_wires, n8, name)

    wire_labels = None
    if SECTION_WIRE2LABEL in binfile.sections:
        raw = binfile.sections[SECTION_WIRE2LABEL]
        wire_labels = list(struct.unpack(f"<{n_wires}Q", raw))
        bad = next((i for i, label in enumerate(wire_labels) if label >= n_labels), None)
        if bad is not None:
            raise MalformedFile(f"{name}: wire {bad} maps to label {wire_labels[bad]} ≥ nLabels = {n_labels}")

    return R1CS(n_wires=n_wires, n_pub_out=n_pub_out, n_pub_in=n_pub_in, n_prv_in=n_prv_in,
                constraints=constraints, prime=int(R), n_labels=n_labels, wire_labels=wire_labels)


def _check_declared_sizes(binfile, constraints, n_wires: int, n_constraints: int, n8: int, name: str) -> None:
    """The header's counts must be backed by bytes of the file, checked before anything is allocated
    for them (a 100-byte file declaring 2^31 wires is refused here, not by running out of memory)."""
    size = len(constraints.data)
    if 12 * n_constraints > size:               # a constraint is at least three u32 term counts
        raise MalformedFile(f"{name}: header declares {n_constraints} constraints, but the constraints "
                            f"section has only {size} bytes (at least 12 per constraint)")
    if SECTION_WIRE2LABEL in binfile.sections:
        raw = binfile.sections[SECTION_WIRE2LABEL]
        if len(raw) != 8 * n_wires:
            raise MalformedFile(f"{name}: wire->label section has {len(raw)} bytes, "
                                f"expected 8 × nWires = {8 * n_wires}")
        return
    max_terms = max(0, size - 12 * n_constraints) // (4 + n8)
    if n_wires > 1 + max_terms:                 # without a wire map, wires must appear in the constraints
        raise MalformedFile(f"{name}: header declares {n_wires} wires, but without a wire->label section "
                            f"(section 3) the constraints section can name at most {1 + max_terms}")


def _read_constraints(reader, n_constraints, n_wires, n8, name):
    data, pos, end = reader.data, 0, len(reader.data)
    prime = int(R)
    term = struct.Struct("<I")
    constraints = []
    for index in range(n_constraints):
        row = []
        for _ in range(3):
            if pos + 4 > end:
                raise MalformedFile(f"{name}: constraints section truncated in constraint {index} "
                                    f"(header says {n_constraints})")
            (n_terms,) = term.unpack_from(data, pos)
            pos += 4
            if pos + n_terms * (4 + n8) > end:
                raise MalformedFile(f"{name}: constraints section truncated in constraint {index}: "
                                    f"{n_terms} terms declared")
            lc = {}
            for _ in range(n_terms):
                (wire,) = term.unpack_from(data, pos)
                coef = int.from_bytes(data[pos + 4:pos + 4 + n8], "little")
                pos += 4 + n8
                if wire >= n_wires:
                    raise MalformedFile(f"{name}: constraint {index} uses wire {wire} ≥ nWires = {n_wires}")
                if coef >= prime:
                    raise MalformedFile(f"{name}: constraint {index} has coefficient {coef} ≥ r")
                lc[wire] = (lc[wire] + coef) % prime if wire in lc else coef
            row.append(lc)
        constraints.append(tuple(row))
    if pos != end:
        raise MalformedFile(f"{name}: constraints section has {end - pos} bytes beyond the "
                            f"{n_constraints} constraints the header declares")
    return constraints


def r1cs_to_bytes(r1cs: R1CS) -> bytes:
    """The .r1cs encoding of ``r1cs`` (sections 1, 2, 3 in that order; terms sorted by wire)."""
    header = b"".join([
        struct.pack("<I", N8), int(r1cs.prime).to_bytes(N8, "little"),
        struct.pack("<IIII", r1cs.n_wires, r1cs.n_pub_out, r1cs.n_pub_in, r1cs.n_prv_in),
        struct.pack("<Q", r1cs.n_labels), struct.pack("<I", len(r1cs.constraints)),
    ])
    parts = []
    for row in r1cs.constraints:
        for lc in row:
            parts.append(struct.pack("<I", len(lc)))
            for wire in sorted(lc):
                parts.append(struct.pack("<I", wire))
                parts.append(int(lc[wire]).to_bytes(N8, "little"))
    labels = r1cs.wire_labels if r1cs.wire_labels is not None else range(r1cs.n_wires)
    wire2label = struct.pack(f"<{r1cs.n_wires}Q", *labels)
    return build_binfile(MAGIC, VERSION, [(SECTION_HEADER, header),
                                          (SECTION_CONSTRAINTS, b"".join(parts)),
                                          (SECTION_WIRE2LABEL, wire2label)])


def write_r1cs(r1cs: R1CS, path) -> None:
    """Write ``r1cs`` to ``path`` as an .r1cs v1 file."""
    write_file(path, r1cs_to_bytes(r1cs))

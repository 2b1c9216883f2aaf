""".sym files (circom's sym_writer): one signal per line, ``labelId,witnessId,componentId,name``.

witnessId is -1 for a signal circom optimised away.  The constant wire 0 has no
line.  ``sym_entries(r1cs)`` derives the lines of one of our circuits from its
wire names: labels are wires, and the component is the name's prefix before the
last dot (numbered in order of first appearance).
"""
from __future__ import annotations

from typing import NamedTuple

from ..errors import MalformedFile
from ..r1cs import R1CS
from .binfile import load_bytes


class SymEntry(NamedTuple):
    label_id: int
    witness_id: int
    component_id: int
    name: str


def read_sym(source) -> list[SymEntry]:
    """Parse a .sym file (path or bytes); ``MalformedFile`` on a bad line."""
    data, name = load_bytes(source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedFile(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    entries = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split(",", 3)
        if len(fields) != 4 or not fields[3]:
            raise MalformedFile(f"{name}:{lineno}: expected labelId,witnessId,componentId,name")
        try:
            label, witness, component = (int(f) for f in fields[:3])
        except ValueError:
            raise MalformedFile(f"{name}:{lineno}: labelId, witnessId and componentId must be integers") from None
        if label < 0 or component < 0 or witness < -1:
            raise MalformedFile(f"{name}:{lineno}: negative id")
        entries.append(SymEntry(label, witness, component, fields[3]))
    return entries


def sym_to_text(entries) -> str:
    return "".join(f"{e.label_id},{e.witness_id},{e.component_id},{e.name}\n" for e in entries)


def write_sym(entries, path) -> None:
    """Write ``entries`` (SymEntry or 4-tuples) to ``path``."""
    entries = [SymEntry(*e) for e in entries]
    for e in entries:
        if "\n" in e.name or not e.name:
            raise MalformedFile(f"signal name {e.name!r} cannot be written to a .sym file")
    from .binfile import write_file
    write_file(path, sym_to_text(entries).encode("utf-8"))


def sym_entries(r1cs: R1CS) -> list[SymEntry]:
    """The .sym lines for a circuit whose R1CS carries wire names (wires 1 .. n_wires-1)."""
    components: dict[str, int] = {}
    entries = []
    for wire in range(1, r1cs.n_wires):
        name = r1cs.wire_name(wire)
        component = name.rsplit(".", 1)[0] if "." in name else ""
        cid = components.setdefault(component, len(components))
        label = r1cs.wire_labels[wire] if r1cs.wire_labels is not None else wire
        entries.append(SymEntry(label, wire, cid, name))
    return entries

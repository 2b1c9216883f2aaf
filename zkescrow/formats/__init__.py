"""Binary and text file formats shared with circom and snarkjs.

``binfile`` is the iden3 container (magic, version, sections); ``r1cs_file``,
``wtns_file`` and ``sym_file`` read and write circom's constraint, witness and
symbol files.  Anything that cannot be parsed raises ``MalformedFile``.
"""
from .r1cs_file import r1cs_to_bytes, read_r1cs, write_r1cs
from .sym_file import SymEntry, read_sym, sym_entries, write_sym
from .wtns_file import read_wtns, write_wtns, wtns_to_bytes

__all__ = ["read_r1cs", "write_r1cs", "r1cs_to_bytes", "read_wtns", "write_wtns", "wtns_to_bytes",
           "SymEntry", "read_sym", "write_sym", "sym_entries"]

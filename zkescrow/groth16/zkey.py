""".zkey files as ``ProvingKey`` objects: the snarkjs container of ``zkescrow.formats.zkey`` read into keys.

``zkescrow.formats.zkey`` decodes and encodes the bytes (plain data in, plain data out); this module
builds the ``ProvingKey`` and its ``Contribution`` records from them, so the arrow points down only::

    from zkescrow.groth16.zkey import read_zkey, write_zkey
    pk = read_zkey("circuit.zkey")                  # MalformedFile on a bad file
    write_zkey(pk, "copy.zkey")                     # byte-identical to snarkjs for the same data
"""
from __future__ import annotations

from ..formats.zkey import (MAGIC, ORDER_CONTRIBUTED, ORDER_NEW, contribution_params, contributions_bytes,
                            read_zkey_fields, write_zkey, zkey_to_bytes)
from .keys import Contribution, ProvingKey

__all__ = ["MAGIC", "ORDER_CONTRIBUTED", "ORDER_NEW", "contribution_params", "contributions_bytes", "read_zkey",
           "write_zkey", "zkey_to_bytes"]


def read_zkey(source, *, proving: bool = True) -> ProvingKey:
    """A ``ProvingKey`` from a .zkey path or its bytes.

    With ``proving=False`` only the header, IC and the ceremony record are decoded (enough
    for a verification key); the proving sections stay ``None``.  Raises ``MalformedFile``.
    """
    fields = read_zkey_fields(source, proving=proving)
    fields["contributions"] = [Contribution(**record) for record in fields["contributions"]]
    return ProvingKey(**fields)

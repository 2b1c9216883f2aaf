"""zkescrow: privacy-preserving escrow and token streaming between machines.

Layers, lowest first: ``zkescrow.bn254`` (fields, curves, pairing, MSM, NTT),
R1CS and file formats, ``circuits``, Groth16, the escrow protocol and channels,
and the CLI.  Importing this package imports none of them.
"""

__version__ = "0.1.0"

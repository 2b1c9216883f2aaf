"""Native (out-of-circuit) primitives, each bit-compatible with its circomlib/circomlibjs counterpart.

poseidon (circomlib Poseidon, 1..16 inputs), merkle (the incremental Poseidon Merkle tree of the shielded pool),
grain (generator of the Poseidon constants), and the Baby Jubjub / EdDSA / Pedersen modules.
"""

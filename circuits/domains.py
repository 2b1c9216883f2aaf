"""Domain-separation tags: the FIRST Poseidon input of every hash in the protocol (protocols.md §9).

Two hashes with different tags never collide by construction, even when their other inputs coincide (a
nullifier can never be confused with a commitment or a channel state).  Tags are small distinct non-zero integers;
0 is left out so a tagged hash never equals an untagged one over the same width.  Points (Baby Jubjub public keys)
enter a hash as their two coordinates x, y.  Merkle-tree nodes are untagged Poseidon(left, right), as in
circomlib/tornado trees.  Each width has its own Poseidon constants, so only the one-payload hashes H(D, x)
(NULLIFIER_KEY, and OWNER in its H(D, sk) form) share the node width; a node equal to one of them would need a
left child equal to a small tag value, i.e. a Poseidon preimage of that tag.

Formulas as protocols.md §9 designs them; the modules that compute each hash (circuits/notes.py,
circuits/escrow/, zkescrow/channel/, zkescrow/escrow/) document their exact inputs, and where they took the
alternative §9 allows, it is noted here.

    tag               formula (protocols.md §9)                                  used for
    NOTE_COMMITMENT   cm    = H(D, v, asset, owner, ρ, r)                         note commitment (a tree leaf)
    NULLIFIER         nf    = H(D, nk, cm, pos)                                   spent-note marker, position-bound
    OWNER             owner = H(D, PK.x, PK.y), PK = sk·B8; §9's fallback         note owner ("address")
                      H(D, sk) (Tornado Nova style) is what circuits/notes.py uses
    NULLIFIER_KEY     nk    = H(D, sk)                                            per-key nullifier secret
    RHO               ρ_j   = H(D, nf_0, j)                                       uniqueness of output note j
    ESCROW_OWNER      owner = H(D, PK_enc.x, PK_enc.y, <driver>, T_refund, terms) escrow note owner; the driver
                      enters as its owner field (circuits/escrow/escrow_release.py)
    TERMS             terms = H(D, owner_drv, owner_pole, price, sessionId)       escrow terms hash
    CHANNEL           C     = H(D, channelId, b_d, b_p, nonce, r)                 channel state / channel id
                      commitments (zkescrow/channel/, circuits/escrow/channel_update.py)
    RELEASE_MESSAGE   m     = H(D, sessionId, E_Wh, finalNonce, nf_E)             what the enclave EdDSA-signs
                      (nf_E, the escrow note's nullifier, names the one note it releases)
    EXT_DATA          e     = H(D, digest of recipient, fee, ciphertexts…)        binds a JoinSplit's public extras
    MERKLE_ZERO       not a hash input: names the empty-leaf constant of the note tree, keccak256("zkescrow") mod r
                      (circuits.crypto.merkle.ZERO_LEAF); the number is reserved so no other tag takes it.
    PAYMENT_BLIND     r_pay = H(D, nf_E, terms)                                   blinding of an escrow release's
                      payment note, derived so the pole can rebuild it (circuits/notes.py EscrowTerms);
                      a transparent payout uses H(D, escrow id, terms) (zkescrow/escrow/settlement.py)
    REFUND_BLIND      r_ref = H(D, nf_E, terms)                                   blinding of the driver's refund
                      note, derived so the driver can rebuild it; transparent: H(D, escrow id, terms)
    PAYOUT_KEY        sk    = H(D, escrow id)                                     the key of a transparent payout's
                      two zero-value inputs, so its output ρ_j = H(RHO, nf_0, j) follow from the escrow id

H is ``circuits.crypto.poseidon.poseidon`` natively and ``circuits.gadgets.poseidon.poseidon`` in circuits, e.g.
``poseidon([Domain.NULLIFIER, nk, cm, pos])`` and ``poseidon(cs, Domain.NULLIFIER, nk, cm, pos)``.
"""
from enum import IntEnum, unique


@unique
class Domain(IntEnum):
    """Poseidon domain-separation tags (see the module docstring for each formula)."""

    NOTE_COMMITMENT = 1
    NULLIFIER = 2
    OWNER = 3
    NULLIFIER_KEY = 4
    RHO = 5
    ESCROW_OWNER = 6
    TERMS = 7
    CHANNEL = 8
    RELEASE_MESSAGE = 9
    EXT_DATA = 10
    MERKLE_ZERO = 11
    PAYMENT_BLIND = 12
    REFUND_BLIND = 13
    PAYOUT_KEY = 14

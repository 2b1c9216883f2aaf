"""The escrow circuits: what the shielded pool, the escrow and the channels prove.

    deposit           shield a public value into a note commitment
    transfer          2-in-2-out join-split with a public amount (shield, transfer, unshield)
    escrow_release    spend an escrow note into a pole payment and a driver refund
    channel_update    move a Pedersen-committed channel balance by k packets
    channel_settle    pay a closed shielded channel out into two notes without revealing the split
    value_commitment  a Pedersen commitment opens to a 64-bit value

Each module holds the circuit (a ``Circuit`` subclass) and a witness builder that
takes domain objects (notes, Merkle paths) and says plainly when the statement is false.
"""

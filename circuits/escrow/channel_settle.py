"""channel_settle: pay a closed shielded channel out into two notes without revealing the split.

Public:  terms_id, payout_terms, total, c (x, y), cm_a, cm_b
Private: unit, salt, balance, blind, owner_a, owner_b

Statement: terms_id = H(CHANNEL, total, unit, salt) (the channel's deposit is the
public ``total``); payout_terms = H(TERMS, owner_a, owner_b, unit, terms_id) (the
owners fixed at opening); c = balance·G + blind·H with 0 ≤ balance ≤ total;
cm_b is a note of ``balance`` for owner_b and cm_a a note of ``total − balance``
for owner_a, with ρ_j = H(RHO, terms_id, j) and r_j = H(RHO, salt, terms_id, j)
(j = 0 for A, 1 for B), so both parties can spend them and nobody else can pick them.
The ledger sees total (it is locked in public) and two note commitments.

The witness helpers take the channel's terms as any object with ``terms_id``,
``payout_terms``, ``total``, ``unit``, ``salt``, ``owner_a`` and ``owner_b``
(``zkescrow.channel.terms.ChannelTerms``).
"""
from __future__ import annotations

from circuits.crypto.poseidon import poseidon as poseidon_native
from circuits.domains import Domain
from circuits.dsl import Circuit, Private, Public
from circuits.escrow.channel_update import PRICE_BITS
from circuits.escrow.note_gadgets import note_commitment
from circuits.gadgets.bits import range_check
from circuits.gadgets.pedersen import value_commitment
from circuits.gadgets.poseidon import poseidon
from circuits.notes import NATIVE_ASSET, Note
from circuits.notes import note_commitment as note_commitment_native

#: Index of each party's settlement note.
NOTE_A, NOTE_B = 0, 1


def settlement_rho(terms_id: int, j: int) -> int:
    """ρ of settlement note j (0: A, 1: B) = H(RHO, terms_id, j)."""
    return poseidon_native([Domain.RHO, terms_id, j])


def settlement_blind(salt: int, terms_id: int, j: int) -> int:
    """Blinding of settlement note j = H(RHO, salt, terms_id, j): known only to the parties."""
    return poseidon_native([Domain.RHO, salt, terms_id, j])


class ChannelSettle(Circuit):
    """Split a committed channel balance into a note for each party (see the module docstring)."""

    terms_id = Public()
    payout_terms = Public()
    total = Public()
    c = Public(n=2)
    cm_a = Public()
    cm_b = Public()

    unit = Private()
    salt = Private()
    balance = Private()
    blind = Private()
    owner_a = Private()
    owner_b = Private()

    def define(self, cs):
        with cs.scope("ChannelTerms"):
            range_check(cs, self.total, 64)
            range_check(cs, self.unit, PRICE_BITS)
            cs.assert_equal(poseidon(cs, Domain.CHANNEL, self.total, self.unit, self.salt), self.terms_id)
            cs.assert_equal(poseidon(cs, Domain.TERMS, self.owner_a, self.owner_b, self.unit, self.terms_id),
                            self.payout_terms)
        x, y = value_commitment(cs, self.balance, self.blind)
        cs.assert_equal(x, self.c[0])
        cs.assert_equal(y, self.c[1])
        with cs.scope("Split"):
            rest = self.total - self.balance
            range_check(cs, rest, 64)
            for j, value, owner, cm in ((NOTE_A, rest, self.owner_a, self.cm_a),
                                        (NOTE_B, self.balance, self.owner_b, self.cm_b)):
                rho = poseidon(cs, Domain.RHO, self.terms_id, j)
                r = poseidon(cs, Domain.RHO, self.salt, self.terms_id, j)
                cs.assert_equal(note_commitment(cs, value, NATIVE_ASSET, owner, rho, r), cm)


def settlement_note_objects(terms, balance: int) -> tuple[Note, Note]:
    """(A's note, B's note) a settlement at ``balance`` creates (spendable by their owners)."""
    tid = terms.terms_id
    values = {NOTE_A: (terms.total - balance, terms.owner_a), NOTE_B: (balance, terms.owner_b)}
    return tuple(Note(v, owner, settlement_rho(tid, j), settlement_blind(terms.salt, tid, j), NATIVE_ASSET)
                 for j, (v, owner) in sorted(values.items()))


def settlement_notes(terms, balance: int) -> tuple[int, int]:
    """(cm_a, cm_b): the note commitments a settlement at ``balance`` creates."""
    return tuple(note_commitment_native(n.value, n.asset, n.owner, n.rho, n.blind)
                 for n in settlement_note_objects(terms, balance))


def channel_settle_inputs(terms, balance: int, blind: int) -> dict:
    """Circuit inputs settling ``terms`` at the committed ``balance`` (opening ``balance``, ``blind``)."""
    from circuits.crypto.pedersen import commit
    from zkescrow.errors import WitnessError
    if not 0 <= balance <= terms.total:
        raise WitnessError(f"balance {balance} is outside [0, total {terms.total}]")
    c = commit(balance, blind)
    cm_a, cm_b = settlement_notes(terms, balance)
    return {"terms_id": terms.terms_id, "payout_terms": terms.payout_terms, "total": terms.total,
            "c": [int(c.x), int(c.y)], "cm_a": cm_a, "cm_b": cm_b, "unit": terms.unit, "salt": terms.salt,
            "balance": balance, "blind": blind, "owner_a": terms.owner_a, "owner_b": terms.owner_b}

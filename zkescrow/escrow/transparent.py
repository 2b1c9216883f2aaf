"""Transparent escrow: the deposit leaves the shielded pool into a public escrow account (protocols.md §1.4).

Public: that a session exists, its deposit, pole, enclave, the driver's refund key and
refund height, and when it opens and closes.  Hidden: how the deposit splits — the
payout re-enters the pool as two shielded notes (pole payment, driver change).

    escrow_open    transfer proof, public_amount = −deposit, session terms in the body (bound by ext_data_hash)
    escrow_payout  transfer proof with no real inputs, public_amount = +deposit;
                   authority 'enclave' (Ed25519 by the attested key, after it checked both outputs)
                   or 'refund' (the driver's refund key, once the chain reaches the refund height)
"""
from __future__ import annotations

from circuits.notes import Note
from zkescrow.ledger.keys import PaymentAddress
from zkescrow.ledger.transactions import Transaction


def note_opening(note: Note) -> dict:
    """A note's opening as the enclave takes it."""
    return {"v": note.value, "o": str(note.owner), "rho": str(note.rho), "r": str(note.blind), "a": note.asset}


def open_escrow(wallet, *, session_id: str, deposit: int, pole_id: str, enclave_id: str, refund_key: str,
                refund_height: int) -> Transaction:
    """The driver's escrow_open: ``deposit`` from its notes into the session's public escrow."""
    spends = wallet.select(deposit)
    change = sum(n.note.value for n in spends) - deposit
    outputs = [(Note.new(change, wallet.keys.owner), bytes(wallet.keys.viewing.public_key))] if change else []
    terms = {"session_id": session_id, "pole_id": pole_id, "enclave": enclave_id, "refund_key": refund_key,
             "refund_height": refund_height}
    return wallet.build_transfer(spends, outputs, -deposit, "escrow_open", terms)


def funding_evidence(world, session_id: str) -> dict:
    """What the enclave checks before it lets charging start: the session's escrow_open transaction with its
    inclusion proof against a signed header ({tx, height, index, proof}; ``world.evidence``)."""
    escrow = world.ledger.escrow(session_id)
    if escrow is None:
        return {"status": "missing"}
    return world.evidence(escrow["txid"])


def payout(wallet, *, session_id: str, deposit: int, pay: int, pole: PaymentAddress,
           driver: PaymentAddress) -> tuple[Transaction, list[dict]]:
    """The unsigned enclave payout carrying out a decision, and the output openings the enclave checks."""
    outputs = [(Note.new(pay, pole.owner), pole.viewing_public), (Note.new(deposit - pay, driver.owner),
                                                                   driver.viewing_public)]
    tx = wallet.build_transfer([], outputs, deposit, "escrow_payout", {"session_id": session_id,
                                                                       "authority": "enclave"})
    return tx, [note_opening(n) for n in wallet.last_output_notes]


def with_signature(tx: Transaction, signature_hex: str) -> Transaction:
    return Transaction(tx.kind, tx.body, signature_hex)


def refund(wallet, *, session_id: str, balance: int, refund_key) -> Transaction:
    """After the refund height: the whole escrow back to the driver, signed by its refund key; no enclave."""
    outputs = [(Note.new(balance, wallet.keys.owner), bytes(wallet.keys.viewing.public_key))]
    tx = wallet.build_transfer([], outputs, balance, "escrow_payout", {"session_id": session_id,
                                                                       "authority": "refund"})
    return tx.signed(refund_key, wallet.ledger.chain_id)

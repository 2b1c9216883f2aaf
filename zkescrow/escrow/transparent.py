"""Transparent escrow: the deposit leaves the shielded pool into a public escrow account (protocols.md §1.4).

Public: that a session exists, its deposit, pole, enclave, the driver's refund key and
refund height, and when it opens and closes.  Hidden: how the deposit splits — the
payout re-enters the pool as two shielded notes (pole payment, driver change).

    escrow_open    transfer proof, public_amount = −deposit, session terms in the body (bound by ext_data_hash)
    escrow_payout  transfer proof, public_amount = +deposit, either
                   authority 'enclave': it carries the enclave's signed decision (digest + Ed25519
                   signature) and its two zero-value inputs and two outputs are the ones the decision
                   implies (``settlement``), so the ledger accepts exactly the notes the enclave decided and
                   each owner rebuilds its note without a ciphertext; the car or the pole submits it; or
                   authority 'refund': the driver's refund key, once the chain reaches the refund height
"""
from __future__ import annotations

from circuits.escrow.transfer import SpendInput
from circuits.notes import Note
from zkescrow.errors import Refused
from zkescrow.ledger.keys import PaymentAddress
from zkescrow.ledger.transactions import Transaction

from . import settlement


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


def payout(wallet, decision: dict, *, pole: PaymentAddress, driver: PaymentAddress) -> Transaction:
    """The enclave payout that carries out ``decision`` (the enclave's signed decision, as either party holds it).

    Any wallet can build it (the pole's or the car's): the inputs and outputs all follow from the decision.
    """
    key = settlement.payout_key(decision["escrow"])
    inputs = [SpendInput(note, key, None) for note in settlement.payout_inputs(decision["escrow"])]
    pay_note, refund_note = settlement.decision_notes(decision)
    tx = wallet.build_transfer([], [(pay_note, pole.viewing_public), (refund_note, driver.viewing_public)],
                               pay_note.value + refund_note.value, "escrow_payout", payout_fields(decision),
                               spend_inputs=inputs)
    if [n.commitment for n in wallet.last_output_notes] != [pay_note.commitment, refund_note.commitment]:
        raise Refused("the payout's outputs differ from the decision's notes")
    return tx


def payout_fields(decision: dict) -> dict:
    """The body fields of an enclave payout that carry the decision to the ledger (no amounts, no owners)."""
    return {"session_id": decision["session_id"], "authority": "enclave",
            "decision_digest": settlement.decision_digest(decision), "decision_signature": decision["signature"]}


def refund(wallet, *, session_id: str, balance: int, refund_key) -> Transaction:
    """After the refund height: the whole escrow back to the driver, signed by its refund key; no enclave."""
    outputs = [(Note.new(balance, wallet.keys.owner), bytes(wallet.keys.viewing.public_key))]
    tx = wallet.build_transfer([], outputs, balance, "escrow_payout", {"session_id": session_id,
                                                                       "authority": "refund"})
    return tx.signed(refund_key, wallet.ledger.chain_id)

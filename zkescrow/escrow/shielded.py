"""Shielded escrow: the deposit is a note whose owner field commits to the escrow's conditions (protocols.md §9, C3).

    owner_E = H(ESCROW_OWNER, PK_enclave, owner_driver, T_refund, H(TERMS, owner_driver, owner_pole, price, session))

Funding is an ordinary shielded_transfer to owner_E (indistinguishable from any
payment; the note is encrypted to the enclave's attested X25519 key and also handed
over the secure channel).  Settlement is an escrow_release proof: on the enclave's EdDSA
signature over (session, energy, final nonce, the note's nullifier) it pays energy·price to
the pole and the rest to the driver; once the chain height reaches T_refund the driver alone
takes everything back.  Either party can prove a release (both hold the note and the terms);
both outputs are derived from the nullifier and the terms, so each party rebuilds its own note
(``settlement_notes``) whatever ciphertexts the prover attached.  Public: only that some
escrow note was spent at the height of its block — not which path, not the session, not the
deadline.
"""
from __future__ import annotations

from circuits.crypto.eddsa import Signature
from circuits.escrow.escrow_release import REFUND, RELEASE, escrow_release_inputs
from circuits.notes import EscrowTerms, Note
from zkescrow.errors import MalformedInput
from zkescrow.ledger.keys import PaymentAddress
from zkescrow.ledger.note_encryption import encrypt_note
from zkescrow.ledger.transactions import Transaction, ext_data_hash


def fund_escrow(wallet, terms: EscrowTerms, deposit: int, enclave_box_key: bytes) -> tuple[Transaction, Note]:
    """A shielded_transfer of ``deposit`` to the escrow owner (change back to the driver); and the escrow note."""
    spends = wallet.select(deposit)
    change = sum(n.note.value for n in spends) - deposit
    outputs = [(Note.new(deposit, terms.owner), enclave_box_key)]
    if change:
        outputs.append((Note.new(change, wallet.keys.owner), bytes(wallet.keys.viewing.public_key)))
    tx = wallet.build_transfer(spends, outputs, 0, "shielded_transfer", {"recipient": None})
    return tx, wallet.last_output_notes[0]


def locate(ledger, commitment: int) -> int:
    """The tree position of a note commitment on the ledger."""
    row = ledger.store.one("SELECT position FROM commitments WHERE commitment = ?", str(commitment))
    if row is None:
        raise MalformedInput("the escrow note is not on the ledger")
    return row["position"]


def funding_evidence(wallet, note: Note, position: int) -> dict:
    """What the enclave checks: the escrow note's opening, its Merkle path and the tree root (the wallet must be
    synced to the ledger's tip, whose header carries that root)."""
    return {"v": note.value, "rho": str(note.rho), "r": str(note.blind), "a": note.asset,
            "commitment": str(note.commitment), "path": wallet.merkle_path(position).to_dict(),
            "root": str(wallet.tree.root)}


def release(wallet, note: Note, position: int, terms: EscrowTerms, *, pole: PaymentAddress, driver: PaymentAddress,
            mode: int = RELEASE, energy_wh: int = 0, final_nonce: int = 0, signature_hex: str | None = None,
            driver_key=None) -> Transaction:
    """An escrow_release transaction (mode 0: on the enclave's signature; mode 1: refund by the driver).

    ``wallet`` only proves (any party that knows the note and terms can); its tree must be synced.  The
    proof names the next block's height: submit the transaction for that block (the ledger accepts a
    release only in the block whose height it proves).
    """
    ledger = wallet.ledger
    signature = Signature.unpack(bytes.fromhex(signature_hex)) if signature_hex else None
    statement = escrow_release_inputs(note, terms, wallet.merkle_path(position), root=wallet.tree.root,
                                      height=ledger.height + 1, mode=mode, energy_wh=energy_wh,
                                      final_nonce=final_nonce, signature=signature,
                                      driver_key=driver_key if mode == REFUND else None, depth=ledger.depth)
    p = statement.public
    body = {"root": str(p["root"]), "nullifier": str(p["nullifier"]), "pay_commitment": str(p["pay_commitment"]),
            "refund_commitment": str(p["refund_commitment"]), "height": p["height"], "asset": p["asset"],
            "ciphertexts": [encrypt_note(statement.pay_note, pole.viewing_public),
                            encrypt_note(statement.refund_note, driver.viewing_public)]}
    inputs = dict(statement.inputs, ext_data_hash=ext_data_hash("escrow_release", body))
    proof, _, seconds = wallet.circuit_keys.prove("escrow_release", inputs)
    wallet.proof_times.append(("escrow_release", seconds))
    body["proof"] = proof
    wallet.last_output_notes = (statement.pay_note, statement.refund_note)
    return Transaction("escrow_release", body)


def settlement_notes(note: Note, position: int, terms: EscrowTerms, pay: int) -> tuple[Note, Note]:
    """The pole's payment and the driver's rest that a release of ``pay`` (0: a refund) of ``note`` creates,
    rebuilt from the terms alone (no ciphertext needed)."""
    return terms.settlement_notes(note, terms.nullifier(note, position), pay)

"""Settlement decisions: what the enclave signs when a session closes, and the notes that decision implies.

The enclave signs a *decision*, never a transaction.  It is made once per session, returned to
the car and to the pole (each gets it sealed to itself, and again on request), and either of
them can settle with it alone:

    session_id, mode, escrow       transparent: the escrow_open txid; shielded: the escrow note's nullifier
    energy_wh, pay, refund         the split (pay = energy · price, pay + refund = deposit)
    payee_owner, driver_owner      who receives each output note
    final_nonce, chain_id, price   the last receipted packet's nonce; the ledger the decision is for
    salt                           transparent only: a secret of the session's parties (keeps the
                                   output blinds unpredictable to everyone else)
    pay_commitment, refund_commitment
                                   the two output notes, fully determined by the fields above

Output notes are derived, never chosen by whoever builds the settlement, so each owner rebuilds its
own note from public data and the decision — a prover who attaches a bad ciphertext (or encrypts the
other party's note to itself) cannot withhold it:

    shielded    ρ_j = H(RHO, nf_E, j); r_pay = H(PAYMENT_BLIND, nf_E, terms), r_refund = H(REFUND_BLIND, nf_E,
                terms) with terms = H(TERMS, owner_drv, owner_pole, price, session)  (circuits.notes.EscrowTerms;
                the escrow_release circuit enforces it)
    transparent e = escrow id (from the escrow_open txid); the payout's two zero-value inputs are spent by
                sk = H(PAYOUT_KEY, e), so nf_0 and ρ_j = H(RHO, nf_0, j) follow from e;
                r_pay = H(PAYMENT_BLIND, e, t), r_refund = H(REFUND_BLIND, e, t) with
                t = H(TERMS, owner_drv, owner_pole, price, salt)

Signatures.  Ed25519 by the attested enclave key over ``signing_bytes`` = SETTLEMENT_DOMAIN ‖ canonical
{chain_id, session_id, escrow, commitments, digest}, where ``digest`` is the SHA-256 of the whole
decision: the ledger checks it for a transparent payout (commitments = the payout's outputs, escrow
= the escrow's txid, chain_id = its own) and learns neither amounts nor owners.  Shielded: the EdDSA
release signature over m = H(RELEASE_MESSAGE, session, E_Wh, nonce, nf_E), checked inside the proof.

Measured with the escrow enclave program: only hashlib, the codec and ``circuits.notes``.
"""
from __future__ import annotations

import hashlib

from circuits.crypto.poseidon import poseidon
from circuits.domains import Domain
from circuits.notes import Note, SpendingKey, nullifier, output_rho
from zkescrow.ledger.codec import canonical, digest_to_field

SETTLEMENT_DOMAIN = b"zkescrow/escrow/settlement-decision/v1\x00"
ESCROW_ID_DOMAIN = b"zkescrow/escrow/transparent-escrow-id/v1\x00"

#: The fields of a decision, in the order ``Decision`` stores them (enclave_state).
DECISION_FIELDS = ("session_id", "mode", "escrow", "energy_wh", "pay", "refund", "payee_owner", "driver_owner",
                   "final_nonce", "chain_id", "price", "salt", "pay_commitment", "refund_commitment")


def escrow_field(escrow_txid: str) -> int:
    """e: a transparent escrow's id as a field element (from its escrow_open txid)."""
    return digest_to_field(hashlib.sha256(ESCROW_ID_DOMAIN + str(escrow_txid).encode()).digest())


def payout_key(escrow_txid: str) -> SpendingKey:
    """sk = H(PAYOUT_KEY, e): spends the two zero-value inputs of the escrow's enclave payout."""
    return SpendingKey(poseidon([Domain.PAYOUT_KEY, escrow_field(escrow_txid)]))


def payout_inputs(escrow_txid: str) -> list[Note]:
    """The enclave payout's two zero-value input notes (at position 0, never in the tree: value 0)."""
    owner = payout_key(escrow_txid).owner
    return [Note(0, owner, k, 0) for k in (0, 1)]


def payout_first_nullifier(escrow_txid: str) -> int:
    """nf_0 of the enclave payout: what its outputs' ρ_j are derived from."""
    key, first = payout_key(escrow_txid), payout_inputs(escrow_txid)[0]
    return nullifier(key.nullifier_key, first.commitment, 0)


def transparent_terms(driver_owner: int, payee_owner: int, price: int, salt: int) -> int:
    """t = H(TERMS, owner_drv, owner_pole, price, salt)."""
    return poseidon([Domain.TERMS, driver_owner, payee_owner, price, salt])


def transparent_notes(escrow_txid: str, *, pay: int, refund: int, payee_owner: int, driver_owner: int, price: int,
                      salt: int, asset: int = 0) -> tuple[Note, Note]:
    """The pole's payment and the driver's rest that the enclave payout of ``escrow_txid`` creates."""
    e, nf0 = escrow_field(escrow_txid), payout_first_nullifier(escrow_txid)
    t = transparent_terms(driver_owner, payee_owner, price, salt)
    return (Note(pay, payee_owner, output_rho(nf0, 0), poseidon([Domain.PAYMENT_BLIND, e, t]), asset),
            Note(refund, driver_owner, output_rho(nf0, 1), poseidon([Domain.REFUND_BLIND, e, t]), asset))


def decision_notes(decision: dict, escrow_terms=None, escrow_note: Note | None = None) -> tuple[Note, Note]:
    """The two output notes a decision (dict of ``DECISION_FIELDS``) implies.

    Shielded decisions need the session's ``escrow_terms`` (circuits.notes.EscrowTerms) and the escrow
    note; transparent ones carry all they need.
    """
    d = decision
    if d["mode"] == "transparent":
        return transparent_notes(d["escrow"], pay=int(d["pay"]), refund=int(d["refund"]),
                                 payee_owner=int(d["payee_owner"]), driver_owner=int(d["driver_owner"]),
                                 price=int(d["price"]), salt=int(d["salt"]))
    return escrow_terms.settlement_notes(escrow_note, int(d["escrow"]), int(d["pay"]))


def decision_digest(decision: dict) -> str:
    """SHA-256 (hex) of the whole decision: binds the private fields into what the ledger sees."""
    return hashlib.sha256(canonical({k: str(decision[k]) for k in DECISION_FIELDS})).hexdigest()


def signing_bytes(*, chain_id: str, session_id: str, escrow: str, commitments: list, digest: str) -> bytes:
    """What the enclave's Ed25519 key signs for a decision (the enclave context prefixes its own domain)."""
    return SETTLEMENT_DOMAIN + canonical({"chain_id": str(chain_id), "session_id": str(session_id),
                                          "escrow": str(escrow), "commitments": [str(c) for c in commitments],
                                          "digest": str(digest)})


def decision_signing_bytes(decision: dict) -> bytes:
    """``signing_bytes`` of a full decision."""
    return signing_bytes(chain_id=decision["chain_id"], session_id=decision["session_id"],
                         escrow=decision["escrow"],
                         commitments=[decision["pay_commitment"], decision["refund_commitment"]],
                         digest=decision_digest(decision))

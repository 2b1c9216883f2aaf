"""The escrow's ledger extension: the kinds that lock a deposit for one charging session and pay it out.

    kind            body (see ``zkescrow.ledger.transactions``)                        authorised by
    escrow_open     shielded_transfer fields + session_id, pole_id, enclave,
                    refund_key, refund_height (public_amount = −deposit)               the transfer proof
    escrow_payout   session_id, authority ("enclave" | "refund"), transfer fields
                    with public_amount = +escrow balance; for "enclave" also the
                    decision's digest and signature                                    enclave decision or refund key
    escrow_release  root, nullifier, pay_commitment, refund_commitment, height (the
                    including block's), asset, ciphertexts[2], proof                   the release proof

An enclave payout carries out the enclave's signed decision (``settlement``): the ledger checks
the signature over this chain, this escrow and the payout's two output commitments, so the payout
creates exactly the notes the enclave decided, without learning their amounts or owners.  A release
or refund of an escrow note has one public shape: its proved height must be the height of the
block that includes it.

An open escrow's deposit sits in the ``escrows`` table (counted in the ledger's
conservation check as the value holder ``escrow``).  ``install`` adds all of it
to one ledger's rulebook; a ledger lists it as the extension ``"escrow"``.
"""
from __future__ import annotations

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from enclave_sim.enclave import PROGRAM_SIGNATURE_DOMAIN
from zkescrow.ledger import parse
from zkescrow.ledger.rules import (VALUE_MAX, _address, _field, _fields, _int, _reject, _spend_common, _verify,
                                   transfer_signals)

from .settlement import signing_bytes

SCHEMA = """
CREATE TABLE IF NOT EXISTS escrows (
    session_id  TEXT PRIMARY KEY,
    txid        TEXT NOT NULL REFERENCES txs(txid) DEFERRABLE INITIALLY DEFERRED,
    enclave     TEXT NOT NULL REFERENCES enclaves(enclave_id),
    pole_id     TEXT NOT NULL REFERENCES services(pole_id),
    deposit     INTEGER NOT NULL CHECK (deposit > 0),
    balance     INTEGER NOT NULL CHECK (balance >= 0),
    refund_key  TEXT NOT NULL,
    refund_height INTEGER NOT NULL,
    status      TEXT NOT NULL,
    settled_txid TEXT
);
"""


def _escrow_open(state, tx) -> None:
    b = tx.body
    deposit = -_int(b, "public_amount", low=-VALUE_MAX, high=-1)
    session = parse.text(b.get("session_id"), "session_id", max_len=80)
    pole = parse.text(b.get("pole_id"), "pole_id", max_len=64)
    enclave = parse.hex_string(b.get("enclave"), "enclave", length=64)
    refund_key, refund_height = _address(b, "refund_key"), _int(b, "refund_height", high=2**62)
    if state.db.execute("SELECT 1 FROM escrows WHERE session_id = ?", (session,)).fetchone():
        _reject(f"session {session} already has an escrow")
    if not state.db.execute("SELECT 1 FROM services WHERE pole_id = ?", (pole,)).fetchone():
        _reject(f"pole {pole!r} is not in the service registry")
    if not state.db.execute("SELECT 1 FROM enclaves WHERE enclave_id = ?", (enclave,)).fetchone():
        _reject("the escrow names an enclave that is not registered")
    if refund_height <= state.height:
        _reject(f"refund height {refund_height} is not after the current height {state.height}")
    _spend_common(state, tx)
    state.pool_value -= deposit
    state.db.execute("INSERT INTO escrows(session_id, txid, enclave, pole_id, deposit, balance, refund_key, "
                     "refund_height, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open')",
                     (session, tx.txid, enclave, pole, deposit, deposit, refund_key, refund_height))


def _escrow_payout(state, tx) -> None:
    b = tx.body
    session = parse.text(b.get("session_id"), "session_id", max_len=80)
    escrow = state.db.execute("SELECT * FROM escrows WHERE session_id = ?", (session,)).fetchone()
    if escrow is None:
        _reject(f"no escrow for session {session!r}")
    if escrow["status"] != "open":
        _reject(f"escrow of session {escrow['session_id']} is already {escrow['status']}")
    authority = b.get("authority")
    if authority == "enclave":
        _check_decision(state, escrow, b)
    elif authority == "refund":
        if state.height < escrow["refund_height"]:
            _reject(f"refund before the deadline: height {state.height} < {escrow['refund_height']}")
        _verify(state, tx, escrow["refund_key"])
    else:
        _reject("authority must be 'enclave' or 'refund'")
    if _int(b, "public_amount") != escrow["balance"]:
        _reject(f"payout of {b.get('public_amount')} does not empty the escrow balance {escrow['balance']}")
    _spend_common(state, tx)
    state.pool_value += escrow["balance"]
    status = "settled" if authority == "enclave" else "refunded"
    state.db.execute("UPDATE escrows SET balance = 0, status = ?, settled_txid = ? WHERE session_id = ?",
                     (status, tx.txid, escrow["session_id"]))
    if status == "settled":
        state.db.execute("UPDATE services SET sessions = sessions + 1 WHERE pole_id = ?", (escrow["pole_id"],))


def _check_decision(state, escrow, b: dict) -> None:
    """An enclave payout carries the enclave's signed decision for this escrow, on this chain, and creates
    exactly the two notes it names (their commitments are in the signed bytes; amounts and owners are not)."""
    digest = parse.hex_string(b.get("decision_digest"), "decision_digest", length=64)
    signature = parse.hex_string(b.get("decision_signature"), "decision_signature", length=128)
    key = state.db.execute("SELECT signing_key FROM enclaves WHERE enclave_id = ?",
                           (escrow["enclave"],)).fetchone()["signing_key"]
    message = signing_bytes(chain_id=state.chain_id, session_id=escrow["session_id"], escrow=escrow["txid"],
                            commitments=_fields(b, "commitments", 2), digest=digest)
    try:
        VerifyKey(bytes.fromhex(key)).verify(PROGRAM_SIGNATURE_DOMAIN + message, bytes.fromhex(signature))
    except BadSignatureError:
        _reject("the payout is not the enclave's decision for this escrow (signature, escrow, chain or "
                "output notes differ)")


def _escrow_release(state, tx) -> None:
    b = tx.body
    state.require_known_root(_field(b, "root"))
    if _int(b, "height") != state.height:           # one public shape: the height is the including block's
        _reject(f"release proves height {b['height']} but is in block {state.height}")
    state.spend([_field(b, "nullifier")], tx.txid)
    state.add_notes([_field(b, "pay_commitment"), _field(b, "refund_commitment")], b.get("ciphertexts"), tx.txid)


def _release_signals(tx) -> list[int]:
    from zkescrow.ledger.transactions import ext_data_hash
    b = tx.body
    return [_field(b, "root"), _field(b, "nullifier"), _field(b, "pay_commitment"),
            _field(b, "refund_commitment"), _int(b, "height"), _field(b, "asset"), ext_data_hash(tx.kind, b)]


def install(rulebook) -> None:
    """Add the escrow kinds, the ``escrows`` table and the escrowed value to ``rulebook``."""
    rulebook.add_schema(SCHEMA)
    rulebook.add_value_holder("escrow", "SELECT COALESCE(SUM(balance), 0) FROM escrows")
    rulebook.add("escrow_open", _escrow_open, circuit="transfer", public_signals=transfer_signals)
    rulebook.add("escrow_payout", _escrow_payout, circuit="transfer", public_signals=transfer_signals)
    rulebook.add("escrow_release", _escrow_release, circuit="escrow_release", public_signals=_release_signals)

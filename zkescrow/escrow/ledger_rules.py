"""The escrow's ledger extension: the kinds that lock a deposit for one charging session and pay it out.

    kind            body (see ``zkescrow.ledger.transactions``)                        authorised by
    escrow_open     shielded_transfer fields + session_id, pole_id, enclave,
                    refund_key, refund_height (public_amount = −deposit)               the transfer proof
    escrow_payout   session_id, authority ("enclave" | "refund"), transfer fields
                    with public_amount = +escrow balance                               enclave or refund key
    escrow_release  root, nullifier, pay_commitment, refund_commitment, session_id,
                    height, mode, asset, ciphertexts[2], proof                        the release proof

An open escrow's deposit sits in the ``escrows`` table (counted in the ledger's
conservation check as the value holder ``escrow``).  ``install`` adds all of it
to one ledger's rulebook; a ledger lists it as the extension ``"escrow"``.
"""
from __future__ import annotations

from enclave_sim.enclave import PROGRAM_SIGNATURE_DOMAIN
from zkescrow.ledger import parse
from zkescrow.ledger.rules import (VALUE_MAX, _address, _field, _int, _reject, _spend_common, _verify,
                                   transfer_signals)

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
        key = state.db.execute("SELECT signing_key FROM enclaves WHERE enclave_id = ?",
                               (escrow["enclave"],)).fetchone()["signing_key"]
        _verify(state, tx, key, PROGRAM_SIGNATURE_DOMAIN)
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


def _escrow_release(state, tx) -> None:
    b = tx.body
    if _int(b, "height") > state.height:
        _reject(f"release proves height {b['height']} but the chain is at {state.height}")
    state.require_known_root(_field(b, "root"))
    state.spend([_field(b, "nullifier")], tx.txid)
    state.add_notes([_field(b, "pay_commitment"), _field(b, "refund_commitment")], b.get("ciphertexts"), tx.txid)


def _release_signals(tx) -> list[int]:
    from zkescrow.ledger.transactions import ext_data_hash
    b = tx.body
    return [_field(b, "root"), _field(b, "nullifier"), _field(b, "pay_commitment"),
            _field(b, "refund_commitment"), _field(b, "session_id"), _int(b, "height"),
            _int(b, "mode", high=1), _field(b, "asset"), ext_data_hash(tx.kind, b)]


def install(rulebook) -> None:
    """Add the escrow kinds, the ``escrows`` table and the escrowed value to ``rulebook``."""
    rulebook.add_schema(SCHEMA)
    rulebook.add_value_holder("escrow", "SELECT COALESCE(SUM(balance), 0) FROM escrows")
    rulebook.add("escrow_open", _escrow_open, circuit="transfer", public_signals=transfer_signals)
    rulebook.add("escrow_payout", _escrow_payout, circuit="transfer", public_signals=transfer_signals)
    rulebook.add("escrow_release", _escrow_release, circuit="escrow_release", public_signals=_release_signals)

"""Shared checks of the channel contract's handlers (``adjudicator``, ``opening``): body fields, rows, proofs."""
from __future__ import annotations

import json

from zkescrow.errors import InvalidSignature, MalformedInput, TransactionRejected
from zkescrow.ledger import parse
from zkescrow.ledger.codec import canonical
from zkescrow.ledger.transactions import chain_id_bytes

from .proofs import OPEN_DOMAIN, BalanceProof, ShieldedBalanceProof


def _reject(reason: str):
    raise TransactionRejected(reason)


def _int(body: dict, name: str, *, low: int = 0, high: int = parse.SQL_INT_MAX) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        _reject(f"{name} must be an integer in [{low}, {high}], got {value!r}")
    return value


def open_signing_bytes(body: dict, chain_id: str) -> bytes:
    """What B signs to join an open (or a shielded top-up) on the ledger ``chain_id``: the body without B's
    signature."""
    return OPEN_DOMAIN + chain_id_bytes(chain_id) + canonical({k: v for k, v in body.items() if k != "b_signature"})


def _channel(state, body: dict) -> dict:
    channel_id = parse.hex_string(body.get("channel_id"), "channel_id", length=64)
    row = state.db.execute("SELECT * FROM channels WHERE channel_id = ?", (channel_id,)).fetchone()
    if row is None:
        _reject(f"no channel {channel_id[:16]}…")
    return dict(row)


def _signed_tx(state, tx, address: str) -> None:
    try:
        tx.verify_signature(address, state.chain_id)
    except InvalidSignature as exc:
        _reject(str(exc))


def _party(channel: dict, body: dict, name: str) -> str:
    party = body.get(name)
    if party not in (channel["party_a"], channel["party_b"]):
        _reject(f"{name} is not a party of the channel")
    return party


def _state(channel: dict, body: dict, signer: str | None):
    """The balance proof in ``body['state']``, checked to be this channel's (and signed by ``signer``)."""
    obj = body.get("state")
    try:
        state = (ShieldedBalanceProof if channel["shielded"] else BalanceProof).from_json(obj)
    except (MalformedInput, TypeError, ValueError) as exc:
        _reject(f"malformed balance proof: {str(exc)[:200]}")
    if state.channel_id != channel["channel_id"]:
        _reject("the balance proof is for another channel")
    if signer is not None and not state.signed_by(signer):
        _reject(f"balance proof nonce {state.nonce} is not signed by {signer[:16]}…")
    return state


def _set(state, channel_id: str, **values) -> None:
    cols = ", ".join(f"{k} = ?" for k in values)
    state.db.execute(f"UPDATE channels SET {cols} WHERE channel_id = ?", (*values.values(), channel_id))


def _point(obj) -> str:
    return json.dumps([str(int(c)) for c in obj])


def escrow_account(channel_id: str) -> str:
    """The ledger account that holds a channel's deposits: ``channel:<id>``.

    It is not an Ed25519 address, so no signed transfer can spend from it; only the
    channel handlers move value in (open, top-up) and out (settlement).  Holding the
    value in an account keeps the ledger's conservation check exact without a
    ledger-wide value holder.
    """
    return f"channel:{channel_id}"


def lock(state, channel_id: str, amount: int) -> None:
    state.credit(escrow_account(channel_id), amount)


def release(state, channel_id: str, amount: int) -> None:
    """Take ``amount`` out of the channel's account (the CHECK on balances refuses more than it holds)."""
    state.db.execute("UPDATE accounts SET balance = balance - ? WHERE address = ?", (amount, escrow_account(channel_id)))

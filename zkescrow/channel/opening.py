"""Channel contract, opening side: ``channel_open`` (and ``channel_open_from_notes``) and ``channel_top_up``.

See ``adjudicator`` for the whole contract; these handlers lock deposits: A's from
its account (or its notes, ``funding``), B's from its account with B's signature
over the body (``open_signing_bytes``), which B also gives for a shielded channel
(so A cannot bind terms B cannot prove against) and for a shielded top-up.
"""
from __future__ import annotations

from circuits.crypto.pedersen import commit
from zkescrow.ledger import rules

from .contract import _channel, _int, _point, _reject, _set, lock, open_signing_bytes
from .terms import channel_id_for

MIN_CHALLENGE_PERIOD = 1


def _open(state, tx, *, from_notes: bool = False) -> None:
    """channel_open (A's deposit from its account), or with ``from_notes`` channel_open_from_notes
    (A's deposit from shielded notes through a transfer proof, public_amount = −deposit_a)."""
    b = tx.body
    a_addr, b_addr = rules._address(b, "party_a"), rules._address(b, "party_b")
    deposit_a, deposit_b = _int(b, "deposit_a"), _int(b, "deposit_b")
    period = _int(b, "challenge_period", low=MIN_CHALLENGE_PERIOD, high=1 << 32)
    shielded = b.get("shielded")
    if not isinstance(shielded, bool):
        _reject("shielded must be true or false")
    if a_addr == b_addr or deposit_a + deposit_b == 0 or deposit_a + deposit_b >= 1 << 64:
        _reject("a channel needs two parties and a positive total below 2^64")
    nonce = _int(b, "nonce")
    if b.get("channel_id") != channel_id_for(a_addr, b_addr, nonce, state.chain_id):
        _reject("channel_id must be H(party_a, party_b, nonce, chain id of this ledger)")
    if state.db.execute("SELECT 1 FROM channels WHERE channel_id = ?", (b["channel_id"],)).fetchone():
        _reject("the channel already exists")
    if from_notes:
        if -rules._int(b, "public_amount", low=-rules.MAX_VALUE) != deposit_a:
            _reject("the transfer's public amount must be −deposit_a")
        rules._spend_common(state, tx)
        state.pool_value -= deposit_a
    else:
        state.debit_signed(tx, a_addr, deposit_a)
    if deposit_b or shielded:
        _check_b_signature(state, b, b_addr)
    if deposit_b:
        row = state.account(b_addr)
        if row is None or row["balance"] < deposit_b:
            _reject(f"party B cannot fund {deposit_b}")
        state.db.execute("UPDATE accounts SET balance = balance - ? WHERE address = ?", (deposit_b, b_addr))
    lock(state, b["channel_id"], deposit_a + deposit_b)
    terms_id = payout = zero = None
    if shielded:
        terms_id, payout = str(rules._field(b, "terms_id")), str(rules._field(b, "payout_terms"))
        origin = commit(0, 0)
        zero = _point((origin.x, origin.y))
    state.db.execute(
        "INSERT INTO channels(channel_id, txid, party_a, party_b, shielded, deposit_a, deposit_b, locked, "
        "challenge_period, terms_id, payout_terms, status, c_a, c_b) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)",
        (b["channel_id"], tx.txid, a_addr, b_addr, int(shielded), deposit_a, deposit_b, deposit_a + deposit_b,
         period, terms_id, payout, zero, zero))


def _check_b_signature(state, body: dict, b_addr: str) -> None:
    from nacl.exceptions import BadSignatureError
    from nacl.signing import VerifyKey
    sig = body.get("b_signature")
    try:
        VerifyKey(bytes.fromhex(b_addr)).verify(open_signing_bytes(body, state.chain_id), bytes.fromhex(sig))
    except (BadSignatureError, ValueError, TypeError):
        _reject("party B did not sign these channel terms")


def _top_up(state, tx) -> None:
    b = tx.body
    channel = _channel(state, b)
    amount = _int(b, "amount", low=1)
    if channel["status"] != "open":
        _reject(f"top-up while the channel is {channel['status']}")
    if channel["locked"] + amount >= 1 << 64:
        _reject("the channel total would exceed 2^64")
    state.debit_signed(tx, channel["party_a"], amount)
    lock(state, channel["channel_id"], amount)
    updates = {"deposit_a": channel["deposit_a"] + amount, "locked": channel["locked"] + amount}
    if channel["shielded"]:
        _check_b_signature(state, b, channel["party_b"])
        updates.update(terms_id=str(rules._field(b, "terms_id")), payout_terms=str(rules._field(b, "payout_terms")))
    _set(state, channel["channel_id"], **updates)

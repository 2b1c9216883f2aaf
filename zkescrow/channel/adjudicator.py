"""The on-ledger channel contract: open, top up, close (cooperative or unilateral), challenge, settle.

Importing this module teaches the ledger (``zkescrow.escrow.rules``) the channel
transaction kinds; a ledger created with ``extensions=("zkescrow.channel.adjudicator",)``
imports it whenever it is opened.  Locked channel value counts in the ledger's
conservation check (``channels.locked``).  Times are block heights.

    kind                          body                                               signed by
    channel_open                  channel_id, party_a, party_b, deposit_a,          A (tx) and, if B funds or
                                  deposit_b, challenge_period, shielded, nonce,     the channel is shielded,
                                  [terms_id, payout_terms], [b_signature]           B (b_signature)
    channel_top_up                channel_id, amount, nonce, [terms_id,             A (tx), B (shielded)
                                  payout_terms, b_signature]
    channel_cooperative_close     channel_id, state, close_signatures {A, B}         both (closing signatures)
    channel_close                 channel_id, closer, [state]                       closer (tx); state by the peer
    channel_challenge             channel_id, party, state                          party (tx); state by the peer
    channel_settle                channel_id                                        — (after the period)
    channel_close_shielded        channel_id, closer, [state], step, proof,         closer (tx); state by the peer
                                  [close_signatures]                                (cooperative: both, no period)
    channel_challenge_shielded    channel_id, party, state, step, proof             party (tx); state by the peer
    channel_settle_shielded       channel_id, terms_id, payout_terms, total,        — (the proof)
                                  commitment, cm_a, cm_b, ciphertexts, proof

Unilateral close (µRaiden/Raiden): the closer posts the latest state its peer
signed; during ``challenge_period`` blocks the peer may post any state with a
higher nonce that the closer signed, which replaces it; afterwards anyone settles.
So a party holding the latest co-signed state never loses to an older one as long
as it looks at the ledger once per challenge period (or lets someone do it for it).

Shielded channels keep only commitments on the ledger.  Close and challenge carry
a ``channel_update`` proof (``step``) from the ledger's last proven commitment
(at first the opening commitment deposit_b·G, blinding 0) to the claimed one, so
the ledger knows the claimed balance lies in [0, total] without learning it;
settlement carries a ``channel_settle`` proof that splits the committed balance
into two shielded notes (cm_a for A, cm_b for B) in the note tree.
"""
from __future__ import annotations

import json

from circuits.crypto.pedersen import commit
from zkescrow.errors import InvalidSignature, MalformedInput, TransactionRejected
from zkescrow.escrow import rules
from zkescrow.escrow.codec import canonical

from .proofs import OPEN_DOMAIN, BalanceProof, ShieldedBalanceProof, StepProof
from .settle_circuit import register as _register_settle_circuit
from .terms import channel_id_for

SCHEMA = """
CREATE TABLE IF NOT EXISTS channels (
    channel_id   TEXT PRIMARY KEY,
    txid         TEXT NOT NULL,
    party_a      TEXT NOT NULL,
    party_b      TEXT NOT NULL,
    shielded     INTEGER NOT NULL,
    deposit_a    INTEGER NOT NULL CHECK (deposit_a >= 0),
    deposit_b    INTEGER NOT NULL CHECK (deposit_b >= 0),
    locked       INTEGER NOT NULL CHECK (locked >= 0),
    challenge_period INTEGER NOT NULL,
    terms_id     TEXT,
    payout_terms TEXT,
    status       TEXT NOT NULL,
    nonce        INTEGER NOT NULL,
    balance      INTEGER,
    commitment   TEXT,
    proven_step  INTEGER NOT NULL DEFAULT 0,
    closer       TEXT,
    settle_height INTEGER,
    settled_txid TEXT
);
"""

MIN_CHALLENGE_PERIOD = 1


def _reject(reason: str):
    raise TransactionRejected(reason)


def _int(body: dict, name: str, *, low: int = 0, high: int = (1 << 64) - 1) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        _reject(f"{name} must be an integer in [{low}, {high}], got {value!r}")
    return value


def open_signing_bytes(body: dict) -> bytes:
    """What B signs to join an open (or a shielded top-up): the body without B's signature."""
    return OPEN_DOMAIN + canonical({k: v for k, v in body.items() if k != "b_signature"})


def _channel(state, body: dict) -> dict:
    row = state.db.execute("SELECT * FROM channels WHERE channel_id = ?", (body.get("channel_id"),)).fetchone()
    if row is None:
        _reject(f"no channel {str(body.get('channel_id'))[:16]}…")
    return dict(row)


def _signed_tx(tx, address: str) -> None:
    try:
        tx.verify_signature(address)
    except InvalidSignature as exc:
        _reject(str(exc))


def _party(channel: dict, body: dict, name: str) -> str:
    party = body.get(name)
    if party not in (channel["party_a"], channel["party_b"]):
        _reject(f"{name} is not a party of the channel")
    return party


def _peer(channel: dict, party: str) -> str:
    return channel["party_b"] if party == channel["party_a"] else channel["party_a"]


def _state(channel: dict, body: dict, signer: str | None, *, required: bool = True):
    """The balance proof in ``body['state']``, checked to be this channel's and signed by ``signer``."""
    obj = body.get("state")
    if obj is None and not required:
        return None
    try:
        state = (ShieldedBalanceProof if channel["shielded"] else BalanceProof).from_json(obj)
    except (MalformedInput, TypeError) as exc:
        _reject(f"malformed balance proof: {exc}")
    if state.channel_id != channel["channel_id"]:
        _reject("the balance proof is for another channel")
    if signer is not None and not state.signed_by(signer):
        _reject(f"balance proof nonce {state.nonce} is not signed by {signer[:16]}…")
    if not channel["shielded"] and state.balance > channel["locked"]:
        _reject(f"balance {state.balance} exceeds the channel's total {channel['locked']}")
    return state


def _set(state, channel_id: str, **values) -> None:
    cols = ", ".join(f"{k} = ?" for k in values)
    state.db.execute(f"UPDATE channels SET {cols} WHERE channel_id = ?", (*values.values(), channel_id))


def _point(obj) -> str:
    return json.dumps([str(int(c)) for c in obj])


# --- open and top up ------------------------------------------------------------------------

def _open(state, tx) -> None:
    b = tx.body
    a_addr, b_addr = rules._address(b, "party_a"), rules._address(b, "party_b")
    deposit_a, deposit_b = _int(b, "deposit_a"), _int(b, "deposit_b")
    period = _int(b, "challenge_period", low=MIN_CHALLENGE_PERIOD, high=1 << 32)
    shielded = b.get("shielded")
    if not isinstance(shielded, bool):
        _reject("shielded must be true or false")
    if a_addr == b_addr or deposit_a + deposit_b == 0 or deposit_a + deposit_b >= 1 << 64:
        _reject("a channel needs two parties and a positive total below 2^64")
    if b.get("channel_id") != channel_id_for(a_addr, b_addr, b.get("nonce")):
        _reject("channel_id must be H(party_a, party_b, A's account nonce)")
    if state.db.execute("SELECT 1 FROM channels WHERE channel_id = ?", (b["channel_id"],)).fetchone():
        _reject("the channel already exists")
    state.debit_signed(tx, a_addr, deposit_a)
    if deposit_b or shielded:
        _check_b_signature(b, b_addr)
    if deposit_b:
        row = state.account(b_addr)
        if row is None or row["balance"] < deposit_b:
            _reject(f"party B cannot fund {deposit_b}")
        state.db.execute("UPDATE accounts SET balance = balance - ? WHERE address = ?", (deposit_b, b_addr))
    terms_id = payout = commitment = None
    if shielded:
        terms_id, payout = str(rules._field(b, "terms_id")), str(rules._field(b, "payout_terms"))
        c0 = commit(deposit_b, 0)
        commitment = _point((c0.x, c0.y))
    state.db.execute(
        "INSERT INTO channels(channel_id, txid, party_a, party_b, shielded, deposit_a, deposit_b, locked, "
        "challenge_period, terms_id, payout_terms, status, nonce, balance, commitment) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', 0, ?, ?)",
        (b["channel_id"], tx.txid, a_addr, b_addr, int(shielded), deposit_a, deposit_b, deposit_a + deposit_b,
         period, terms_id, payout, None if shielded else deposit_b, commitment))


def _check_b_signature(body: dict, b_addr: str) -> None:
    from nacl.exceptions import BadSignatureError
    from nacl.signing import VerifyKey
    sig = body.get("b_signature")
    try:
        VerifyKey(bytes.fromhex(b_addr)).verify(open_signing_bytes(body), bytes.fromhex(sig))
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
    updates = {"deposit_a": channel["deposit_a"] + amount, "locked": channel["locked"] + amount}
    if channel["shielded"]:
        _check_b_signature(b, channel["party_b"])
        updates.update(terms_id=str(rules._field(b, "terms_id")), payout_terms=str(rules._field(b, "payout_terms")))
    _set(state, channel["channel_id"], **updates)


# --- transparent close ----------------------------------------------------------------------

def _pay_out(state, channel: dict, balance: int, txid: str) -> None:
    state.credit(channel["party_a"], channel["locked"] - balance)
    state.credit(channel["party_b"], balance)
    _set(state, channel["channel_id"], locked=0, status="settled", balance=balance, settled_txid=txid)


def _cooperative_close(state, tx) -> None:
    b = tx.body
    channel = _channel(state, b)
    if channel["shielded"]:
        _reject("shielded channels close cooperatively with channel_close_shielded")
    if channel["status"] == "settled":
        _reject("the channel is already settled")
    proof = _state(channel, b, None)
    _require_closing_signatures(channel, proof, b)
    if channel["status"] == "closing" and proof.nonce < channel["nonce"]:
        _reject("a cooperative close cannot go below the state already claimed")
    _pay_out(state, channel, proof.balance, tx.txid)


def _require_closing_signatures(channel: dict, proof, body: dict) -> None:
    from nacl.exceptions import BadSignatureError
    from nacl.signing import VerifyKey
    sigs = body.get("close_signatures")
    if not isinstance(sigs, dict):
        _reject("close_signatures {party: signature} are required")
    for party in (channel["party_a"], channel["party_b"]):
        try:
            VerifyKey(bytes.fromhex(party)).verify(proof.closing_message(), bytes.fromhex(sigs.get(party, "")))
        except (BadSignatureError, ValueError, TypeError):
            _reject(f"no valid closing signature of {party[:16]}…")


def _close(state, tx) -> None:
    b = tx.body
    channel = _channel(state, b)
    if channel["shielded"]:
        _reject("shielded channels close with channel_close_shielded")
    if channel["status"] != "open":
        _reject(f"the channel is {channel['status']}, not open")
    closer = _party(channel, b, "closer")
    _signed_tx(tx, closer)
    proof = _state(channel, b, _peer(channel, closer), required=False)
    nonce, balance = (0, channel["deposit_b"]) if proof is None else (proof.nonce, proof.balance)
    _set(state, channel["channel_id"], status="closing", closer=closer, nonce=nonce, balance=balance,
         settle_height=state.height + channel["challenge_period"])


def _challenge(state, tx) -> None:
    b = tx.body
    channel = _channel(state, b)
    if channel["shielded"]:
        _reject("shielded channels are challenged with channel_challenge_shielded")
    _in_window(state, channel)
    party = _party(channel, b, "party")
    _signed_tx(tx, party)
    proof = _state(channel, b, _peer(channel, party))
    if proof.nonce <= channel["nonce"]:
        _reject(f"challenge nonce {proof.nonce} is not above the claimed nonce {channel['nonce']}")
    _set(state, channel["channel_id"], nonce=proof.nonce, balance=proof.balance)


def _in_window(state, channel: dict) -> None:
    if channel["status"] != "closing":
        _reject(f"the channel is {channel['status']}, not closing")
    if state.height >= channel["settle_height"]:
        _reject(f"the challenge period ended at height {channel['settle_height']}")


def _settle(state, tx) -> None:
    channel = _channel(state, tx.body)
    if channel["shielded"]:
        _reject("shielded channels settle with channel_settle_shielded")
    _settleable(state, channel)
    _pay_out(state, channel, channel["balance"], tx.txid)


def _settleable(state, channel: dict) -> None:
    if channel["status"] != "closing":
        _reject(f"the channel is {channel['status']}, not closing")
    if state.height < channel["settle_height"]:
        _reject(f"settlement before the end of the challenge period (height {state.height} < "
                f"{channel['settle_height']})")


# --- shielded close -------------------------------------------------------------------------

def _step(body: dict) -> StepProof:
    try:
        return StepProof.from_json({**body.get("step"), "proof": body.get("proof")})
    except (MalformedInput, TypeError, AttributeError) as exc:
        _reject(f"malformed step proof: {exc}")


def _step_signals(tx) -> list[int]:
    return _step(tx.body).public_signals


def _advance(state, channel: dict, body: dict, signer: str | None):
    """Check the claimed shielded state and its step from the proven commitment; returns the state."""
    proof = _state(channel, body, signer, required=False)
    step = _step(body)
    if str(step.terms_id) != channel["terms_id"]:
        _reject("the step proof is for other channel terms (deposit, unit or salt)")
    if step.step_old != channel["proven_step"] or _point(step.c_old) != channel["commitment"]:
        _reject(f"the step proof does not start at the ledger's commitment (step {channel['proven_step']})")
    claimed = json.loads(channel["commitment"]) if proof is None else [str(c) for c in proof.commitment]
    if [str(c) for c in step.c_new] != claimed:
        _reject("the step proof does not end at the claimed commitment")
    return proof


def _close_shielded(state, tx) -> None:
    b = tx.body
    channel = _channel(state, b)
    if not channel["shielded"]:
        _reject("transparent channels close with channel_close")
    cooperative = "close_signatures" in b
    if channel["status"] != "open" and not (cooperative and channel["status"] == "closing"):
        _reject(f"the channel is {channel['status']}, not open")
    closer = _party(channel, b, "closer")
    _signed_tx(tx, closer)
    proof = _advance(state, channel, b, None if cooperative else _peer(channel, closer))
    if cooperative:
        if proof is None:
            _reject("a cooperative close names the final state")
        _require_closing_signatures(channel, proof, b)
        if proof.nonce < channel["nonce"]:
            _reject("a cooperative close cannot go below the state already claimed")
    step = _step(b)
    _set(state, channel["channel_id"], status="closing", closer=closer,
         nonce=0 if proof is None else proof.nonce, commitment=_point(step.c_new), proven_step=step.step_old + 1,
         settle_height=state.height if cooperative else state.height + channel["challenge_period"])


def _challenge_shielded(state, tx) -> None:
    b = tx.body
    channel = _channel(state, b)
    if not channel["shielded"]:
        _reject("transparent channels are challenged with channel_challenge")
    _in_window(state, channel)
    party = _party(channel, b, "party")
    _signed_tx(tx, party)
    proof = _advance(state, channel, b, _peer(channel, party))
    if proof is None or proof.nonce <= channel["nonce"]:
        _reject(f"challenge nonce is not above the claimed nonce {channel['nonce']}")
    step = _step(b)
    _set(state, channel["channel_id"], nonce=proof.nonce, commitment=_point(step.c_new),
         proven_step=step.step_old + 1)


def _settle_signals(tx) -> list[int]:
    b = tx.body
    c = b.get("commitment")
    if not isinstance(c, list) or len(c) != 2:
        _reject("commitment must be [x, y]")
    return [rules._field(b, "terms_id"), rules._field(b, "payout_terms"), _int(b, "total"),
            rules._field({"v": c[0]}, "v"), rules._field({"v": c[1]}, "v"),
            rules._field(b, "cm_a"), rules._field(b, "cm_b")]


def _settle_shielded(state, tx) -> None:
    b = tx.body
    channel = _channel(state, b)
    if not channel["shielded"]:
        _reject("transparent channels settle with channel_settle")
    _settleable(state, channel)
    signals = _settle_signals(tx)
    if str(signals[0]) != channel["terms_id"] or str(signals[1]) != channel["payout_terms"]:
        _reject("the settlement proof is for other channel terms")
    if signals[2] != channel["locked"] or _point(signals[3:5]) != channel["commitment"]:
        _reject("the settlement proof does not split the channel's total at its final commitment")
    state.add_notes(signals[5:7], b.get("ciphertexts"), tx.txid)
    state.pool_value += channel["locked"]
    _set(state, channel["channel_id"], locked=0, status="settled", settled_txid=tx.txid)


def _register() -> None:
    _register_settle_circuit()
    rules.register_kind("channel_open", _open, schema=SCHEMA)
    rules.register_kind("channel_top_up", _top_up)
    rules.register_kind("channel_cooperative_close", _cooperative_close)
    rules.register_kind("channel_close", _close)
    rules.register_kind("channel_challenge", _challenge)
    rules.register_kind("channel_settle", _settle)
    rules.register_kind("channel_close_shielded", _close_shielded, circuit="channel_update",
                        public_signals=_step_signals)
    rules.register_kind("channel_challenge_shielded", _challenge_shielded, circuit="channel_update",
                        public_signals=_step_signals)
    rules.register_kind("channel_settle_shielded", _settle_shielded, circuit="channel_settle",
                        public_signals=_settle_signals)
    rules.register_value_holder("channels", "SELECT COALESCE(SUM(locked), 0) FROM channels")


if "channel_open" not in rules.HANDLERS:
    _register()

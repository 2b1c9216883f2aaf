"""The on-ledger channel contract: open, top up, close (cooperative or unilateral), counters, settle.

``install(rulebook)`` teaches one ledger's rulebook the channel transaction kinds
and the ``channels`` table; a ledger created with ``extensions=("channel",)`` runs it
whenever it is opened (``zkescrow.ledger.extensions``), other ledgers never see them.  A channel's deposits sit in the ledger account
``channel:<id>`` (``contract.escrow_account``), which only these handlers move, so
they count in the ledger's conservation check like any balance; ``channels.locked``
records the same amount.  Times are block heights.

    kind                          body                                               authorised by
    channel_open                  channel_id, party_a, party_b, deposit_a,          A (tx) and, if B funds or
                                  deposit_b, challenge_period, shielded, nonce,     the channel is shielded,
                                  [terms_id, payout_terms], [b_signature]           B (b_signature)
    channel_open_from_notes       the same + transfer fields, public_amount =       the transfer proof (A's
                                  −deposit_a (``funding``)                          notes), B (b_signature)
    channel_top_up                channel_id, amount, nonce, [terms_id,             A (tx), B (shielded)
                                  payout_terms, b_signature]
    channel_close                 channel_id, closer                                closer (tx)
    channel_counter               channel_id, state                                 both (co-signed counter)
    channel_counter_shielded      channel_id, state, step, proof                    both (co-signed) + proof
    channel_cooperative_close     channel_id, valid_until, close_signatures, and    both (closing signatures)
                                  state_hash + settle (fresh, no counter recorded)
                                  or states {A, B} (a dispute reveals the counters)
    channel_settle                channel_id                                        — (after the period)
    channel_settle_shielded       channel_id, terms_id, payout_terms, total,        — (the proof)
                                  commitment, cm_a, cm_b, ciphertexts, proof

Each party's counter (what it has paid in total, ``proofs``) starts at 0 with
nonce 0.  Unilateral close (Raiden-style): the closer closes and posts the latest
co-signed counters it holds; during ``challenge_period`` blocks either party may
post a co-signed counter with a higher nonce, which replaces the recorded one;
afterwards anyone settles: B receives deposit_b + t_a − t_b, A the rest.
Counters may also be posted while the channel is open (a checkpoint, or the
first half of a cooperative close).  A cooperative close with both closing
signatures settles at once only up to the height ``valid_until`` both signed;
later (a stale closing signature) it opens the challenge period like a
unilateral close (see ``_cooperative_close``).  So a
party holding the latest co-signed counters never loses to older ones, provided
it looks at the ledger once per challenge period (or lets someone do it for it).

Shielded channels keep only commitments on the ledger.  A counter update carries
a ``channel_update`` proof (``step``) from the counter's recorded commitment (at
first commit(0, 0)) to the posted one, so the ledger knows it rose by whole
units within the total without learning by how much.  Settlement carries a
``channel_settle`` proof that splits the combined commitment
deposit_b·G + C_a − C_b (computed by the ledger) into two shielded notes, cm_a
for A and cm_b for B, in the note tree.
"""
from __future__ import annotations

import json

from circuits.crypto.pedersen import commit
from zkescrow.errors import MalformedInput
from zkescrow.ledger import parse, rules

from .contract import _channel, _int, _party, _point, _reject, _set, _signed_tx, _state, release
from .funding import install as install_funding
from .opening import _open, _top_up
from .proofs import StepProof, closing_message, closing_message_for

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
    nonce_a      INTEGER NOT NULL DEFAULT 0,
    nonce_b      INTEGER NOT NULL DEFAULT 0,
    t_a          INTEGER NOT NULL DEFAULT 0,
    t_b          INTEGER NOT NULL DEFAULT 0,
    c_a          TEXT,
    c_b          TEXT,
    step_a       INTEGER NOT NULL DEFAULT 0,
    step_b       INTEGER NOT NULL DEFAULT 0,
    closer       TEXT,
    settle_height INTEGER,
    settled_txid TEXT
);
"""


# --- close, counters, settle ----------------------------------------------------------------

def _close(state, tx) -> None:
    b = tx.body
    channel = _channel(state, b)
    if channel["status"] != "open":
        _reject(f"the channel is {channel['status']}, not open")
    closer = _party(channel, b, "closer")
    _signed_tx(state, tx, closer)
    _set(state, channel["channel_id"], status="closing", closer=closer,
         settle_height=state.height + channel["challenge_period"])


def _in_window(state, channel: dict) -> None:
    """Counters may be posted while the channel is open or during its challenge period."""
    if channel["status"] == "settled":
        _reject("the channel is settled")
    if channel["status"] == "closing" and state.height >= channel["settle_height"]:
        _reject(f"the challenge period ended at height {channel['settle_height']}")


def _cosigned(channel: dict, body: dict):
    """The co-signed counter in ``body['state']`` and its owner's column suffix ("a" or "b")."""
    proof = _state(channel, body, None)
    side = "a" if proof.sender == channel["party_a"] else "b" if proof.sender == channel["party_b"] else None
    if side is None:
        _reject("the counter belongs to no party of the channel")
    for party in (channel["party_a"], channel["party_b"]):
        if not proof.signed_by(party):
            _reject(f"counter nonce {proof.nonce} is not signed by {party[:16]}… (counters must be co-signed)")
    if proof.nonce <= channel[f"nonce_{side}"]:
        _reject(f"counter nonce {proof.nonce} of party {side.upper()} is not above the recorded "
                f"{channel[f'nonce_{side}']}")
    return proof, side


def _counter(state, tx) -> None:
    channel = _channel(state, tx.body)
    if channel["shielded"]:
        _reject("shielded counters are posted with channel_counter_shielded")
    _in_window(state, channel)
    proof, side = _cosigned(channel, tx.body)
    _set(state, channel["channel_id"], **{f"nonce_{side}": proof.nonce, f"t_{side}": proof.transferred})


def _step(body: dict) -> StepProof:
    try:
        return StepProof.from_json({**body.get("step"), "proof": body.get("proof")})
    except (MalformedInput, TypeError, AttributeError) as exc:
        _reject(f"malformed step proof: {exc}")


def _step_signals(tx) -> list[int]:
    return _step(tx.body).public_signals


def _counter_shielded(state, tx) -> None:
    b = tx.body
    channel = _channel(state, b)
    if not channel["shielded"]:
        _reject("transparent counters are posted with channel_counter")
    _in_window(state, channel)
    proof, side = _cosigned(channel, b)
    step = _step(b)
    if str(step.terms_id) != channel["terms_id"]:
        _reject("the step proof is for other channel terms (total, unit or salt)")
    if step.step_old != channel[f"step_{side}"] or _point(step.c_old) != channel[f"c_{side}"]:
        _reject(f"the step proof does not start at the recorded commitment (step {channel[f'step_{side}']})")
    if tuple(step.c_new) != proof.commitment:
        _reject("the step proof does not end at the posted commitment")
    _set(state, channel["channel_id"], **{f"nonce_{side}": proof.nonce, f"c_{side}": _point(proof.commitment),
                                          f"step_{side}": step.step_old + 1})


def _final_balance(channel: dict) -> int:
    """B's share: deposit_b + t_a − t_b, kept within [0, total]."""
    return min(max(channel["deposit_b"] + channel["t_a"] - channel["t_b"], 0), channel["locked"])


def _pay_out(state, channel: dict, txid: str) -> None:
    balance = _final_balance(channel)
    release(state, channel["channel_id"], channel["locked"])
    state.credit(channel["party_a"], channel["locked"] - balance)
    state.credit(channel["party_b"], balance)
    _set(state, channel["channel_id"], locked=0, status="settled", settled_txid=txid)


def _closing_states(channel: dict, body: dict) -> dict:
    """The final counters {"a", "b"} of a cooperative close, each its party's and not below the recorded one."""
    states = body.get("states")
    if not isinstance(states, dict) or set(states) != {"a", "b"}:
        _reject("states must hold the final counters of a and b")
    final = {}
    for side in ("a", "b"):
        proof = _state(channel, {"state": states[side]}, None)
        if proof.sender != channel[f"party_{side}"]:
            _reject(f"states.{side} is not party {side.upper()}'s counter")
        if proof.nonce < channel[f"nonce_{side}"]:
            _reject(f"a cooperative close cannot go below the recorded counter of {side.upper()}")
        final[side] = proof
    return final


def _check_closing_signatures(channel: dict, body: dict, message: bytes) -> None:
    from nacl.exceptions import BadSignatureError
    from nacl.signing import VerifyKey
    sigs = body.get("close_signatures")
    for party in (channel["party_a"], channel["party_b"]):
        try:
            VerifyKey(bytes.fromhex(party)).verify(message, bytes.fromhex(sigs.get(party, "")))
        except (BadSignatureError, ValueError, TypeError, AttributeError):
            _reject(f"no valid closing signature of {party[:16]}…")


def _lean_settlement(channel: dict, body: dict) -> dict:
    """The ``settle`` part of a close that reveals no counter: ``net`` (signed) or ``c_a``/``c_b`` (shielded)."""
    settle = body.get("settle")
    if not isinstance(settle, dict):
        _reject("a close without counters carries settle")
    if not channel["shielded"]:
        net = settle.get("net")
        if set(settle) != {"net"} or isinstance(net, bool) or not isinstance(net, int) or abs(net) >= 1 << 64:
            _reject("settle.net must be an integer in (−2^64, 2^64)")
        return {"net": net}
    if set(settle) != {"c_a", "c_b"}:
        _reject("settle must hold the final commitments c_a and c_b")
    for side in ("a", "b"):            # parsed as a counter's commitment: on the curve, in the subgroup
        _state(channel, {"state": {"kind": "shielded", "channel_id": channel["channel_id"],
                                   "sender": channel[f"party_{side}"], "nonce": 0,
                                   "commitment": settle[f"c_{side}"]}}, None)
    return {"c_a": [str(int(c)) for c in settle["c_a"]], "c_b": [str(int(c)) for c in settle["c_b"]]}


def _lean_close(state, tx, channel: dict, valid_until) -> None:
    """A fresh cooperative close that reveals no counter: the ledger settles from what both parties signed.

    Allowed only while no counter is recorded and the channel is open (nothing to
    compare nonces with) and within the bound; any other close is a dispute and
    reveals the counters (``states``), which must hash to the signed state hash.
    """
    b = tx.body
    if channel["status"] != "open" or channel["nonce_a"] or channel["nonce_b"]:
        _reject("the ledger holds counters of this channel: the close must reveal the final counters (states)")
    if valid_until is None or state.height > valid_until:
        _reject("past its bound a close must reveal the final counters (states)")
    state_hash = parse.hex_string(b.get("state_hash"), "state_hash", length=64)
    settlement = _lean_settlement(channel, b)
    _check_closing_signatures(channel, b, closing_message_for(channel["channel_id"], state_hash, settlement,
                                                              valid_until))
    if channel["shielded"]:
        _set(state, channel["channel_id"], c_a=_point(settlement["c_a"]), c_b=_point(settlement["c_b"]),
             status="closing", settle_height=state.height)
        return
    net = settlement["net"]
    channel.update(t_a=max(net, 0), t_b=max(-net, 0))
    _pay_out(state, channel, tx.txid)


def _cooperative_close(state, tx) -> None:
    """Both parties' closing signatures over one final state: settle at once while fresh, else challenge.

    Why a fresh close may settle at once: a party's channel is frozen once it signs
    a closing message (``closing``), so the counters it signed are the highest it
    ever countersigns and no later balance proof can exist to challenge with.  Why
    freshness (``valid_until``, a height both signed) is still required: a party
    whose software does not freeze (an older version, or a channel file restored
    from before the signature) would otherwise be exposed to its old closing
    signature for ever; with the bound, a stale close (the peer obtained the
    signature at 500, was paid on to 3,500, then submits the 500 close) settles no
    faster than a unilateral close: it records the signed counters and opens the
    challenge period, during which either party posts a later co-signed counter
    (``channel_counter``/``channel_counter_shielded``) that supersedes them, and
    anyone settles after it.  An unbounded close (``valid_until`` null) always
    takes the challenge path.

    The closing message binds the counters by a hash (``proofs.closing_state_hash``),
    so a fresh close on a channel with no recorded counter posts only ``state_hash``
    and ``settle`` (``_lean_close``: no nonce, no packet count); every other close
    reveals ``states`` (the counters with their nonces), which must hash to it.
    """
    b = tx.body
    channel = _channel(state, b)
    if channel["status"] == "settled":
        _reject("the channel is already settled")
    valid_until = b.get("valid_until")
    if valid_until is not None:
        valid_until = _int(b, "valid_until")
    if "states" not in b:
        _lean_close(state, tx, channel, valid_until)
        return
    final = _closing_states(channel, b)
    _check_closing_signatures(channel, b, closing_message(channel["channel_id"], final["a"], final["b"],
                                                          valid_until))
    if channel["shielded"]:
        for side in ("a", "b"):
            if _point(final[side].commitment) != channel[f"c_{side}"]:
                _reject(f"post the final counter of {side.upper()} (channel_counter_shielded) before closing")
    at_once = valid_until is not None and state.height <= valid_until
    if not at_once:
        _start_challenge(state, channel, final)
    elif channel["shielded"]:
        _set(state, channel["channel_id"], status="closing", settle_height=state.height)
    else:
        channel.update(t_a=final["a"].transferred, t_b=final["b"].transferred)
        _set(state, channel["channel_id"], nonce_a=final["a"].nonce, nonce_b=final["b"].nonce,
             t_a=channel["t_a"], t_b=channel["t_b"])
        _pay_out(state, channel, tx.txid)


def _start_challenge(state, channel: dict, final: dict) -> None:
    """A stale (or unbounded) cooperative close: record the signed counters that beat the ledger's, then wait.

    The channel closes as if unilaterally (an already running challenge period is
    not extended); a later co-signed counter of either party still wins.
    """
    _in_window(state, channel)
    updates = {}
    if not channel["shielded"]:            # shielded counters were posted (with step proofs) and match already
        for side in ("a", "b"):
            if final[side].nonce > channel[f"nonce_{side}"]:
                updates.update({f"nonce_{side}": final[side].nonce, f"t_{side}": final[side].transferred})
    if channel["status"] == "open":
        updates.update(status="closing", settle_height=state.height + channel["challenge_period"])
    if updates:
        _set(state, channel["channel_id"], **updates)


def _settleable(state, channel: dict) -> None:
    if channel["status"] != "closing":
        _reject(f"the channel is {channel['status']}, not closing")
    if state.height < channel["settle_height"]:
        _reject(f"settlement before the end of the challenge period (height {state.height} < "
                f"{channel['settle_height']})")


def _settle(state, tx) -> None:
    channel = _channel(state, tx.body)
    if channel["shielded"]:
        _reject("shielded channels settle with channel_settle_shielded")
    _settleable(state, channel)
    _pay_out(state, channel, tx.txid)


def combined_commitment(channel: dict) -> tuple[int, int]:
    """deposit_b·G + C_a − C_b: the commitment to B's final balance, from the recorded counters."""
    from circuits.crypto.babyjub import Point
    c_a = Point(*(int(v) for v in json.loads(channel["c_a"])))
    c_b = Point(*(int(v) for v in json.loads(channel["c_b"])))
    point = commit(channel["deposit_b"], 0) + c_a - c_b
    return int(point.x), int(point.y)


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
    if signals[2] != channel["locked"] or tuple(signals[3:5]) != combined_commitment(channel):
        _reject("the settlement proof does not split the channel's total at its final counters")
    state.add_notes(signals[5:7], b.get("ciphertexts"), tx.txid)
    release(state, channel["channel_id"], channel["locked"])
    state.pool_value += channel["locked"]
    _set(state, channel["channel_id"], locked=0, status="settled", settled_txid=tx.txid)


def install(rulebook) -> None:
    """Add the channel kinds and their table to one ledger's ``rulebook``."""
    rulebook.add_schema(SCHEMA)
    rulebook.add("channel_open", _open)
    rulebook.add("channel_top_up", _top_up)
    rulebook.add("channel_close", _close)
    rulebook.add("channel_counter", _counter)
    rulebook.add("channel_counter_shielded", _counter_shielded, circuit="channel_update",
                 public_signals=_step_signals)
    rulebook.add("channel_cooperative_close", _cooperative_close)
    rulebook.add("channel_settle", _settle)
    rulebook.add("channel_settle_shielded", _settle_shielded, circuit="channel_settle",
                 public_signals=_settle_signals)
    install_funding(rulebook, lambda state, tx: _open(state, tx, from_notes=True))

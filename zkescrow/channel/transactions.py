"""Building the ledger transactions of a channel from a party's ``Channel`` (see ``adjudicator`` for the rules).

The ledger stays the judge: these helpers only assemble bodies, proofs and
signatures.  Shielded helpers take ``prover`` (``CircuitKeys`` of the ledger).
"""
from __future__ import annotations

from dataclasses import replace

from nacl.signing import SigningKey

from zkescrow.errors import ChannelError, MalformedInput
from zkescrow.escrow.transactions import Transaction

from .adjudicator import open_signing_bytes
from .proofs import Opening
from .settle_circuit import channel_settle_inputs
from .state import Channel, prove_transition
from .terms import ChannelTerms


def channel_record(ledger, channel_id: str) -> dict:
    """The ledger's row for ``channel_id`` (what every observer sees)."""
    row = ledger.store.one("SELECT * FROM channels WHERE channel_id = ?", channel_id)
    if row is None:
        raise MalformedInput(f"the ledger has no channel {channel_id[:16]}…")
    return dict(row)


def open_transaction(terms: ChannelTerms, key_a: SigningKey, account_nonce: int,
                     key_b: SigningKey | None = None) -> Transaction:
    """channel_open signed by A (and by B when B funds or the channel is shielded)."""
    body = {"channel_id": terms.channel_id, "party_a": terms.party_a, "party_b": terms.party_b,
            "deposit_a": terms.deposit_a, "deposit_b": terms.deposit_b,
            "challenge_period": terms.challenge_period, "shielded": terms.shielded, "nonce": account_nonce}
    if terms.shielded:
        body.update(terms_id=str(terms.terms_id), payout_terms=str(terms.payout_terms))
    if terms.deposit_b or terms.shielded:
        if key_b is None:
            raise ChannelError("B must sign the open of a shielded or B-funded channel")
        body["b_signature"] = key_b.sign(open_signing_bytes(body)).signature.hex()
    return Transaction("channel_open", body).signed(key_a)


def top_up_transaction(terms: ChannelTerms, amount: int, key_a: SigningKey, account_nonce: int,
                       key_b: SigningKey | None = None) -> tuple[Transaction, ChannelTerms]:
    """(channel_top_up by A, the terms after it); a shielded top-up needs B's signature on the new terms."""
    new = terms.topped_up(amount)
    body = {"channel_id": terms.channel_id, "amount": amount, "nonce": account_nonce}
    if terms.shielded:
        if key_b is None:
            raise ChannelError("B must sign the new terms of a shielded top-up")
        body.update(terms_id=str(new.terms_id), payout_terms=str(new.payout_terms))
        body["b_signature"] = key_b.sign(open_signing_bytes(body)).signature.hex()
    return Transaction("channel_top_up", body).signed(key_a), new


def closing_signature(channel: Channel) -> str:
    """This party's consent to settle at once at the latest co-signed state."""
    return channel.enforceable.sign_closing(channel.key)


def cooperative_close_transaction(channel: Channel, peer_signature: str, *, prover=None) -> list[Transaction]:
    """Close and settle at the latest co-signed state, with both closing signatures (no challenge period)."""
    state = channel.enforceable
    sigs = {channel.address: closing_signature(channel), channel.peer: peer_signature}
    if not channel.terms.shielded:
        return [Transaction("channel_cooperative_close", {"channel_id": channel.terms.channel_id,
                                                          "state": state.to_json(), "close_signatures": sigs})]
    body = {"channel_id": channel.terms.channel_id, "closer": channel.address, "close_signatures": sigs,
            **_shielded_claim(channel, state, prover, 0, Opening(channel.terms.deposit_b, 0))}
    close = Transaction("channel_close_shielded", body).signed(channel.key)
    return [close, settle_shielded_transaction(channel, prover, state)]


def close_transaction(channel: Channel, *, prover=None) -> Transaction:
    """Unilateral close with the latest state the peer signed (the opening state if none)."""
    state = channel.enforceable
    body = {"channel_id": channel.terms.channel_id, "closer": channel.address}
    if not channel.terms.shielded:
        if state.nonce:
            body["state"] = state.to_json()
        return Transaction("channel_close", body).signed(channel.key)
    body.update(_shielded_claim(channel, state, prover, 0, Opening(channel.terms.deposit_b, 0)))
    return Transaction("channel_close_shielded", body).signed(channel.key)


def challenge_transaction(channel: Channel, record: dict, *, prover=None) -> Transaction | None:
    """Answer a close on the ledger (``record``) with a higher state the closer signed; None if not needed."""
    state = channel.enforceable
    if record["status"] != "closing" or state.nonce <= record["nonce"]:
        return None
    body = {"channel_id": channel.terms.channel_id, "party": channel.address}
    if not channel.terms.shielded:
        body["state"] = state.to_json()
        return Transaction("channel_challenge", body).signed(channel.key)
    import json
    anchor = tuple(int(c) for c in json.loads(record["commitment"]))
    opening = channel.openings.get(anchor)
    if opening is None:
        raise ChannelError("the claimed commitment is no state this party signed or received")
    body.update(_shielded_claim(channel, state, prover, record["proven_step"], opening))
    return Transaction("channel_challenge_shielded", body).signed(channel.key)


def _shielded_claim(channel: Channel, state, prover, step_old: int, anchor: Opening) -> dict:
    prover = prover or channel.prover
    step = prove_transition(prover, channel.terms, step_old, anchor, channel.opening_of(state))
    step_json = step.to_json()
    body = {"proof": step_json.pop("proof"), "step": step_json}
    if state.nonce:
        body["state"] = state.to_json()
    return body


def settle_transaction(channel_id: str) -> Transaction:
    """Settle a transparent channel after its challenge period (anyone may send it)."""
    return Transaction("channel_settle", {"channel_id": channel_id})


def settle_shielded_transaction(channel: Channel, prover=None, state=None, *, record: dict | None = None,
                                ciphertexts: tuple[str, str] = ("", "")) -> Transaction:
    """Settle a shielded channel into two notes at the ledger's final commitment (or ``state``).

    The notes' ρ and blinding derive from the channel salt (``terms``), so both
    parties can rebuild and spend them without a ciphertext.
    """
    import json
    if state is not None:
        opening = channel.opening_of(state)
    else:
        final = tuple(int(c) for c in json.loads(record["commitment"]))
        opening = channel.openings.get(final)
        if opening is None:
            raise ChannelError("the ledger's final commitment is no state this party knows")
    inputs = channel_settle_inputs(channel.terms, opening.balance, opening.blind)
    proof, _, _ = (prover or channel.prover).prove("channel_settle", inputs)
    body = {"channel_id": channel.terms.channel_id, "terms_id": str(inputs["terms_id"]),
            "payout_terms": str(inputs["payout_terms"]), "total": inputs["total"],
            "commitment": [str(c) for c in inputs["c"]], "cm_a": str(inputs["cm_a"]), "cm_b": str(inputs["cm_b"]),
            "ciphertexts": list(ciphertexts), "proof": proof}
    return Transaction("channel_settle_shielded", body)


def apply_top_up(channel: Channel, terms: ChannelTerms) -> None:
    """Both parties adopt the terms after a top-up (the balance, B's share, is unchanged)."""
    if terms.channel_id != channel.terms.channel_id:
        raise ChannelError("top-up terms of another channel")
    channel.terms = replace(terms)

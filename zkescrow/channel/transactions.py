"""Building the ledger transactions of a channel from a party's ``Channel`` (see ``adjudicator`` for the rules).

The ledger stays the judge: these helpers only assemble bodies, proofs and
signatures.  Shielded helpers take ``prover`` (``CircuitKeys`` of the ledger).
"""
from __future__ import annotations

import json
from dataclasses import replace

from nacl.signing import SigningKey

from circuits.escrow.channel_settle import channel_settle_inputs, settlement_note_objects
from zkescrow.errors import ChannelError, WrongState
from zkescrow.ledger.transactions import Transaction

from .closing import CLOSE_VALIDITY, Closing, sign_closing
from .contract import open_signing_bytes
from .proofs import Opening, ShieldedBalanceProof, closing_settlement, closing_state_hash
from .state import Channel, prove_transition
from .terms import ChannelTerms


def channel_record(ledger, channel_id: str) -> dict:
    """The ledger's row for ``channel_id`` (what every observer sees)."""
    row = ledger.backend.row("channels", "channel_id", channel_id) if ledger.rulebook.knows("channel_open") else None
    if row is None:
        raise WrongState(f"the ledger has no channel {channel_id[:16]}…")
    return row


def locked_in_channels(ledger) -> int:
    """Value the ledger's channels hold (in their ``channel:<id>`` accounts) right now."""
    row = ledger.store.one("SELECT COALESCE(SUM(locked), 0) AS v FROM channels")
    return row["v"]


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
        body["b_signature"] = key_b.sign(open_signing_bytes(body, terms.chain_id)).signature.hex()
    return Transaction("channel_open", body).signed(key_a, terms.chain_id)


def top_up_transaction(terms: ChannelTerms, amount: int, key_a: SigningKey, account_nonce: int,
                       key_b: SigningKey | None = None) -> tuple[Transaction, ChannelTerms]:
    """(channel_top_up by A, the terms after it); a shielded top-up needs B's signature on the new terms."""
    new = terms.topped_up(amount)
    body = {"channel_id": terms.channel_id, "amount": amount, "nonce": account_nonce}
    if terms.shielded:
        if key_b is None:
            raise ChannelError("B must sign the new terms of a shielded top-up")
        body.update(terms_id=str(new.terms_id), payout_terms=str(new.payout_terms))
        body["b_signature"] = key_b.sign(open_signing_bytes(body, terms.chain_id)).signature.hex()
    return Transaction("channel_top_up", body).signed(key_a, terms.chain_id), new


def closing_signature(channel: Channel, ledger=None, *, valid_until: int | None = None,
                      validity: int = CLOSE_VALIDITY) -> bytes:
    """This party's closing message (bytes) at its latest co-signed counters; its channel is frozen from now on.

    The close settles at once until ledger height ``valid_until`` (default: the
    ``ledger``'s height + ``validity``); without a bound it only opens the challenge
    period.  Send the message to the peer, who passes it to ``settle``.
    """
    if valid_until is None and ledger is not None:
        valid_until = ledger.height + validity
    return sign_closing(channel, valid_until).to_bytes()


def cooperative_close_transactions(channel: Channel, peer_signature: bytes, *, record: dict | None = None,
                                   prover=None, recipients: tuple | None = None,
                                   height: int | None = None) -> list[Transaction]:
    """Close at the final counters both parties signed (this party signs too, and is frozen from now on).

    It settles in the same block while the peer's bound holds (at ``height`` + 1,
    the next block, when the ledger height is given).  While the ledger (``record``:
    its row) holds no counter of the channel, the close reveals no counter: it posts
    the signed state hash and what settlement needs (``proofs.closing_settlement``),
    and a shielded channel then settles into notes.  Otherwise (a dispute) shielded
    channels first post the counters the ledger has not recorded, then close with
    the counters revealed, then settle.  Past the bound the close opens the challenge
    period (settle with ``settle_after_period``).  If the two parties' final
    counters differ (a payment was in flight), this party closes unilaterally with
    its own co-signed counters.
    """
    terms = channel.terms
    peer = Closing.from_bytes(peer_signature)
    if peer.channel_id != terms.channel_id:
        raise ChannelError("the closing message is for another channel")
    own = sign_closing(channel, peer.valid_until)
    if not own.same_close(peer):
        return unilateral_transactions(channel, record, prover=prover)
    at_once = own.valid_until is not None and (height is None or height + 1 <= own.valid_until)
    body = {"channel_id": terms.channel_id, "close_signatures": {own.signer: own.signature, peer.signer: peer.signature},
            "valid_until": own.valid_until}
    recorded = record is not None and (record["status"] != "open" or record["nonce_a"] or record["nonce_b"])
    final = {terms.party_a: own.states["a"], terms.party_b: own.states["b"]}
    if at_once and not recorded:       # nothing to dispute: post what settlement needs, no counter, no nonce
        body.update(state_hash=closing_state_hash(own.states["a"], own.states["b"]),
                    settle=closing_settlement(own.states["a"], own.states["b"]))
        close = Transaction("channel_cooperative_close", body)
        if not terms.shielded:
            return [close]
        return [close, settle_shielded_transaction(channel, prover, final, recipients=recipients)]
    body["states"] = {side: state.to_json() for side, state in own.states.items()}
    close = Transaction("channel_cooperative_close", body)
    if not terms.shielded:
        return [close]
    txs = [*counter_transactions(channel, record, prover=prover), close]
    if at_once:
        txs.append(settle_shielded_transaction(channel, prover, final, recipients=recipients))
    return txs


def unilateral_transactions(channel: Channel, record: dict | None = None, *, prover=None) -> list[Transaction]:
    """Close alone (or, if the channel is already closing, post the counters that beat the ledger's)."""
    if record is not None and record["status"] == "closing":
        return counter_transactions(channel, record, prover=prover)
    return close_transactions(channel, record=record, prover=prover)


def close_transactions(channel: Channel, *, record: dict | None = None, prover=None) -> list[Transaction]:
    """Unilateral close, followed by the co-signed counters this party holds that beat the ledger's."""
    close = Transaction("channel_close", {"channel_id": channel.terms.channel_id,
                                          "closer": channel.address}).signed(channel.key, channel.terms.chain_id)
    return [close, *counter_transactions(channel, record, prover=prover)]


def counter_transactions(channel: Channel, record: dict | None = None, *, prover=None) -> list[Transaction]:
    """Post every co-signed counter this party holds whose nonce beats the ledger's ``record`` (challenge)."""
    txs = []
    terms = channel.terms
    for side, party in (("a", terms.party_a), ("b", terms.party_b)):
        state = channel.counters[party].cosigned
        if state.nonce <= (record[f"nonce_{side}"] if record else 0):
            continue
        body = {"channel_id": terms.channel_id, "state": state.to_json()}
        if not terms.shielded:
            txs.append(Transaction("channel_counter", body))
            continue
        step_old = record[f"step_{side}"] if record else 0
        anchor = tuple(int(c) for c in json.loads(record[f"c_{side}"])) if record else Opening(0, 0).commitment()
        counter = channel.counters[party]
        if anchor not in counter.openings:
            raise ChannelError(f"the ledger's commitment of {side.upper()}'s counter is no state known here")
        step = prove_transition(prover or channel.prover, terms, step_old, counter.openings[anchor],
                                channel.opening_of(state)).to_json()
        body.update(proof=step.pop("proof"), step=step)
        txs.append(Transaction("channel_counter_shielded", body))
    return txs


def settle_transaction(channel_id: str) -> Transaction:
    """Settle a transparent channel after its challenge period (anyone may send it)."""
    return Transaction("channel_settle", {"channel_id": channel_id})


def settle_shielded_transaction(channel: Channel, prover=None, final: dict | None = None, *,
                                record: dict | None = None, recipients: tuple | None = None) -> Transaction:
    """Settle a shielded channel into two notes at the final counters: ``final`` {party: state}, or the
    ledger's recorded commitments (``record``), whose openings this party must know.

    The notes' ρ and blinding derive from the channel salt (``terms``), so both
    parties can rebuild them; with ``recipients`` = (A's, B's X25519 viewing public
    key) each note is also encrypted to its owner (``escrow.note_encryption``), so
    their wallets find and spend them like any other note.
    """
    terms = channel.terms
    if final is None:
        final = {}
        for side, party in (("a", terms.party_a), ("b", terms.party_b)):
            point = tuple(int(c) for c in json.loads(record[f"c_{side}"]))
            if point not in channel.counters[party].openings:
                raise ChannelError(f"the ledger's final counter of {side.upper()} is no state known here")
            final[party] = ShieldedBalanceProof(terms.channel_id, party, record[f"nonce_{side}"], point)
    opening = channel.combined_opening(final)
    inputs = channel_settle_inputs(terms, opening.value, opening.blind)
    from zkescrow.ledger.note_encryption import dummy_ciphertext, encrypt_note
    ciphertexts = [dummy_ciphertext(), dummy_ciphertext()]       # every note carries one, all of one length
    if recipients is not None:
        ciphertexts = [encrypt_note(note, key) for note, key in zip(settlement_note_objects(terms, opening.value),
                                                                    recipients)]
    proof, _, _ = (prover or channel.prover).prove("channel_settle", inputs)
    body = {"channel_id": terms.channel_id, "terms_id": str(inputs["terms_id"]),
            "payout_terms": str(inputs["payout_terms"]), "total": inputs["total"],
            "commitment": [str(c) for c in inputs["c"]], "cm_a": str(inputs["cm_a"]), "cm_b": str(inputs["cm_b"]),
            "ciphertexts": ciphertexts, "proof": proof}
    return Transaction("channel_settle_shielded", body)


def apply_top_up(channel: Channel, terms: ChannelTerms) -> None:
    """Both parties adopt the terms after a top-up (the balance, B's share, is unchanged)."""
    if terms.channel_id != channel.terms.channel_id:
        raise ChannelError("top-up terms of another channel")
    channel.terms = replace(terms)

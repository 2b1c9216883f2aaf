"""The integration API for channel libraries: balance proofs in, balance proofs out, as bytes.

A library that already has its own channel loop (HTTP 402 paywall, message bus,
state channel framework) needs five things from zkescrow, all here::

    key     = one_time_key()                                  # each party, per channel: no long-term identity
    terms   = new_channel(key_a, address_b, account_nonce, deposit_for(need), shielded=False)
    channel = Channel(terms, my_key)                          # one per party
    msg     = make_update(channel, amount)                    # payer  -> bytes to send
    upd     = verify_update(channel, msg)                     # payee  -> Verified(amount, receipt, proof)
    accept_receipt(channel, upd.receipt)                      # payer  <- the payee's countersignature
    close   = closing_signature(channel, ledger)              # peer   -> its closing message (then frozen)
    txs     = settle(channel, ledger=..., peer_signature=close) # either -> ledger transactions
    save_channel(channel, path); load_channel(path, my_key)   # survive going offline

Messages are canonical JSON bytes, so any transport (HTTP headers, websockets,
queues, files) can carry them; nothing here knows what is being paid for.
``BalanceProof`` (signed counter, µRaiden-style) and ``ShieldedBalanceProof``
(Pedersen-committed counter with ``channel_update`` step proofs) are the two
proof types; ``verify_update`` raises ``ChannelError``/``MalformedInput`` and
changes nothing when a message is stale, replayed, tampered or unauthorised.
"""
from __future__ import annotations

from dataclasses import dataclass

from nacl.signing import SigningKey

from .funding import DENOMINATIONS, deposit_for
from .proofs import BalanceProof, Opening, ShieldedBalanceProof, StepProof, address_of
from .state import Channel
from .storage import load_channel, save_channel
from .terms import ChannelTerms
from .transactions import (channel_record, closing_signature, cooperative_close_transactions, counter_transactions,
                           open_transaction, settle_shielded_transaction, settle_transaction, unilateral_transactions)

__all__ = ["one_time_key", "deposit_for", "DENOMINATIONS", "BalanceProof", "ShieldedBalanceProof", "Opening", "StepProof", "ChannelTerms", "Channel", "Verified",
           "new_channel", "open_transaction", "make_update", "verify_update", "accept_receipt", "verify_backlog",
           "closing_signature", "settle", "challenge", "settle_after_period", "address_of", "save_channel",
           "load_channel"]


def one_time_key() -> SigningKey:
    """A fresh Ed25519 key for one channel (the seed's one-time identities): open, sign and close with it, keep
    it in the channel's file (``Channel(..., one_time=True)``, ``save_channel``), and nothing on the ledger
    names the party's long-term account.  Fund A's side from notes (``funding.open_from_notes_transaction``);
    a shielded channel pays out into notes, a signed one to these one-time addresses."""
    return SigningKey.generate()


@dataclass(frozen=True)
class Verified:
    """A checked incoming update: the ``amount`` it pays, the ``receipt`` to send back, and the proof itself."""

    amount: int
    receipt: bytes
    proof: BalanceProof | ShieldedBalanceProof


def new_channel(key_a: SigningKey, party_b: str, account_nonce: int, deposit_a: int, deposit_b: int = 0, *,
                challenge_period: int = 10, shielded: bool = False, unit: int = 1, owner_a: int = 0,
                owner_b: int = 0, chain_id: str = "") -> ChannelTerms:
    """Terms of a new channel from A (holder of ``key_a``) to ``party_b``; ``account_nonce`` is A's ledger nonce
    on the ledger ``chain_id`` (``Ledger.chain_id``: the channel id, and so every message naming it, binds it).

    Shielded channels also fix ``unit`` (every payment is a multiple of it) and the
    note owners the settlement pays (``circuits.notes.owner_of``).
    """
    return ChannelTerms.new(address_of(key_a), party_b, account_nonce, deposit_a, deposit_b,
                            challenge_period=challenge_period, shielded=shielded, unit=unit, owner_a=owner_a,
                            owner_b=owner_b, chain_id=chain_id)


def make_update(channel: Channel, amount: int) -> bytes:
    """Pay ``amount`` more to the peer: the signed (or committed) counter as bytes to send."""
    return channel.pay(amount)


def verify_update(channel: Channel, message: bytes) -> Verified:
    """Check the peer's update and countersign it; raises and changes nothing if it is not acceptable."""
    amount, receipt = channel.receive(message)
    return Verified(amount, receipt, channel.last_received if amount else channel.theirs.latest)


def accept_receipt(channel: Channel, receipt: bytes) -> int:
    """Store the peer's countersignature of this party's update; returns the confirmed nonce."""
    return channel.confirm(receipt)


def verify_backlog(channel: Channel) -> int:
    """Batch-verify the step proofs received on a shielded channel; returns how many were checked."""
    return channel.verify_backlog()


def settle(channel: Channel, *, ledger=None, peer_signature: str | None = None, prover=None,
           recipients: tuple | None = None) -> list:
    """Ledger transactions that end the channel from this party's latest co-signed counters.

    With the peer's ``closing_signature`` (its closing message) the close is
    cooperative: this party signs the same final counters (and is frozen from then
    on) and the close settles in one block while the peer's bound holds; past it,
    or without it, the close opens the challenge period like a unilateral one.
    Without ``peer_signature`` this party closes unilaterally (submit the list, wait
    ``challenge_period`` blocks, then submit ``settle_after_period``).  ``ledger``
    supplies the recorded counters and the height.  For a shielded channel,
    ``recipients`` (A's and B's viewing public keys) encrypts the settlement notes
    to their owners.
    """
    record = channel_record(ledger, channel.terms.channel_id) if ledger is not None else None
    if peer_signature is not None:
        return cooperative_close_transactions(channel, peer_signature, record=record, prover=prover,
                                              recipients=recipients,
                                              height=ledger.height if ledger is not None else None)
    return unilateral_transactions(channel, record, prover=prover)


def challenge(channel: Channel, ledger, *, prover=None) -> list:
    """The counter updates that beat a close on ``ledger`` (empty if the recorded counters are current)."""
    record = channel_record(ledger, channel.terms.channel_id)
    return [] if record["status"] != "closing" else counter_transactions(channel, record, prover=prover)


def settle_after_period(channel: Channel, ledger, *, prover=None, recipients: tuple | None = None):
    """The final settlement transaction once the challenge period has passed."""
    if not channel.terms.shielded:
        return settle_transaction(channel.terms.channel_id)
    return settle_shielded_transaction(channel, prover, record=channel_record(ledger, channel.terms.channel_id),
                                       recipients=recipients)


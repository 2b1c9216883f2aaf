"""Funding a channel from shielded notes: ``channel_open_from_notes``.

A's deposit leaves the shielded pool through a ``transfer`` proof (the same
join-split the escrow uses: A's notes in, change back to A, public_amount =
−deposit_a), and the channel's terms ride in the same transaction, bound into
the proof through ext_data_hash so nobody can re-target the deposit.  The ledger
learns the deposit (as for any channel) but not which notes paid it.  B signs the
whole body (``b_signature``) as for a shielded ``channel_open``.

With one-time channel keys (``api.one_time_key``) for both parties, this open
names no long-term identity: party_a and party_b are keys made for this channel,
A's deposit comes from notes, and a shielded channel pays out into notes.
Deposits are drawn from ``DENOMINATIONS`` (``deposit_for``): a deposit says how
much the channel may carry, rounded up to a power of two × 100, and not a tariff
times a packet count.
"""
from __future__ import annotations

from nacl.signing import SigningKey

from circuits.notes import Note
from zkescrow.errors import MalformedInput
from zkescrow.ledger.rules import transfer_signals
from zkescrow.ledger.transactions import Transaction

from .terms import ChannelTerms

KIND = "channel_open_from_notes"
#: The deposits a channel is opened with: 100 · 2^k base units (k = 0 … 56, all below 2^64).
DENOMINATIONS = tuple(100 << k for k in range(57))


def deposit_for(need: int) -> int:
    """The smallest denomination that covers ``need`` (what a session may cost at most)."""
    if isinstance(need, bool) or not isinstance(need, int) or need < 0:
        raise MalformedInput(f"a deposit need is a non-negative integer, got {need!r}")
    for value in DENOMINATIONS:
        if value >= need:
            return value
    raise MalformedInput(f"no denomination covers {need}")
#: Body fields the transfer proof binds (through ext_data_hash).
BOUND_FIELDS = ("ciphertexts", "channel_id", "party_a", "party_b", "deposit_a", "deposit_b", "challenge_period",
                "shielded", "nonce", "terms_id", "payout_terms")


def _signals(tx) -> list[int]:
    return transfer_signals(tx, BOUND_FIELDS)


def install(rulebook, handler) -> None:
    """Teach ``rulebook`` ``channel_open_from_notes`` (called by ``adjudicator.install``)."""
    rulebook.add(KIND, handler, circuit="transfer", public_signals=_signals)


def open_from_notes_transaction(terms: ChannelTerms, open_nonce: int, wallet, key_b: SigningKey) -> Transaction:
    """A's ``wallet`` (``zkescrow.ledger.wallet.Wallet``) funds ``terms.deposit_a`` from its notes; B signs.

    ``terms`` come from ``ChannelTerms.new(a, b, open_nonce, ...)`` with any fresh
    ``open_nonce`` (A needs no transparent account).  Change goes back to A's wallet.
    """
    from .contract import open_signing_bytes
    deposit = terms.deposit_a
    spends = wallet.select(deposit)
    change = sum(n.note.value for n in spends) - deposit
    view = bytes(wallet.keys.viewing.public_key)
    outputs = [(Note.new(change, wallet.keys.owner), view)] if change else []
    fields = {"channel_id": terms.channel_id, "party_a": terms.party_a, "party_b": terms.party_b,
              "deposit_a": deposit, "deposit_b": terms.deposit_b, "challenge_period": terms.challenge_period,
              "shielded": terms.shielded, "nonce": open_nonce,
              "terms_id": str(terms.terms_id) if terms.shielded else None,
              "payout_terms": str(terms.payout_terms) if terms.shielded else None}
    tx = wallet.build_transfer(spends, outputs, -deposit, KIND, fields, bound=BOUND_FIELDS)
    body = dict(tx.body)
    body["b_signature"] = key_b.sign(open_signing_bytes(body, terms.chain_id)).signature.hex()
    return Transaction(KIND, body)


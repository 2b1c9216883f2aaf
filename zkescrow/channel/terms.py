"""What two parties fix when they open a channel, and the hashes the ledger and circuits bind.

    channel_id   = SHA-256(canonical {"a": A, "b": B, "nonce": A's account nonce at open, "chain": chain id})
                   (hex; µRaiden's keccak(sender, receiver, open_block) with the account nonce for the block,
                   and the ledger's chain id: every balance proof and closing message names the channel,
                   so none of them is valid on another ledger)
    terms_id     = H(CHANNEL, total, unit, salt)              shielded: the ``channel_update`` circuit's channel_id
    payout_terms = H(TERMS, owner_a, owner_b, unit, terms_id) shielded: who the settlement notes belong to

``unit`` is the price unit of a shielded channel: every move of the committed
balance is a whole number of units (the circuit's ``packets·price``).  With a
fixed tariff, unit = the price of one packet and a step proof says "k packets at
the agreed price"; with dynamic pricing, unit is the tariff granularity and every
signalled packet price must be a multiple of it.  ``salt`` is a secret the two
parties share (it hides the deposit and unit inside terms_id and seeds the
settlement notes).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from circuits.crypto.poseidon import poseidon
from circuits.domains import Domain
from circuits.escrow.channel_settle import NOTE_A, NOTE_B, settlement_blind, settlement_rho  # noqa: F401
from circuits.escrow.channel_update import PRICE_BITS
from circuits.escrow.channel_update import channel_id as _terms_hash
from circuits.notes import MAX_VALUE, random_field_element
from zkescrow.errors import MalformedInput
from zkescrow.ledger.codec import digest


def channel_id_for(party_a: str, party_b: str, open_nonce: int, chain_id: str) -> str:
    """The ledger id of the channel A opens to B with its account nonce ``open_nonce`` on ledger ``chain_id``."""
    return digest({"a": party_a, "b": party_b, "nonce": open_nonce, "chain": chain_id}).hex()


@dataclass(frozen=True)
class ChannelTerms:
    """A channel as both parties know it (the ledger knows all but ``unit``, ``salt`` and the owners)."""

    channel_id: str
    party_a: str
    party_b: str
    deposit_a: int
    deposit_b: int = 0
    challenge_period: int = 10
    shielded: bool = False
    unit: int = 1
    salt: int = 0
    owner_a: int = 0
    owner_b: int = 0
    chain_id: str = ""

    def __post_init__(self):
        for name in ("deposit_a", "deposit_b", "challenge_period"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_VALUE:
                raise MalformedInput(f"{name} must be an integer in [0, 2^64), got {value!r}")
        if self.total > MAX_VALUE or self.total == 0:
            raise MalformedInput("the channel must hold a positive total below 2^64")
        if self.party_a == self.party_b:
            raise MalformedInput("a channel needs two different parties")
        if not 0 < self.unit < 1 << PRICE_BITS:
            raise MalformedInput(f"unit must be in [1, 2^{PRICE_BITS})")

    @classmethod
    def new(cls, party_a: str, party_b: str, open_nonce: int, deposit_a: int, deposit_b: int = 0, *,
            challenge_period: int = 10, shielded: bool = False, unit: int = 1, owner_a: int = 0,
            owner_b: int = 0, chain_id: str = "") -> "ChannelTerms":
        """Fresh terms (a random salt for shielded channels) on the ledger ``chain_id`` (``Ledger.chain_id``;
        a ledger refuses to open a channel whose id does not bind its chain id)."""
        return cls(channel_id_for(party_a, party_b, open_nonce, chain_id), party_a, party_b, deposit_a, deposit_b,
                   challenge_period, shielded, unit, random_field_element() if shielded else 0, owner_a, owner_b,
                   chain_id)

    @property
    def total(self) -> int:
        return self.deposit_a + self.deposit_b

    @property
    def terms_id(self) -> int:
        return _terms_hash(self.total, self.unit, self.salt)

    @property
    def payout_terms(self) -> int:
        return poseidon([Domain.TERMS, self.owner_a, self.owner_b, self.unit, self.terms_id])

    def peer_of(self, address: str) -> str:
        if address == self.party_a:
            return self.party_b
        if address == self.party_b:
            return self.party_a
        raise MalformedInput(f"{address[:16]}… is not a party of channel {self.channel_id[:16]}…")

    def topped_up(self, amount: int) -> "ChannelTerms":
        """These terms after A adds ``amount`` to its deposit (B's balance is unchanged)."""
        return replace(self, deposit_a=self.deposit_a + amount)

    def to_json(self, *, private: bool = False) -> dict:
        """The terms as JSON; ``private`` includes the shared secrets (never send those to the ledger)."""
        out = {"channel_id": self.channel_id, "party_a": self.party_a, "party_b": self.party_b,
               "deposit_a": self.deposit_a, "deposit_b": self.deposit_b,
               "challenge_period": self.challenge_period, "shielded": self.shielded, "chain_id": self.chain_id}
        if private:
            out.update(unit=self.unit, salt=str(self.salt), owner_a=str(self.owner_a), owner_b=str(self.owner_b))
        return out

    @classmethod
    def from_json(cls, obj: dict) -> "ChannelTerms":
        if not isinstance(obj, dict):
            raise MalformedInput("channel terms are a JSON object")
        try:
            return cls(obj["channel_id"], obj["party_a"], obj["party_b"], int(obj["deposit_a"]),
                       int(obj.get("deposit_b", 0)), int(obj.get("challenge_period", 10)),
                       bool(obj.get("shielded", False)), int(obj.get("unit", 1)), int(obj.get("salt", 0)),
                       int(obj.get("owner_a", 0)), int(obj.get("owner_b", 0)), str(obj.get("chain_id", "")))
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedInput(f"bad channel terms: {exc}") from None

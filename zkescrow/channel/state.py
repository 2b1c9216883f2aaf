"""One party's view of a channel: pay, receive, countersign, and keep the latest co-signed state.

Each party holds a ``Channel``.  Paying signs the next state (nonce + 1, balance
moved towards the peer) and sends it as an ``update`` message; the peer checks it,
countersigns it and answers with a ``receipt``.  A party can always close with the
highest state its *peer* signed (``enforceable``); the peer can answer a stale
close with any higher state the closer signed.  Messages are canonical JSON bytes.

Rules a receiver enforces (each failure is a ``ChannelError`` and changes nothing):
the channel id matches; the nonce is higher than every state seen (replays and
old states are refused); the peer signed it; the balance moved towards the
receiver, by a positive amount, and stays in [0, total]; for shielded channels the
opening matches the commitment, the amount is a whole number of units and an
attached step proof continues the chain of proven commitments.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from nacl.signing import SigningKey

from circuits.crypto.pedersen import random_blinding
from zkescrow.errors import ChannelError, InvalidSignature, MalformedInput
from zkescrow.escrow.codec import canonical

from .proofs import BalanceProof, Opening, ShieldedBalanceProof, StepProof, address_of, require
from .terms import ChannelTerms

CIRCUIT = "channel_update"


def decode(message: bytes | str | dict) -> dict:
    """A channel message as a dict (``type`` plus fields)."""
    if isinstance(message, (bytes, bytearray, str)):
        try:
            message = json.loads(message)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise MalformedInput(f"channel message is not JSON: {exc}") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise MalformedInput("a channel message is a JSON object with a 'type'")
    return message


def parse_state(obj) -> BalanceProof | ShieldedBalanceProof:
    if not isinstance(obj, dict):
        raise MalformedInput("state must be a balance proof object")
    return ShieldedBalanceProof.from_json(obj) if obj.get("kind") == "shielded" else BalanceProof.from_json(obj)


@dataclass
class ProofChain:
    """The tip of a chain of proven commitments (step, commitment, opening) and the proofs not yet verified."""

    step: int
    commitment: tuple
    opening: Opening

    def link(self, step: StepProof, terms_id: int) -> None:
        require(step.terms_id == terms_id, "step proof is for other channel terms")
        require(step.step_old == self.step and tuple(step.c_old) == tuple(self.commitment),
                f"step proof does not continue the proven chain at step {self.step}")


class Channel:
    """The channel as seen by the holder of ``key`` (party A or B of ``terms``).

    ``prover`` (shielded channels only) is an object with ``prove(name, inputs)`` and
    ``verify_many(name, items)`` such as ``zkescrow.escrow.proofs.CircuitKeys``;
    ``proof_every`` = k attaches a ``channel_update`` proof to every k-th update this
    party sends (0: never; the receiver can always prove a step itself).
    """

    def __init__(self, terms: ChannelTerms, key: SigningKey, *, prover=None, proof_every: int = 0):
        self.terms = terms
        self.key = key
        self.address = address_of(key)
        self.peer = terms.peer_of(self.address)
        self.is_a = self.address == terms.party_a
        self.prover = prover
        self.proof_every = proof_every
        opening = Opening(terms.deposit_b, 0)
        if terms.shielded:
            initial = ShieldedBalanceProof(terms.channel_id, 0, opening.commitment())
        else:
            initial = BalanceProof(terms.channel_id, 0, terms.deposit_b)
        #: highest-nonce state known (signed by either party), and the latest co-signed one (both
        #: signatures; the opening state, nonce 0, before any update): what this party closes with.
        self.state, self.enforceable = initial, initial
        self.openings: dict[tuple, Opening] = {}
        if terms.shielded:
            self.openings[initial.commitment] = opening
        self.chain = ProofChain(0, initial.commitment, opening) if terms.shielded else None
        self.sent_updates = 0
        self.backlog: list[StepProof] = []

    # --- reading ------------------------------------------------------------------------------

    @property
    def balance(self) -> int:
        """B's share in the latest state."""
        return self.opening_of(self.state).balance if self.terms.shielded else self.state.balance

    @property
    def own_share(self) -> int:
        return self.terms.total - self.balance if self.is_a else self.balance

    def opening_of(self, state) -> Opening:
        if not self.terms.shielded:
            return Opening(state.balance, 0)
        try:
            return self.openings[state.commitment]
        except KeyError:
            raise ChannelError(f"no opening known for the commitment of nonce {state.nonce}") from None

    # --- paying -------------------------------------------------------------------------------

    def pay(self, amount: int) -> bytes:
        """Sign the next state moving ``amount`` to the peer; returns the update message."""
        require(isinstance(amount, int) and not isinstance(amount, bool) and amount > 0,
                f"a payment is a positive integer, got {amount!r}")
        require(amount <= self.own_share, f"payment of {amount} exceeds this party's share {self.own_share}")
        if self.terms.shielded:
            require(amount % self.terms.unit == 0, f"shielded payments are multiples of the unit {self.terms.unit}")
        balance = self.balance + amount if self.is_a else self.balance - amount
        nonce = self.state.nonce + 1
        message = {"type": "update", "channel_id": self.terms.channel_id}
        if self.terms.shielded:
            opening = Opening(balance, random_blinding())
            state = ShieldedBalanceProof(self.terms.channel_id, nonce, opening.commitment()).signed(self.key)
            self.openings[state.commitment] = opening
            message["opening"] = opening.to_json()
        else:
            state = BalanceProof(self.terms.channel_id, nonce, balance).signed(self.key)
        self.state = state
        self.sent_updates += 1
        message["state"] = state.to_json()
        if self.terms.shielded and self.proof_every and self.sent_updates % self.proof_every == 0:
            message["step"] = self.prove_step(state).to_json()
        return canonical(message)

    def prove_step(self, state: ShieldedBalanceProof) -> StepProof:
        """A channel_update proof from the chain tip to ``state`` (whose opening this party knows)."""
        step = prove_transition(self.prover, self.terms, self.chain.step, self.chain.opening,
                                self.opening_of(state))
        self.chain = ProofChain(self.chain.step + 1, state.commitment, self.opening_of(state))
        return step

    def confirm(self, receipt: bytes) -> int:
        """Take the peer's countersignature on a state this party sent; returns its nonce."""
        msg = decode(receipt)
        require(msg["type"] == "receipt", f"expected a receipt, got {msg['type']!r}")
        state = parse_state(msg.get("state"))
        require(state.channel_id == self.terms.channel_id, "receipt for another channel")
        try:
            state.require_signed_by(self.peer)
            state.require_signed_by(self.address)
        except InvalidSignature as exc:
            raise ChannelError(f"receipt rejected: {exc}") from None
        if state.nonce > self.enforceable.nonce:
            self.enforceable = state
        return state.nonce

    # --- receiving ----------------------------------------------------------------------------

    def receive(self, message: bytes) -> tuple[int, bytes]:
        """Check and countersign the peer's update; returns (amount received, receipt message)."""
        msg = decode(message)
        require(msg["type"] == "update", f"expected an update, got {msg['type']!r}")
        require(msg.get("channel_id") == self.terms.channel_id, "update for another channel")
        state = parse_state(msg.get("state"))
        require(isinstance(state, ShieldedBalanceProof) == self.terms.shielded, "update of the wrong kind")
        require(state.channel_id == self.terms.channel_id, "state of another channel")
        require(state.nonce > self.state.nonce,
                f"nonce {state.nonce} is not above the latest nonce {self.state.nonce} (replay or stale state)")
        try:
            state.require_signed_by(self.peer)
        except InvalidSignature as exc:
            raise ChannelError(f"update rejected: {exc}") from None
        if self.terms.shielded:
            opening = Opening.from_json(msg.get("opening"))
            require(state.opens_to(opening), "the opening does not match the committed state (tampered commitment)")
            balance = opening.balance
        else:
            balance = state.balance
        require(0 <= balance <= self.terms.total, f"balance {balance} is outside [0, {self.terms.total}]")
        amount = self.balance - balance if self.is_a else balance - self.balance
        require(amount > 0, f"the update moves {-amount} away from the receiver")
        if self.terms.shielded:
            require(amount % self.terms.unit == 0, f"amount {amount} is not a multiple of the unit")
            step = StepProof.from_json(msg["step"]) if "step" in msg else None
            if step is not None:
                self.chain.link(step, self.terms.terms_id)
                require(tuple(step.c_new) == state.commitment, "step proof ends at another commitment")
            self.openings[state.commitment] = opening
            if step is not None:
                self.backlog.append(step)
                self.chain = ProofChain(self.chain.step + 1, state.commitment, opening)
        countersigned = state.signed(self.key)
        self.state = self.enforceable = countersigned
        return amount, canonical({"type": "receipt", "state": countersigned.to_json()})

    def verify_backlog(self) -> int:
        """Batch-verify the step proofs received so far; returns how many; ChannelError if any is false."""
        if not self.backlog:
            return 0
        items = [(s.public_signals, s.proof) for s in self.backlog]
        verdicts = self.prover.verify_many(CIRCUIT, items)
        bad = [k for k, ok in enumerate(verdicts) if not ok]
        if bad:
            raise ChannelError(f"step proof(s) {bad} of the backlog do not verify")
        n, self.backlog = len(self.backlog), []
        return n


def prove_transition(prover, terms: ChannelTerms, step_old: int, old: Opening, new: Opening) -> StepProof:
    """Prove that the commitment to ``old`` (at ``step_old``) moves to the one to ``new`` in whole units."""
    from circuits.escrow.channel_update import ChannelState, channel_update_inputs
    if prover is None:
        raise ChannelError("shielded steps need a prover (circuit keys)")
    delta = new.balance - old.balance
    if delta % terms.unit:
        raise ChannelError(f"a move of {delta} is not a whole number of units {terms.unit}")
    inputs = channel_update_inputs(terms.total, terms.unit, terms.salt, ChannelState(old.balance, old.blind, step_old),
                                   ChannelState(new.balance, new.blind, step_old + 1), abs(delta) // terms.unit,
                                   1 if delta < 0 else 0)
    proof, _, _ = prover.prove(CIRCUIT, inputs)
    return StepProof(terms.terms_id, step_old, old.commitment(), new.commitment(), proof)

"""One party's view of a channel: pay, receive, countersign, and keep the latest co-signed counters.

Each party holds a ``Channel``.  Paying raises its own counter (nonce + 1,
transferred + amount), signs it and sends it as an ``update``; the peer checks it,
countersigns it and answers with a ``receipt``.  A party keeps the latest
co-signed version of both counters (``cosigned``) and can close with them at any
time, also after being offline; the peer can only answer with higher co-signed
counters.  Messages are canonical JSON bytes.

Rules a receiver enforces (each failure is a ``ChannelError`` and changes nothing):
the channel id and sender match; the nonce is higher than the sender's latest
(replays and stale updates are refused); the sender signed it; the counter went
up and B's balance stays in [0, total]; for shielded channels the opening matches
the commitment, the amount is a whole number of units, and an attached step proof
continues the chain of proven commitments of that counter.

A party that has signed a cooperative close (``closing``) is frozen: ``pay``,
``receive`` and ``confirm`` raise ``ChannelClosed`` and change nothing, so the
counters it closed at are the highest it ever countersigns.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from nacl.signing import SigningKey

from circuits.crypto.babyjub import SUBORDER
from circuits.crypto.pedersen import random_blinding
from zkescrow.errors import ChannelError, InvalidSignature, MalformedInput
from zkescrow.ledger.codec import canonical

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


def parse_state(obj, *, check_subgroup: bool = True) -> BalanceProof | ShieldedBalanceProof:
    """A balance proof from JSON.  ``check_subgroup=False`` skips the (costly) subgroup check of a
    commitment whose opening the caller verifies or which it signed itself."""
    if not isinstance(obj, dict):
        raise MalformedInput("state must be a balance proof object")
    if obj.get("kind") == "shielded":
        return ShieldedBalanceProof.from_json(obj, check_subgroup=check_subgroup)
    return BalanceProof.from_json(obj)


@dataclass
class Counter:
    """One party's counter as known here: latest state (maybe only sender-signed), its latest co-signed
    version, the openings of its commitments (shielded), and the tip of its chain of proven commitments."""

    latest: object
    cosigned: object
    openings: dict
    step: int = 0
    proven: tuple | None = None

    def value(self, state=None) -> int:
        state = state or self.latest
        return self.openings[state.commitment].value if isinstance(state, ShieldedBalanceProof) \
            else state.transferred


class Channel:
    """The channel as seen by the holder of ``key`` (party A or B of ``terms``).

    ``prover`` (shielded channels) is an object with ``prove(name, inputs)`` and
    ``verify_many(name, items)`` such as ``zkescrow.ledger.proofs.CircuitKeys``;
    ``proof_every`` = k attaches a ``channel_update`` proof to every k-th update this
    party sends (0: never; the receiver can always prove a step itself, since it
    knows every opening).  ``one_time``: ``key`` is this channel's own key, made for it
    alone so the channel names no long-term identity (``storage`` keeps it).
    """

    def __init__(self, terms: ChannelTerms, key: SigningKey, *, prover=None, proof_every: int = 0,
                 one_time: bool = False):
        self.terms = terms
        self.key = key
        #: ``key`` was made for this channel only (``api.one_time_key``); its storage file keeps it
        self.one_time = one_time
        self.address = address_of(key)
        self.peer = terms.peer_of(self.address)
        self.is_a = self.address == terms.party_a
        self.prover = prover
        self.proof_every = proof_every
        self.counters = {party: self._initial(party) for party in (self.address, self.peer)}
        self.sent_updates = 0
        self.backlog: list[StepProof] = []
        self.last_update: bytes | None = None
        #: the peer's state last countersigned by ``receive``
        self.last_received = None
        self._own_signatures: dict[int, str] = {}      # nonce -> this party's signature, until confirmed
        #: {party: co-signed counter} this party signed a cooperative close at (then terminal), else None
        self.final: dict | None = None

    def _initial(self, sender: str) -> Counter:
        if self.terms.shielded:
            zero = Opening(0, 0)
            state = ShieldedBalanceProof(self.terms.channel_id, sender, 0, zero.commitment())
            return Counter(state, state, {state.commitment: zero}, 0, state.commitment)
        state = BalanceProof(self.terms.channel_id, sender, 0, 0)
        return Counter(state, state, {})

    # --- reading ------------------------------------------------------------------------------

    @property
    def mine(self) -> Counter:
        return self.counters[self.address]

    @property
    def theirs(self) -> Counter:
        return self.counters[self.peer]

    def transferred(self, party: str) -> int:
        return self.counters[party].value()

    @property
    def balance(self) -> int:
        """B's share after every payment known here: deposit_b + transferred_a − transferred_b."""
        t = self.terms
        return t.deposit_b + self.transferred(t.party_a) - self.transferred(t.party_b)

    @property
    def own_share(self) -> int:
        return self.terms.total - self.balance if self.is_a else self.balance

    def cosigned(self) -> dict:
        """{party: latest co-signed counter}: what this party closes with."""
        return {party: c.cosigned for party, c in self.counters.items()}

    @property
    def closed(self) -> bool:
        """Whether this party has signed a cooperative close (it takes no further update)."""
        return self.final is not None

    def freeze(self) -> dict:
        """Stop taking updates for good; returns the final co-signed counters {party: state} (the same each call)."""
        if self.final is None:
            self.final = self.cosigned()
        return dict(self.final)

    def _require_open(self, action: str) -> None:
        from zkescrow.errors import ChannelClosed
        if self.final is not None:
            raise ChannelClosed(f"cannot {action}: this party signed a cooperative close of the channel at nonces "
                                f"{self.final[self.terms.party_a].nonce}/{self.final[self.terms.party_b].nonce}")

    def opening_of(self, state) -> Opening:
        try:
            return self.counters[state.sender].openings[state.commitment]
        except KeyError:
            raise ChannelError(f"no opening known for the commitment of nonce {state.nonce}") from None

    def combined_opening(self, states: dict) -> Opening:
        """The opening of deposit_b·G + C_a − C_b for the shielded counters ``states`` {party: state}."""
        a = self.opening_of(states[self.terms.party_a])
        b = self.opening_of(states[self.terms.party_b])
        return Opening(self.terms.deposit_b + a.value - b.value, (a.blind - b.blind) % int(SUBORDER))

    # --- paying -------------------------------------------------------------------------------

    def pay(self, amount: int) -> bytes:
        """Raise this party's counter by ``amount`` and sign it; returns the update message."""
        self._require_open("pay")
        require(isinstance(amount, int) and not isinstance(amount, bool) and amount > 0,
                f"a payment is a positive integer, got {amount!r}")
        require(amount <= self.own_share, f"payment of {amount} exceeds this party's share {self.own_share}")
        if self.terms.shielded:
            require(amount % self.terms.unit == 0, f"shielded payments are multiples of the unit {self.terms.unit}")
        mine = self.mine
        value, nonce = mine.value() + amount, mine.latest.nonce + 1
        if self.terms.shielded:
            require(value <= self.terms.total, f"a shielded counter cannot pass the channel total "
                                               f"{self.terms.total} (the circuit bounds it); settle and reopen")
        message = {"type": "update", "channel_id": self.terms.channel_id}
        if self.terms.shielded:
            opening = Opening(value, random_blinding())
            state = ShieldedBalanceProof(self.terms.channel_id, self.address, nonce, opening.commitment())
            mine.openings[state.commitment] = opening
            message["opening"] = opening.to_json()
        else:
            state = BalanceProof(self.terms.channel_id, self.address, nonce, value)
        state = state.signed(self.key)
        self._own_signatures[nonce] = dict(state.signatures)[self.address]
        mine.latest = state
        self.sent_updates += 1
        message["state"] = state.to_json()
        if self.terms.shielded and self.proof_every and self.sent_updates % self.proof_every == 0:
            message["step"] = self._prove_own_step(state).to_json()
        self.last_update = canonical(message)
        return self.last_update

    def _prove_own_step(self, state: ShieldedBalanceProof) -> StepProof:
        mine = self.mine
        step = prove_transition(self.prover, self.terms, mine.step, mine.openings[mine.proven],
                                mine.openings[state.commitment])
        mine.step, mine.proven = mine.step + 1, state.commitment
        return step

    def confirm(self, receipt: bytes) -> int:
        """Take the peer's countersignature on an update this party sent; returns its nonce."""
        self._require_open("take a receipt")
        msg = decode(receipt)
        require(msg["type"] == "receipt", f"expected a receipt, got {msg['type']!r}")
        state = parse_state(msg.get("state"), check_subgroup=False)       # our own commitment, if ours at all
        require(state.channel_id == self.terms.channel_id and state.sender == self.address,
                "receipt for another channel or counter")
        own = self._own_signatures.get(state.nonce)
        if own is None and state.nonce <= self.mine.cosigned.nonce:
            return state.nonce                            # a late copy of a receipt already taken
        require(own is not None and dict(state.signatures).get(self.address) == own,
                f"receipt for nonce {state.nonce}, which this party did not sign")
        try:
            state.require_signed_by(self.peer)
        except InvalidSignature as exc:
            raise ChannelError(f"receipt rejected: {exc}") from None
        if state.nonce > self.mine.cosigned.nonce:
            self.mine.cosigned = state
            for nonce in [n for n in self._own_signatures if n <= state.nonce]:
                del self._own_signatures[nonce]
        return state.nonce

    # --- receiving ----------------------------------------------------------------------------

    def receive(self, message: bytes) -> tuple[int, bytes]:
        """Check and countersign the peer's update; returns (amount received, receipt message).

        A copy of the update already taken pays 0 and gets its receipt again.
        """
        self._require_open("countersign an update")
        msg = decode(message)
        require(msg["type"] == "update", f"expected an update, got {msg['type']!r}")
        require(msg.get("channel_id") == self.terms.channel_id, "update for another channel")
        state = parse_state(msg.get("state"), check_subgroup=False)       # the opening check below implies it
        require(isinstance(state, ShieldedBalanceProof) == self.terms.shielded, "update of the wrong kind")
        require(state.channel_id == self.terms.channel_id and state.sender == self.peer,
                "the update is not the peer's counter on this channel")
        theirs = self.theirs
        if state.nonce == theirs.latest.nonce and state.message() == theirs.latest.message() and state.nonce:
            return 0, canonical({"type": "receipt", "state": theirs.latest.to_json()})   # a resent update
        require(state.nonce > theirs.latest.nonce,
                f"nonce {state.nonce} is not above the latest nonce {theirs.latest.nonce} (replay or stale state)")
        try:
            state.require_signed_by(self.peer)
        except InvalidSignature as exc:
            raise ChannelError(f"update rejected: {exc}") from None
        step = None
        if self.terms.shielded:
            opening = Opening.from_json(msg.get("opening"))
            require(state.opens_to(opening), "the opening does not match the committed state (tampered commitment)")
            value = opening.value
            if "step" in msg:
                step = StepProof.from_json(msg["step"])
                require(step.terms_id == self.terms.terms_id, "step proof is for other channel terms")
                require(step.step_old == theirs.step and tuple(step.c_old) == theirs.proven,
                        f"step proof does not continue the proven chain at step {theirs.step}")
                require(tuple(step.c_new) == state.commitment, "step proof ends at another commitment")
        else:
            value = state.transferred
        amount = value - theirs.value()
        require(amount > 0, "the update does not raise the peer's counter")
        if self.terms.shielded:
            require(amount % self.terms.unit == 0, f"amount {amount} is not a multiple of the unit")
        balance = self.balance + amount if self.peer == self.terms.party_a else self.balance - amount
        require(0 <= balance <= self.terms.total, f"the update leaves B's balance {balance} outside "
                                                  f"[0, {self.terms.total}]")
        if self.terms.shielded:
            theirs.openings[state.commitment] = opening
            if step is not None:
                self.backlog.append(step)
                theirs.step, theirs.proven = theirs.step + 1, state.commitment
        countersigned = state.signed(self.key)
        theirs.latest = theirs.cosigned = self.last_received = countersigned
        return amount, canonical({"type": "receipt", "state": countersigned.to_json()})

    def verify_backlog(self) -> int:
        """Batch-verify the step proofs received so far; returns how many; ChannelError if any is false."""
        if not self.backlog:
            return 0
        verdicts = self.prover.verify_many(CIRCUIT, [(s.public_signals, s.proof) for s in self.backlog])
        bad = [k for k, ok in enumerate(verdicts) if not ok]
        if bad:
            raise ChannelError(f"step proof(s) {bad} of the backlog do not verify")
        n, self.backlog = len(self.backlog), []
        return n


def prove_transition(prover, terms: ChannelTerms, step_old: int, old: Opening, new: Opening) -> StepProof:
    """Prove that the counter commitment to ``old`` (at ``step_old``) rose to the one to ``new`` in whole units."""
    from circuits.escrow.channel_update import ChannelState, channel_update_inputs
    if prover is None:
        raise ChannelError("shielded steps need a prover (circuit keys)")
    delta = new.value - old.value
    if delta < 0 or delta % terms.unit:
        raise ChannelError(f"a counter move of {delta} is not a whole non-negative number of units {terms.unit}")
    inputs = channel_update_inputs(terms.total, terms.unit, terms.salt, ChannelState(old.value, old.blind, step_old),
                                   ChannelState(new.value, new.blind, step_old + 1), delta // terms.unit, 0)
    proof, _, _ = prover.prove(CIRCUIT, inputs)
    return StepProof(terms.terms_id, step_old, old.commitment(), new.commitment(), proof)

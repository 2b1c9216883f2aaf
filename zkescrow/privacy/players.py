"""Play one session of each kind through the protocols' public APIs, as a scheduler ``Task``.

This is the only module that knows how a session is run; the population, the
adversary and the evaluation see sessions through ``SessionTruth`` records.

* Escrow (transparent or shielded): a ``ChargingSession`` of ``zkescrow.escrow.session``
  in a world whose ``mine`` hands transactions to the scheduler's next block and
  whose packet ecalls let a block pass every ``packets_per_block`` packets, so that
  charging takes chain time and sessions overlap.
* Channels (signed or shielded): ``zkescrow.channel.api`` — open, one update per
  packet, cooperative close — as a privacy-minded user plays them: a one-time key per
  channel for both parties, the standard deposit the population gives (a denomination),
  the car's deposit paid from its shielded notes (shielded channels: the open spends
  them; signed channels: an unshield to the car's one-time address, then a plain open),
  payouts into notes (shielded) or to the one-time addresses (signed).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import secrets

from zkescrow.channel import api
from zkescrow.channel.funding import open_from_notes_transaction
from zkescrow.channel.proofs import address_of
from zkescrow.channel.terms import ChannelTerms
from zkescrow.channel.state import Channel
from zkescrow.escrow.session import ChargingSession
from zkescrow.escrow.world import EscrowWorld
from zkescrow.ledger.ledger import BlockResult, Ledger
from zkescrow.ledger.wallet import Wallet

PACKET_WH = 10


@dataclass
class SessionTruth:
    """What really happened in one session (the ground truth the adversary is scored against)."""

    mode: str
    session: str                  # escrow session id / channel id
    driver: str
    driver_account: str
    pole: str
    price_per_wh: int
    deposit: int
    energy_wh: int = 0
    pole_share: int = 0           # the split: what the pole was paid
    deadline: int | None = None   # escrow refund height (channels have none)
    start_block: int = 0
    funding_txids: list = field(default_factory=list)
    settle_txids: list = field(default_factory=list)
    funding_height: int | None = None
    settle_height: int | None = None
    outcome: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


class ScheduledWorld(EscrowWorld):
    """An ``EscrowWorld`` seen from one session's thread: its own ledger connection, blocks from the scheduler."""

    @classmethod
    def of(cls, world: EscrowWorld, ledger: Ledger, task, packets_per_block: int, parties=()) -> "ScheduledWorld":
        view = cls.__new__(cls)
        view.__dict__.update(world.__dict__)
        view.ledger, view.task, view.packets_per_block = ledger, task, packets_per_block
        view.packets, view.parties = 0, tuple(parties)
        return view

    def _next_block(self, txs=()):
        """Sleep until the next block; then point the parties back at this thread's ledger connection (a car or
        pole may have served another session's thread meanwhile)."""
        block = self.task.next_block(txs)
        bind(self.ledger, *self.parties)
        return block

    def mine(self, *txs, label: str = "", record=None):
        block = self._next_block(txs)
        mine = {tx.txid: tx for tx in txs}
        accepted = [t for t in block.accepted if t in mine]
        rejected = [(t, r) for t, r in block.rejected if t in mine]
        if record is not None:
            for txid in accepted:
                record.transactions.append({"label": label, "txid": txid, "kind": mine[txid].kind,
                                            "size": mine[txid].size, "height": block.height})
            for txid, reason in rejected:
                record.rejected.append({"label": label, "kind": mine[txid].kind, "reason": reason})
        return BlockResult(block.height, block.hash, accepted, rejected, block.proofs_verified)

    def mine_until(self, height: int) -> None:
        while self.ledger.height < height:
            self._next_block()

    def call(self, party, method: str, *args):
        result = super().call(party, method, *args)
        if method == "packet":
            self.packets += 1
            if self.packets % self.packets_per_block == 0:
                self._next_block()                 # charging takes chain time
        return result


def bind(ledger: Ledger, *parties) -> None:
    """Point the parties' ledger views (car and pole wallets) at ``ledger`` (this thread's connection)."""
    for party in parties:
        if hasattr(party, "ledger"):
            party.ledger = ledger
        if getattr(party, "wallet", None) is not None:
            party.wallet.ledger = ledger


def escrow_session(world: EscrowWorld, spec: dict, car, pole, *, packets_per_block: int, timing=None):
    """The body of a Task that plays one escrow session described by ``spec``; returns its SessionTruth.

    The phases are those of ``ChargingSession.run``; after ``close`` the task sets ``parties_free``, so the
    car and the pole may serve other sessions while the settlement waits for the height its ``timing``
    (default: the mode's) drew."""

    def body(task) -> SessionTruth:
        ledger = Ledger(world.ledger.store.data_dir, keys=world.keys, enclave_policy=world.ledger.enclave_policy)
        try:
            view = ScheduledWorld.of(world, ledger, task, packets_per_block, parties=(car, pole))
            bind(ledger, car, pole)
            session = ChargingSession(view, car, pole, spec["mode"], deposit=spec["deposit"],
                                      target_wh=spec["target_wh"], timing=timing)
            session.charge()
            task.parties_free = True              # car and pole may start other sessions while this one settles
            session.settle()
            session.finish()
            res = session.result
        finally:
            ledger.close()
        truth = SessionTruth(spec["mode"], res.session_id, spec["driver"], car.keys.address, pole.pole_id,
                             res.price_per_wh, res.deposit, res.energy_wh, res.paid, session.refund_height,
                             spec["block"], outcome=res.outcome)
        for t in res.transactions:
            if t["label"].startswith("deposit"):
                truth.funding_txids.append(t["txid"])
                truth.funding_height = t["height"]
            elif t["label"].startswith(("settlement", "refund")):
                truth.settle_txids.append(t["txid"])
                truth.settle_height = t["height"]
        return truth
    return body


def channel_session(ledger_dir, keys, spec: dict, driver, pole_operator, *, packets_per_block: int,
                    proof_every: int = 10):
    """The body of a Task that plays one channel session (``spec['mode']``: 'signed-channel'/'shielded-channel')."""
    shielded = spec["mode"] == "shielded-channel"

    def body(task) -> SessionTruth:
        ledger = Ledger(ledger_dir, keys=keys)
        try:
            return _channel(task, ledger, keys, spec, driver, pole_operator,
                            packets_per_block, proof_every, shielded)
        finally:
            ledger.close()
    return body


def _open(task, ledger, keys, spec, driver, operator, deposit, unit, shielded):
    """Both parties make a one-time key; the car funds the deposit; returns (terms, car key, pole key, block)."""
    car_key, pole_key = api.one_time_key(), api.one_time_key()
    if shielded:                                          # the deposit leaves the car's notes
        open_nonce = secrets.randbits(62)
        terms = ChannelTerms.new(address_of(car_key), address_of(pole_key), open_nonce, deposit, shielded=True,
                                 unit=unit, owner_a=driver.owner, owner_b=operator.owner, challenge_period=5,
                                 chain_id=ledger.chain_id)
        wallet = Wallet(driver, ledger, keys)
        wallet.scan()
        return terms, car_key, pole_key, task.next_block([open_from_notes_transaction(terms, open_nonce, wallet,
                                                                                      pole_key)])
    wallet = Wallet(driver, ledger, keys)                 # the deposit leaves the car's notes for its one-time key
    wallet.scan()
    funded = task.next_block([wallet.unshield(deposit, address_of(car_key))])
    if funded.rejected:
        raise AssertionError(f"channel funding rejected: {funded.rejected[0][1]}")
    terms = api.new_channel(car_key, address_of(pole_key), 0, deposit, 0, challenge_period=5, unit=unit,
                            chain_id=ledger.chain_id)
    return terms, car_key, pole_key, task.next_block([api.open_transaction(terms, car_key, 0)])


def _channel(task, ledger, keys, spec, driver, operator, packets_per_block, proof_every, shielded) -> SessionTruth:
    price, packets = spec["price_per_wh"], spec["target_wh"] // PACKET_WH
    unit = price * PACKET_WH
    deposit = spec["deposit"]                    # the standard deposit: the same whatever the pole and energy
    terms, car_key, pole_key, opened = _open(task, ledger, keys, spec, driver, operator, deposit, unit, shielded)
    keys = keys if shielded else None                  # a signed channel proves nothing after its funding
    truth = SessionTruth(spec["mode"], terms.channel_id, spec["driver"], driver.address, spec["pole"], price,
                         deposit, start_block=spec["block"])
    if opened.rejected:
        raise AssertionError(f"channel open rejected: {opened.rejected[0][1]}")
    truth.funding_txids, truth.funding_height = list(opened.accepted), opened.height
    car = Channel(terms, car_key, prover=keys, proof_every=proof_every if shielded else 0, one_time=True)
    pole = Channel(terms, pole_key, prover=keys, proof_every=proof_every if shielded else 0, one_time=True)
    for k in range(packets):
        verified = api.verify_update(pole, api.make_update(car, unit))
        api.accept_receipt(car, verified.receipt)
        if (k + 1) % packets_per_block == 0:
            task.next_block()
    if shielded:
        pole.verify_backlog()
    recipients = ((driver.payment_address.viewing_public, operator.payment_address.viewing_public)
                  if shielded else None)
    txs = api.settle(car, ledger=ledger, peer_signature=api.closing_signature(pole, ledger), prover=keys,
                     recipients=recipients)
    closed = task.next_block(txs)
    if closed.rejected:
        raise AssertionError(f"channel close rejected: {closed.rejected[0][1]}")
    truth.settle_txids, truth.settle_height = [t.txid for t in txs], closed.height
    truth.energy_wh, truth.pole_share, truth.outcome = packets * PACKET_WH, packets * unit, "settled"
    return truth

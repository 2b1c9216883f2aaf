"""One EV-charging session end to end, in either escrow mode, with optional faults.

``EscrowWorld`` is everything the session needs: the ledger (and its circuit keys),
the TEE vendor and the enclave host, registered poles.  ``run_session`` plays one
session through the escrow enclave program:

    terms → enclave (open) → deposit on the ledger → enclave (fund)
          → packets: pole asks "may I deliver?", meter signs, car checks and receipts, enclave records
          → enclave closes and signs → settlement on the ledger → pole and driver find their notes

Faults (``Faults``) make a party misbehave or fail at a given packet; the session
must still end with no value lost or created.
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from circuits.escrow.escrow_release import REFUND
from circuits.notes import EscrowTerms, Note
from enclave_sim import EnclaveSigner, Vendor, verify_quote
from zkescrow.errors import InvalidSignature, MalformedInput, StatementFalse, ZkEscrowError

from . import shielded, transparent
from .actors import Car, EnclaveHost, Pole, enclave_policy
from .keys import WalletKeys
from .ledger import Ledger
from .wallet import Wallet

MODES = ("transparent", "shielded")


@dataclass
class Faults:
    """What goes wrong in a session (None / False: nothing)."""

    pole_stops_after: int | None = None       # the pole delivers only this many packets
    car_stops_after: int | None = None        # the car receipts only this many packets
    forged_reading_at: int | None = None      # packet k's reading is not signed by the registered meter key
    backwards_reading_at: int | None = None   # packet k's reading shows the register going backwards
    enclave_crash_at: int | None = None       # the host crashes after packet k and restarts from sealed state
    enclave_silent_after: int | None = None   # the enclave is gone after packet k: it never settles
    over_release: bool = False                # someone tries to settle for more than the deposit
    double_release: bool = False              # someone tries to settle the session a second time

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in vars(self).items() if v not in (None, False)]
        return ", ".join(parts) or "none"


@dataclass
class SessionResult:
    mode: str
    session_id: str
    pole_id: str
    deposit: int
    price_per_wh: int
    energy_wh: int = 0              # energy paid for
    delivered_wh: int = 0           # energy the pole delivered
    paid: int = 0                   # to the pole
    refunded: int = 0               # back to the driver
    outcome: str = "open"           # settled | refunded | aborted
    close_reason: str = ""
    events: list = field(default_factory=list)
    transactions: list = field(default_factory=list)   # {label, txid, kind, size, height}
    rejected: list = field(default_factory=list)       # {label, reason}
    faults: str = "none"

    def to_dict(self) -> dict:
        return dict(vars(self))


class MeteredKeys:
    """Circuit keys that record every proof made and every batch verified (for reports)."""

    def __init__(self, keys):
        self.inner = keys
        self.depth = keys.depth
        self.proofs: list[tuple[str, float]] = []
        self.verifications: list[tuple[str, int, float]] = []
        self.log = None

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def prove(self, name: str, inputs: dict):
        proof, public, seconds = self.inner.prove(name, inputs)
        self.proofs.append((name, seconds))
        if self.log is not None:
            self.log(f"          proof: {name} (depth {self.depth}) in {seconds:.1f}s")
        return proof, public, seconds

    def verify_many(self, name: str, items: list) -> list[bool]:
        start = time.perf_counter()
        verdicts = self.inner.verify_many(name, items)
        self.verifications.append((name, len(items), time.perf_counter() - start))
        return verdicts

    def snapshot(self) -> tuple[int, int]:
        return len(self.proofs), len(self.verifications)

    def since(self, mark: tuple[int, int]) -> dict:
        proofs, verifications = self.proofs[mark[0]:], self.verifications[mark[1]:]
        by_circuit: dict[str, int] = {}
        for name, _ in proofs:
            by_circuit[name] = by_circuit.get(name, 0) + 1
        return {"count": len(proofs), "by_circuit": by_circuit,
                "prove_s": round(sum(s for _, s in proofs), 3),
                "verified": sum(n for _, n, _ in verifications),
                "verify_s": round(sum(s for _, _, s in verifications), 3)}


class EscrowWorld:
    """Ledger, TEE vendor, enclave host and poles of one run (see the module docstring)."""

    def __init__(self, data_dir: Path, ledger: Ledger, keys: MeteredKeys, vendor, signer, host: EnclaveHost, *,
                 log=None, packet_wh: int = 10, refund_delay: int = 12, settle_window: int = 4):
        self.data_dir = data_dir
        self.ledger = ledger
        self.keys = keys
        self.vendor = vendor
        self.signer = signer
        self.host = host
        self.log = log or (lambda message: None)
        self.packet_wh = packet_wh
        self.refund_delay = refund_delay
        self.settle_window = settle_window
        self.poles: dict[str, Pole] = {}
        self.anchor = 0                      # the enclave's counter as last seen by its clients
        self.people: dict[str, WalletKeys] = {}
        if self.keys.log is None:
            self.keys.log = self.log

    @classmethod
    def create(cls, data_dir: str | Path, circuit_keys, *, depth: int, funds: dict[str, int], log=None,
               program_image=None, root_window: int = 100, **options) -> "EscrowWorld":
        """A fresh ledger in ``data_dir`` whose genesis funds the named people, plus a launched, registered enclave.

        ``program_image``: the build the host actually runs (default: the genuine escrow program).
        """
        data_dir = Path(data_dir)
        people = {name: WalletKeys.generate() for name in funds}
        vendor, signer = Vendor.create(), EnclaveSigner.generate()
        policy = enclave_policy(vendor, signer.mrsigner)
        keys = circuit_keys if isinstance(circuit_keys, MeteredKeys) else MeteredKeys(circuit_keys)
        ledger = Ledger.create(data_dir / "ledger", {people[n].address: v for n, v in funds.items()}, depth=depth,
                               keys=keys, enclave_policy=policy, root_window=root_window)
        host = EnclaveHost(data_dir / "platform", vendor, signer, image=program_image)
        world = cls(data_dir, ledger, keys, vendor, signer, host, log=log, **options)
        world.people = people
        result = world.mine(host.registration(ledger), label="register enclave")
        world.enclave_registered = not result.rejected
        return world

    # --- the chain -------------------------------------------------------------------------

    def mine(self, *txs, label: str = "", record: SessionResult | None = None):
        """Submit ``txs`` and commit one block; log and record what happened."""
        for tx in txs:
            self.ledger.submit(tx)
        result = self.ledger.commit_block()
        sizes = {tx.txid: tx for tx in txs}
        for txid in result.accepted:
            tx = sizes[txid]
            self.log(f"block {result.height:>3}  + {tx.kind:<17} {tx.size:>6,} B  {label}")
            if record is not None:
                record.transactions.append({"label": label, "txid": txid, "kind": tx.kind, "size": tx.size,
                                            "height": result.height})
        for txid, reason in result.rejected:
            self.log(f"block {result.height:>3}  ✗ {sizes[txid].kind:<17} rejected: {reason}  {label}")
            if record is not None:
                record.rejected.append({"label": label, "kind": sizes[txid].kind, "reason": reason})
        return result

    def mine_until(self, height: int) -> None:
        while self.ledger.height < height:
            self.ledger.commit_block()

    # --- parties ---------------------------------------------------------------------------

    def add_pole(self, pole_id: str, operator: str, price_per_wh: int, **kw) -> Pole:
        operator_keys = self.people[operator]
        pole = Pole(pole_id, operator_keys, price_per_wh, **kw)
        result = self.mine(pole.registration(self.ledger.nonce(operator_keys.address), self.ledger.chain_id),
                           label=f"register {pole_id} at {price_per_wh} per Wh")
        if result.rejected:
            raise MalformedInput(f"pole registration rejected: {result.rejected[0][1]}")
        pole.wallet = Wallet(pole.keys, self.ledger, self.keys)
        self.poles[pole_id] = pole
        return pole

    def connect_pole(self, pole: Pole) -> None:
        """The pole verifies the enclave with its own nonce and opens a secure channel."""
        nonce = secrets.token_bytes(32)
        verified = verify_quote(self.host.enclave.attest(nonce), None, enclave_policy(self.vendor, self.signer.mrsigner),
                                nonce)
        pole.channel = verified.channel()

    def car(self, name: str) -> Car:
        return Car(self.people[name], self.ledger, self.keys, vendor=self.vendor, signer_mrsigner=self.signer.mrsigner)

    def call(self, party, method: str, *args):
        """An ecall by ``party`` over its secure channel through the host, the answer sealed to the party;
        remembers the enclave's counter (the anchor)."""
        result = party.open_reply(party.channel.call(self.host.transport, method, *args,
                                                     reply_key=party.reply_public_hex))
        if isinstance(result, dict) and isinstance(result.get("counter"), int):
            self.anchor = max(self.anchor, result["counter"])
        return result

    def restart_enclave(self) -> int:
        """Crash recovery: relaunch from the sealed state, then check the counter against the clients' anchor."""
        self.host.launch()
        return self.host.enclave.call("resume", self.anchor)["counter"]


def new_session_id() -> tuple[str, int]:
    """A random session id: 62 hex digits (the ledger's string) = a 248-bit field element (the circuits')."""
    value = secrets.randbits(248)
    return f"{value:062x}", value


def run_session(world: EscrowWorld, car: Car, pole: Pole, mode: str, *, deposit: int, target_wh: int,
                faults: Faults | None = None) -> SessionResult:
    """Play one charging session (see the module docstring); returns what happened."""
    if mode not in MODES:
        raise MalformedInput(f"mode must be one of {MODES}")
    faults = faults or Faults()
    ledger, log = world.ledger, world.log
    service = next(s for s in ledger.services() if s["pole_id"] == pole.pole_id)
    sid, sid_value = new_session_id()
    price, packet = service["price_per_wh"], world.packet_wh
    res = SessionResult(mode, sid, pole.pole_id, deposit, price, faults=faults.describe())

    def event(text: str) -> None:
        res.events.append(text)
        log(f"          {text}")

    refund_height = ledger.height + world.refund_delay
    pole_pay, driver_pay = pole.keys.payment_address, car.keys.payment_address
    terms = {"session_id": sid, "mode": mode, "pole_id": pole.pole_id, "price": price, "deposit": deposit,
             "packet_wh": packet, "meter_key": service["meter_key"], "car_key": car.new_session_key(),
             "pole_owner": str(pole_pay.owner), "driver_owner": str(driver_pay.owner),
             "refund_height": refund_height, "close_height": refund_height - world.settle_window}
    opened = world.call(car, "open_session", terms)
    event(f"session {sid[:12]}… opened in the enclave: deposit {deposit:,}, {price} per Wh, "
          f"refund height {refund_height}")

    # --- deposit -------------------------------------------------------------------------------
    car.wallet.scan()
    escrow_terms = note = position = None
    if mode == "transparent":
        tx = transparent.open_escrow(car.wallet, session_id=sid, deposit=deposit, pole_id=pole.pole_id,
                                     enclave_id=car.enclave_record["enclave_id"], refund_key=terms["car_key"],
                                     refund_height=refund_height)
        world.mine(tx, label=f"deposit {deposit:,} into the public escrow", record=res)
        evidence = transparent.funding_evidence(ledger, sid)
    else:
        escrow_terms = EscrowTerms(car.enclave_eddsa_key, driver_pay.owner, pole_pay.owner, price, sid_value,
                                   refund_height)
        if str(escrow_terms.owner) != opened["escrow_owner"]:
            raise MalformedInput("the enclave computes a different escrow owner for these terms")
        tx, note = shielded.fund_escrow(car.wallet, escrow_terms, deposit, car.verified.keys.x25519)
        world.mine(tx, label=f"deposit {deposit:,} as an escrow note (looks like any payment)", record=res)
        position = shielded.locate(ledger, note.commitment)
        evidence = {"v": note.value, "rho": str(note.rho), "r": str(note.blind), "a": note.asset,
                    "commitment": str(note.commitment), "position": position}
    world.call(car, "fund", sid, evidence, ledger.height)
    event("enclave confirms the deposit: charging may start")

    # --- charging ------------------------------------------------------------------------------
    if pole.channel is None:
        world.connect_pole(pole)
    car.start_metering(pole.pole_id, sid)
    begin = pole.begin(sid)
    world.call(car, "packet", sid, begin, car.receipt(begin, service["meter_key"]), ledger.height)
    packets, silent, reason = 0, False, "driver stop (target reached)"
    while res.delivered_wh < target_wh:
        if faults.enclave_silent_after is not None and packets >= faults.enclave_silent_after:
            world.host.crash()
            silent, reason = True, "enclave gone"
            event(f"after {packets} packets the enclave disappears and never comes back")
            break
        go = world.call(pole, "authorize_next", sid, res.delivered_wh, ledger.height)
        if not go["go"]:
            reason = go["reason"]
            event(f"pole stops: {go['reason']}")
            break
        if faults.pole_stops_after is not None and packets >= faults.pole_stops_after:
            reason = "pole stopped delivering"
            event(f"pole stops delivering after {packets} packets; the car closes the session")
            break
        k = packets + 1
        reading = pole.deliver(packet, forged=k == faults.forged_reading_at,
                               backwards=k == faults.backwards_reading_at)
        packets += 1
        if k != faults.backwards_reading_at:
            res.delivered_wh += packet
        if faults.car_stops_after is not None and packets > faults.car_stops_after:
            event(f"car sends no receipt for packet {k}")
            continue
        try:
            receipt = car.receipt(reading, service["meter_key"])
        except (MalformedInput, InvalidSignature) as exc:
            event(f"car refuses packet {k}: {exc}")
            try:                                 # the pole's host pushes it anyway: the enclave must refuse too
                world.call(pole, "packet", sid, reading, "00" * 64, ledger.height)
                raise AssertionError("the enclave accepted a reading the car refused")
            except ZkEscrowError as exc2:
                event(f"enclave refuses it too: {exc2}")
            reason = "bad meter reading"
            break
        world.call(car, "packet", sid, reading, receipt, ledger.height)
        if faults.enclave_crash_at == packets:
            world.host.crash()
            counter = world.restart_enclave()
            event(f"enclave crashed after packet {k}; restarted from sealed state at counter {counter}")
    status = None if silent else world.call(car, "status", sid)
    if status is not None:
        res.energy_wh = status["paid_wh"]
    event(f"charging over ({reason}): {res.delivered_wh} Wh delivered in {packets} packets"
          + ("" if status is None else f", {status['paid_wh']} Wh receipted"))

    # --- settlement ----------------------------------------------------------------------------
    car.wallet.scan()
    if silent:
        world.mine_until(refund_height)
        car.wallet.scan()
        event(f"height {ledger.height} ≥ refund height {refund_height}: the driver refunds without the enclave")
        if mode == "transparent":
            tx = transparent.refund(car.wallet, session_id=sid, balance=deposit, refund_key=car.refund_key())
        else:
            tx = shielded.release(car.wallet, note, position, escrow_terms, pole=pole_pay, driver=driver_pay,
                                  mode=REFUND, driver_key=car.keys.spending)
        result = world.mine(tx, label="refund of the whole deposit to the driver", record=res)
        if result.rejected:
            raise AssertionError(f"refund rejected: {result.rejected[0][1]}")
        res.outcome, res.close_reason, res.refunded, res.energy_wh = "refunded", reason, deposit, 0
    else:
        decision = world.call(car, "close", sid, reason, ledger.height, car.close_authorization(sid))
        res.close_reason = reason
        event(f"enclave decides: {decision['energy_wh']} Wh → pole {decision['pay']:,}, "
              f"driver {decision['refund']:,} (signed EdDSA + Ed25519)")
        if faults.over_release:
            _try_over_release(world, car, res, mode, sid, deposit, price, decision, escrow_terms, note, position,
                              pole_pay, driver_pay, event)
        if mode == "transparent":
            tx, openings = transparent.payout(car.wallet, session_id=sid, deposit=deposit, pay=decision["pay"],
                                              pole=pole_pay, driver=driver_pay)
            signed = world.call(car, "sign_payout", sid, tx.to_json(), openings, ledger.height, ledger.chain_id)
            tx = transparent.with_signature(tx, signed["signature"])
        else:
            tx = shielded.release(car.wallet, note, position, escrow_terms, pole=pole_pay, driver=driver_pay,
                                  energy_wh=decision["energy_wh"], final_nonce=decision["final_nonce"],
                                  signature_hex=decision["signature"])
        result = world.mine(tx, label="settlement: payment to the pole, change to the driver", record=res)
        if result.rejected:
            raise AssertionError(f"settlement rejected: {result.rejected[0][1]}")
        if mode == "shielded":
            world.call(car, "settled", sid)
        res.outcome, res.paid, res.refunded = "settled", decision["pay"], decision["refund"]
        res.energy_wh = decision["energy_wh"]
        if faults.double_release:
            _try_double_release(world, car, res, mode, sid, tx, deposit, decision, escrow_terms, note, position,
                                pole_pay, driver_pay, event)
    car.wallet.scan()
    pole.wallet.scan()
    return res


def _expect_rejected(world, res, tx, label, event) -> None:
    result = world.mine(tx, label=label, record=res)
    if not result.rejected:
        raise AssertionError(f"{label}: the ledger accepted it")
    event(f"{label}: rejected ({result.rejected[0][1]})")


def _try_over_release(world, car, res, mode, sid, deposit, price, decision, escrow_terms, note, position,
                      pole_pay, driver_pay, event) -> None:
    """Attempts to take more than the deposit out of the escrow; each must fail."""
    extra = world.packet_wh * price
    if mode == "transparent":
        outputs = [(Note.new(deposit + extra - decision["refund"], pole_pay.owner), pole_pay.viewing_public),
                   (Note.new(decision["refund"], driver_pay.owner), driver_pay.viewing_public)]
        tx = car.wallet.build_transfer([], outputs, deposit + extra, "escrow_payout",
                                       {"session_id": sid, "authority": "enclave"})
        try:
            world.call(car, "sign_payout", sid, tx.to_json(), [], world.ledger.height, world.ledger.chain_id)
            raise AssertionError("the enclave signed an over-release")
        except ZkEscrowError as exc:
            event(f"over-release: the enclave refuses to sign ({exc})")
        forged = transparent.with_signature(tx, "00" * 64)
        _expect_rejected(world, res, forged, "over-release payout", event)
    else:
        energy = deposit // price + world.packet_wh
        try:
            shielded.release(car.wallet, note, position, escrow_terms, pole=pole_pay, driver=driver_pay,
                             energy_wh=energy, final_nonce=decision["final_nonce"],
                             signature_hex=decision["signature"])
            raise AssertionError("an over-release proof was built")
        except StatementFalse as exc:
            event(f"over-release of {energy} Wh: no proof can be made ({exc})")


def _try_double_release(world, car, res, mode, sid, settled_tx, deposit, decision, escrow_terms, note, position,
                        pole_pay, driver_pay, event) -> None:
    """A replay of the settlement and a fresh second settlement; both must fail."""
    _expect_rejected(world, res, settled_tx, "replayed settlement", event)
    car.wallet.scan()
    if mode == "transparent":
        tx, openings = transparent.payout(car.wallet, session_id=sid, deposit=deposit, pay=decision["pay"],
                                          pole=pole_pay, driver=driver_pay)
        try:
            world.call(car, "sign_payout", sid, tx.to_json(), openings, world.ledger.height, world.ledger.chain_id)
            raise AssertionError("the enclave signed a second payout")
        except ZkEscrowError as exc:
            event(f"second payout: the enclave refuses ({exc})")
        second = transparent.with_signature(tx, settled_tx.signature)
    else:
        second = shielded.release(car.wallet, note, position, escrow_terms, pole=pole_pay, driver=driver_pay,
                                  energy_wh=decision["energy_wh"], final_nonce=decision["final_nonce"],
                                  signature_hex=decision["signature"])
    _expect_rejected(world, res, second, "second settlement", event)


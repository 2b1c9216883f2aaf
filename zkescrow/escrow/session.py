"""One EV-charging session end to end, as an object with one method per phase.

``ChargingSession`` plays one session through the escrow enclave program in an
``EscrowWorld`` (``world``), with an escrow mode strategy (``modes``):

    discover   the pole's entry in the ledger's service registry (its price and meter key)
    attest     the car verifies the enclave; the pole opens its own secure channel
    open       the pole publishes a signed offer; the car checks it against the registry and opens the
               session on it (the enclave checks it again, against the chain's headers)
    fund       deposit on the ledger (by the mode); the enclave checks it against the headers
    confirm    the pole checks the enclave's session ticket against its own offer and confirms it
    stream     packets: pole asks "may I deliver?", meter signs, car checks and receipts, the pole keeps
               the receipt and hands both to the enclave
    close      the enclave decides the split and signs the decision; car and pole each hold a copy
    settle     settlement on the ledger (by the mode, at the height its ``timing`` draws), or, with
               no enclave, the driver's refund after the deadline
    finish     pole and driver rebuild their notes from the decision

``run`` calls the phases in this order (``charge`` the ones up to ``close``).  The packet loop offers hooks (``interrupt``,
``pole_stops``, ``deliver``, ``car_receipts``, ``reading_refused``, ``after_packet``) that
do nothing here; fault injection and attacks (``scenarios``) override them from outside.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from zkescrow.errors import InvalidSignature, MalformedInput, Refused, TransactionRejected, WrongState

from zkescrow.ledger import denominations
from zkescrow.ledger.keys import PaymentAddress

from .modes import EscrowMode, escrow_mode
from .settlement_timing import SettlementTiming
from .world import new_session_id


def standard_deposit(ledger, energy_wh: int, price_per_wh: int) -> int:
    """The deposit a driver puts up for ``energy_wh`` at ``price_per_wh``: the smallest of the ledger's
    denominations that covers it (the defaults for a ledger without them), never price × packets, so the
    amount names no price; what it does not use comes back at settlement."""
    allowed = ledger.denominations or denominations.DEFAULT
    return denominations.covering(energy_wh * price_per_wh, allowed)


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
    refund_height: int = 0          # the deadline the driver drew at opening (close height: settle window before)
    close_reason: str = ""
    events: list = field(default_factory=list)
    transactions: list = field(default_factory=list)   # {label, txid, kind, size, height}
    rejected: list = field(default_factory=list)       # {label, reason}
    faults: str = "none"

    def to_dict(self) -> dict:
        return dict(vars(self))


class ChargingSession:
    """One charging session of ``car`` at ``pole`` (see the module docstring)."""

    def __init__(self, world, car, pole, mode: str | EscrowMode, *, deposit: int, target_wh: int,
                 timing: SettlementTiming | None = None):
        self.world, self.car, self.pole = world, car, pole
        self.escrow = escrow_mode(mode) if isinstance(mode, str) or mode is None else mode
        self.timing = timing or self.escrow.timing
        self.deposit, self.target_wh = deposit, target_wh
        self.session_id, self.session_value = new_session_id()
        self.result = SessionResult(self.escrow.name, self.session_id, pole.pole_id, deposit, 0)
        self.service: dict | None = None
        self.terms: dict | None = None
        self.opened: dict | None = None
        self.offer = None
        self.refund_height: int | None = None
        self.packets = 0
        self.stop_reason = "driver stop (target reached)"
        self.decision: dict | None = None
        self.pole_decision: dict | None = None
        self.settlement = None

    # --- shorthands ------------------------------------------------------------------------

    @property
    def price(self) -> int:
        return self.service["price_per_wh"]

    @property
    def pole_address(self):
        """Where the pole is paid: the payee of the pole's signed offer (the enclave recorded the same)."""
        if self.offer is None:
            return self.pole.keys.payment_address
        return PaymentAddress(int(self.offer.payee_owner), bytes.fromhex(self.offer.payee_viewing_key))

    @property
    def driver_address(self):
        return self.car.keys.payment_address

    def event(self, text: str) -> None:
        self.result.events.append(text)
        self.world.log(f"          {text}")

    def run(self) -> SessionResult:
        """All phases in order; returns what happened."""
        self.charge()
        self.settle()
        self.finish()
        return self.result

    def charge(self) -> None:
        """The phases up to the enclave's decision (``discover`` … ``close``); car and pole are free after it."""
        self.discover()
        self.attest()
        self.open()
        self.fund()
        self.confirm()
        self.stream()
        self.close()

    # --- phases ----------------------------------------------------------------------------

    def discover(self) -> dict:
        """The pole's registry entry: the price and meter key come from the ledger, not from the pole."""
        service = next((s for s in self.world.ledger.services() if s["pole_id"] == self.pole.pole_id), None)
        if service is None:
            raise WrongState(f"pole {self.pole.pole_id} is not in the ledger's service registry")
        self.service = service
        self.result.price_per_wh = service["price_per_wh"]
        return service

    def attest(self) -> None:
        """Both parties hold a secure channel to the attested enclave (the car verifies it first if it has not)."""
        if self.car.channel is None:
            self.car.verify_enclave(self.world.host)
        if self.pole.channel is None:
            self.world.connect_pole(self.pole)

    def open(self) -> dict:
        world, car = self.world, self.car
        signed = self.pole.offer(world.ledger, packet_wh=world.packet_wh)
        self.offer = car.check_offer(signed, self.service)
        self.refund_height = self.result.refund_height = world.draw_refund_height()
        self.terms = {"session_id": self.session_id, "mode": self.escrow.name, "deposit": self.deposit,
                      "car_key": car.new_session_key(), "driver_owner": str(self.driver_address.owner),
                      "refund_height": self.refund_height, "close_height": self.refund_height - world.settle_window}
        self.opened = world.call(car, "open_session", signed, self.terms, world.registration_evidence(self.pole.pole_id))
        self.event(f"session {self.session_id[:12]}… opened in the enclave on the pole's offer: deposit "
                   f"{self.deposit:,}, {self.price} per Wh, refund height {self.refund_height}")
        return self.opened

    def fund(self) -> None:
        self.car.wallet.scan()
        evidence = self.escrow.deposit(self)
        self.world.call(self.car, "fund", self.session_id, evidence)
        self.event("enclave verifies the deposit against the ledger's signed headers")

    def confirm(self) -> None:
        """The pole reads the session's ticket from the enclave, checks it against its own offer and confirms."""
        world, pole, sid = self.world, self.pole, self.session_id
        ticket = world.call(pole, "session_ticket", sid)["ticket"]
        world.call(pole, "confirm_session", sid, pole.confirm(ticket))
        self.event("pole confirms the session's terms: charging may start")

    def stream(self) -> None:
        """Packets until the target, a stop, or a refusal; then the receipted energy as the enclave counts it."""
        world, car, sid = self.world, self.car, self.session_id
        car.start_metering(self.pole.pole_id, sid)
        begin = self.pole.begin(sid)
        self.submit(begin, car.receipt(begin, self.service["meter_key"]))
        while self.result.delivered_wh < self.target_wh and self.step():
            pass
        status = world.call(car, "status", sid) if world.host.running else None
        if status is not None:
            self.result.energy_wh = status["paid_wh"]
        self.event(f"charging over ({self.stop_reason}): {self.result.delivered_wh} Wh delivered in "
                   f"{self.packets} packets" + ("" if status is None else f", {status['paid_wh']} Wh receipted"))

    def step(self) -> bool:
        """One packet; False when charging stops (``stop_reason`` says why)."""
        world, sid, res = self.world, self.session_id, self.result
        stop = self.interrupt()
        if stop is None:
            go = world.call(self.pole, "authorize_next", sid, res.delivered_wh, world.ledger.height)
            if not go["go"]:
                self.event(f"pole stops: {go['reason']}")
                stop = go["reason"]
        stop = stop or self.pole_stops()
        if stop is not None:
            self.stop_reason = stop
            return False
        k = self.packets + 1
        reading, counts = self.deliver(k)
        self.packets += 1
        if counts:
            res.delivered_wh += world.packet_wh
        if not self.car_receipts(k):
            return True
        try:
            receipt = self.car.receipt(reading, self.service["meter_key"])
        except (MalformedInput, InvalidSignature, Refused) as exc:
            self.event(f"car refuses packet {k}: {exc}")
            self.reading_refused(k, reading)
            self.stop_reason = "bad meter reading"
            return False
        self.submit(reading, receipt)
        self.after_packet(k)
        return True

    def submit(self, reading: str, receipt: str) -> dict:
        """The pole hands reading and receipt to the enclave and keeps the receipted packet it counted."""
        view = self.world.call(self.pole, "packet", self.session_id, reading, receipt)
        self.pole.keep(self.session_id, reading, receipt)
        return view

    def close(self) -> dict | None:
        """The enclave's signed decision; None when the enclave is gone (then ``settle`` refunds)."""
        self.car.wallet.scan()
        self.result.close_reason = self.stop_reason
        if not self.world.host.running:
            return None
        world, car, sid = self.world, self.car, self.session_id
        d = world.call(car, "close", sid, self.stop_reason, world.ledger.height, car.close_authorization(sid))
        self.event(f"enclave decides: {d['energy_wh']} Wh → pole {d['pay']:,}, "
                   f"driver {d['refund']:,} (a signed decision, to car and pole)")
        self.decision = d
        self.pole_decision = self.fetch_decision(self.pole)
        return d

    def fetch_decision(self, party) -> dict:
        """``party``'s own copy of the signed decision (the enclave re-sends the same one on request)."""
        return self.world.call(party, "decision", self.session_id, party.close_authorization(self.session_id))

    def settle(self):
        """Carry out the decision on the ledger, or refund after the deadline if there is none."""
        if self.decision is None:
            return self._refund()
        res, d = self.result, self.decision
        world = self.world
        height = self.timing.settle_height(world.ledger.height, self.refund_height)
        if height > world.ledger.height + 1:
            self.event(f"the settlement waits for block {height} ({self.timing.name} timing; refund height "
                       f"{self.refund_height})")
            world.mine_until(height - 1)
        tx = self.escrow.settlement(self, d)
        mined = self.world.mine(tx, label="settlement: payment to the pole, change to the driver", record=res)
        if mined.rejected:
            raise TransactionRejected(f"settlement rejected: {mined.rejected[0][1]}")
        self.escrow.settled(self)
        res.outcome, res.paid, res.refunded, res.energy_wh = "settled", d["pay"], d["refund"], d["energy_wh"]
        self.settlement = tx
        return tx

    def _refund(self):
        world, res = self.world, self.result
        world.mine_until(self.refund_height)
        self.car.wallet.scan()
        self.event(f"height {world.ledger.height} ≥ refund height {self.refund_height}: the driver refunds "
                   f"without the enclave")
        tx = self.escrow.refund(self)
        mined = world.mine(tx, label="refund of the whole deposit to the driver", record=res)
        if mined.rejected:
            raise TransactionRejected(f"refund rejected: {mined.rejected[0][1]}")
        res.outcome, res.refunded, res.energy_wh = "refunded", self.deposit, 0
        return tx

    def finish(self) -> None:
        """Pole and driver find their notes: from the ledger's ciphertexts, and rebuilt from the decision (a
        settlement's outputs are derived, so neither depends on a ciphertext the other party wrote)."""
        self.car.wallet.scan()
        self.pole.wallet.scan()
        if self.decision is not None and self.result.outcome == "settled":
            pay_note, rest = self.escrow.notes(self, self.decision)
            self.pole.wallet.adopt(pay_note)
            self.car.wallet.adopt(rest)

    # --- hooks of the packet loop (no faults here; see ``scenarios``) ---------------------------

    def interrupt(self) -> str | None:
        """Before the pole asks for packet ``packets + 1``: a reason to stop, or None."""
        return None

    def pole_stops(self) -> str | None:
        """After the enclave allowed the next packet: a reason the pole stops anyway, or None."""
        return None

    def deliver(self, k: int) -> tuple[str, bool]:
        """Packet ``k``: the meter's signed reading, and whether energy really flowed."""
        return self.pole.deliver(self.world.packet_wh), True

    def car_receipts(self, k: int) -> bool:
        """Whether the car answers packet ``k`` with a receipt."""
        return True

    def reading_refused(self, k: int, reading: str) -> None:
        """The car refused packet ``k``'s reading (charging stops)."""

    def after_packet(self, k: int) -> None:
        """Packet ``k`` is receipted and recorded by the enclave."""

"""Faults and attacks played against a charging session from outside.

``Faults`` names what goes wrong (a party stops, a meter lies, the enclave crashes or
vanishes, someone tries to take more than the deposit or to settle twice);
``FaultySession`` is a ``ChargingSession`` whose packet-loop hooks and close/settle phases
inject them.  Each attack must fail: the enclave refuses, no proof can be made, or the
ledger rejects; if one goes through, ``SafetyViolation`` is raised.  Whatever happens, the
session must end with no value lost or created.

``run_session`` plays one session, with faults or without.
"""
from __future__ import annotations

from dataclasses import dataclass

from circuits.notes import Note
from zkescrow.errors import SafetyViolation, StatementFalse, ZkEscrowError

from . import transparent
from .modes import ShieldedEscrow, TransparentEscrow
from .session import ChargingSession, SessionResult


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


class FaultySession(ChargingSession):
    """A charging session in which ``faults`` happen (see the module docstring)."""

    def __init__(self, world, car, pole, mode, *, deposit: int, target_wh: int, faults: Faults):
        super().__init__(world, car, pole, mode, deposit=deposit, target_wh=target_wh)
        self.faults = faults
        self.result.faults = faults.describe()

    # --- the packet loop --------------------------------------------------------------------

    def interrupt(self) -> str | None:
        after = self.faults.enclave_silent_after
        if after is not None and self.packets >= after:
            self.world.host.crash()
            self.event(f"after {self.packets} packets the enclave disappears and never comes back")
            return "enclave gone"
        return None

    def pole_stops(self) -> str | None:
        after = self.faults.pole_stops_after
        if after is not None and self.packets >= after:
            self.event(f"pole stops delivering after {self.packets} packets; the car closes the session")
            return "pole stopped delivering"
        return None

    def deliver(self, k: int) -> tuple[str, bool]:
        backwards = k == self.faults.backwards_reading_at
        reading = self.pole.deliver(self.world.packet_wh, forged=k == self.faults.forged_reading_at,
                                    backwards=backwards)
        return reading, not backwards

    def car_receipts(self, k: int) -> bool:
        after = self.faults.car_stops_after
        if after is not None and self.packets > after:
            self.event(f"car sends no receipt for packet {k}")
            return False
        return True

    def reading_refused(self, k: int, reading: str) -> None:
        """The pole's host pushes the refused reading anyway: the enclave must refuse it too."""
        world = self.world
        try:
            world.call(self.pole, "packet", self.session_id, reading, "00" * 64, world.ledger.height)
        except ZkEscrowError as exc:
            self.event(f"enclave refuses it too: {exc}")
            return
        raise SafetyViolation("the enclave accepted a reading the car refused")

    def after_packet(self, k: int) -> None:
        if self.faults.enclave_crash_at == self.packets:
            self.world.host.crash()
            counter = self.world.restart_enclave()
            self.event(f"enclave crashed after packet {k}; restarted from sealed state at counter {counter}")

    # --- attacks on the settlement ----------------------------------------------------------

    def close(self) -> dict | None:
        decision = super().close()
        if decision is not None and self.faults.over_release:
            OVER_RELEASE[type(self.escrow)](self, decision)
        return decision

    def settle(self):
        tx = super().settle()
        if self.settlement is not None and self.faults.double_release:
            expect_rejected(self, tx, "replayed settlement")
            self.car.wallet.scan()
            expect_rejected(self, SECOND_SETTLEMENT[type(self.escrow)](self, tx), "second settlement")
        return tx


def expect_rejected(session: ChargingSession, tx, label: str) -> None:
    """Mine ``tx``; the ledger must reject it."""
    mined = session.world.mine(tx, label=label, record=session.result)
    if not mined.rejected:
        raise SafetyViolation(f"{label}: the ledger accepted it")
    session.event(f"{label}: rejected ({mined.rejected[0][1]})")


def _over_release_transparent(session: ChargingSession, decision: dict) -> None:
    """A payout of more than the deposit under the enclave's decision: no such decision exists, and the ledger
    rejects a payout whose outputs are not the decided notes (or that does not empty exactly the escrow)."""
    world, car, deposit = session.world, session.car, session.deposit
    extra = world.packet_wh * session.price
    pole, driver = session.pole_address, session.driver_address
    outputs = [(Note.new(deposit + extra - decision["refund"], pole.owner), pole.viewing_public),
               (Note.new(decision["refund"], driver.owner), driver.viewing_public)]
    tx = car.wallet.build_transfer([], outputs, deposit + extra, "escrow_payout", transparent.payout_fields(decision))
    expect_rejected(session, tx, "over-release payout")


def _over_release_shielded(session: ChargingSession, decision: dict) -> None:
    """A release proof for more energy than the deposit covers cannot be made."""
    energy = session.deposit // session.price + session.world.packet_wh
    try:
        session.escrow.release(session, energy_wh=energy, final_nonce=decision["final_nonce"],
                               signature_hex=decision["release_signature"])
    except StatementFalse as exc:
        session.event(f"over-release of {energy} Wh: no proof can be made ({exc})")
        return
    raise SafetyViolation("an over-release proof was built")


def _second_payout_transparent(session: ChargingSession, settled_tx):
    """The decision carried out a second time (a fresh proof and ciphertexts, so a new txid)."""
    return session.escrow.settlement(session, session.decision)


def _second_release_shielded(session: ChargingSession, settled_tx):
    """A fresh release proof of the same note (same nullifier)."""
    return session.escrow.settlement(session, session.decision)


OVER_RELEASE = {TransparentEscrow: _over_release_transparent, ShieldedEscrow: _over_release_shielded}
SECOND_SETTLEMENT = {TransparentEscrow: _second_payout_transparent, ShieldedEscrow: _second_release_shielded}


def run_session(world, car, pole, mode: str, *, deposit: int, target_wh: int,
                faults: Faults | None = None) -> SessionResult:
    """Play one charging session in ``mode`` ("transparent" or "shielded"), with ``faults`` if given."""
    if faults is None:
        session = ChargingSession(world, car, pole, mode, deposit=deposit, target_wh=target_wh)
    else:
        session = FaultySession(world, car, pole, mode, deposit=deposit, target_wh=target_wh, faults=faults)
    return session.run()

"""The two escrow modes as strategy objects of a charging session.

A ``ChargingSession`` asks its mode four things: how the driver deposits (and what the
enclave is shown as evidence of it), how the enclave's closing decision becomes a
settlement transaction, when that settlement goes on the ledger (``timing``, see
``settlement_timing``), and how the driver refunds alone after the deadline.

* ``TransparentEscrow``: a public escrow account (``transparent``): the payout carries the
  enclave's signed decision and creates exactly the notes it implies;
* ``ShieldedEscrow``: an escrow note (``shielded``): the deposit is a note locked to the
  session's terms, released by an escrow_release proof over the enclave's EdDSA signature.

Either party can carry out the decision: ``settlement(session, decision, wallet=…)`` builds it
with the car's wallet by default, or with the pole's when the pole settles alone.

``ESCROW_MODES`` maps the names the CLI and the enclave use to these classes; a session
takes a fresh instance (a shielded escrow remembers its note between the phases).
"""
from __future__ import annotations

from typing import Protocol

from circuits.crypto.eddsa import PublicKey as EddsaPublicKey
from circuits.escrow.escrow_release import REFUND
from circuits.notes import EscrowTerms, Note
from zkescrow.errors import MalformedInput, Refused
from zkescrow.ledger.transactions import Transaction

from . import settlement, shielded, transparent
from .settlement_timing import HiddenSettlement, PromptSettlement, SettlementTiming


class EscrowMode(Protocol):
    """What a charging session needs from an escrow mode (``session`` is a ``ChargingSession``)."""

    name: str
    timing: SettlementTiming          # when the settlement goes on the ledger (``settlement_timing``)

    def deposit(self, session) -> dict:
        """Put the deposit on the ledger; return the funding evidence the enclave checks."""

    def settlement(self, session, decision: dict) -> Transaction:
        """The transaction that carries out the enclave's closing decision."""

    def settled(self, session) -> None:
        """After the settlement is on the ledger: tell whoever needs to know."""

    def refund(self, session) -> Transaction:
        """After the refund height, without the enclave: the whole deposit back to the driver."""


class TransparentEscrow:
    """Deposit into a public escrow account; the enclave signs the payout transaction."""

    name = "transparent"
    timing = PromptSettlement()       # the open already names pole, deposit and deadline: waiting hides nothing

    def deposit(self, session) -> dict:
        car, world = session.car, session.world
        tx = transparent.open_escrow(car.wallet, session_id=session.session_id, deposit=session.deposit,
                                     pole_id=session.pole.pole_id, enclave_id=car.enclave_record["enclave_id"],
                                     refund_key=session.terms["car_key"], refund_height=session.refund_height)
        world.mine(tx, label=f"deposit {session.deposit:,} into the public escrow", record=session.result)
        return transparent.funding_evidence(world, session.session_id)

    def settlement(self, session, decision: dict, *, wallet=None) -> Transaction:
        return transparent.payout(wallet or session.car.wallet, decision, pole=session.pole_address,
                                  driver=session.driver_address)

    def notes(self, session, decision: dict):
        """(pole's payment, driver's rest) as the decision implies them."""
        return settlement.decision_notes(decision)

    def settled(self, session) -> None:
        session.world.call(session.car, "settled", session.session_id)

    def refund(self, session) -> Transaction:
        return transparent.refund(session.car.wallet, session_id=session.session_id, balance=session.deposit,
                                  refund_key=session.car.refund_key())


class ShieldedEscrow:
    """Deposit as an escrow note locked to the terms; released by a proof over the enclave's signature."""

    name = "shielded"

    def __init__(self):
        self.timing: SettlementTiming = HiddenSettlement()   # the release's height says nothing of the energy
        self.terms: EscrowTerms | None = None
        self.note = None
        self.position: int | None = None

    def deposit(self, session) -> dict:
        car, world = session.car, session.world
        self.terms = EscrowTerms(car.enclave_eddsa_key, session.driver_address.owner, session.pole_address.owner,
                                 session.price, session.session_value, session.refund_height)
        if str(self.terms.owner) != session.opened["escrow_owner"]:
            raise Refused("the enclave computes a different escrow owner for these terms")
        tx, self.note = shielded.fund_escrow(car.wallet, self.terms, session.deposit, car.verified.keys.x25519)
        world.mine(tx, label=f"deposit {session.deposit:,} as an escrow note (looks like any payment)",
                   record=session.result)
        self.position = shielded.locate(world.ledger, self.note.commitment)
        car.wallet.scan()
        return shielded.funding_evidence(car.wallet, self.note, self.position)

    def release(self, session, *, energy_wh: int, final_nonce: int, signature_hex: str, wallet=None,
                note=None, position=None) -> Transaction:
        """An escrow_release of this session's note (or ``note`` at ``position``) for ``energy_wh`` under the
        given release signature, proved by ``wallet`` (default: the car's)."""
        note = self.note if note is None else note
        position = self.position if position is None else position
        wallet = wallet or session.car.wallet
        wallet.scan()                                   # the proof's Merkle path comes from the wallet's tree
        return shielded.release(wallet, note, position, self.terms, pole=session.pole_address,
                                driver=session.driver_address, energy_wh=energy_wh, final_nonce=final_nonce,
                                signature_hex=signature_hex)

    def settlement(self, session, decision: dict, *, wallet=None) -> Transaction:
        """The release the decision allows; the pole can prove it alone from the decision it received (the escrow
        note's opening travels with it)."""
        if wallet is not None and self.note is None:
            self.adopt(session, decision)
        return self.release(session, energy_wh=decision["energy_wh"], final_nonce=decision["final_nonce"],
                            signature_hex=decision["release_signature"], wallet=wallet)

    def adopt(self, session, decision: dict) -> None:
        """Take the terms and the escrow note from a decision (a party that did not fund the escrow itself)."""
        f = decision["escrow_note"]
        key = EddsaPublicKey.unpack(bytes.fromhex(decision["eddsa_key"]))
        self.terms = EscrowTerms(key, int(decision["driver_owner"]), int(decision["payee_owner"]),
                                 int(decision["price"]), int(decision["session_id"], 16),
                                 int(decision["refund_height"]))
        self.note = Note(int(f["v"]), self.terms.owner, int(f["rho"]), int(f["r"]), int(f["a"]))
        self.position = int(f["position"])

    def notes(self, session, decision: dict):
        """(pole's payment, driver's rest) as the decision implies them (a refund: ``pay`` 0)."""
        return shielded.settlement_notes(self.note, self.position, self.terms, int(decision["pay"]))

    def settled(self, session) -> None:
        session.world.call(session.car, "settled", session.session_id)

    def refund(self, session) -> Transaction:
        return shielded.release(session.car.wallet, self.note, self.position, self.terms, pole=session.pole_address,
                                driver=session.driver_address, mode=REFUND, driver_key=session.car.keys.spending)


#: Escrow mode names (CLI, enclave terms) -> strategy classes.
ESCROW_MODES: dict[str, type] = {"transparent": TransparentEscrow, "shielded": ShieldedEscrow}
MODES = tuple(ESCROW_MODES)


def escrow_mode(name: str) -> EscrowMode:
    """A fresh strategy object for the mode called ``name``; MalformedInput for an unknown name."""
    cls = ESCROW_MODES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise MalformedInput(f"mode must be one of {MODES}")
    return cls()

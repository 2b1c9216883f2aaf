"""The two escrow modes as strategy objects of a charging session.

A ``ChargingSession`` asks its mode three things: how the driver deposits (and what the
enclave is shown as evidence of it), how the enclave's closing decision becomes a
settlement transaction, and how the driver refunds alone after the deadline.

* ``TransparentEscrow``: a public escrow account (``transparent``): the enclave checks the
  payout's output openings and signs the payout transaction (Ed25519);
* ``ShieldedEscrow``: an escrow note (``shielded``): the deposit is a note locked to the
  session's terms, released by an escrow_release proof over the enclave's EdDSA signature.

``ESCROW_MODES`` maps the names the CLI and the enclave use to these classes; a session
takes a fresh instance (a shielded escrow remembers its note between the phases).
"""
from __future__ import annotations

from typing import Protocol

from circuits.escrow.escrow_release import REFUND
from circuits.notes import EscrowTerms
from zkescrow.errors import MalformedInput, Refused
from zkescrow.ledger.transactions import Transaction

from . import shielded, transparent


class EscrowMode(Protocol):
    """What a charging session needs from an escrow mode (``session`` is a ``ChargingSession``)."""

    name: str

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

    def deposit(self, session) -> dict:
        car, world = session.car, session.world
        tx = transparent.open_escrow(car.wallet, session_id=session.session_id, deposit=session.deposit,
                                     pole_id=session.pole.pole_id, enclave_id=car.enclave_record["enclave_id"],
                                     refund_key=session.terms["car_key"], refund_height=session.refund_height)
        world.mine(tx, label=f"deposit {session.deposit:,} into the public escrow", record=session.result)
        return transparent.funding_evidence(world, session.session_id)

    def settlement(self, session, decision: dict) -> Transaction:
        car, world = session.car, session.world
        tx, openings = transparent.payout(car.wallet, session_id=session.session_id, deposit=session.deposit,
                                          pay=decision["pay"], pole=session.pole_address,
                                          driver=session.driver_address)
        signed = world.call(car, "sign_payout", session.session_id, tx.to_json(), openings, world.ledger.height,
                            world.ledger.chain_id)
        return transparent.with_signature(tx, signed["signature"])

    def settled(self, session) -> None:
        """The enclave marked the session settled when it signed the payout."""

    def refund(self, session) -> Transaction:
        return transparent.refund(session.car.wallet, session_id=session.session_id, balance=session.deposit,
                                  refund_key=session.car.refund_key())


class ShieldedEscrow:
    """Deposit as an escrow note locked to the terms; released by a proof over the enclave's signature."""

    name = "shielded"

    def __init__(self):
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

    def release(self, session, *, energy_wh: int, final_nonce: int, signature_hex: str) -> Transaction:
        """An escrow_release of this session's note for ``energy_wh`` under the given release signature."""
        return shielded.release(session.car.wallet, self.note, self.position, self.terms, pole=session.pole_address,
                                driver=session.driver_address, energy_wh=energy_wh, final_nonce=final_nonce,
                                signature_hex=signature_hex)

    def settlement(self, session, decision: dict) -> Transaction:
        return self.release(session, energy_wh=decision["energy_wh"], final_nonce=decision["final_nonce"],
                            signature_hex=decision["signature"])

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

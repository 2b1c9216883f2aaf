"""escrow_release: spend an escrow note into a pole payment and a driver refund (protocols.md §9, C3).

Public:  root, nullifier, pay_commitment, refund_commitment, height, asset, ext_data_hash
Private: the mode (release or refund), the escrow note (value, ρ, blind, Merkle path), the terms
         (session id, enclave key, owners, price, refund height), energy, final nonce, the
         enclave's EdDSA signature, the driver's key

mode 0 (release): the enclave signed m = H(RELEASE_MESSAGE, session, E_Wh, nonce, nf_E), which names
                  this escrow note by its nullifier, so one signature pays one note; the pole gets
                  E_Wh·price, the driver the rest (≥ 0: a release never exceeds the deposit).
mode 1 (refund):  height ≥ refund height and the prover holds the driver's key; the driver gets
                  everything, the pole nothing.  No enclave is involved.

A release and a refund have one public shape: the mode and the session id are private, and
``height`` is the height of the block that includes the transaction (the ledger rejects any
other), so the ledger shows neither which path was taken nor the refund deadline.  Both output
blinds are derived, r_pay = H(PAYMENT_BLIND, nf_E, terms) and r_refund = H(REFUND_BLIND, nf_E,
terms), and ρ_j = H(RHO, nf_E, j): the pole and the driver each rebuild their note from the
public nullifier and the terms they agreed to, whatever ciphertexts the prover attached.

ext_data_hash binds what the transaction carries beside the proof (the output notes' ciphertexts), as
in a transfer: without it anyone relaying the transaction could swap the ciphertexts, and the pole and
the driver would never learn the blinding factors of the notes the release created for them.
"""
from __future__ import annotations

from dataclasses import dataclass

from circuits.crypto.babyjub import IDENTITY
from circuits.crypto.eddsa import Signature
from circuits.domains import Domain
from circuits.dsl import Circuit, Private, Public
from circuits.gadgets.bits import range_check
from circuits.gadgets.compare import greater_eq_than
from circuits.gadgets.eddsa import eddsa_poseidon_verify
from circuits.gadgets.poseidon import poseidon
from circuits.notes import EscrowTerms, Note, SpendingKey, output_rho, release_message
from zkescrow.errors import MalformedInput, WitnessError

from .note_gadgets import assert_member_if, note_commitment, nullifier, owner_of, position_of
from .note_gadgets import output_rho as output_rho_gadget

RELEASE, REFUND = 0, 1
PRICE_BITS = ENERGY_BITS = 32


class EscrowRelease(Circuit):
    """Release an escrow note on the enclave's signature, or refund it to the driver after the deadline."""

    root = Public()
    nullifier = Public()
    pay_commitment = Public()
    refund_commitment = Public()
    height = Public()
    asset = Public()
    ext_data_hash = Public()

    mode = Private()
    session_id = Private()
    value = Private()
    rho = Private()
    blind = Private()
    path = Private(n="depth")
    index_bits = Private(n="depth")
    enclave_ax = Private()
    enclave_ay = Private()
    owner_driver = Private()
    owner_pole = Private()
    price = Private()
    refund_height = Private()
    energy_wh = Private()
    final_nonce = Private()
    sig_r8x = Private()
    sig_r8y = Private()
    sig_s = Private()
    driver_sk = Private()

    def __init__(self, depth: int = 20):
        super().__init__(depth=depth)

    def define(self, cs):
        cs.assert_bool(self.mode)
        releasing = 1 - self.mode
        with cs.scope("EscrowNote"):
            terms = poseidon(cs, Domain.TERMS, self.owner_driver, self.owner_pole, self.price, self.session_id)
            owner = poseidon(cs, Domain.ESCROW_OWNER, self.enclave_ax, self.enclave_ay, self.owner_driver,
                             self.refund_height, terms)
            cm = note_commitment(cs, self.value, self.asset, owner, self.rho, self.blind)
            assert_member_if(cs, 1, cm, self.path, self.index_bits, self.root)
            nf = nullifier(cs, owner, cm, position_of(self.index_bits))
            cs.assert_equal(nf, self.nullifier)
        with cs.scope("ReleaseSignature"):
            msg = poseidon(cs, Domain.RELEASE_MESSAGE, self.session_id, self.energy_wh, self.final_nonce, nf)
            eddsa_poseidon_verify(cs, self.enclave_ax, self.enclave_ay, self.sig_s, self.sig_r8x, self.sig_r8y, msg,
                                  enabled=releasing)
        with cs.scope("RefundConditions"):
            range_check(cs, self.height, 64)
            range_check(cs, self.refund_height, 64)
            due = greater_eq_than(cs, self.height, self.refund_height, 64)
            cs.assert_product(self.mode, 1 - due, 0)
            cs.assert_product(self.mode, owner_of(cs, self.driver_sk) - self.owner_driver, 0)
        with cs.scope("Split"):
            range_check(cs, self.price, PRICE_BITS)
            range_check(cs, self.energy_wh, ENERGY_BITS)
            pay = cs.mul(releasing, cs.mul(self.energy_wh, self.price))
            refund = self.value - pay
            range_check(cs, refund, 64)
        pay_blind = poseidon(cs, Domain.PAYMENT_BLIND, nf, terms)
        refund_blind = poseidon(cs, Domain.REFUND_BLIND, nf, terms)
        for j, (value, recipient, blind, public) in enumerate([
                (pay, self.owner_pole, pay_blind, self.pay_commitment),
                (refund, self.owner_driver, refund_blind, self.refund_commitment)]):
            with cs.scope("CreateOutput"):
                rho = output_rho_gadget(cs, nf, j)
                cs.assert_equal(note_commitment(cs, value, self.asset, recipient, rho, blind), public)
        with cs.scope("BindExtData"):
            # the square puts the public input in a constraint (tornado's guard, as in transfer): the
            # proof then binds it whether or not the setup adds snarkjs's extra public-input rows
            cs.mul(self.ext_data_hash, self.ext_data_hash)


@dataclass(frozen=True)
class ReleaseStatement:
    inputs: dict
    public: dict
    pay_note: Note
    refund_note: Note


def escrow_release_inputs(note: Note, terms: EscrowTerms, path, *, root: int, height: int, mode: int,
                          energy_wh: int = 0, final_nonce: int = 0, signature: Signature | None = None,
                          driver_key: SpendingKey | None = None, depth: int = 20,
                          ext_data_hash: int = 0) -> ReleaseStatement:
    """Circuit inputs to release (mode 0, with the enclave's ``signature``) or refund (mode 1, ``driver_key``).

    ``height`` is the height of the block meant to include the transaction (the ledger accepts no
    other).  ``ext_data_hash`` is the hash of the transaction data the proof must bind (the ciphertexts); a
    prover that encrypts the output notes after this call sets it in ``inputs`` before proving.
    """
    if mode not in (RELEASE, REFUND):
        raise MalformedInput("mode must be 0 (release) or 1 (refund)")
    if note.owner != terms.owner:
        raise WitnessError("the note is not an escrow note for these terms")
    if path is None or len(path.elements) != depth:
        raise MalformedInput(f"an escrow release needs the note's Merkle path of depth {depth}")
    for name, v, bits in (("price", terms.price_per_wh, PRICE_BITS), ("energy", energy_wh, ENERGY_BITS)):
        if not 0 <= v < 1 << bits:
            raise WitnessError(f"{name} {v} does not fit in {bits} bits")
    nf = terms.nullifier(note, path.index)
    if mode == RELEASE:
        if signature is None:
            raise WitnessError("a release needs the enclave's signature")
        msg = release_message(terms.session_id, energy_wh, final_nonce, nf)
        if not terms.enclave_key.verify_poseidon(msg, signature):
            raise WitnessError("the enclave's signature does not cover this session, energy, nonce and "
                               "escrow note")
        pay = energy_wh * terms.price_per_wh
        if pay > note.value:
            raise WitnessError(f"release of {energy_wh} Wh at {terms.price_per_wh} per Wh = {pay} "
                               f"exceeds the escrow deposit of {note.value}")
        r8, s, sk = signature.r8, signature.s, 0
    else:
        if height < terms.refund_height:
            raise WitnessError(f"refund at height {height} is before the refund deadline {terms.refund_height}")
        if driver_key is None or driver_key.owner != terms.owner_driver:
            raise WitnessError("a refund needs the driver's spending key")
        pay, energy_wh, final_nonce = 0, 0, 0
        r8, s, sk = IDENTITY, 0, driver_key.sk
    pay_note, refund_note = terms.settlement_notes(note, nf, pay)
    public = {"root": root, "nullifier": nf, "pay_commitment": pay_note.commitment,
              "refund_commitment": refund_note.commitment, "height": height, "asset": note.asset,
              "ext_data_hash": ext_data_hash}
    private = {"mode": mode, "session_id": terms.session_id, "value": note.value, "rho": note.rho,
               "blind": note.blind, "path": list(path.elements),
               "index_bits": list(path.index_bits), "enclave_ax": int(terms.enclave_key.x),
               "enclave_ay": int(terms.enclave_key.y), "owner_driver": terms.owner_driver,
               "owner_pole": terms.owner_pole, "price": terms.price_per_wh, "refund_height": terms.refund_height,
               "energy_wh": energy_wh, "final_nonce": final_nonce, "sig_r8x": int(r8.x), "sig_r8y": int(r8.y),
               "sig_s": int(s), "driver_sk": sk}
    return ReleaseStatement({**public, **private}, public, pay_note, refund_note)

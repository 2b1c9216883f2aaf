"""How the escrow enclave decides a session, once: the split, both output notes and its two signatures over them.

Measured with the escrow enclave program (it is in the program's ``measured_modules``).  The decision
(``settlement``) names the escrow it settles; its chain id is the ledger the program's measured config
pins.  It carries
  * an Ed25519 signature by the attested enclave key over ``settlement.decision_signing_bytes``, which
    the ledger checks for a transparent payout (the payout must create exactly the decision's notes);
  * in shielded mode, an EdDSA-Poseidon signature over ``release_message(session, E_Wh, final_nonce,
    nf_E)``, which the escrow_release circuit verifies; nf_E names the one escrow note it releases.
"""
from __future__ import annotations

import secrets
from typing import Callable

from circuits.crypto.eddsa import PrivateKey as EddsaPrivateKey
from circuits.notes import EscrowTerms, Note, release_message
from zkescrow.escrow.enclave_state import Decision, SessionRecord
from zkescrow.escrow.settlement import decision_signing_bytes, transparent_notes


def sign_decision(s: SessionRecord, energy: int, pay: int, *, terms: EscrowTerms, eddsa: EddsaPrivateKey,
                  chain_id: str, sign: Callable[[bytes], bytes]) -> Decision:
    """The signed decision paying ``pay`` for ``energy`` Wh to the pole and the rest of the deposit back.

    ``terms``: the session's escrow terms (their owner is the escrow note's); ``eddsa``: the enclave's
    Baby Jubjub key; ``sign``: the attested Ed25519 key's signing function.
    """
    refund = s.deposit - pay
    common = dict(session_id=s.session_id, mode=s.mode, energy_wh=energy, pay=pay, refund=refund,
                  payee_owner=s.pole_owner, driver_owner=s.driver_owner, final_nonce=s.nonce,
                  chain_id=chain_id, price=s.price)
    if s.mode == "transparent":
        escrow, salt = str(s.funding["txid"]), secrets.randbits(248)
        notes = transparent_notes(escrow, pay=pay, refund=refund, payee_owner=s.pole_owner,
                                  driver_owner=s.driver_owner, price=s.price, salt=salt)
        release = ""
    else:
        f = s.funding
        note = Note(f["v"], terms.owner, int(f["rho"]), int(f["r"]), f["a"])
        nf, salt = terms.nullifier(note, f["position"]), 0
        escrow, notes = str(nf), terms.settlement_notes(note, nf, pay)
        message = release_message(int(s.session_id, 16), energy, s.nonce, nf)
        release = eddsa.sign_poseidon(message).pack().hex()
    decision = Decision(escrow=escrow, salt=salt, pay_commitment=notes[0].commitment,
                        refund_commitment=notes[1].commitment, release_signature=release, **common)
    signature = sign(decision_signing_bytes(decision.fields())).hex()
    return Decision(**dict(decision.fields(), signature=signature, release_signature=release))

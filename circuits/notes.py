"""The note scheme of the shielded pool, natively: keys, notes, commitments, nullifiers.

Every formula here is mirrored, symbol for symbol, by the escrow circuits
(``circuits/escrow``); the tags are ``circuits.domains.Domain``::

    nk    = H(NULLIFIER_KEY, sk)                     nullifier key
    owner = H(OWNER, sk)                             the note's owner field ("address")
    cm    = H(NOTE_COMMITMENT, v, asset, owner, ρ, r)
    nf    = H(NULLIFIER, nk, cm, pos)                position-bound, as in Sapling
    ρ_j   = H(RHO, nf_0, j)                          output j of a spend (Orchard/Sprout uniqueness)

Spend authority is knowledge of ``sk`` inside the proof (Tornado Nova style):
proving H(OWNER, sk) costs 240 constraints where an in-circuit Baby Jubjub key
derivation would cost thousands, and the proof itself binds the spend to its
public inputs.  Baby Jubjub keys are still used where a *signature* outside the
spender's own proof is needed (the enclave's release signature).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from zkescrow.bn254.constants import R
from zkescrow.errors import MalformedInput

from .crypto.poseidon import poseidon
from .domains import Domain

#: Note values are 64-bit unsigned integers (base units).
VALUE_BITS = 64
MAX_VALUE = (1 << VALUE_BITS) - 1
#: The one asset of the prototype ledger; the field exists so that circuits bind it.
NATIVE_ASSET = 0


def random_field_element() -> int:
    """A uniformly random element of Fr from the OS (for ρ, blinding factors, keys)."""
    return secrets.randbelow(int(R))


def check_value(value, what: str = "value") -> int:
    """``value`` as an int if 0 ≤ value < 2^64, else MalformedInput naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_VALUE:
        raise MalformedInput(f"{what} must be an integer in [0, 2^64), got {value!r}")
    return value


@dataclass(frozen=True)
class SpendingKey:
    """The secret that spends notes; ``owner`` is what senders put into notes."""

    sk: int = field(repr=False)

    @classmethod
    def generate(cls) -> "SpendingKey":
        return cls(random_field_element())

    def __post_init__(self):
        if isinstance(self.sk, bool) or not isinstance(self.sk, int) or not 0 <= self.sk < R:
            raise MalformedInput("a spending key is an integer in [0, r)")

    @property
    def nullifier_key(self) -> int:
        return poseidon([Domain.NULLIFIER_KEY, self.sk])

    @property
    def owner(self) -> int:
        return owner_of(self.sk)


def owner_of(sk: int) -> int:
    """owner = H(OWNER, sk)."""
    return poseidon([Domain.OWNER, sk])


@dataclass(frozen=True)
class Note:
    """A shielded note: ``value`` of ``asset`` for ``owner``, made unique by ρ and hidden by ``blind``."""

    value: int
    owner: int
    rho: int
    blind: int
    asset: int = NATIVE_ASSET

    def __post_init__(self):
        check_value(self.value, "note value")
        for name in ("owner", "rho", "blind", "asset"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < R:
                raise MalformedInput(f"note {name} must be an integer in [0, r), got {v!r}")

    @classmethod
    def new(cls, value: int, owner: int, rho: int | None = None, asset: int = NATIVE_ASSET) -> "Note":
        """A note with a fresh blinding factor (and a fresh ρ unless one is given)."""
        return cls(value, owner, random_field_element() if rho is None else rho, random_field_element(), asset)

    @property
    def commitment(self) -> int:
        return note_commitment(self.value, self.asset, self.owner, self.rho, self.blind)

    def nullifier(self, nullifier_key: int, position: int) -> int:
        return nullifier(nullifier_key, self.commitment, position)


def note_commitment(value: int, asset: int, owner: int, rho: int, blind: int) -> int:
    """cm = H(NOTE_COMMITMENT, v, asset, owner, ρ, r)."""
    return poseidon([Domain.NOTE_COMMITMENT, value, asset, owner, rho, blind])


def nullifier(nullifier_key: int, commitment: int, position: int) -> int:
    """nf = H(NULLIFIER, nk, cm, pos)."""
    return poseidon([Domain.NULLIFIER, nullifier_key, commitment, position])


def output_rho(first_nullifier: int, j: int) -> int:
    """ρ_j = H(RHO, nf_0, j): the ρ of output j of a spend whose first nullifier is nf_0."""
    return poseidon([Domain.RHO, first_nullifier, j])


def to_field(signed_amount: int) -> int:
    """A signed public amount as a field element (negative amounts wrap to r − |x|)."""
    if isinstance(signed_amount, bool) or not isinstance(signed_amount, int) or abs(signed_amount) > MAX_VALUE:
        raise MalformedInput(f"public amount must be an integer with |x| < 2^64, got {signed_amount!r}")
    return signed_amount % int(R)


def from_field(element: int) -> int:
    """The signed amount a public-amount field element stands for (inverse of ``to_field``)."""
    element = int(element) % int(R)
    if element <= MAX_VALUE:
        return element
    if int(R) - element <= MAX_VALUE:
        return element - int(R)
    raise MalformedInput(f"public amount {element} is neither a small positive nor a small negative amount")


# --- escrow notes (protocols.md §9, C3) ------------------------------------------------------

@dataclass(frozen=True)
class EscrowTerms:
    """The conditions an escrow note's owner field commits to.

    ``enclave_key`` is the attested enclave's Baby Jubjub EdDSA key (a
    ``circuits.crypto.eddsa.PublicKey``); the note can be spent by an enclave-signed
    release, or by the driver alone once the chain height reaches ``refund_height``.
    """

    enclave_key: object
    owner_driver: int
    owner_pole: int
    price_per_wh: int
    session_id: int
    refund_height: int

    @property
    def terms_hash(self) -> int:
        """terms = H(TERMS, owner_drv, owner_pole, price, sessionId)."""
        return poseidon([Domain.TERMS, self.owner_driver, self.owner_pole, self.price_per_wh, self.session_id])

    @property
    def owner(self) -> int:
        """owner_E = H(ESCROW_OWNER, PK_enc.x, PK_enc.y, owner_drv, T_refund, terms)."""
        key = self.enclave_key
        return poseidon([Domain.ESCROW_OWNER, int(key.x), int(key.y), self.owner_driver, self.refund_height,
                         self.terms_hash])

    def nullifier(self, note: Note, position: int) -> int:
        """An escrow note's nullifier key is its owner hash: both the enclave and the driver can spend it."""
        return nullifier(self.owner, note.commitment, position)

    def payment_blind(self, escrow_nullifier: int) -> int:
        """blind_pay = H(PAYMENT_BLIND, nf_E, terms): the pole's payment note's blinding factor.

        Derived, not chosen by whoever proves the release, so the pole can rebuild its
        payment note from the public release and the terms it agreed to — a prover who
        sends it a bad ciphertext (or none) cannot make the payment unspendable.
        """
        return poseidon([Domain.PAYMENT_BLIND, escrow_nullifier, self.terms_hash])

    def refund_blind(self, escrow_nullifier: int) -> int:
        """blind_refund = H(REFUND_BLIND, nf_E, terms): the driver's refund note's blinding factor.

        Derived like the payment blind, so the driver rebuilds its refund (or change) note from
        the public nullifier and its own terms even if the pole proved the release and sent it a
        bad ciphertext or none.
        """
        return poseidon([Domain.REFUND_BLIND, escrow_nullifier, self.terms_hash])

    def settlement_notes(self, note: Note, escrow_nullifier: int, pay: int) -> tuple[Note, Note]:
        """The two notes a release (or, with ``pay`` 0, a refund) of ``note`` creates: the pole's payment
        of ``pay`` and the driver's rest, each with ρ_j = H(RHO, nf_E, j) and its derived blind."""
        nf = escrow_nullifier
        return (Note(pay, self.owner_pole, output_rho(nf, 0), self.payment_blind(nf), note.asset),
                Note(note.value - pay, self.owner_driver, output_rho(nf, 1), self.refund_blind(nf), note.asset))


def release_message(session_id: int, energy_wh: int, final_nonce: int, escrow_nullifier: int) -> int:
    """m = H(RELEASE_MESSAGE, sessionId, E_Wh, finalNonce, nf_E): what the enclave signs to release an escrow.

    The escrow note's nullifier is part of the message, so a signature releases exactly one note:
    a second note locked to the same terms has another nullifier and needs its own signature.
    """
    return poseidon([Domain.RELEASE_MESSAGE, session_id, energy_wh, final_nonce, escrow_nullifier])

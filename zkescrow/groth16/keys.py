"""The Groth16 proving key, field for field what a snarkjs .zkey holds.

For a circuit with wires 0 … n_vars−1 (0 = ONE, then the n_public public signals) over
the domain of size n = ``domain_size`` with Lagrange basis L_c, and toxic waste
τ, α, β, γ, δ (snarkjs fixes γ = 1 in ``zkey new``)::

    alpha1 = α·G1   beta1 = β·G1   beta2 = β·G2   gamma2 = γ·G2   delta1 = δ·G1   delta2 = δ·G2
    a[s]   = u_s(τ)·G1,  b1[s] = v_s(τ)·G1,  b2[s] = v_s(τ)·G2           u, v, w: the QAP columns
    ic[s]  = (β·u_s(τ) + α·v_s(τ) + w_s(τ))/γ·G1                          s ≤ n_public
    c[s − n_public − 1] = (β·u_s(τ) + α·v_s(τ) + w_s(τ))/δ·G1             s > n_public
    h[i]   = L^(2n)_(2i+1)(τ)/δ·G1                                        odd points of the 2n domain

``coefs`` lists the A and B matrices as (matrix 0/1, constraint, signal, value) with
canonical values, including snarkjs's extra rows (0, m + s, s, 1) for s ≤ n_public.
``cs_hash`` and ``contributions`` are the phase-2 ceremony record (.zkey section 10).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Contribution:
    """One phase-2 contribution: δ ← k·δ with a proof of knowledge of k (snarkjs layout).

    ``g1_sx = k·g1_s`` and ``g2_spx = k·hash_to_g2(transcript)``; ``delta_after`` is δ·G1
    after this contribution.  ``type`` 1 marks a random-beacon contribution, whose key
    is derived from ``beacon_hash`` iterated 2^``num_iterations_exp`` times with SHA-256.
    """

    delta_after: tuple
    g1_s: tuple
    g1_sx: tuple
    g2_spx: tuple
    transcript: bytes
    type: int = 0
    name: str | None = None
    num_iterations_exp: int | None = None
    beacon_hash: bytes | None = None


@dataclass(eq=False)
class ProvingKey:
    """A Groth16 proving key over BN254 in snarkjs's shape (affine points, ``None`` = infinity).

    Keys read with ``read_zkey(path, proving=False)`` carry only the header, ``ic`` and the
    ceremony record; their ``coefs``/``a``/``b1``/``b2``/``c``/``h`` are ``None``.
    """

    n_vars: int
    n_public: int
    domain_size: int
    alpha1: tuple
    beta1: tuple
    beta2: tuple
    gamma2: tuple
    delta1: tuple
    delta2: tuple
    ic: list
    coefs: list | None
    a: list | None
    b1: list | None
    b2: list | None
    c: list | None
    h: list | None
    cs_hash: bytes | None = None
    contributions: list = field(default_factory=list)

    @property
    def log_domain_size(self) -> int:
        return self.domain_size.bit_length() - 1

    @property
    def has_proving_sections(self) -> bool:
        return None not in (self.coefs, self.a, self.b1, self.b2, self.c, self.h)

    def __eq__(self, other):
        if not isinstance(other, ProvingKey):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in (
            "n_vars", "n_public", "domain_size", "alpha1", "beta1", "beta2", "gamma2", "delta1", "delta2",
            "ic", "coefs", "a", "b1", "b2", "c", "h", "cs_hash", "contributions"))

    __hash__ = None

    def verification_key(self):
        """The matching ``zkescrow.groth16.vk.VerificationKey``."""
        from .vk import VerificationKey
        return VerificationKey(alpha1=self.alpha1, beta2=self.beta2, gamma2=self.gamma2, delta2=self.delta2,
                               ic=list(self.ic), n_public=self.n_public)

    def is_fresh(self) -> bool:
        """True while γ == δ (no phase-2 contribution yet): such a key must not be used in production."""
        return self.gamma2 == self.delta2

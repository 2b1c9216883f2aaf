"""The seams where a real TEE replaces the simulator (typing.Protocol classes; the simulator implements them).

A real backend (SGX via Gramine or Open Enclave, TDX, SEV-SNP) provides:

* ``AttestationPlatform``: launches a measured, signed program and returns an ``EnclaveHandle``
  (simulator: ``Platform``).
* ``EnclaveHandle``: the host's view of a running enclave: entry points, quotes over report data, the
  secure-channel endpoint (simulator: ``Enclave``).
* ``QuoteVerifier``: turns (quote, chain, policy, nonce) into a ``VerifiedEnclave`` or an AttestationError
  (simulator: ``verify_quote``; for DCAP, a wrapper over Intel's QVL or dcap-qvl with TCB Info and QE Identity).

Code above enclave_sim (the escrow) should type against these, not against the simulator's classes.
"""
from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from .identity import EnclaveIdentity, EnclaveKeys
from .measurement import ProgramImage
from .pki import CertificateChain
from .policy import Policy
from .quote import Quote
from .signer import SigStruct
from .verify import VerifiedEnclave


@runtime_checkable
class EnclaveHandle(Protocol):
    identity: EnclaveIdentity

    @property
    def public_keys(self) -> EnclaveKeys: ...

    @property
    def halted(self) -> bool: ...

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any: ...

    def quote(self, report_data: bytes) -> Quote: ...

    def attest(self, nonce: bytes) -> Quote: ...

    def handle(self, request: bytes) -> bytes: ...


@runtime_checkable
class AttestationPlatform(Protocol):
    platform_id: bytes
    tcb_level: int
    chain: CertificateChain

    def launch(self, image: ProgramImage, sigstruct: SigStruct, *, debug: bool = False) -> EnclaveHandle: ...


class QuoteVerifier(Protocol):
    def __call__(self, quote: Quote, chain: CertificateChain | None, policy: Policy,
                 nonce: bytes | None = None) -> VerifiedEnclave: ...

"""enclave_sim: a simulated TEE platform with remote attestation, sealing and rollback protection.

Host side::

    vendor = Vendor.create()                                   # the TEE vendor's CAs
    platform = Platform.create(directory, vendor)              # one machine, persisted in `directory`
    image = ProgramImage.load("enclave_sim.examples.kvstore")  # measured program (MRENCLAVE)
    sigstruct = EnclaveSigner.generate().sign(image, product_id=1, svn=1)
    enclave = platform.launch(image, sigstruct)                # restores its latest sealed state
    enclave.call("put", "k", "v")

Verifier side::

    quote = enclave.attest(nonce)                              # binds the enclave's keys to the nonce
    trusted = verify_quote(quote, platform.chain, policy, nonce)
    channel = trusted.channel()
    channel.call(enclave.handle, "get", "k")                   # encrypted in, signed out

Program side: subclass ``EnclaveProgram`` and mark entry points with ``@ecall`` (see enclave_sim.program).
"""
from .channel import EnclaveChannel
from .enclave import Enclave, EnclaveContext
from .identity import EnclaveIdentity, EnclaveKeys, KeyPolicy
from .interfaces import AttestationPlatform, EnclaveHandle, QuoteVerifier
from .measurement import ProgramImage
from .pki import CertificateChain, Vendor
from .platform import Platform, load_chain_file
from .policy import Policy
from .program import EnclaveProgram, ecall
from .quote import Quote, report_data_for
from .signer import EnclaveSigner, SigStruct
from .verify import VerifiedEnclave, verify_quote

__all__ = [
    "AttestationPlatform", "CertificateChain", "Enclave", "EnclaveChannel", "EnclaveContext", "EnclaveHandle",
    "EnclaveIdentity", "EnclaveKeys", "EnclaveProgram", "EnclaveSigner", "KeyPolicy", "Platform", "Policy",
    "ProgramImage", "Quote", "QuoteVerifier", "SigStruct", "Vendor", "VerifiedEnclave", "ecall",
    "load_chain_file", "report_data_for", "verify_quote",
]

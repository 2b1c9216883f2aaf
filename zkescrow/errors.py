"""Every failure zkescrow reports on purpose is one of these exceptions.

One class per kind of failure, so callers can catch exactly what they mean
(the habit of pyca/cryptography's ``InvalidSignature``).  Messages say what was
wrong in words a user can act on.  The CLI turns any ``ZkEscrowError`` into one
line on stderr: exit 2 for malformed input, exit 1 for a well-formed statement
that is false (see ``StatementFalse``).
"""


class ZkEscrowError(Exception):
    """Base class of all zkescrow errors."""


# --- malformed input (CLI exit 2) -------------------------------------------------

class MalformedInput(ZkEscrowError):
    """Input that cannot be parsed or has the wrong shape (JSON, lengths, counts)."""


class InvalidFieldElement(MalformedInput):
    """A field element from outside is not an integer in [0, modulus)."""


class InvalidPoint(MalformedInput):
    """A curve point is off the curve, outside the subgroup, or badly encoded."""


class MalformedFile(MalformedInput):
    """A .r1cs/.wtns/.zkey/.ptau/.sym file that cannot be parsed."""


class CorruptLedger(MalformedInput):
    """A ledger whose stored blocks, headers or transactions do not match (tampered or damaged); names its data dir."""


# --- false statements (CLI exit 1) ------------------------------------------------

class StatementFalse(ZkEscrowError):
    """A well-formed statement that does not hold (an invalid proof, a bad quote)."""


class InvalidProof(StatementFalse):
    """A well-formed proof that does not verify."""


class UnsatisfiedConstraint(StatementFalse):
    """A witness that violates a constraint; the message names the constraint and gadget."""


class WitnessError(StatementFalse):
    """A witness cannot be built because the statement is false (e.g. values do not balance)."""


class AttestationError(StatementFalse):
    """A quote or certificate chain that fails the verification policy, with the reason."""


class InvalidSignature(StatementFalse):
    """A signature that does not verify under the expected key."""


# --- protocol state ------------------------------------------------------------------

class SealingError(ZkEscrowError):
    """A sealed blob cannot be opened here (other enclave, other platform, tampered)."""


class RollbackDetected(SealingError):
    """A sealed blob older than the monotonic counter: the enclave halts (fails closed)."""


class EnclaveHalted(ZkEscrowError):
    """The enclave stopped after detecting tampering or rollback and refuses all calls."""


class TransactionRejected(ZkEscrowError):
    """A ledger transaction that breaks a ledger rule; the message is the reason."""


class ChannelError(ZkEscrowError):
    """A payment-channel update or close that breaks the channel's rules."""


class ChannelClosed(ChannelError):
    """The channel's holder has signed a cooperative close: it takes no further update, payment or receipt."""


class EnclaveLaunchError(ZkEscrowError):
    """The platform refuses to launch an enclave (image and signed SIGSTRUCT disagree, bad signer signature)."""


class SecureChannelError(StatementFalse):
    """A secure-channel message not encrypted to, or not answering, the attested enclave's request."""


class MerkleTreeFull(ZkEscrowError):
    """An append to a Merkle tree that already holds 2^depth leaves."""


class InvalidSetup(StatementFalse):
    """A Groth16 proving key that does not follow from its circuit, ptau and recorded contributions."""

"""Every failure zkescrow reports on purpose is one of these exceptions.

One class per kind of failure, so callers can catch exactly what they mean
(the habit of pyca/cryptography's ``InvalidSignature``).  Messages say what was
wrong in words a user can act on.  Four meanings a caller can tell apart:

* ``MalformedInput``: the bytes cannot be parsed or have the wrong shape;
* ``StatementFalse``: a well-formed statement does not hold (an invalid proof, a bad quote);
* ``Refused``: a well-formed request that a party's policy refuses (the enclave will not
  sign beyond the deposit or past the deadline; a channel update that breaks the rules);
* ``WrongState``: a well-formed request in the wrong protocol state (wrong phase, unknown
  session, already closed); ``TransactionRejected`` is the ledger's refusal of a transaction.

The CLI turns any ``ZkEscrowError`` into one line on stderr and the exit code that
``exit_code`` gives; ``EXIT_CODES`` below is the one table of that mapping.
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


# --- refusals and protocol state (CLI exit 1) ------------------------------------------

class Refused(ZkEscrowError):
    """A well-formed request that a party's policy refuses (beyond the deposit, past the deadline, over a bound)."""


class WrongState(ZkEscrowError):
    """A well-formed request in the wrong protocol state (wrong phase, unknown session, already closed)."""


class ChannelError(Refused):
    """A payment-channel update or close that breaks the channel's rules: the receiving party refuses it."""


class ChannelClosed(ChannelError):
    """The channel's holder has signed a cooperative close: it takes no further update, payment or receipt."""


class EnclaveLaunchError(ZkEscrowError):
    """The platform refuses to launch an enclave (image and signed SIGSTRUCT disagree, bad signer signature)."""


class SecureChannelError(StatementFalse):
    """A secure-channel message not encrypted to, or not answering, the attested enclave's request."""


class MerkleTreeFull(ZkEscrowError):
    """An append to a Merkle tree that already holds 2^depth leaves."""


class InsecureKey(StatementFalse):
    """A well-formed verification key that cannot be trusted: its trapdoor is public or degenerate
    (γ₂ = ±δ₂, or δ₂ = ±G2 before any phase-2 contribution), so proofs under it prove nothing."""


class InvalidSetup(StatementFalse):
    """A Groth16 proving key that does not follow from its circuit, ptau and recorded contributions."""


class InvalidPtau(StatementFalse):
    """A powers-of-tau file whose points or contributions do not follow from its recorded ceremony."""


class SafetyViolation(ZkEscrowError):
    """An attack or fault that the protocol must stop went through (a scenario found a bug; never expected)."""


# --- the CLI's exit codes ------------------------------------------------------------------

#: Exception type -> CLI exit code, the one table every ``zkescrow`` command uses (through
#: ``zkescrow.cli.main``).  The first class in this order that the exception is an instance of
#: wins, so subclasses come before their bases.  Exit 2: the input is malformed (or the tool
#: cannot act on it: unopenable sealed state, a halted enclave, a full tree); exit 1: the input is
#: well-formed but what it states or asks for does not hold (false statement, refusal, wrong state,
#: rejected transaction).
EXIT_CODES: tuple[tuple[type, int], ...] = (
    (MalformedInput, 2),
    (StatementFalse, 1),
    (Refused, 1),
    (WrongState, 1),
    (TransactionRejected, 1),
    (SafetyViolation, 1),
    (ZkEscrowError, 2),
)


def exit_code(exc: BaseException) -> int:
    """The CLI exit code of a ``ZkEscrowError`` (see ``EXIT_CODES``); 2 for anything else."""
    for cls, code in EXIT_CODES:
        if isinstance(exc, cls):
            return code
    return 2

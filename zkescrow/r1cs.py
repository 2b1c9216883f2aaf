"""Rank-1 constraint systems over Fr: A·B = C, one row per constraint.

A, B and C are sparse linear combinations ``{wire: coefficient}`` with
coefficients in [0, r).  The wire layout is circom's, so a witness vector and a
``.r1cs`` file mean the same thing here as in circom/snarkjs::

    0                                   the constant ONE
    1 .. n_pub_out                      public outputs
    .. + n_pub_in                       public inputs
    .. + n_prv_in                       private inputs
    the rest                            internal wires

``R1CS.check(witness)`` evaluates every row with plain integer arithmetic mod r
(gmpy2) and raises ``UnsatisfiedConstraint`` naming the first failing row, the
gadget that emitted it and the three evaluated values.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from gmpy2 import mpz

from .bn254.constants import R
from .errors import MalformedInput, UnsatisfiedConstraint

#: A sparse linear combination: wire id -> coefficient in [0, r).
LinearCombination = dict
#: One constraint (A, B, C) meaning A·B = C.
Constraint = tuple


@dataclass(eq=False)
class R1CS:
    """A constraint system in circom's wire layout (see the module docstring)."""

    n_wires: int
    n_pub_out: int
    n_pub_in: int
    n_prv_in: int
    constraints: list
    prime: int = int(R)
    #: Number of circom labels (signals before optimisation); equal to n_wires for our own circuits.
    n_labels: int | None = None
    #: wire id -> label id (the .r1cs section 3); None means the identity map.
    wire_labels: list | None = None
    #: wire id -> human-readable signal name ("main.out", "main.Num2Bits[0].bit[3]"); optional.
    wire_names: list | None = None
    #: constraint index -> gadget path ("main/Num2Bits[0]"); optional.
    constraint_origins: list | None = None
    _compiled: list | None = field(default=None, init=False, repr=False)

    def __post_init__(self):
        if self.n_labels is None:
            self.n_labels = self.n_wires
        if self.n_wires < 1 + self.n_pub_out + self.n_pub_in:
            raise MalformedInput(f"R1CS has {self.n_wires} wires, fewer than ONE + {self.n_pub_out} outputs "
                                 f"+ {self.n_pub_in} public inputs")

    # --- shape -------------------------------------------------------------------------

    @property
    def n_public(self) -> int:
        """Public signals (outputs then public inputs), not counting ONE: snarkjs' nPublic."""
        return self.n_pub_out + self.n_pub_in

    @property
    def n_constraints(self) -> int:
        return len(self.constraints)

    def origin(self, index: int) -> str:
        """The gadget path that emitted constraint ``index`` ("?" when unknown)."""
        if self.constraint_origins and index < len(self.constraint_origins):
            return self.constraint_origins[index] or "?"
        return "?"

    def wire_name(self, wire: int) -> str:
        """The signal name of ``wire`` if known, else ``w<id>``."""
        if self.wire_names and wire < len(self.wire_names) and self.wire_names[wire]:
            return self.wire_names[wire]
        return f"w{wire}"

    def public_signals(self, witness) -> list:
        """witness[1 .. n_public]: what snarkjs puts in public.json (outputs first)."""
        return [int(v) for v in witness[1:1 + self.n_public]]

    # --- satisfaction ------------------------------------------------------------------

    def _rows(self):
        """Each constraint as three tuples of (wire, mpz coefficient), built once."""
        if self._compiled is None or len(self._compiled) != len(self.constraints):
            self._compiled = [tuple(tuple((w, mpz(c)) for w, c in lc.items()) for lc in row)
                              for row in self.constraints]
        return self._compiled

    def check(self, witness) -> None:
        """Raise ``UnsatisfiedConstraint`` unless ``witness`` satisfies every constraint.

        ``witness`` is the full assignment (length n_wires, witness[0] == 1, values in
        [0, r)); a vector of the wrong shape raises ``MalformedInput``.
        """
        w = self._validated(witness)
        p = mpz(self.prime)
        for index, (a, b, c) in enumerate(self._rows()):
            va = sum(coef * w[i] for i, coef in a) % p if a else 0
            vb = sum(coef * w[i] for i, coef in b) % p if b else 0
            vc = sum(coef * w[i] for i, coef in c) % p if c else 0
            if va * vb % p != vc:
                raise UnsatisfiedConstraint(
                    f"constraint {index} ({self.origin(index)}) is not satisfied: "
                    f"A = {int(va)}, B = {int(vb)}, A·B = {int(va * vb % p)}, C = {int(vc)}")

    def is_satisfied(self, witness) -> bool:
        """True when ``check`` passes (a malformed witness still raises ``MalformedInput``)."""
        try:
            self.check(witness)
        except UnsatisfiedConstraint:
            return False
        return True

    def _validated(self, witness) -> list:
        if len(witness) != self.n_wires:
            raise MalformedInput(f"witness has {len(witness)} values, the R1CS has {self.n_wires} wires")
        w = [mpz(v) for v in witness]
        if w[0] != 1:
            raise MalformedInput(f"witness[0] must be 1 (the constant wire), got {int(w[0])}")
        for i, v in enumerate(w):
            if not 0 <= v < self.prime:
                raise MalformedInput(f"witness[{i}] = {int(v)} is not in [0, r)")
        return w

    # --- comparison ----------------------------------------------------------------------

    def same_system(self, other: "R1CS") -> bool:
        """Same counts, prime and constraints (each LC compared as a map, zero terms ignored)."""
        def norm(lc):
            return {w: c % self.prime for w, c in lc.items() if c % self.prime}
        return (self.prime == other.prime and self.n_wires == other.n_wires
                and (self.n_pub_out, self.n_pub_in, self.n_prv_in)
                == (other.n_pub_out, other.n_pub_in, other.n_prv_in)
                and len(self.constraints) == len(other.constraints)
                and all(norm(x) == norm(y) for r1, r2 in zip(self.constraints, other.constraints)
                        for x, y in zip(r1, r2)))

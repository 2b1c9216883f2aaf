"""value_commitment: a Baby Jubjub Pedersen commitment opens to a 64-bit value.

Public: commitment (x, y) | Private: value, blind.  The proof that lets a
Pedersen-committed balance be used outside the SNARK without revealing it.
"""
from __future__ import annotations

from circuits.crypto.pedersen import commit
from circuits.dsl import Circuit, Private, Public
from circuits.gadgets.pedersen import value_commitment
from circuits.notes import check_value


class ValueCommitment(Circuit):
    """``commitment`` = value·G + blind·H with 0 ≤ value < 2^64 and blind < the subgroup order."""

    commitment = Public(n=2)
    value = Private()
    blind = Private()

    def define(self, cs):
        cx, cy = value_commitment(cs, self.value, self.blind)
        cs.assert_equal(cx, self.commitment[0])
        cs.assert_equal(cy, self.commitment[1])


def value_commitment_inputs(value: int, blind: int) -> dict:
    """Circuit inputs for the opening (value, blind); the commitment is computed natively."""
    point = commit(check_value(value), blind)
    return {"commitment": [int(point.x), int(point.y)], "value": value, "blind": blind}

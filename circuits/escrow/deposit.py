"""deposit: shield a public value into a note commitment (protocols.md §9, C1)."""
from __future__ import annotations

from circuits.dsl import Circuit, Private, Public
from circuits.gadgets.bits import range_check
from circuits.notes import NATIVE_ASSET, Note, check_value

from .note_gadgets import note_commitment


class Deposit(Circuit):
    """``commitment`` hides a note of ``value`` (< 2^64) of ``asset`` for a private owner."""

    commitment = Public()
    value = Public()
    asset = Public()
    owner = Private()
    rho = Private()
    blind = Private()

    def define(self, cs):
        range_check(cs, self.value, 64)
        cm = note_commitment(cs, self.value, self.asset, self.owner, self.rho, self.blind)
        cs.assert_equal(cm, self.commitment)


def deposit_inputs(note: Note) -> dict:
    """Circuit inputs that shield ``note`` (its value becomes public, everything else stays private)."""
    check_value(note.value, "deposit value")
    return {
        "commitment": note.commitment,
        "value": note.value,
        "asset": note.asset if note.asset is not None else NATIVE_ASSET,
        "owner": note.owner,
        "rho": note.rho,
        "blind": note.blind,
    }

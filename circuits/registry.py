"""The built-in circuits, by name: what ``zkescrow circuits/compile/witness`` know about.

``CIRCUITS`` maps a name to a ``CircuitEntry(target, defaults, description)``;
``target`` is a Circuit subclass or a ``"module:Class"`` string imported on first
use (so listing names does not import every circuit).
"""
from __future__ import annotations

import importlib
from typing import NamedTuple

from zkescrow.errors import MalformedInput


class CircuitEntry(NamedTuple):
    target: object          # Circuit subclass or "module:Class"
    defaults: dict
    description: str

    def circuit_class(self):
        if isinstance(self.target, str):
            module, attr = self.target.split(":")
            return getattr(importlib.import_module(module), attr)
        return self.target


#: name -> CircuitEntry; circuits register here.
CIRCUITS: dict[str, CircuitEntry] = {}


def register(name: str, target, defaults: dict | None = None, description: str = "") -> None:
    """Add (or replace) the circuit ``name``."""
    CIRCUITS[name] = CircuitEntry(target, dict(defaults or {}), description)


def unregister(name: str) -> None:
    CIRCUITS.pop(name, None)


def entry(name: str) -> CircuitEntry:
    """The registry entry of ``name``; ``MalformedInput`` listing the known names if absent."""
    try:
        return CIRCUITS[name]
    except KeyError:
        known = ", ".join(sorted(CIRCUITS)) or "none registered"
        raise MalformedInput(f"unknown circuit {name!r} (known: {known})") from None


def get(name: str, **params):
    """An instance of circuit ``name`` with its default parameters overridden by ``params``."""
    e = entry(name)
    unknown = sorted(set(params) - set(e.defaults))
    if unknown:
        raise MalformedInput(f"circuit {name!r} has no parameter(s) {', '.join(unknown)} "
                             f"(parameters: {', '.join(sorted(e.defaults)) or 'none'})")
    return e.circuit_class()(**{**e.defaults, **params})


def list_circuits() -> list[tuple[str, CircuitEntry]]:
    """[(name, entry)] sorted by name."""
    return sorted(CIRCUITS.items())


# --- the built-in circuits of the escrow protocol (imported on first use) ----------------

register("deposit", "circuits.escrow.deposit:Deposit", {},
         "shield a public value into a note commitment (64-bit range check)")
register("transfer", "circuits.escrow.transfer:Transfer", {"depth": 20},
         "2-in-2-out join-split: Merkle membership, nullifiers, value balance with a public amount")
register("escrow_release", "circuits.escrow.escrow_release:EscrowRelease", {"depth": 20},
         "spend an escrow note into pole payment + driver refund (enclave signature, or refund after deadline)")
register("channel_update", "circuits.escrow.channel_update:ChannelUpdate", {},
         "move a Pedersen-committed channel balance by k packets at the agreed price")
register("value_commitment", "circuits.escrow.value_commitment:ValueCommitment", {},
         "a Baby Jubjub Pedersen commitment opens to a 64-bit value")
register("channel_settle", "zkescrow.channel.settle_circuit:ChannelSettle", {},
         "pay a closed shielded channel out into two notes without revealing the split")

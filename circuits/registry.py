"""The built-in circuits, by name: what ``zkescrow circuits/compile/witness`` know about.

``CIRCUITS`` maps a name to a ``CircuitEntry(target, defaults, description)``;
``target`` is a Circuit subclass or a function returning one, whose body imports
the circuit's module with a plain import on first use (so listing names does not
import every circuit, and every edge stays visible to the layering check).
"""
from __future__ import annotations

import inspect
from typing import NamedTuple

from zkescrow.errors import MalformedInput


class CircuitEntry(NamedTuple):
    target: object          # Circuit subclass, or a function returning one
    defaults: dict
    description: str

    def circuit_class(self):
        if inspect.isclass(self.target):
            return self.target
        return self.target()


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

def _deposit():
    from circuits.escrow.deposit import Deposit
    return Deposit


def _transfer():
    from circuits.escrow.transfer import Transfer
    return Transfer


def _escrow_release():
    from circuits.escrow.escrow_release import EscrowRelease
    return EscrowRelease


def _channel_update():
    from circuits.escrow.channel_update import ChannelUpdate
    return ChannelUpdate


def _value_commitment():
    from circuits.escrow.value_commitment import ValueCommitment
    return ValueCommitment


def _channel_settle():
    from circuits.escrow.channel_settle import ChannelSettle
    return ChannelSettle


register("deposit", _deposit, {},
         "shield a public value into a note commitment (64-bit range check)")
register("transfer", _transfer, {"depth": 20},
         "2-in-2-out join-split: Merkle membership, nullifiers, value balance with a public amount")
register("escrow_release", _escrow_release, {"depth": 20},
         "spend an escrow note into pole payment + driver refund (enclave signature, or refund after deadline)")
register("channel_update", _channel_update, {},
         "move a Pedersen-committed channel balance by k packets at the agreed price")
register("value_commitment", _value_commitment, {},
         "a Baby Jubjub Pedersen commitment opens to a 64-bit value")
register("channel_settle", _channel_settle, {},
         "pay a closed shielded channel out into two notes without revealing the split")

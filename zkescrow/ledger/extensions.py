"""The ledger extensions, by registry name: the one place that says which code a stored name installs.

A ledger records the names of its extensions in its metadata (``Ledger.create(extensions=…)``)
and, whenever it is opened, builds its ``Rulebook`` from the core kinds and these installers.
Each installer imports its extension with a plain import (inside the function, so opening a
ledger loads only the extensions it uses) and calls the extension's ``install(rulebook)``.
"""
from __future__ import annotations

from zkescrow.errors import MalformedInput

from .rulebook import Rulebook
from .rules import install_core


def _escrow(rulebook: Rulebook) -> None:
    from zkescrow.escrow.ledger_rules import install
    install(rulebook)


def _channel(rulebook: Rulebook) -> None:
    from zkescrow.channel.adjudicator import install
    install(rulebook)


#: registry name -> installer(rulebook).
EXTENSIONS = {"escrow": _escrow, "channel": _channel}
#: The extensions of a ledger created without naming any.
DEFAULT_EXTENSIONS = ("escrow",)
#: Names that ledgers written before the registry stored (the module that registered the kinds).
LEGACY_NAMES = {"zkescrow.channel.adjudicator": "channel"}


def canonical_names(names) -> list[str]:
    """``names`` as registry names (legacy module names mapped), each once; MalformedInput for unknown ones."""
    if isinstance(names, str) or not all(isinstance(n, str) for n in names):
        raise MalformedInput("extensions are a list of registry names")
    out = []
    for name in names:
        name = LEGACY_NAMES.get(name, name)
        if name not in EXTENSIONS:
            raise MalformedInput(f"unknown ledger extension {name!r} (known: {', '.join(sorted(EXTENSIONS))})")
        if name not in out:
            out.append(name)
    return out


def build_rulebook(names) -> Rulebook:
    """A fresh rulebook: the core kinds and the extensions ``names`` (registry names)."""
    rulebook = Rulebook()
    install_core(rulebook)
    for name in canonical_names(names):
        EXTENSIONS[name](rulebook)
    return rulebook

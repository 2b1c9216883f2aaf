"""A ledger's rulebook: the transaction kinds one ledger instance knows, and how it judges them.

Each ``Ledger`` builds its own ``Rulebook`` from the core kinds (``rules.install_core``)
and the extensions recorded in its metadata (``extensions``); nothing here is global,
so two ledgers in one process never see each other's kinds.  An extension adds
kinds with ``add``, the SQL of its tables with ``add_schema`` and the value it locks
with ``add_value_holder`` (counted in the conservation check and ``total_value``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from zkescrow.errors import MalformedInput, TransactionRejected


@dataclass(frozen=True)
class KindRule:
    """How a ledger judges one kind: ``handler(state, tx)`` checks and applies it; a kind that carries a
    proof names its ``circuit`` and builds the proof's public inputs from the body (``public_signals(tx)``)."""

    handler: Callable
    circuit: str | None = None
    public_signals: Callable | None = None


class Rulebook:
    """kinds -> ``KindRule``, extension tables (SQL) and value holders of one ledger."""

    def __init__(self):
        self.kinds: dict[str, KindRule] = {}
        self.schemas: list[str] = []
        self.value_holders: dict[str, str] = {}

    def add(self, kind: str, handler: Callable, *, circuit: str | None = None,
            public_signals: Callable | None = None) -> None:
        """Teach this ledger ``kind``; a kind is added once (a second ``add`` is a programming error)."""
        if kind in self.kinds:
            raise MalformedInput(f"transaction kind {kind!r} is already in this rulebook")
        if (circuit is None) != (public_signals is None):
            raise MalformedInput(f"kind {kind!r}: a proof-carrying kind names its circuit and its public signals")
        self.kinds[kind] = KindRule(handler, circuit, public_signals)

    def add_schema(self, sql: str) -> None:
        """SQL (CREATE … IF NOT EXISTS) for the tables the added kinds need; run whenever the ledger opens."""
        self.schemas.append(sql)

    def add_value_holder(self, name: str, sql: str) -> None:
        """Value locked outside accounts and the pool (``sql`` returns one integer), counted in the supply."""
        if name in self.value_holders or name in ("transparent", "shielded", "total"):
            raise MalformedInput(f"value holder {name!r} is already counted")
        self.value_holders[name] = sql

    def knows(self, kind: str) -> bool:
        return kind in self.kinds

    def rule(self, kind: str) -> KindRule:
        """The rule of ``kind``; TransactionRejected for a kind this ledger does not know."""
        try:
            return self.kinds[kind]
        except KeyError:
            raise TransactionRejected(f"unknown transaction kind {kind!r} on this ledger") from None

    def circuit_of(self, kind: str) -> str | None:
        """The circuit a ``kind`` transaction proves, None for kinds without proofs or unknown kinds."""
        rule = self.kinds.get(kind)
        return None if rule is None else rule.circuit

    def public_signals(self, tx) -> list[int]:
        """The public inputs of ``tx``'s proof, in circuit order, built from its body."""
        rule = self.rule(tx.kind)
        if rule.public_signals is None:
            raise MalformedInput(f"{tx.kind} transactions carry no proof")
        return rule.public_signals(tx)

    def apply(self, state, tx) -> None:
        """Check ``tx`` against ``state`` and apply it; TransactionRejected (nothing applied) otherwise."""
        handler = self.rule(tx.kind).handler
        state.db.execute("SAVEPOINT tx")
        saved = (state.frontier.to_dict(), state.pool_value, set(state.spent_in_block))
        try:
            handler(state, tx)
        except BaseException:
            state.db.execute("ROLLBACK TO tx")
            state.db.execute("RELEASE tx")
            frontier, state.pool_value, state.spent_in_block = saved
            state.frontier = type(state.frontier).from_dict(frontier)
            raise
        state.db.execute("RELEASE tx")

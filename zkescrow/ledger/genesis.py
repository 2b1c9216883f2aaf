"""How a ledger begins: genesis accounts checked against the 64-bit supply, the metadata its creation records
(and how an older ledger's is read back), and the genesis transaction.

``Ledger.create`` writes ``write_metadata`` in one SQLite transaction, then commits block 0 holding
``genesis_transaction``; its header names the authority key and its hash is the chain id.
"""
from __future__ import annotations

from circuits.crypto.merkle import MerkleFrontier
from zkescrow.errors import MalformedInput

from .extensions import LEGACY_NAMES, canonical_names
from .store import Store
from .transactions import Transaction

#: Metadata format: 2 stores registry names (``extensions``); ledgers without it stored module names.
FORMAT = 2

#: SQLite stores signed 64-bit integers: every balance, and so the whole supply, stays below this.
MAX_SUPPLY = (1 << 63) - 1


def check_genesis_accounts(accounts: dict) -> None:
    """MalformedInput unless ``accounts`` maps addresses to whole amounts that fit the ledger together."""
    total = 0
    for address, amount in accounts.items():
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise MalformedInput(f"genesis amount of {address} must be a whole number ≥ 0, got {amount!r}")
        if amount > MAX_SUPPLY:
            raise MalformedInput(f"genesis amount {amount} is too large: the ledger holds at most "
                                 f"{MAX_SUPPLY:,} (2^63 − 1) in total")
        total += amount
    if total > MAX_SUPPLY:
        raise MalformedInput(f"genesis amounts add up to {total}, more than the ledger's maximum supply "
                             f"{MAX_SUPPLY:,} (2^63 − 1)")


def write_metadata(store: Store, *, authority_hex: str, frontier: MerkleFrontier, extensions: list[str],
                   root_window: int, denominations: list[int] | None, supply: int) -> None:
    """Record a new ledger's metadata (one authority, threshold 1, the empty note tree ``frontier``) in one
    SQLite transaction."""
    with store.transaction() as db:
        store.set_meta(db, "authorities", [authority_hex])
        store.set_meta(db, "threshold", 1)
        store.set_meta(db, "depth", frontier.depth)
        store.set_meta(db, "format", FORMAT)
        store.set_meta(db, "extensions", extensions)
        store.set_meta(db, "root_window", root_window)
        if denominations is not None:
            store.set_meta(db, "denominations", denominations)
        store.set_meta(db, "supply", supply)
        store.set_meta(db, "pool_value", 0)
        store.set_meta(db, "frontier", frontier.to_dict())


def genesis_transaction(accounts: dict[str, int], denominations: list[int] | None) -> Transaction:
    """Block 0's one transaction: the genesis balances (and the denominations, so the chain id binds them)."""
    genesis = {"accounts": dict(accounts)}
    if denominations is not None:
        genesis["denominations"] = denominations
    return Transaction("genesis", genesis)


def stored_extensions(store: Store) -> list[str]:
    """The registry names of a ledger's extensions (a ledger of format 1 always had the escrow kinds)."""
    names = store.get_meta("extensions", [])
    if store.get_meta("format") is None and store.get_meta("depth") is not None:
        return canonical_names(["escrow", *(LEGACY_NAMES.get(n, n) for n in names)])
    return canonical_names(names)

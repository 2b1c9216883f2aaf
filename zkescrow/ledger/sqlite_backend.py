"""The SQLite backend's reads: the chain state of one ``store.Store``, as ``backend.ChainBackend`` names it.

The writes (``submit``/``commit_block``) are the ``Ledger``'s: it builds each block
inside one SQLite transaction with its rulebook.  This class only reads, so the
ledger's read API and an observer's scan go through the same code.
"""
from __future__ import annotations

from circuits.crypto.merkle import MerkleFrontier, RootHistory

from .store import Store

GENESIS_PREV = "00" * 32


class SqliteBackend:
    """Reads of the chain state kept in ``store`` (see ``backend.ChainBackend`` for each operation)."""

    def __init__(self, store: Store, value_holders: dict[str, str]):
        self.store = store
        self.value_holders = value_holders

    # --- blocks
    @property
    def height(self) -> int:
        row = self.store.one("SELECT MAX(height) AS h FROM blocks")
        return -1 if row["h"] is None else row["h"]

    @property
    def tip_hash(self) -> str:
        row = self.store.one("SELECT hash FROM blocks ORDER BY height DESC LIMIT 1")
        return GENESIS_PREV if row is None else row["hash"]

    def blocks(self, start: int = 0, end: int | None = None) -> list[dict]:
        end = self.height if end is None else end
        return [dict(r) for r in self.store.all("SELECT * FROM blocks WHERE height BETWEEN ? AND ? ORDER BY height",
                                                start, end)]

    def recent_hashes(self, n: int) -> list[str]:
        return [r["hash"] for r in self.store.all("SELECT hash FROM blocks ORDER BY height DESC LIMIT ?", n)]

    def block_txids(self, height: int) -> list[str]:
        return [r["txid"] for r in self.store.all("SELECT txid FROM txs WHERE height = ? ORDER BY position", height)]

    # --- shielded pool
    @property
    def depth(self) -> int:
        return self.store.get_meta("depth")

    def frontier(self) -> MerkleFrontier:
        return MerkleFrontier.from_dict(self.store.get_meta("frontier"))

    @property
    def root(self) -> int:
        return self.frontier().root

    def recent_roots(self) -> list[int]:
        window = self.store.get_meta("root_window", 100)
        rows = self.store.all("SELECT root FROM roots ORDER BY rowid DESC LIMIT ?", window)
        return [int(r["root"]) for r in reversed(rows)] or [self.root]

    def root_history(self) -> RootHistory:
        return RootHistory(self.store.get_meta("root_window", 100), roots=self.recent_roots())

    @property
    def pool_value(self) -> int:
        return self.store.get_meta("pool_value", 0)

    def is_spent(self, nullifier: int) -> bool:
        return self.store.one("SELECT 1 FROM nullifiers WHERE nullifier = ?", str(nullifier)) is not None

    def commitments(self, since: int = 0) -> list[tuple[int, int, str]]:
        rows = self.store.all("SELECT position, commitment, ciphertext FROM commitments WHERE position >= ? "
                              "ORDER BY position", since)
        return [(r["position"], int(r["commitment"]), r["ciphertext"]) for r in rows]

    # --- accounts, value and registries
    def balance(self, address: str) -> int:
        row = self.store.one("SELECT balance FROM accounts WHERE address = ?", address)
        return 0 if row is None else row["balance"]

    def nonce(self, address: str) -> int:
        row = self.store.one("SELECT nonce FROM accounts WHERE address = ?", address)
        return 0 if row is None else row["nonce"]

    def holdings(self, db) -> dict:
        """Value per holder, read through ``db`` (the block's transaction while one is being built)."""
        held = {"transparent": db.execute("SELECT COALESCE(SUM(balance), 0) FROM accounts").fetchone()[0]}
        for name, sql in self.value_holders.items():
            held[name] = db.execute(sql).fetchone()[0]
        return held

    def total_value(self) -> dict:
        held = {**self.holdings(self.store.db), "shielded": self.pool_value}
        return {**held, "total": sum(held.values())}

    def services(self) -> list[dict]:
        return [dict(r) for r in self.store.all("SELECT * FROM services ORDER BY pole_id")]

    def enclave(self, enclave_id: str) -> dict | None:
        row = self.store.one("SELECT * FROM enclaves WHERE enclave_id = ?", enclave_id)
        return None if row is None else dict(row)

    def row(self, table: str, key_column: str, key) -> dict | None:
        """One row of an extension's table (``table`` and ``key_column`` are the extension's, never input)."""
        row = self.store.one(f"SELECT * FROM {table} WHERE {key_column} = ?", key)
        return None if row is None else dict(row)

    # --- event scan
    def transactions(self, start: int = 0, end: int | None = None) -> list[dict]:
        end = self.height if end is None else end
        return [dict(r) for r in self.store.all("SELECT * FROM txs WHERE height BETWEEN ? AND ? "
                                                "ORDER BY height, position", start, end)]

    def rejections(self) -> list[dict]:
        return [dict(r) for r in self.store.all("SELECT * FROM rejected ORDER BY id")]

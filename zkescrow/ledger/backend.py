"""The chain-state backend: what a ledger must provide to the peers standing on it.

``ChainBackend`` is the whole interface; ``sqlite_backend.SqliteBackend`` (one SQLite
file, blocks built and judged in-process by the ledger's rulebook) is the first
implementation.  A second backend (an EVM chain read and written through web3.py)
provides the same operations: ``submit``/``commit_block`` send transactions and wait
for the block that includes them, the reads map to contract storage and logs, and
``events`` to a log scan.
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class ChainBackend(Protocol):
    """The operations of a chain, in the ledger's vocabulary (addresses hex, field elements int)."""

    # --- writing
    def submit(self, tx) -> str:
        """Queue ``tx`` (a ``transactions.Transaction``) for the next block; its txid."""

    def commit_block(self):
        """Build (or wait for) the next block with the queued transactions; a ``BlockResult``."""

    # --- blocks
    @property
    def height(self) -> int:
        """Height of the tip (−1 before genesis)."""

    @property
    def tip_hash(self) -> str:
        """Hash of the tip block (hex)."""

    def blocks(self, start: int = 0, end: int | None = None) -> list[dict]:
        """Blocks ``start``..``end`` (inclusive): height, prev_hash, hash, tx_root, n_txs."""

    def recent_hashes(self, n: int) -> list[str]:
        """Hashes of the last ``n`` blocks, newest first."""

    # --- shielded pool
    @property
    def depth(self) -> int:
        """Depth of the note tree."""

    @property
    def root(self) -> int:
        """The note tree's current root."""

    def recent_roots(self) -> list[int]:
        """The roots a spend may prove membership against, oldest first."""

    @property
    def pool_value(self) -> int:
        """Value held by the shielded pool."""

    def is_spent(self, nullifier: int) -> bool:
        """Whether ``nullifier`` is on the chain."""

    def commitments(self, since: int = 0) -> list[tuple[int, int, str]]:
        """[(position, commitment, ciphertext)] of the note tree from ``since`` on."""

    # --- accounts and registries
    def balance(self, address: str) -> int:
        """Transparent balance of ``address`` (0 if unknown)."""

    def nonce(self, address: str) -> int:
        """Next nonce of ``address`` (0 if unknown)."""

    def total_value(self) -> dict:
        """Where the supply sits (transparent, shielded, each extension's holder) and the total."""

    def services(self) -> list[dict]:
        """The service registry (poles: operator, price, location, meter key, counters)."""

    def enclave(self, enclave_id: str) -> dict | None:
        """The registered enclave ``enclave_id`` (keys, measurement, verdict) or None."""

    # --- event scan
    def transactions(self, start: int = 0, end: int | None = None) -> list[dict]:
        """Every accepted transaction of blocks ``start``..``end`` with its height and position, in order."""

    def rejections(self) -> list[dict]:
        """Every rejected transaction: txid, kind, height, reason."""

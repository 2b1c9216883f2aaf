"""The ledger's storage: one SQLite database in the data directory.

WAL journal, foreign keys on, and one SQLite transaction per block, so a block is
either entirely on disk or not at all — a process killed mid-commit leaves the
previous block as the tip.  This module knows tables, not rules (see ``rules``); extensions bring
their own tables (``Rulebook.add_schema``).
"""
from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from zkescrow.errors import MalformedFile

SCHEMA = """
CREATE TABLE IF NOT EXISTS blocks (
    height      INTEGER PRIMARY KEY,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL UNIQUE,
    tx_root     TEXT NOT NULL,
    n_txs       INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS headers (
    height      INTEGER PRIMARY KEY REFERENCES blocks(height),
    header      TEXT NOT NULL,
    signatures  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS txs (
    txid        TEXT PRIMARY KEY,
    height      INTEGER NOT NULL REFERENCES blocks(height),
    position    INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    body        TEXT NOT NULL,
    size        INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rejected (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    txid        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    height      INTEGER NOT NULL,
    reason      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS accounts (
    address     TEXT PRIMARY KEY,
    balance     INTEGER NOT NULL CHECK (balance >= 0),
    nonce       INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS commitments (
    position    INTEGER PRIMARY KEY,
    commitment  TEXT NOT NULL,
    ciphertext  TEXT,
    txid        TEXT NOT NULL REFERENCES txs(txid) DEFERRABLE INITIALLY DEFERRED
);
CREATE TABLE IF NOT EXISTS roots (
    height      INTEGER NOT NULL REFERENCES blocks(height),
    root        TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS nullifiers (
    nullifier   TEXT PRIMARY KEY,
    txid        TEXT NOT NULL REFERENCES txs(txid) DEFERRABLE INITIALLY DEFERRED
);
CREATE TABLE IF NOT EXISTS enclaves (
    enclave_id  TEXT PRIMARY KEY,
    measurement TEXT NOT NULL,
    signing_key TEXT NOT NULL,
    eddsa_key   TEXT NOT NULL,
    box_key     TEXT NOT NULL,
    quote       TEXT NOT NULL,
    verdict     TEXT NOT NULL,
    txid        TEXT NOT NULL REFERENCES txs(txid) DEFERRABLE INITIALLY DEFERRED
);
CREATE TABLE IF NOT EXISTS services (
    pole_id     TEXT PRIMARY KEY,
    operator    TEXT NOT NULL,
    price_per_wh INTEGER NOT NULL CHECK (price_per_wh > 0),
    location    TEXT NOT NULL,
    meter_key   TEXT NOT NULL,
    reputation  INTEGER NOT NULL DEFAULT 0,
    sessions    INTEGER NOT NULL DEFAULT 0,
    txid        TEXT NOT NULL REFERENCES txs(txid) DEFERRABLE INITIALLY DEFERRED
);
CREATE TABLE IF NOT EXISTS meta (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL
);
"""


class Store:
    """The SQLite file of one ledger (``DATA_DIR/ledger.sqlite``); ``schemas`` are its extensions' tables."""

    def __init__(self, data_dir: str | Path, schemas: tuple[str, ...] | list[str] = (), *, readonly: bool = False):
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / "ledger.sqlite"
        if readonly:
            self.db = _connect_readonly(self.path)
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.executescript(SCHEMA)
            for script in schemas:
                self.db.executescript(script)
        except sqlite3.DatabaseError as exc:         # not a database, a directory, unreadable, …
            raise MalformedFile(f"{self.path} is not a usable ledger database: {exc}") from None

    def close(self) -> None:
        self.db.close()

    def files(self) -> list[Path]:
        """The database file and its WAL companions (for removing a ledger that was never finished)."""
        return [self.path, self.path.with_name(self.path.name + "-wal"), self.path.with_name(self.path.name + "-shm")]

    @contextmanager
    def transaction(self):
        """BEGIN IMMEDIATE … COMMIT, rolled back on any exception: one block, all or nothing."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- small helpers -------------------------------------------------------------------

    def one(self, sql: str, *args):
        return self.db.execute(sql, args).fetchone()

    def all(self, sql: str, *args) -> list:
        return self.db.execute(sql, args).fetchall()

    def get_meta(self, key: str, default=None):
        row = self.one("SELECT value FROM meta WHERE key = ?", key)
        return default if row is None else json.loads(row["value"])

    def set_meta(self, db, key: str, value) -> None:
        db.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                   (key, json.dumps(value)))


def _connect_readonly(path: Path):
    """A read-only connection (``mode=ro``): works in a directory this process may not write.

    A WAL database needs its ``-shm`` file; where that cannot be created (a read-only
    directory and no writer running), the file is opened as immutable.
    """
    from urllib.parse import quote
    if not path.is_file():
        raise MalformedFile(f"{path} is not a usable ledger database: no such file")
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    last = None
    for suffix in ("", "&immutable=1"):
        try:
            db = sqlite3.connect(uri + suffix, uri=True, isolation_level=None, timeout=30)
            db.row_factory = sqlite3.Row
            db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            last = exc
            continue
        try:
            db.execute("SELECT value FROM meta LIMIT 1").fetchall()
        except sqlite3.DatabaseError as exc:
            db.close()
            raise MalformedFile(f"{path} is not a ledger database: {exc}") from None
        return db
    raise MalformedFile(f"{path} is not a usable ledger database: {last}") from None

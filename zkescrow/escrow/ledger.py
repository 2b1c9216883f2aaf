"""The ledger: the public chain that both parties and every observer see.

Blocks are hash-chained and each is one SQLite transaction (``store``).  A block
takes the pending transactions in order: their proofs are verified in batches
per circuit, then each transaction is checked against the state so far and
applied (``rules``) or dropped with its reason in ``rejected`` — a rejected
transaction changes nothing else.  After every block the ledger checks that
total value (accounts + shielded pool + open escrows) equals the genesis supply.
"""
from __future__ import annotations

import importlib
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from circuits.crypto.merkle import MerkleFrontier, RootHistory
from zkescrow.errors import MalformedInput, TransactionRejected

from . import rules
from .codec import digest
from .store import Store
from .transactions import Transaction

GENESIS_PREV = "00" * 32


@dataclass
class BlockResult:
    """What a committed block did: its height and hash, accepted txids, rejected (txid, reason)."""

    height: int
    hash: str
    accepted: list = field(default_factory=list)
    rejected: list = field(default_factory=list)
    proofs_verified: int = 0


class Ledger:
    """One ledger in a data directory; see the module docstring.

    ``keys`` (``proofs.CircuitKeys``) verifies proofs; ``enclave_policy`` (an
    ``enclave_sim.Policy``) decides which enclaves may register.
    """

    def __init__(self, data_dir: str | Path, *, keys=None, enclave_policy=None):
        probe = Store(data_dir)
        extensions = probe.get_meta("extensions", [])
        probe.close()
        for module in extensions:                 # they register their kinds and tables
            importlib.import_module(module)
        self.store = Store(data_dir)
        self.keys = keys
        self.enclave_policy = enclave_policy
        self.pending: list[Transaction] = []
        if self.store.get_meta("depth") is None:
            raise MalformedInput(f"{self.store.path} holds no ledger: create one first (zkescrow ledger init)")

    @classmethod
    def create(cls, data_dir: str | Path, accounts: dict[str, int], *, depth: int = 20, keys=None,
               enclave_policy=None, extensions: tuple[str, ...] = (), root_window: int = 100) -> "Ledger":
        """A new ledger whose genesis block gives ``accounts`` their balances.

        ``extensions`` are modules that register further transaction kinds
        (``rules.register_kind``); the ledger imports them whenever it is opened.
        Spends may prove membership against any of the last ``root_window`` block roots.
        """
        for module in extensions:
            importlib.import_module(module)
        store = Store(data_dir)
        if store.get_meta("depth") is not None:
            store.close()
            raise MalformedInput(f"{store.path} already holds a ledger")
        frontier = MerkleFrontier(depth)
        with store.transaction() as db:
            store.set_meta(db, "depth", depth)
            store.set_meta(db, "extensions", list(extensions))
            store.set_meta(db, "root_window", root_window)
            store.set_meta(db, "supply", sum(accounts.values()))
            store.set_meta(db, "pool_value", 0)
            store.set_meta(db, "frontier", frontier.to_dict())
        store.close()
        ledger = cls(data_dir, keys=keys, enclave_policy=enclave_policy)
        ledger.submit(Transaction("genesis", {"accounts": dict(accounts)}))
        result = ledger.commit_block()
        if result.rejected:
            raise MalformedInput(f"genesis rejected: {result.rejected[0][1]}")
        return ledger

    def close(self) -> None:
        self.store.close()

    # --- writing -----------------------------------------------------------------------------

    def submit(self, tx: Transaction) -> str:
        """Queue ``tx`` for the next block; returns its txid."""
        if not isinstance(tx, Transaction):
            raise MalformedInput("submit takes a Transaction")
        self.pending.append(tx)
        return tx.txid

    def commit_block(self) -> BlockResult:
        """Build, validate and commit the next block from the pending transactions."""
        txs, self.pending = self.pending, []
        height = self.height + 1
        proof_ok, n_proofs = self._verify_proofs(txs)
        prev = self.tip_hash
        with self.store.transaction() as db:
            state = rules.BlockState(db, height, self._frontier(), self._roots(), self.pool_value,
                                     self.recent_hashes(rules.NONCE_WINDOW), self.enclave_policy)
            accepted, rejected = [], []
            for tx in txs:
                reason = self._precheck(db, tx, proof_ok.get(id(tx), True), accepted)
                if reason is None:
                    try:
                        rules.apply(state, tx)
                    except TransactionRejected as exc:
                        reason = str(exc)
                if reason is None:
                    accepted.append(tx)
                else:
                    rejected.append((tx.txid, reason))
                    db.execute("INSERT INTO rejected(txid, kind, height, reason) VALUES (?, ?, ?, ?)",
                               public_rejection(tx, height, reason))
            tx_root = digest([tx.txid for tx in accepted]).hex()
            block_hash = digest({"height": height, "prev": prev, "tx_root": tx_root}).hex()
            db.execute("INSERT INTO blocks(height, prev_hash, hash, tx_root, n_txs) VALUES (?, ?, ?, ?, ?)",
                       (height, prev, block_hash, tx_root, len(accepted)))
            for position, tx in enumerate(accepted):
                db.execute("INSERT INTO txs(txid, height, position, kind, body, size) VALUES (?, ?, ?, ?, ?, ?)",
                           (tx.txid, height, position, tx.kind, _json(tx), tx.size))
            root = state.frontier.root
            db.execute("INSERT INTO roots(height, root) VALUES (?, ?)", (height, str(root)))
            self.store.set_meta(db, "frontier", state.frontier.to_dict())
            self.store.set_meta(db, "pool_value", state.pool_value)
            self._check_conservation(db, state.pool_value)
        return BlockResult(height, block_hash, [tx.txid for tx in accepted], rejected, n_proofs)

    def _precheck(self, db, tx: Transaction, proof_ok: bool, accepted: list) -> str | None:
        if any(t.txid == tx.txid for t in accepted) or \
                db.execute("SELECT 1 FROM txs WHERE txid = ?", (tx.txid,)).fetchone():
            return "transaction is already on the ledger (replay)"
        if not proof_ok:
            return "proof does not verify"
        return None

    def _verify_proofs(self, txs) -> tuple[dict, int]:
        """{id(tx): proof verified} for the proof-carrying txs, batch-verified per circuit."""
        groups: dict[str, list] = {}
        result = {}
        for tx in txs:
            circuit = rules.CIRCUIT_OF.get(tx.kind)
            if circuit is None:
                continue
            try:
                public = rules.public_signals(tx)
            except (TransactionRejected, MalformedInput):
                result[id(tx)] = False
                continue
            groups.setdefault(circuit, []).append((tx, public, tx.body.get("proof")))
        if groups and self.keys is None:
            raise MalformedInput("this ledger was opened without circuit keys: it cannot verify proofs")
        count = 0
        for circuit, items in groups.items():
            verdicts = self.keys.verify_many(circuit, [(public, proof) for _, public, proof in items])
            count += len(items)
            for (tx, _, _), ok in zip(items, verdicts):
                result[id(tx)] = ok
        return result, count

    def _holdings(self, db) -> dict:
        held = {"transparent": db.execute("SELECT COALESCE(SUM(balance), 0) FROM accounts").fetchone()[0]}
        for name, sql in rules.VALUE_HOLDERS.items():
            held[name] = db.execute(sql).fetchone()[0]
        return held

    def _check_conservation(self, db, pool_value: int) -> None:
        held = {**self._holdings(db), "shielded": pool_value}
        supply = self.store.get_meta("supply")
        if sum(held.values()) != supply:
            raise AssertionError(f"value not conserved: {held} does not add up to the supply {supply}; "
                                 f"block discarded")

    # --- reading -----------------------------------------------------------------------------

    @property
    def depth(self) -> int:
        return self.store.get_meta("depth")

    @property
    def height(self) -> int:
        row = self.store.one("SELECT MAX(height) AS h FROM blocks")
        return -1 if row["h"] is None else row["h"]

    @property
    def tip_hash(self) -> str:
        row = self.store.one("SELECT hash FROM blocks ORDER BY height DESC LIMIT 1")
        return GENESIS_PREV if row is None else row["hash"]

    @property
    def pool_value(self) -> int:
        return self.store.get_meta("pool_value", 0)

    def recent_hashes(self, n: int) -> list[str]:
        return [r["hash"] for r in self.store.all("SELECT hash FROM blocks ORDER BY height DESC LIMIT ?", n)]

    def _frontier(self) -> MerkleFrontier:
        return MerkleFrontier.from_dict(self.store.get_meta("frontier"))

    def _roots(self) -> RootHistory:
        window = self.store.get_meta("root_window", 100)
        rows = self.store.all("SELECT root FROM roots ORDER BY rowid DESC LIMIT ?", window)
        roots = [int(r["root"]) for r in reversed(rows)] or [self._frontier().root]
        return RootHistory(window, roots=roots)

    @property
    def root(self) -> int:
        return self._frontier().root

    def balance(self, address: str) -> int:
        row = self.store.one("SELECT balance FROM accounts WHERE address = ?", address)
        return 0 if row is None else row["balance"]

    def nonce(self, address: str) -> int:
        row = self.store.one("SELECT nonce FROM accounts WHERE address = ?", address)
        return 0 if row is None else row["nonce"]

    def total_value(self) -> dict:
        """Where the supply sits: transparent accounts, the shielded pool, escrows (and extensions), and the total."""
        held = {**self._holdings(self.store.db), "shielded": self.pool_value}
        return {**held, "total": sum(held.values())}

    def commitments(self, since: int = 0) -> list[tuple[int, int, str]]:
        """[(position, commitment, ciphertext)] of the note tree from ``since`` on."""
        rows = self.store.all("SELECT position, commitment, ciphertext FROM commitments WHERE position >= ? "
                              "ORDER BY position", since)
        return [(r["position"], int(r["commitment"]), r["ciphertext"]) for r in rows]

    def is_spent(self, nullifier: int) -> bool:
        return self.store.one("SELECT 1 FROM nullifiers WHERE nullifier = ?", str(nullifier)) is not None

    def services(self) -> list[dict]:
        return [dict(r) for r in self.store.all("SELECT * FROM services ORDER BY pole_id")]

    def enclave(self, enclave_id: str) -> dict | None:
        row = self.store.one("SELECT * FROM enclaves WHERE enclave_id = ?", enclave_id)
        return None if row is None else dict(row)

    def escrow(self, session_id: str) -> dict | None:
        row = self.store.one("SELECT * FROM escrows WHERE session_id = ?", session_id)
        return None if row is None else dict(row)

    def blocks(self, start: int = 0, end: int | None = None) -> list[dict]:
        end = self.height if end is None else end
        return [dict(r) for r in self.store.all("SELECT * FROM blocks WHERE height BETWEEN ? AND ? ORDER BY height",
                                                start, end)]

    def transactions(self, start: int = 0, end: int | None = None) -> list[dict]:
        """Every accepted transaction with its height: what any observer can read."""
        end = self.height if end is None else end
        return [dict(r) for r in self.store.all("SELECT * FROM txs WHERE height BETWEEN ? AND ? "
                                                "ORDER BY height, position", start, end)]

    def rejections(self) -> list[dict]:
        return [dict(r) for r in self.store.all("SELECT * FROM rejected ORDER BY id")]

    def verify_chain(self) -> None:
        """Re-hash every block and check the links; MalformedInput naming the first broken block."""
        prev = GENESIS_PREV
        for block in self.blocks():
            txids = [r["txid"] for r in self.store.all("SELECT txid FROM txs WHERE height = ? ORDER BY position",
                                                       block["height"])]
            tx_root = digest(txids).hex()
            expected = digest({"height": block["height"], "prev": prev, "tx_root": tx_root}).hex()
            if block["prev_hash"] != prev or block["tx_root"] != tx_root or block["hash"] != expected:
                raise MalformedInput(f"block {block['height']} does not match its hash chain")
            prev = block["hash"]


#: Kinds whose rejection must not be linkable to anything on the ledger (their txid and the nullifiers or
#: commitments a reason names would tie a failed double release to the original).
UNLINKABLE_REJECTIONS = {"shielded_transfer", "escrow_release"}
_LONG_NUMBER = re.compile(r"[0-9]{12,}|[0-9a-f]{16,}")


def public_rejection(tx: Transaction, height: int, reason: str) -> tuple:
    """The row the public ``rejected`` table keeps: (txid, kind, height, reason).

    The submitter gets the full reason in the block result; the table keeps no long
    numbers (nullifier or commitment prefixes, hashes) in the reason, and for shielded
    kinds a random id instead of the txid (a replay has the original's txid).
    """
    txid = secrets.token_hex(32) if tx.kind in UNLINKABLE_REJECTIONS else tx.txid
    return txid, tx.kind, height, _LONG_NUMBER.sub("…", reason)


def _json(tx: Transaction) -> str:
    import json
    return json.dumps(tx.to_json(), sort_keys=True)

"""The ledger: the public chain that both parties and every observer see.

Blocks are hash-chained and each is one SQLite transaction (``store``).  A block
takes the pending transactions in order: their proofs are verified in batches
per circuit, then each transaction is checked against the state so far and
applied by the ledger's own ``Rulebook`` (core kinds and the extensions recorded
in this ledger) or dropped with its reason in ``rejected`` — a rejected
transaction changes nothing else.  After every block the ledger checks that
total value (accounts + shielded pool + what extensions hold) equals the genesis
supply.  Reads go through the backend (``sqlite_backend.SqliteBackend``).
"""
from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from circuits.crypto.merkle import MerkleFrontier
from zkescrow.errors import MalformedInput, TransactionRejected

from . import rules
from .codec import digest
from .extensions import DEFAULT_EXTENSIONS, LEGACY_NAMES, build_rulebook, canonical_names
from .sqlite_backend import GENESIS_PREV, SqliteBackend
from .store import Store
from .transactions import Transaction

#: Metadata format: 2 stores registry names (``extensions``); ledgers without it stored module names.
FORMAT = 2


@dataclass
class BlockResult:
    """What a committed block did: its height and hash, accepted txids, rejected (txid, reason)."""

    height: int
    hash: str
    accepted: list = field(default_factory=list)
    rejected: list = field(default_factory=list)
    proofs_verified: int = 0


def _stored_extensions(store: Store) -> list[str]:
    """The registry names of a ledger's extensions (a ledger of format 1 always had the escrow kinds)."""
    names = store.get_meta("extensions", [])
    if store.get_meta("format") is None and store.get_meta("depth") is not None:
        return canonical_names(["escrow", *(LEGACY_NAMES.get(n, n) for n in names)])
    return canonical_names(names)


class Ledger:
    """One ledger in a data directory; see the module docstring.

    ``keys`` (``proofs.CircuitKeys``) verifies proofs; ``enclave_policy`` (an
    ``enclave_sim.Policy``) decides which enclaves may register.
    """

    def __init__(self, data_dir: str | Path, *, keys=None, enclave_policy=None):
        probe = Store(data_dir)
        try:
            extensions = _stored_extensions(probe)
        finally:
            probe.close()
        self.rulebook = build_rulebook(extensions)
        self.store = Store(data_dir, self.rulebook.schemas)
        self.backend = SqliteBackend(self.store, self.rulebook.value_holders)
        self.keys = keys
        self.enclave_policy = enclave_policy
        self.pending: list[Transaction] = []
        if self.store.get_meta("depth") is None:
            raise MalformedInput(f"{self.store.path} holds no ledger: create one first (zkescrow ledger init)")

    @classmethod
    def create(cls, data_dir: str | Path, accounts: dict[str, int], *, depth: int = 20, keys=None,
               enclave_policy=None, extensions: tuple[str, ...] = DEFAULT_EXTENSIONS,
               root_window: int = 100) -> "Ledger":
        """A new ledger whose genesis block gives ``accounts`` their balances.

        ``extensions`` are registry names (``extensions.EXTENSIONS``: "escrow", "channel")
        whose kinds this ledger, and only this ledger, accepts; they are recorded and
        installed whenever it is opened.  Spends may prove membership against any of
        the last ``root_window`` block roots.
        """
        extensions = canonical_names(extensions)
        store = Store(data_dir)
        if store.get_meta("depth") is not None:
            store.close()
            raise MalformedInput(f"{store.path} already holds a ledger")
        frontier = MerkleFrontier(depth)
        with store.transaction() as db:
            store.set_meta(db, "depth", depth)
            store.set_meta(db, "format", FORMAT)
            store.set_meta(db, "extensions", extensions)
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
            state = rules.BlockState(db, height, self.backend.frontier(), self.backend.root_history(), self.pool_value,
                                     self.recent_hashes(rules.NONCE_WINDOW), self.enclave_policy)
            accepted, rejected = [], []
            for tx in txs:
                reason = self._precheck(db, tx, proof_ok.get(id(tx), True), accepted)
                if reason is None:
                    try:
                        self.rulebook.apply(state, tx)
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
            circuit = self.rulebook.circuit_of(tx.kind)
            if circuit is None:
                continue
            try:
                public = self.rulebook.public_signals(tx)
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

    def _check_conservation(self, db, pool_value: int) -> None:
        held = {**self.backend.holdings(db), "shielded": pool_value}
        supply = self.store.get_meta("supply")
        if sum(held.values()) != supply:
            raise AssertionError(f"value not conserved: {held} does not add up to the supply {supply}; "
                                 f"block discarded")

    # --- reading (through the backend) ---------------------------------------------------------

    @property
    def extensions(self) -> list[str]:
        """The registry names of this ledger's extensions, as recorded in it."""
        return list(self.store.get_meta("extensions", []))

    @property
    def depth(self) -> int:
        return self.backend.depth

    @property
    def height(self) -> int:
        return self.backend.height

    @property
    def tip_hash(self) -> str:
        return self.backend.tip_hash

    @property
    def pool_value(self) -> int:
        return self.backend.pool_value

    @property
    def root(self) -> int:
        return self.backend.root

    def recent_hashes(self, n: int) -> list[str]:
        return self.backend.recent_hashes(n)

    def recent_roots(self) -> list[int]:
        return self.backend.recent_roots()

    def balance(self, address: str) -> int:
        return self.backend.balance(address)

    def nonce(self, address: str) -> int:
        return self.backend.nonce(address)

    def total_value(self) -> dict:
        """Where the supply sits: transparent accounts, the shielded pool, escrows (and extensions), and the total."""
        return self.backend.total_value()

    def commitments(self, since: int = 0) -> list[tuple[int, int, str]]:
        """[(position, commitment, ciphertext)] of the note tree from ``since`` on."""
        return self.backend.commitments(since)

    def is_spent(self, nullifier: int) -> bool:
        return self.backend.is_spent(nullifier)

    def services(self) -> list[dict]:
        return self.backend.services()

    def enclave(self, enclave_id: str) -> dict | None:
        return self.backend.enclave(enclave_id)

    def escrow(self, session_id: str) -> dict | None:
        """The escrow of ``session_id`` (None on a ledger without the escrow extension)."""
        if not self.rulebook.knows("escrow_open"):
            return None
        return self.backend.row("escrows", "session_id", session_id)

    def blocks(self, start: int = 0, end: int | None = None) -> list[dict]:
        return self.backend.blocks(start, end)

    def transactions(self, start: int = 0, end: int | None = None) -> list[dict]:
        """Every accepted transaction with its height: what any observer can read."""
        return self.backend.transactions(start, end)

    def rejections(self) -> list[dict]:
        return self.backend.rejections()

    def verify_chain(self) -> None:
        """Re-hash every block and check the links; MalformedInput naming the first broken block."""
        prev = GENESIS_PREV
        for block in self.blocks():
            tx_root = digest(self.backend.block_txids(block["height"])).hex()
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
    return json.dumps(tx.to_json(), sort_keys=True)

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
import sqlite3
from pathlib import Path

from nacl.signing import SigningKey

from circuits.crypto.merkle import MerkleFrontier
from zkescrow.errors import CorruptLedger, MalformedInput

from . import authority as poa
from . import denominations as denomination_rules
from . import rules
from .blocks import (UNLINKABLE_REJECTIONS, BlockResult, check_conservation, judge,  # noqa: F401
                     public_rejection, verify_proofs, write_block)
from .extensions import DEFAULT_EXTENSIONS, build_rulebook, canonical_names
from .genesis import (FORMAT, MAX_SUPPLY, check_genesis_accounts, genesis_transaction,  # noqa: F401
                      stored_extensions, write_metadata)
from .headers import GENESIS_PREV, Header, SignedHeader, merkle_root, tx_leaf
from .sqlite_backend import SqliteBackend
from .store import Store
from .transactions import Transaction


class Ledger:
    """One ledger in a data directory; see the module docstring.

    ``keys`` (``proofs.CircuitKeys``) verifies proofs; ``enclave_policy`` (an
    ``enclave_sim.Policy``) decides which enclaves may register; ``authority`` signs the
    headers of new blocks (default: the key in the data directory's ``authority.key``;
    without one the ledger can be read but commits no block).  Opening runs
    ``authority.quick_check`` and raises CorruptLedger for a damaged or tampered ledger.
    """

    def __init__(self, data_dir: str | Path, *, keys=None, enclave_policy=None, authority: SigningKey | None = None,
                 readonly: bool = False):
        probe = Store(data_dir, readonly=readonly)
        try:
            poa.quick_check(probe)                # before anything else reads the file
            extensions = stored_extensions(probe)
        except sqlite3.DatabaseError as exc:
            raise CorruptLedger(f"ledger in {probe.data_dir} is corrupted: SQLite: {exc}") from None
        finally:
            probe.close()
        self.rulebook = build_rulebook(extensions)
        self.store = Store(data_dir, self.rulebook.schemas, readonly=readonly)
        self.backend = SqliteBackend(self.store, self.rulebook.value_holders)
        self.keys = keys
        self.enclave_policy = enclave_policy
        self.pending: list[Transaction] = []
        if self.store.get_meta("depth") is None:
            raise MalformedInput(f"{self.store.path} holds no ledger: create one first (zkescrow ledger init)")
        self.authority = authority if authority is not None else poa.load_authority(self.store.data_dir)
        self._genesis: Header | None = None
        if self.authority is not None and self.height >= 0 and \
                poa.authority_hex(self.authority) not in self.genesis.authorities:
            self.store.close()
            raise MalformedInput(f"the authority key given for {self.store.data_dir} is not one of its ledger's "
                                 f"authorities")

    @classmethod
    def create(cls, data_dir: str | Path, accounts: dict[str, int], *, depth: int = 20, keys=None,
               enclave_policy=None, extensions: tuple[str, ...] = DEFAULT_EXTENSIONS,
               root_window: int = 100, authority: SigningKey | None = None,
               denominations=denomination_rules.DEFAULT) -> "Ledger":
        """A new ledger whose genesis block gives ``accounts`` their balances.

        ``authority`` is the Ed25519 key that signs the block headers; when None a fresh
        key is made and stored (mode 0600) as ``authority.key`` in ``data_dir``.  The
        genesis header names its public key; the genesis hash is the ledger's chain id.

        ``extensions`` are registry names (``extensions.EXTENSIONS``: "escrow", "channel")
        whose kinds this ledger, and only this ledger, accepts; they are recorded and
        installed whenever it is opened.  Spends may prove membership against any of
        the last ``root_window`` block roots.

        ``denominations`` are the only amounts ``shield`` accepts (recorded in the metadata and
        in the genesis transaction, so the chain id binds them); None lets it accept any amount,
        as ledgers made before denominations do.
        """
        extensions = canonical_names(extensions)
        denominations = denomination_rules.check(denominations, rules.VALUE_MAX)
        check_genesis_accounts(accounts)           # before anything exists on disk
        store = Store(data_dir)
        if store.get_meta("depth") is not None:
            store.close()
            raise MalformedInput(f"{store.path} already holds a ledger")
        try:
            return cls._create(store, data_dir, accounts, depth, keys, enclave_policy, extensions, root_window,
                               authority, denominations)
        except BaseException:
            for path in store.files():             # no half-made ledger at height -1
                path.unlink(missing_ok=True)
            if authority is None:                  # nor the key made for it
                (store.data_dir / poa.AUTHORITY_FILE).unlink(missing_ok=True)
            raise

    @classmethod
    def _create(cls, store, data_dir, accounts, depth, keys, enclave_policy, extensions, root_window, authority,
                denominations):
        frontier = MerkleFrontier(depth)
        if authority is None:
            authority = SigningKey.generate()
            poa.save_authority(store.data_dir, authority)
        write_metadata(store, authority_hex=poa.authority_hex(authority), frontier=frontier, extensions=extensions,
                       root_window=root_window, denominations=denominations, supply=sum(accounts.values()))
        store.close()
        ledger = cls(data_dir, keys=keys, enclave_policy=enclave_policy, authority=authority)
        try:
            ledger.submit(genesis_transaction(accounts, denominations))
            result = ledger.commit_block()
            if result.rejected:
                raise MalformedInput(f"genesis rejected: {result.rejected[0][1]}")
        except BaseException:
            ledger.close()
            raise
        return ledger

    def close(self) -> None:
        self.store.close()

    # --- writing -----------------------------------------------------------------------------

    def submit(self, tx: Transaction) -> str:
        """Queue ``tx`` for the next block; returns its txid."""
        if not isinstance(tx, Transaction):
            raise MalformedInput("submit takes a Transaction")
        try:            # a private copy in plain JSON: what is judged is what is stored, and it encodes
            tx = Transaction.from_json(json.loads(json.dumps(tx.to_json(), sort_keys=True, allow_nan=False)))
        except (ValueError, TypeError, RecursionError) as exc:
            raise MalformedInput(f"a transaction body must be plain JSON: {exc}") from None
        self.pending.append(tx)
        return tx.txid

    def commit_block(self) -> BlockResult:
        """Build, validate, sign and commit the next block from the pending transactions.

        The pending transactions leave the queue only once their block is on disk.
        """
        if self.authority is None:
            raise MalformedInput(f"{self.store.data_dir} was opened without its authority key: "
                                 f"it can be read but commits no block")
        txs = list(self.pending)
        proof_ok, n_proofs = verify_proofs(self.rulebook, self.keys, txs)
        with self.store.transaction() as db:
            height, prev = self.height + 1, self.tip_hash      # inside the write lock: no two blocks at one height
            state = rules.BlockState(db, height, self.backend.frontier(), self.backend.root_history(), self.pool_value,
                                     self.recent_hashes(rules.NONCE_WINDOW), self.enclave_policy)
            state.chain_id = self.chain_id if height else ""
            state.denominations = self.denomination_set
            accepted, rejected = judge(self.rulebook, state, txs, proof_ok)
            header = self._header(height, prev, [tx_leaf(tx.to_json()) for tx in accepted], state.frontier.root)
            block_hash = write_block(self.store, db, header, header.sign(self.authority), accepted, state)
            self._check_conservation(db, state.pool_value)
        del self.pending[:len(txs)]
        return BlockResult(height, block_hash, [tx.txid for tx in accepted], rejected, n_proofs)

    def _header(self, height: int, prev: str, leaves: list[bytes], note_root: int) -> Header:
        if height == 0:
            return Header("", 0, GENESIS_PREV, merkle_root(leaves), str(note_root),
                          authorities=tuple(self.store.get_meta("authorities")),
                          threshold=self.store.get_meta("threshold"))
        return Header(self.chain_id, height, prev, merkle_root(leaves), str(note_root))

    def _check_conservation(self, db, pool_value: int) -> None:
        check_conservation(self.backend.holdings(db), pool_value, self.store.get_meta("supply"))

    # --- reading (through the backend) ---------------------------------------------------------

    @property
    def extensions(self) -> list[str]:
        """The registry names of this ledger's extensions, as recorded in it."""
        return list(self.store.get_meta("extensions", []))

    @property
    def denominations(self) -> list[int] | None:
        """The amounts ``shield`` accepts on this ledger, ascending; None: any amount (a ledger made before them)."""
        stored = self.store.get_meta("denominations")
        return None if stored is None else list(stored)

    @property
    def denomination_set(self) -> frozenset | None:
        stored = self.denominations
        return None if stored is None else frozenset(stored)

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

    # --- the chain: headers, inclusion proofs, integrity ----------------------------------------

    @property
    def genesis(self) -> Header:
        """The genesis header (authorities, threshold); its hash is the chain id."""
        if self._genesis is None:
            self._genesis = poa.genesis_header(self.store)
        return self._genesis

    @property
    def chain_id(self) -> str:
        """Hex SHA-256 of the genesis header: every signature over a transaction of this ledger binds it."""
        return self.genesis.hash()

    @property
    def authorities(self) -> list[str]:
        return list(self.genesis.authorities)

    @property
    def threshold(self) -> int:
        return self.genesis.threshold

    def header(self, height: int) -> SignedHeader:
        """The authority-signed header of block ``height``."""
        signed = poa.stored_header(self.store, height)
        if signed is None:
            raise MalformedInput(f"the ledger has no block {height} (height {self.height})")
        return signed

    def headers(self, start: int = 0, end: int | None = None) -> list[SignedHeader]:
        """Signed headers of blocks ``start``…``end`` (default: to the tip), in order: what a light client follows."""
        end = self.height if end is None else min(end, self.height)
        return [self.header(h) for h in range(max(start, 0), end + 1)]

    def inclusion(self, txid: str) -> tuple[int, int, list[str]]:
        """(height, index, proof): ``headers.verify_inclusion(header(height).tx_root, tx_leaf(tx), index, proof)``."""
        return poa.inclusion(self.store, txid)

    def transaction_proof(self, txid: str) -> dict:
        """{tx, header, index, proof}: an accepted transaction with what proves it to a light client
        (``HeaderChain.proven_transaction``), JSON-safe."""
        height, index, proof = self.inclusion(txid)
        row = self.store.one("SELECT body FROM txs WHERE txid = ?", txid)
        return {"tx": json.loads(row["body"]), "header": self.header(height).to_json(), "index": index,
                "proof": proof}

    def verify_chain(self) -> None:
        """Re-derive every block from the stored bodies (tx_root, txids), headers, links and authority signatures;
        CorruptLedger naming the data directory and the first broken block."""
        poa.verify_chain(self.store)

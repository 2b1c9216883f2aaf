"""The ledger's Proof-of-Authority side: the authority key, signed headers of stored blocks, integrity checks.

A ledger is created with one or more Ed25519 authority keys (``threshold`` of them sign
each header; this embedded single-node ledger holds one and signs with it).  The genesis
header names the keys; its hash is the ledger's ``chain_id``, which every signature over a
ledger transaction binds (``Transaction.signing_bytes(chain_id)``).

Stored per block (``headers`` table): the header JSON and its signatures.  The block hash
is ``Header.hash()`` and its ``tx_root`` the Merkle root over the stored transactions'
``tx_leaf`` (kind, body, signature), so rewriting any body breaks the block's hash.

``quick_check`` runs whenever a ledger is opened (SQLite's ``PRAGMA quick_check``, the tip
header's hash, signature, link and tx_root); ``verify_chain`` re-derives every block.  Both
raise ``CorruptLedger`` naming the data directory.  This module reads the store through its
``one``/``all`` helpers and writes nothing but the authority key file.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
from pathlib import Path

from nacl.signing import SigningKey

from zkescrow.errors import CorruptLedger, MalformedInput, ZkEscrowError

from .headers import GENESIS_PREV, canonical, Header, SignedHeader, inclusion_proof, merkle_root, tx_leaf

AUTHORITY_FILE = "authority.key"


def authority_hex(key: SigningKey) -> str:
    return bytes(key.verify_key).hex()


def save_authority(data_dir: Path, key: SigningKey) -> Path:
    """Write the authority's seed (hex) to ``data_dir/authority.key``, mode 0600, atomically."""
    path = Path(data_dir) / AUTHORITY_FILE
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".authority-", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(bytes(key).hex() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_authority(data_dir: Path) -> SigningKey | None:
    """The authority key stored in ``data_dir`` (None when there is none: the ledger is then read-only)."""
    path = Path(data_dir) / AUTHORITY_FILE
    if not path.exists():
        return None
    try:
        return SigningKey(bytes.fromhex(path.read_text().strip()))
    except (ValueError, TypeError) as exc:
        raise MalformedInput(f"{path} is not an authority key (64 hex digits): {exc}") from None


# --- headers of stored blocks ----------------------------------------------------------------

def block_leaves(store, height: int) -> list[bytes]:
    """tx_leaf of every stored transaction of block ``height``, in order (from the stored bodies)."""
    leaves = []
    for row in store.all("SELECT body FROM txs WHERE height = ? ORDER BY position", height):
        try:
            leaves.append(tx_leaf(json.loads(row["body"])))
        except (ValueError, TypeError, ZkEscrowError) as exc:
            raise CorruptLedger(f"{store.data_dir}: a stored transaction of block {height} is not JSON: {exc}") \
                from None
    return leaves


def stored_header(store, height: int) -> SignedHeader | None:
    row = store.one("SELECT header, signatures FROM headers WHERE height = ?", height)
    if row is None:
        return None
    try:
        return SignedHeader(Header.from_json(row["header"]), json.loads(row["signatures"]))
    except (ValueError, TypeError, ZkEscrowError) as exc:
        raise CorruptLedger(f"{store.data_dir}: the stored header of block {height} is unreadable: {exc}") from None


def inclusion(store, txid: str) -> tuple[int, int, list[str]]:
    """(height, index, Merkle proof) of an accepted transaction against its block's tx_root."""
    row = store.one("SELECT height, position FROM txs WHERE txid = ?", txid)
    if row is None:
        raise MalformedInput(f"transaction {str(txid)[:16]}… is not on the ledger")
    leaves = block_leaves(store, row["height"])
    return row["height"], row["position"], inclusion_proof(leaves, row["position"])


def _corrupt(store, message: str):
    raise CorruptLedger(f"ledger in {store.data_dir} is corrupted: {message}; restore it from a backup "
                        f"or a peer")


def check_block(store, height: int, prev: str, genesis: Header | None, *, check_txids: bool = True) -> Header:
    """The header of block ``height``, checked: stored hash, link, chain id, signatures, tx_root of the bodies."""
    block = store.one("SELECT * FROM blocks WHERE height = ?", height)
    signed = stored_header(store, height)
    if block is None or signed is None:
        _corrupt(store, f"block {height} or its header is missing")
    header = signed.header
    if header.height != height or header.hash() != block["hash"]:
        _corrupt(store, f"block {height}'s stored hash is not its header's hash")
    if header.prev != prev or block["prev_hash"] != prev:
        _corrupt(store, f"block {height} does not link to block {height - 1}")
    genesis = header if genesis is None else genesis
    if height and header.chain_id != genesis.hash():
        _corrupt(store, f"block {height} names another chain")
    if len(signed.signers(genesis.authorities)) < genesis.threshold:
        _corrupt(store, f"block {height}'s header is not signed by the ledger's authority")
    leaves = block_leaves(store, height)
    if header.tx_root != merkle_root(leaves) or block["tx_root"] != header.tx_root or block["n_txs"] != len(leaves):
        _corrupt(store, f"the transactions stored in block {height} are not the ones its header commits to")
    if check_txids:
        for row in store.all("SELECT txid, kind, body FROM txs WHERE height = ?", height):
            tx = json.loads(row["body"])
            if row["kind"] != tx.get("kind") or row["txid"] != _txid(tx):
                _corrupt(store, f"transaction {row['txid'][:16]}… in block {height} does not match its body")
    return header


def _txid(tx: dict) -> str:
    return hashlib.sha256(canonical({"kind": tx.get("kind"), "body": tx.get("body")})).hexdigest()


def genesis_header(store) -> Header:
    signed = stored_header(store, 0)
    if signed is None:
        _corrupt(store, "the genesis header is missing")
    return signed.header


def quick_check(store) -> None:
    """SQLite's quick_check and the tip block (hash, link, signatures, tx_root); CorruptLedger otherwise."""
    try:
        verdict = [r[0] for r in store.all("PRAGMA quick_check")]
        tip = store.one("SELECT MAX(height) AS h FROM blocks")["h"]
    except sqlite3.DatabaseError as exc:
        _corrupt(store, f"SQLite: {exc}")
    if verdict != ["ok"]:
        _corrupt(store, "SQLite quick_check: " + "; ".join(map(str, verdict))[:300])
    if tip is None:
        return
    genesis = genesis_header(store)
    prev = GENESIS_PREV if tip == 0 else store.one("SELECT hash FROM blocks WHERE height = ?", tip - 1)
    if prev is None:
        _corrupt(store, f"block {tip - 1} is missing")
    try:
        check_block(store, tip, prev if tip == 0 else prev["hash"], genesis)
    except sqlite3.DatabaseError as exc:
        _corrupt(store, f"SQLite: {exc}")


def verify_chain(store) -> None:
    """Re-derive every block: headers, links, signatures, tx_roots and txids from the stored bodies."""
    prev, genesis = GENESIS_PREV, None
    try:
        heights = [r["height"] for r in store.all("SELECT height FROM blocks ORDER BY height")]
        if heights != list(range(len(heights))):
            _corrupt(store, "the block heights are not 0, 1, 2, …")
        for height in heights:
            header = check_block(store, height, prev, genesis)
            genesis = genesis or header
            prev = header.hash()
        stray = store.one("SELECT COUNT(*) AS n FROM txs WHERE height NOT IN (SELECT height FROM blocks)")["n"]
        if stray:
            _corrupt(store, f"{stray} stored transaction(s) belong to no block")
    except sqlite3.DatabaseError as exc:
        _corrupt(store, f"SQLite: {exc}")

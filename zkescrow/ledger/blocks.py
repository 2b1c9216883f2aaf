"""How one block is judged and written: proofs batch-verified per circuit, each transaction applied in order or
rejected with a public reason, the signed header and the rows stored, and total value checked against the supply.

``Ledger.commit_block`` runs these inside one SQLite transaction (``store.transaction``), so a block
that fails any step (conservation included) leaves nothing behind.
"""
from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field

from .headers import Header
from .transactions import Transaction
from .verdicts import NO_KEYS, apply_one, verify_many


@dataclass
class BlockResult:
    """What a committed block did: its height and hash, accepted txids, rejected (txid, reason)."""

    height: int
    hash: str
    accepted: list = field(default_factory=list)
    rejected: list = field(default_factory=list)
    proofs_verified: int = 0


def verify_proofs(rulebook, keys, txs: list[Transaction]) -> tuple[dict, int]:
    """({id(tx): proof verified}, proofs checked) for the proof-carrying txs, batch-verified per circuit.

    Without ``keys`` each proof-carrying transaction is judged ``NO_KEYS`` (its own rejection, never a failed
    block); a transaction whose body its signal builder chokes on has a proof that fails.
    """
    groups: dict[str, list] = {}
    result = {}
    for tx in txs:
        circuit = rulebook.circuit_of(tx.kind)
        if circuit is None:
            continue
        try:
            public = rulebook.public_signals(tx)
        except Exception:                     # any body a signal builder chokes on: that proof fails
            result[id(tx)] = False
            continue
        groups.setdefault(circuit, []).append((tx, public, tx.body.get("proof")))
    if keys is None:                          # judged per transaction, never a failed block
        for items in groups.values():
            for tx, _, _ in items:
                result[id(tx)] = NO_KEYS
        return result, 0
    count = 0
    for circuit, items in groups.items():
        verdicts = verify_many(keys, circuit, [(public, proof) for _, public, proof in items])
        count += len(items)
        for (tx, _, _), ok in zip(items, verdicts):
            result[id(tx)] = ok
    return result, count


def judge(rulebook, state, txs: list[Transaction], proof_ok: dict) -> tuple[list[Transaction], list[tuple]]:
    """Apply ``txs`` in order to the block's ``state``: (accepted, [(txid, reason)]).

    A replay or a failed proof is rejected before its rule runs; every rejection is also written to the
    public ``rejected`` table (``public_rejection``) and changes nothing else.
    """
    db, accepted, rejected = state.db, [], []
    for tx in txs:
        reason = precheck(db, tx, proof_ok.get(id(tx), True), accepted)
        if reason is None:
            reason = apply_one(rulebook, state, tx)
        if reason is None:
            accepted.append(tx)
        else:
            rejected.append((tx.txid, reason))
            db.execute("INSERT INTO rejected(txid, kind, height, reason) VALUES (?, ?, ?, ?)",
                       public_rejection(tx, state.height, reason))
    return accepted, rejected


def precheck(db, tx: Transaction, proof_ok, accepted: list) -> str | None:
    """Why ``tx`` is rejected before its rule runs (a replay, a proof that does not verify), or None."""
    if any(t.txid == tx.txid for t in accepted) or \
            db.execute("SELECT 1 FROM txs WHERE txid = ?", (tx.txid,)).fetchone():
        return "transaction is already on the ledger (replay)"
    if proof_ok is not True:
        return proof_ok if isinstance(proof_ok, str) else "proof does not verify"
    return None


def write_block(store, db, header: Header, signature: str, accepted: list[Transaction], state) -> str:
    """Store the block, its signed header, its transactions, its note root and the new pool state; its hash."""
    height, block_hash = header.height, header.hash()
    db.execute("INSERT INTO blocks(height, prev_hash, hash, tx_root, n_txs) VALUES (?, ?, ?, ?, ?)",
               (height, header.prev, block_hash, header.tx_root, len(accepted)))
    db.execute("INSERT INTO headers(height, header, signatures) VALUES (?, ?, ?)",
               (height, json.dumps(header.to_json(), sort_keys=True), json.dumps([signature])))
    for position, tx in enumerate(accepted):
        db.execute("INSERT INTO txs(txid, height, position, kind, body, size) VALUES (?, ?, ?, ?, ?, ?)",
                   (tx.txid, height, position, tx.kind, _json(tx), tx.size))
    db.execute("INSERT INTO roots(height, root) VALUES (?, ?)", (height, header.note_root))
    store.set_meta(db, "frontier", state.frontier.to_dict())
    store.set_meta(db, "pool_value", state.pool_value)
    return block_hash


def check_conservation(holdings: dict, pool_value: int, supply: int) -> None:
    """AssertionError (the block is discarded) unless what accounts and extensions hold plus the pool is the supply."""
    held = {**holdings, "shielded": pool_value}
    if sum(held.values()) != supply:
        raise AssertionError(f"value not conserved: {held} does not add up to the supply {supply}; "
                             f"block discarded")


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

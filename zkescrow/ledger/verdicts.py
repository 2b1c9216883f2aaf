"""How one transaction's failure stays its own: the verdict of a rule or a proof, never an exception out of a block.

``apply_one`` applies a transaction through the ledger's rulebook (rolled back to its
savepoint on failure) and turns any exception into the reason it was rejected;
``verify_many`` batch-verifies proofs and, if a hostile proof makes the batch raise,
judges each alone.  Reasons are capped (a rule may quote a hostile field).
"""
from __future__ import annotations

from zkescrow.errors import TransactionRejected

from .transactions import Transaction

NO_KEYS = "this ledger was opened without circuit keys: it cannot verify proofs"
#: Longest rejection reason stored (a reason may quote a hostile field).
MAX_REASON = 400


def verify_many(keys, circuit: str, items: list) -> list[bool]:
    """Batch verdicts; if a hostile proof makes the batch raise, each item alone (raising: it does not verify)."""
    try:
        return list(keys.verify_many(circuit, items))
    except Exception:
        verdicts = []
        for item in items:
            try:
                verdicts.append(bool(keys.verify_many(circuit, [item])[0]))
            except Exception:
                verdicts.append(False)
        return verdicts


def apply_one(rulebook, state, tx: Transaction) -> str | None:
    """Apply ``tx`` to the block (rolled back to its savepoint on failure); the reason it was rejected, or None.

    Any exception a rule raises on a hostile body rejects that transaction only, never the block.
    """
    try:
        rulebook.apply(state, tx)
    except TransactionRejected as exc:
        return reason_text(str(exc))
    except Exception as exc:                              # a rule that choked on the body: still only this tx
        return reason_text(f"malformed {tx.kind} transaction ({type(exc).__name__}: {exc})")
    return None


def reason_text(text: str) -> str:
    return text if len(text) <= MAX_REASON else text[:MAX_REASON] + "…"

"""What an observer infers from the public ledger, summarised per escrow mode (``zkescrow observe``/``compare``).

The per-session inferences come from ``adversary`` (public data only).  This module
only summarises them per field for the demo's side-by-side report:

    linked_transactions  settlements the adversary tied to a funding transaction
    deposit_amount       deposits it recovered
    payout_amounts       splits / energy it recovered (or bounded)
    identities           cars (paying accounts) and poles it named
    timing               funding and settlement heights it placed
    timeouts             refund deadlines it recovered
    outcome              settled or refunded

``learned`` is "yes" (for every session), "partly" (for some) or "no" (for none):
what this adversary inferred, not a guarantee that nothing more can be — and not
checked against the truth here; ``zkescrow privacy-eval`` scores the inferences on a
simulated population whose ground truth is known.
"""
from __future__ import annotations

from zkescrow.escrow.demo import table

from .adversary import observe_ledger

FIELDS = ("linked_transactions", "deposit_amount", "payout_amounts", "identities", "timing", "timeouts", "outcome")
ESCROW_MODES = ("transparent", "shielded")


def observe(ledger) -> dict:
    """{"ledger": counts, "sessions": inferences, "<mode>": {"sessions", "fields"}} for both escrow modes."""
    obs = observe_ledger(ledger)
    out = {"ledger": obs["ledger"], "sessions": obs["sessions"]}
    for mode in ESCROW_MODES:
        sessions = [s for s in obs["sessions"] if s["kind"] == mode]
        out[mode] = {"sessions": sessions, "fields": summarise(sessions, mode)}
    return out


def _field(values: list, n: int, detail: str) -> dict:
    found = sum(v is not None for v in values)
    learned = "no" if not found else "yes" if found == n else "partly"
    return {"learned": learned, "detail": f"{found}/{n} sessions: {detail}" if n else detail, "values": values}


def summarise(sessions: list, mode: str) -> dict:
    """Per field of FIELDS: {learned, detail, values} from the adversary's inferences."""
    n = len(sessions)
    if not n:
        return {name: {"learned": "no", "detail": f"no {mode} escrow settlement on the ledger", "values": []}
                for name in FIELDS}
    cands = [s["funding_candidates"] for s in sessions if s["funding_candidates"]]
    chance = f"; chance 1/{round(sum(cands) / len(cands))}" if cands else ""
    return {
        "linked_transactions": _field([s["funding_txid"] for s in sessions], n,
                                      f"settlement tied to its funding ({_how(sessions, 'funding')}){chance}"),
        "deposit_amount": _field([s["deposit"] for s in sessions], n,
                                 f"{_join(s['deposit'] for s in sessions)} ({_how(sessions, 'deposit')})"),
        "payout_amounts": _field([s["energy_range"] for s in sessions], n,
                                 "energy " + _join(f"{r[0]}–{r[1]} Wh" if r else "?" for r in
                                                   (s["energy_range"] for s in sessions))
                                 + f" ({_how(sessions, 'energy_wh')})"),
        "identities": _field([(s["car"], s["pole"]) if s["car"] or s["pole"] else None for s in sessions], n,
                             f"pole {_join(s['pole'] or '?' for s in sessions)}; car account "
                             f"{_join((s['car'] or '?')[:12] for s in sessions)} ({_how(sessions, 'car')})"),
        "timing": _field([s["settle_height"] for s in sessions], n,
                         "settled at " + _join(s["settle_height"] for s in sessions)),
        "timeouts": _field([s["deadline"] for s in sessions], n,
                           f"{_join(s['deadline'] for s in sessions)} ({_how(sessions, 'deadline')})"),
        "outcome": _field([s["outcome"] for s in sessions], n, _join(s["outcome"] for s in sessions)),
    }


def _how(sessions: list, key: str) -> str:
    hows = sorted({s["how"][key] for s in sessions if key in s["how"]})
    return "; ".join(hows) if hows else "no heuristic applied"


def _join(values) -> str:
    items = [f"{v:,}" if isinstance(v, int) else str(v) for v in values if v is not None]
    if len(items) > 4:
        items = items[:4] + [f"… ({len(items)} in all)"]
    return ", ".join(items) if items else "—"


def format_observation(obs: dict) -> str:
    """Readable text: what the adversary infers per settlement, then the per-field summary."""
    led = obs["ledger"]
    lines = [f"ledger: height {led['height']}, {led['transactions']} transactions "
             f"({', '.join(f'{k} {v}' for k, v in sorted(led['by_kind'].items()))})",
             "what an observer of the public ledger infers (unverified here; `zkescrow privacy-eval` scores it):", ""]
    for s in obs["sessions"]:
        facts = [f"{k} {s[k]:,}" if isinstance(s[k], int) else f"{k} {s[k]}"
                 for k in ("pole", "deposit", "energy_wh", "pole_share", "deadline") if s[k] is not None]
        if s["car"]:
            facts.insert(0, f"car {s['car'][:16]}…")
        funding = (f"funded by {s['funding_txid'][:12]}… (of {s['funding_candidates']} candidates)"
                   if s["funding_txid"] else "funding not linked")
        lines.append(f"{s['kind']} settlement {s['settle_txid'][:12]}… at height {s['settle_height']}: {funding}; "
                     + (", ".join(facts) if facts else "nothing more inferred"))
    if any(obs[m]["sessions"] for m in ESCROW_MODES):
        lines.append("")
        lines.append(table(["inferred by the observer", *ESCROW_MODES],
                           [[name.replace("_", " "), *(_cell(obs[m]["fields"][name]) for m in ESCROW_MODES)]
                            for name in FIELDS]))
    return "\n".join(lines)


def _cell(f: dict) -> str:
    return f"{f['learned'].upper()}: {f['detail']}"

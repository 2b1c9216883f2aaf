"""What a third party learns from the public ledger alone, per escrow mode.

The observer reads accepted transactions (kind, body, height, size) and the
service registry they built — nothing a party keeps private.  It reconstructs
every charging session it can and reports, per field, what it learned:

    linked_transactions  which transactions belong to one session
    deposit_amount       how much was locked
    payout_amounts       how the deposit was split (or bounds on it)
    identities           pole, operator, driver key, enclave
    timing               when the session opened and closed
    timeouts             the refund deadline
    outcome              settled by the enclave, or refunded

``learned`` is "yes", "partly" or "no", decided from the values actually found.
"""
from __future__ import annotations

import json

FIELDS = ("linked_transactions", "deposit_amount", "payout_amounts", "identities", "timing", "timeouts", "outcome")


def _sessions(txs: list[dict], services: dict) -> tuple[list, list]:
    opens, payouts, releases, funders = {}, {}, [], []
    for t in txs:
        body = json.loads(t["body"])["body"]
        if t["kind"] == "escrow_open":
            opens[body["session_id"]] = (t, body)
        elif t["kind"] == "escrow_payout":
            payouts[body["session_id"]] = (t, body)
        elif t["kind"] == "escrow_release":
            releases.append((t, body))
        elif t["kind"] == "shielded_transfer":
            funders.append((t, body))
    transparent = []
    for sid, (t, b) in opens.items():
        deposit = -int(b["public_amount"])
        pole = services.get(b["pole_id"], {})
        s = {"session_id": sid, "open_txid": t["txid"], "open_height": t["height"], "deposit": deposit,
             "pole_id": b["pole_id"], "operator": pole.get("operator"), "price_per_wh": pole.get("price_per_wh"),
             "enclave": b["enclave"], "driver_refund_key": b["refund_key"], "refund_height": b["refund_height"],
             "energy_bound_wh": deposit // pole["price_per_wh"] if pole.get("price_per_wh") else None,
             "payout_txid": None, "payout_height": None, "payout_total": None, "outcome": "open"}
        if sid in payouts:
            pt, pb = payouts[sid]
            s.update(payout_txid=pt["txid"], payout_height=pt["height"], payout_total=int(pb["public_amount"]),
                     outcome="settled by the enclave" if pb["authority"] == "enclave" else "refunded by the driver")
        transparent.append(s)
    shielded = []
    for t, b in releases:
        candidates = [f for f, fb in funders if f["height"] < t["height"] and int(fb["public_amount"]) == 0]
        shielded.append({"session_id": None, "release_txid": t["txid"], "release_height": t["height"],
                         "proved_height": b["height"],
                         "outcome": "released or refunded (one public shape: the proof does not say which)",
                         "funding_candidates": len(candidates)})
    return transparent, shielded


def observe(ledger) -> dict:
    """{"transparent": {...}, "shielded": {...}, "ledger": {...}} — see the module docstring."""
    txs = ledger.transactions()
    services = {s["pole_id"]: s for s in ledger.services()}
    transparent, shielded = _sessions(txs, services)
    counts: dict[str, int] = {}
    for t in txs:
        counts[t["kind"]] = counts.get(t["kind"], 0) + 1
    return {"ledger": {"height": ledger.height, "transactions": len(txs), "by_kind": counts},
            "transparent": {"sessions": transparent, "fields": _transparent_fields(transparent)},
            "shielded": {"sessions": shielded, "fields": _shielded_fields(shielded)}}


def _field(learned: str, detail: str, values=None) -> dict:
    return {"learned": learned, "detail": detail, "values": values if values is not None else []}


def _session_hex(value) -> str:
    """A release's session id (a field element) as the 62 hex digits the demo and the escrow record print."""
    try:
        return f"{int(value):062x}"
    except (TypeError, ValueError):
        return str(value)


def _transparent_fields(sessions: list[dict]) -> dict:
    if not sessions:
        return {name: _field("no", "no transparent escrow on the ledger") for name in FIELDS}
    linked = [[s["open_txid"], s["payout_txid"]] for s in sessions]
    deposits = [s["deposit"] for s in sessions]
    bounds = [s["energy_bound_wh"] for s in sessions]
    totals = [s["payout_total"] for s in sessions]
    who = [{"pole": s["pole_id"], "operator": (s["operator"] or "")[:16], "driver_key": s["driver_refund_key"][:16],
            "enclave": s["enclave"][:16]} for s in sessions]
    timing = [[s["open_height"], s["payout_height"]] for s in sessions]
    return {
        "linked_transactions": _field("yes", f"escrow_open and escrow_payout share the session id "
                                      f"({sum(1 for link in linked for x in link if x)} txs, {len(sessions)} sessions)",
                                      linked),
        "deposit_amount": _field("yes", f"public amount of escrow_open: {_join(deposits)}", deposits),
        "payout_amounts": _field("partly", f"total paid out {_join(totals)} (= deposit); the pole/driver split is "
                                 f"hidden in two notes, but energy ≤ deposit / public price = {_join(bounds)} Wh",
                                 {"totals": totals, "energy_bound_wh": bounds}),
        "identities": _field("yes", f"pole {_join(sorted({w['pole'] for w in who}))}, its operator's account, "
                             f"the driver's refund key and the enclave are public", who),
        "timing": _field("yes", "open and settlement heights: " + _join(f"{a}→{b}" for a, b in timing), timing),
        "timeouts": _field("yes", f"refund height in escrow_open: {_join(s['refund_height'] for s in sessions)}",
                           [s["refund_height"] for s in sessions]),
        "outcome": _field("yes", _join(s["outcome"] for s in sessions), [s["outcome"] for s in sessions]),
    }


def _shielded_fields(sessions: list[dict]) -> dict:
    if not sessions:
        return {name: _field("no", "no shielded escrow on the ledger") for name in FIELDS}
    sets = [s["funding_candidates"] for s in sessions]
    smallest = min(sets)
    return {
        "linked_transactions": _field("partly" if smallest > 1 else "yes",
                                      f"the escrow_release is visible; its funding is one of {_join(sets)} "
                                      f"earlier shielded transfers (anonymity set)",
                                      [[s["release_txid"]] for s in sessions]),
        "deposit_amount": _field("no", "no public amount on the funding transfer or the release"),
        "payout_amounts": _field("no", "both outputs are note commitments; no public amount"),
        "identities": _field("no", "no addresses: owners are hashes inside commitments; the session id is a "
                             "private input"),
        "timing": _field("partly", f"release height {_join(s['release_height'] for s in sessions)}; "
                         f"the funding time is hidden among the candidates",
                         [s["release_height"] for s in sessions]),
        "timeouts": _field("no", "the refund height is a private input; a release and a refund both publish the "
                           "height of the block that includes them"),
        "outcome": _field("no", "no mode bit: a release and a refund have the same public inputs",
                          [s["outcome"] for s in sessions]),
    }


def _join(values) -> str:
    items = [f"{v:,}" if isinstance(v, int) else str(v) for v in values]
    if len(items) > 4:
        items = items[:4] + [f"… ({len(items)} in all)"]
    return ", ".join(items) if items else "—"


def format_observation(obs: dict) -> str:
    """Readable text: the sessions found and the per-field table."""
    lines = [f"ledger: height {obs['ledger']['height']}, {obs['ledger']['transactions']} transactions "
             f"({', '.join(f'{k} {v}' for k, v in sorted(obs['ledger']['by_kind'].items()))})", ""]
    for s in obs["transparent"]["sessions"]:
        lines.append(f"transparent session {s['session_id'][:12]}…: deposit {s['deposit']:,} at height "
                     f"{s['open_height']} to pole {s['pole_id']}, {s['outcome']} at height {s['payout_height']}, "
                     f"refund height {s['refund_height']}, energy ≤ {s['energy_bound_wh']} Wh")
    for s in obs["shielded"]["sessions"]:
        lines.append(f"shielded escrow note spent by {s['release_txid'][:12]}…: {s['outcome']} at height "
                     f"{s['release_height']}; "
                     f"funding among {s['funding_candidates']} shielded transfers; amounts and parties hidden")
    lines.append("")
    lines.append(table(["what the observer learns", "transparent", "shielded"],
                       [[name.replace("_", " "), _cell(obs["transparent"]["fields"][name]),
                         _cell(obs["shielded"]["fields"][name])] for name in FIELDS]))
    return "\n".join(lines)


def _cell(f: dict) -> str:
    return f"{f['learned'].upper()}: {f['detail']}"


def table(header: list[str], rows: list[list[str]], widths=(26, 52, 52)) -> str:
    """A plain-text table with wrapped cells."""
    import textwrap
    out = []
    sep = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out.append(sep)
    for row, is_header in [(header, True)] + [(r, False) for r in rows]:
        cells = [textwrap.wrap(str(c), w) or [""] for c, w in zip(row, widths)]
        for k in range(max(len(c) for c in cells)):
            out.append("| " + " | ".join((c[k] if k < len(c) else "").ljust(w) for c, w in zip(cells, widths)) + " |")
        if is_header:
            out.append(sep.replace("-", "="))
    out.append(sep)
    return "\n".join(out)

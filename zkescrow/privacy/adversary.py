"""The observer as an adversary: what the public ledger alone lets anyone infer about each session.

It reads what every node serves (accepted transactions with heights, the service
registry, the rejection log) and what the software publishes (packet size, the
escrow refund delay).  For every settlement it finds it states what it infers:

    funding      the transaction that funded the session (and how many were possible)
    car          the account that paid (funder attribution: a shield just before the funding)
    pole         the pole (named by the transaction, or by price arithmetic on the deposit)
    deposit      the amount locked
    energy_wh    the energy paid for (within a packet), from the split and the price
    pole_share   what the pole was paid
    deadline     the refund height

Heuristics: timing windows (funding within the refund delay before the release; the
most recent plausible unclaimed funding wins), ciphertext lengths (``ciphertexts``),
amount and price arithmetic (a deposit that is a whole number of Wh at exactly one
pole's price), just-in-time shields (public account and amount one block before a
funding), deadline rules and the public mode bit, channel opens (a one-time party_a
paid by a transparent transfer names its funder; one paid from notes names nobody),
a signed close's net amount (the split, and the one pole whose price divides it),
channel deposits and nonces.  A
field it cannot infer is None: it claims nothing it did not derive.
"""
from __future__ import annotations

import json

from .ciphertexts import digit_range, likely_digits, rho_digits, value_digits

PACKET_WH = 10
REFUND_DELAY = 11          # escrow: refund height = funding height + 11 (the session's default)
SHIELD_LOOKBACK = 2        # a just-in-time shield lands at most this many blocks before its funding
PACKETS_PER_BLOCK = 5      # charging speed in chain time (learnt from sessions whose energy is public)


def _body(t: dict) -> dict:
    return json.loads(t["body"])["body"]


def observe_ledger(ledger) -> dict:
    """{"sessions": [inference per settlement], "ledger": counts} from ``ledger``'s public data."""
    txs = [dict(t, b=_body(t)) for t in ledger.transactions()]
    services = {s["pole_id"]: s for s in ledger.services()}
    counts: dict[str, int] = {}
    for t in txs:
        counts[t["kind"]] = counts.get(t["kind"], 0) + 1
    sessions = (_transparent(txs, services) + _shielded(txs, services) + _channels(txs, services))
    sessions.sort(key=lambda s: s["settle_height"])
    return {"ledger": {"height": ledger.height, "transactions": len(txs), "by_kind": counts,
                       "rejections": len(ledger.rejections())},
            "sessions": sessions}


def _inference(kind: str, settle: dict) -> dict:
    return {"kind": kind, "settle_txid": settle["txid"], "settle_height": settle["height"], "funding_txid": None,
            "funding_candidates": None, "car": None, "pole": None, "deposit": None, "energy_wh": None,
            "energy_range": None, "pole_share": None, "deadline": None, "outcome": None, "how": {}}


# --- shared arithmetic --------------------------------------------------------------------

def _jit_shield(shields: list, height: int, used: set, digits: set | None = None, amount: int | None = None):
    """The latest unused shield at most SHIELD_LOOKBACK blocks before ``height`` matching the amount/digits."""
    best = None
    for s in shields:
        if not height - SHIELD_LOOKBACK <= s["height"] < height or s["txid"] in used:
            continue
        value = int(s["b"]["amount"])
        if amount is not None and value != amount:
            continue
        if digits is not None and len(str(value)) not in digits:
            continue
        if best is None or s["height"] > best["height"]:
            best = s
    return best


def _pole_by_price(deposit: int, services: dict) -> str | None:
    """The one pole whose price divides the deposit into a whole number of packets' Wh."""
    fits = [pid for pid, s in services.items() if deposit % (s["price_per_wh"] * PACKET_WH) == 0]
    return fits[0] if len(fits) == 1 else None


def _energy(inf: dict, services: dict, pay_ct: str | None, refund_ct: str | None, rho_pay, rho_refund) -> None:
    """Energy from the split: pay = energy · price, pay + refund = deposit, digit counts from ciphertext lengths."""
    if inf["pole"] is None or pay_ct is None:
        return
    price = services[inf["pole"]]["price_per_wh"]
    lo, hi = digit_range(likely_digits(pay_ct, rho_pay))
    if inf["deposit"] is not None and refund_ct is not None:
        r_lo, r_hi = digit_range(likely_digits(refund_ct, rho_refund))
        lo, hi = max(lo, inf["deposit"] - r_hi), min(hi, inf["deposit"] - r_lo)
        hi = min(hi, inf["deposit"])
    step = price * PACKET_WH
    first, last = -(-max(lo, 0) // step), hi // step
    if first > last:
        return
    inf["energy_range"] = [first * PACKET_WH, last * PACKET_WH]
    inf["energy_wh"] = (first + last) // 2 * PACKET_WH
    inf["pole_share"] = inf["energy_wh"] * price
    inf["how"]["energy_wh"] = "ciphertext lengths of the two outputs, deposit and price"


# --- transparent escrow -------------------------------------------------------------------

def _transparent(txs: list, services: dict) -> list:
    opens = {t["b"]["session_id"]: t for t in txs if t["kind"] == "escrow_open"}
    shields = [t for t in txs if t["kind"] == "shield"]
    used: set = set()
    out = []
    for t in txs:
        if t["kind"] != "escrow_payout":
            continue
        inf = _inference("transparent", t)
        inf["session_id"] = t["b"]["session_id"]          # public in transparent mode: the escrow's key
        opened = opens.get(t["b"]["session_id"])
        if opened is not None:
            b = opened["b"]
            inf.update(funding_txid=opened["txid"], funding_candidates=1, pole=b["pole_id"],
                       deposit=-int(b["public_amount"]), deadline=int(b["refund_height"]))
            inf["how"].update(funding="escrow_open and escrow_payout carry the same session id",
                              pole="named in escrow_open", deposit="public amount of escrow_open",
                              deadline="refund height in escrow_open")
            shield = _jit_shield(shields, opened["height"], used, amount=inf["deposit"])
            if shield is not None:
                used.add(shield["txid"])
                inf["car"] = shield["b"]["from"]
                inf["how"]["car"] = "shield of exactly the deposit just before the escrow opened"
            cts = t["b"].get("ciphertexts") or [None, None]
            _energy(inf, services, cts[0], cts[1], rho_digits(None, 0), rho_digits(None, 1))
            inf["outcome"] = "refunded by the driver" if t["b"].get("authority") == "refund" else "settled"
            if t["b"].get("authority") == "refund":
                inf.update(energy_wh=0, pole_share=0, energy_range=[0, 0])
                inf["how"]["energy_wh"] = "authority 'refund': nothing was paid"
        out.append(inf)
    return out


# --- shielded escrow ----------------------------------------------------------------------

def _digits_of(tx: dict) -> list[set]:
    """Likely digit counts of each output value of a transfer (empty sets when lengths say nothing)."""
    return [likely_digits(ct, rho_digits(tx["b"].get("nullifiers"), j)) if ct else set()
            for j, ct in enumerate(tx["b"].get("ciphertexts") or [])]


def _timing_energy(gap: int) -> list[int]:
    """Energy consistent with ``gap`` blocks between funding and release at the chain's charging speed."""
    per_block = PACKETS_PER_BLOCK * PACKET_WH
    return [max(PACKET_WH, (gap - 2) * per_block + PACKET_WH), max(PACKET_WH, (gap - 1) * per_block)]


def _p_digits(ct: str | None, rho: dict, wanted: set) -> float:
    """P(the value in ``ct`` has a digit count in ``wanted``), from the ciphertext's length."""
    if not ct:
        return 0.0
    return sum(p for d, p in value_digits(ct, rho).items() if d in wanted)


def _digit_counts(lo: int, hi: int) -> set:
    return set(range(len(str(max(lo, 0))), len(str(max(hi, 0))) + 1))


def _candidate(c: dict, release: dict, shields: list, used: set, services: dict):
    """(score, shield) of transfer ``c`` as the funding of ``release``: a sum of likelihood terms."""
    score, shield = 0.0, _jit_shield(shields, c["height"], used)
    cts = c["b"].get("ciphertexts") or []
    rhos = [rho_digits(c["b"].get("nullifiers"), j) for j in range(len(cts))]
    gap = release["height"] - c["height"]
    if 1 <= gap <= REFUND_DELAY - 2:
        score += 1                                      # a release must come before the close height
    if shield is None:
        return score, None
    amount = int(shield["b"]["amount"])
    score += 2 if shield["height"] == c["height"] - 1 else 1     # someone shielded just before this transfer
    p_dep = [_p_digits(ct, rho, {len(str(amount))}) for ct, rho in zip(cts, rhos)]
    if p_dep:
        j = max(range(len(p_dep)), key=p_dep.__getitem__)
        score += 3 * p_dep[j]                           # an output of the shielded amount's size ...
        score += 2 * max((_p_digits(ct, rho_digits(None, k), {1}) for k, ct in enumerate(cts) if k != j),
                         default=0.0)                   # ... and a dummy (random ρ): the shield paid in exactly
    pole = _pole_by_price(amount, services)
    pay_ct, refund_ct = (release["b"].get("ciphertexts") or [None, None])[:2]
    if pole and pay_ct and refund_ct:                   # charging time, split and deposit agree
        price = services[pole]["price_per_wh"]
        lo, hi = _timing_energy(gap)
        nf = [release["b"].get("nullifier")]
        score += 3 * _p_digits(pay_ct, rho_digits(nf, 0), _digit_counts(lo * price, hi * price))
        score += 2 * _p_digits(refund_ct, rho_digits(nf, 1), _digit_counts(amount - hi * price, amount - lo * price))
    return score, shield


def _shielded(txs: list, services: dict) -> list:
    transfers = [t for t in txs if t["kind"] == "shielded_transfer" and int(t["b"]["public_amount"]) == 0]
    shields = [t for t in txs if t["kind"] == "shield"]
    claimed, used_shields = set(), set()
    out = []
    for t in (t for t in txs if t["kind"] == "escrow_release"):
        b = t["b"]
        inf = _inference("shielded", t)
        nf = [b["nullifier"]]
        pay_ct, refund_ct = (b.get("ciphertexts") or [None, None])[:2]
        pay_d = likely_digits(pay_ct, rho_digits(nf, 0)) if pay_ct else set()
        refund_d = likely_digits(refund_ct, rho_digits(nf, 1)) if refund_ct else set()
        window = [c for c in transfers if t["height"] - REFUND_DELAY - 1 <= c["height"] < t["height"]]
        inf["funding_candidates"] = len(window)
        scored = [(_candidate(c, t, shields, used_shields, services), c)
                  for c in window if c["txid"] not in claimed]
        if scored:
            (score, shield), best = max(scored, key=lambda item: (item[0][0], item[1]["height"]))
            claimed.add(best["txid"])
            inf["funding_txid"] = best["txid"]
            inf["how"]["funding"] = (f"best-scoring unclaimed shielded transfer within {REFUND_DELAY + 1} blocks "
                                     f"before the release (digit counts, dummy output, a shield just before, "
                                     f"split arithmetic, close-height window)")
            inf["deadline"] = best["height"] + REFUND_DELAY
            inf["how"]["deadline"] = f"funding height + {REFUND_DELAY}"
            if shield is not None:
                used_shields.add(shield["txid"])
                inf.update(car=shield["b"]["from"], deposit=int(shield["b"]["amount"]))
                inf["how"].update(car="the account that shielded just before the funding",
                                  deposit="amount of that shield")
        if "mode" in b:
            inf["outcome"] = "refunded (public mode bit)" if int(b["mode"]) == 1 else "released (public mode bit)"
        if int(b.get("mode", 0)) == 1:
            inf.update(deadline=int(b["height"]), energy_wh=0, pole_share=0, energy_range=[0, 0])
            inf["how"].update(deadline="a refund proves the deadline height", energy_wh="mode bit: refund")
        if inf["deposit"] is not None:
            inf["pole"] = _pole_by_price(inf["deposit"], services)
            if inf["pole"]:
                inf["how"]["pole"] = "the deposit is a whole number of packets at this pole's price only"
        if inf["energy_wh"] is None:
            _energy(inf, services, pay_ct, refund_ct, rho_digits(nf, 0), rho_digits(nf, 1))
        if inf["energy_wh"] is None and inf["funding_txid"] and inf["pole"]:
            gap = t["height"] - next(c["height"] for c in window if c["txid"] == inf["funding_txid"])
            lo, hi = _timing_energy(gap)
            price = services[inf["pole"]]["price_per_wh"]
            inf.update(energy_range=[lo, hi], energy_wh=(lo + hi) // 2 // PACKET_WH * PACKET_WH)
            inf["pole_share"] = inf["energy_wh"] * price
            inf["how"]["energy_wh"] = f"blocks from funding to release at {PACKETS_PER_BLOCK} packets per block"
        out.append(inf)
    return out


# --- channels -----------------------------------------------------------------------------

OPEN_KINDS = ("channel_open", "channel_open_from_notes")


def _channels(txs: list, services: dict) -> list:
    opens = {t["b"]["channel_id"]: t for t in txs if t["kind"] in OPEN_KINDS}
    by_operator = {s["operator"]: pid for pid, s in services.items()}
    funders = {t["b"]["to"]: t["b"]["from"] for t in txs if t["kind"] == "transfer"}
    out = []
    for t in txs:
        if t["kind"] not in ("channel_cooperative_close", "channel_settle"):
            continue
        opened = opens.get(t["b"]["channel_id"])
        if opened is None:
            continue
        b = opened["b"]
        inf = _inference("shielded-channel" if b.get("shielded") else "signed-channel", t)
        inf.update(funding_txid=opened["txid"], funding_candidates=1, deposit=int(b["deposit_a"]))
        inf["how"].update(funding="the open and the close carry the channel id", deposit="deposit_a of the open")
        _channel_car(inf, opened, funders)
        if b["party_b"] in by_operator:
            inf["pole"] = by_operator[b["party_b"]]
            inf["how"]["pole"] = "party_b of channel_open is the pole operator's registered account"
        _channel_split(inf, t["b"], services)
        inf["outcome"] = "settled"
        if inf["energy_wh"] is not None:
            inf["energy_range"] = [inf["energy_wh"], inf["energy_wh"]]
        out.append(inf)
    return out


def _channel_car(inf: dict, opened: dict, funders: dict) -> None:
    """A plain open is paid from party_a's account: party_a, or whoever moved the deposit there in the clear."""
    if opened["kind"] != "channel_open":
        return                                       # paid from notes: no account pays it
    party_a = opened["b"]["party_a"]
    inf["car"] = funders.get(party_a, party_a)
    inf["how"]["car"] = ("the transparent transfer that funded party_a of channel_open" if party_a in funders
                         else "party_a of channel_open")


def _channel_split(inf: dict, close: dict, services: dict) -> None:
    """The split from the close (counters, or a signed close's net), the pole by price arithmetic on it."""
    a_state = (close.get("states") or {}).get("a") or {}
    net = (close.get("settle") or {}).get("net")
    if a_state.get("transferred") is not None:
        inf["pole_share"] = int(a_state["transferred"])
        inf["how"]["pole_share"] = "A's transferred amount in the close"
    elif net is not None:
        inf["pole_share"] = int(net)
        inf["how"]["pole_share"] = "the net amount A paid B in the signed close"
    if inf["pole"] is None and inf["pole_share"]:
        fits = [pid for pid, s in services.items() if inf["pole_share"] % (s["price_per_wh"] * PACKET_WH) == 0]
        if len(fits) == 1:
            inf["pole"] = fits[0]
            inf["how"]["pole"] = "the only pole whose packet price divides the split"
    price = services[inf["pole"]]["price_per_wh"] if inf["pole"] else None
    if not price:
        return
    if inf["pole_share"] is not None:
        inf["energy_wh"] = inf["pole_share"] // price
        inf["how"]["energy_wh"] = "the split ÷ the pole's price"
    elif a_state.get("nonce") is not None:
        inf["energy_wh"] = int(a_state["nonce"]) * PACKET_WH
        inf["pole_share"] = inf["energy_wh"] * price
        inf["how"]["energy_wh"] = "A's nonce in the close counts one update per packet"
    elif inf["deposit"] % (price * PACKET_WH) == 0:
        inf["energy_wh"] = (inf["deposit"] // (price * PACKET_WH) - 1) * PACKET_WH
        inf["pole_share"] = inf["energy_wh"] * price
        inf["how"]["energy_wh"] = "deposit = price × (packets + 1)"

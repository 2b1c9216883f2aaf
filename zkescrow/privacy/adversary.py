"""The observer as an adversary: what the public ledger alone lets anyone infer about each session.

It reads what every node serves (accepted transactions with heights, the service
registry, the rejection log) and what the software publishes (packet size, the
escrow refund delays and settlement policies).  For every settlement it finds it states what it infers:

    funding      the transaction that funded the session (and how many were possible)
    car          the account that paid (funder attribution: a shield just before the funding)
    pole         the pole (named by the transaction, or by price arithmetic on the deposit)
    deposit      the amount locked
    energy_wh    the energy paid for (within a packet), from the split and the price
    pole_share   what the pole was paid
    deadline     the refund height

Heuristics: global timing analysis (``linking``: every shielded release matched to a
distinct funding by maximum likelihood under the public settlement policies; the
charging time, hence the energy, and the deadline from the matched heights),
ciphertext lengths (``ciphertexts``), amount and price arithmetic (a deposit that is a
whole number of Wh at exactly one pole's price; the amount prefunding wallets shield
again and again), just-in-time shields (public account and amount just before a
funding), channel opens (a one-time party_a paid by a transparent transfer names its
funder; one paid from notes, or by an unshield, names nobody), a signed close's net
amount (the split, and the one pole whose price divides it), channel deposits and
nonces.  A field it cannot infer is None: it claims nothing it did not derive.
"""
from __future__ import annotations

import json

from .ciphertexts import digit_range, likely_digits, rho_digits

PACKET_WH = 10
SHIELD_LOOKBACK = 2        # a just-in-time shield lands at most this many blocks before its funding
PACKETS_PER_BLOCK = 5      # charging speed in chain time (learnt from sessions whose energy is public)
JIT_WEIGHT = 4.0           # a transfer right after a shield is this much likelier to be a funding


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

def _prefund_amount(shields: list) -> int | None:
    """The standard deposit, as prefunding wallets show it: the amount some account shields most often
    (several notes of one amount from one account), or None when no account repeats an amount."""
    counts: dict[tuple, int] = {}
    for s in shields:
        key = (s["b"]["from"], int(s["b"]["amount"]))
        counts[key] = counts.get(key, 0) + 1
    repeated: dict[int, int] = {}
    for (_, amount), k in counts.items():
        if k > 1:
            repeated[amount] = repeated.get(amount, 0) + k
    return max(repeated, key=repeated.get) if repeated else None


def _shielded(txs: list, services: dict) -> list:
    """Releases matched to fundings by a global maximum-likelihood assignment on timing (``linking``)."""
    from .linking import best_assignment, candidates, posterior_charge, posterior_deadline
    transfers = [t for t in txs if t["kind"] == "shielded_transfer" and int(t["b"]["public_amount"]) == 0]
    shields = [t for t in txs if t["kind"] == "shield"]
    releases = [t for t in txs if t["kind"] == "escrow_release"]
    jit = [_jit_shield(shields, f["height"], set()) is not None for f in transfers]
    model, matched = best_assignment(releases, transfers, weights=[JIT_WEIGHT if j else 1.0 for j in jit])
    standard = _prefund_amount(shields)
    used_shields: set = set()
    out = []
    for t, j in zip(releases, matched):
        inf = _inference("shielded", t)
        inf["funding_candidates"] = len(candidates(t["height"], transfers, model.max_gap))
        if j is not None:
            funding = transfers[j]
            gap = t["height"] - funding["height"]
            inf["funding_txid"] = funding["txid"]
            inf["how"]["funding"] = (f"maximum-likelihood assignment of every release to a distinct shielded "
                                     f"transfer of the {model.max_gap} blocks before it, gaps as the "
                                     f"'{model.policy}' settlement policy makes them")
            inf["deadline"] = posterior_deadline(funding["height"], t["height"], model)
            inf["how"]["deadline"] = "most likely refund height given funding and release heights"
            post = posterior_charge(gap, model)
            if post:
                blocks = max(post, key=post.get)
                lo = blocks * PACKETS_PER_BLOCK * PACKET_WH                 # a block passes every 5 packets
                hi = lo + (PACKETS_PER_BLOCK - 1) * PACKET_WH
                inf.update(energy_range=[lo, hi], energy_wh=(lo + hi) // 2 // PACKET_WH * PACKET_WH)
                inf["how"]["energy_wh"] = (f"most likely charging time ({blocks} blocks, P = {post[blocks]:.2f}) "
                                           f"at {PACKETS_PER_BLOCK} packets per block")
            shield = _jit_shield(shields, funding["height"], used_shields)
            if shield is not None:
                used_shields.add(shield["txid"])
                inf.update(car=shield["b"]["from"], deposit=int(shield["b"]["amount"]))
                inf["how"].update(car="the account that shielded just before the funding",
                                  deposit="amount of that shield")
        if inf["deposit"] is None and standard is not None:
            inf["deposit"] = standard
            inf["how"]["deposit"] = "the amount prefunding accounts shield again and again"
        if inf["deposit"] is not None:
            inf["pole"] = _pole_by_price(inf["deposit"], services)
            if inf["pole"]:
                inf["how"]["pole"] = "the deposit is a whole number of packets at this pole's price only"
        if inf["pole"] and inf["energy_wh"] is not None:
            inf["pole_share"] = inf["energy_wh"] * services[inf["pole"]]["price_per_wh"]
        out.append(inf)
    return out


# --- channels -----------------------------------------------------------------------------

OPEN_KINDS = ("channel_open", "channel_open_from_notes")


def _channels(txs: list, services: dict) -> list:
    opens = {t["b"]["channel_id"]: t for t in txs if t["kind"] in OPEN_KINDS}
    by_operator = {s["operator"]: pid for pid, s in services.items()}
    funders = {t["b"]["to"]: t["b"]["from"] for t in txs if t["kind"] == "transfer"}
    funders.update({t["b"]["recipient"]: None for t in txs
                    if t["kind"] == "shielded_transfer" and t["b"].get("recipient")})     # paid from the pool
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
    if party_a in funders and funders[party_a] is None:
        inf["how"]["car"] = "party_a of channel_open was paid by an unshield: no account"
        return
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

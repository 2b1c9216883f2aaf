"""The streaming demo: a car charges at a pole and pays per 10 Wh packet over a payment channel.

``run_channel_demo(data_dir, *, v2g, price_signal_path, out)`` builds a fresh
ledger in ``DATA_DIR/channel-demo`` (keys cached in ``DATA_DIR/keys``), opens a
channel from the car to the pole, streams packets in lock-step with payments
(the controller never lets either side's exposure pass one packet), follows the
grid's signed price signals (``--price-signal FILE``: a JSON list of
{"at_packet", "price_per_wh", "direction"}), reverses the energy direction for
vehicle-to-grid (``v2g``), closes cooperatively and settles on the ledger.  It
prints one live progress line (packets, Wh, paid, exposure) and returns a summary.
"""
from __future__ import annotations

import math
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from nacl.signing import SigningKey

from zkescrow.errors import SafetyViolation, TransactionRejected

from .controller import StreamController
from .funding import DENOMINATIONS, deposit_for
from .pricing import CHARGE, FEED_IN, PriceSignal, load_schedule
from .proofs import address_of
from .session import Party, signal_message
from .state import Channel

PACKET_WH = 10
PRICE_PER_WH = 500                   # µEUR per Wh (€0.50/kWh), protocols.md §8
FEED_IN_PER_WH = 400
SECONDS_PER_PACKET = 3               # 10 Wh at 11 kW AC ≈ 3.27 s
MAX_PRICE_PER_WH = (2**32 - 1) // PACKET_WH      # a packet's price fits the channel circuits' 32-bit price


def default_schedule(packets: int, v2g: bool) -> list[dict]:
    schedule = [{"at_packet": 0, "price_per_wh": PRICE_PER_WH, "direction": CHARGE}]
    if v2g:
        schedule.append({"at_packet": packets * 3 // 5, "price_per_wh": FEED_IN_PER_WH, "direction": FEED_IN})
    return schedule


@dataclass
class _Demo:
    """What the demo set up: the ledger, its keys, the channel's terms, the parties and their wallets."""

    ledger: object
    keys: object
    terms: object
    parties: dict
    wallets: dict
    car: str
    pole: str


def run_channel_demo(data_dir, *, v2g: bool = False, price_signal_path=None, out=None, shielded: bool = False,
                     packets: int = 40, proof_every: int = 10, pay_ahead: bool = False) -> dict:
    """Stream a charging session over a channel and settle it; prints progress to ``out``; returns a summary.

    The first three keyword arguments are the stable interface (``zkescrow demo --channel``);
    the rest have defaults.
    """
    out = out or sys.stdout
    started = time.perf_counter()
    data_dir = Path(data_dir)
    ledger_dir = data_dir / "channel-demo"
    schedule = (load_schedule(price_signal_path, max_price_per_wh=MAX_PRICE_PER_WH, packets=packets)
                if price_signal_path else default_schedule(packets, v2g))
    if ledger_dir.exists():
        shutil.rmtree(ledger_dir)                # the demo's own ledger, rebuilt each run
    grid_key = SigningKey.generate()
    demo = _open(data_dir, ledger_dir, schedule, packets, address_of(grid_key), out, shielded=shielded,
                 proof_every=proof_every, pay_ahead=pay_ahead)
    stats = _stream(demo.parties, schedule, grid_key, packets, out)
    summary = _settle(demo, stats, out, started, shielded=shielded, pay_ahead=pay_ahead)
    demo.ledger.close()
    return summary


def _open(data_dir: Path, ledger_dir: Path, schedule: list[dict], packets: int, grid: str, out, *,
          shielded: bool, proof_every: int, pay_ahead: bool) -> _Demo:
    """A fresh ledger with the channel extension, and the car's channel to the pole opened on it."""
    from zkescrow.ledger.keys import WalletKeys
    from zkescrow.ledger.ledger import Ledger
    from zkescrow.ledger.proofs import CircuitKeys

    from . import api

    car_key, pole_key = SigningKey.generate(), SigningKey.generate()     # long-term: the accounts
    wallets = {"car": WalletKeys.generate(), "pole": WalletKeys.generate()}     # where shielded payouts go
    keys = CircuitKeys(data_dir / "keys", 4, log=lambda m: print(f"  {m}", file=out)) if shielded else None
    max_price = max(e["price_per_wh"] for e in schedule) * PACKET_WH
    # deposits from the denomination set: they cover the session, they do not spell price × packets
    deposit_a = deposit_for(max_price * packets + max_price)
    deposit_b = deposit_for(max_price * packets // 2) if any(e["direction"] == FEED_IN for e in schedule) else 0
    # shielded and car-funded: one-time channel keys, the car's deposit from its notes (the pole's deposit of a
    # vehicle-to-grid channel comes from its account, so that channel opens with the long-term keys)
    one_time = shielded and not deposit_b
    car, pole = (wallets["car"].address if one_time else address_of(car_key)), address_of(pole_key)
    ledger = Ledger.create(ledger_dir, {car: max(1_000_000, deposit_a), pole: max(500_000, deposit_b)}, depth=4,
                           keys=keys, extensions=("channel",), denominations=DENOMINATIONS)   # one set: the channel's
    unit = PACKET_WH * math.gcd(*[e["price_per_wh"] for e in schedule])
    if one_time:
        terms, car_key, pole_key = _open_one_time(ledger, keys, wallets, deposit_a, unit)
    else:
        terms = api.new_channel(car_key, pole, ledger.nonce(car), deposit_a, deposit_b, challenge_period=5,
                                shielded=shielded, unit=unit, owner_a=wallets["car"].owner,
                                owner_b=wallets["pole"].owner, chain_id=ledger.chain_id)
        ledger.submit(api.open_transaction(terms, car_key, ledger.nonce(car), pole_key))
    opened = ledger.commit_block()
    if opened.rejected:
        from zkescrow.errors import Refused
        raise Refused(f"the ledger refused to open the demo's channel: {opened.rejected[0][1]}")
    kind = "shielded (Pedersen-committed)" if shielded else "signed (Ed25519)"
    print(f"channel {terms.channel_id[:16]}… {kind}: car deposit {deposit_a:,} µEUR, pole deposit "
          f"{deposit_b:,} µEUR, block {opened.height}", file=out)
    parties = {
        "car": Party(Channel(terms, car_key, prover=keys, proof_every=proof_every, one_time=one_time),
                     StreamController(True, grid_key=grid, packet_wh=PACKET_WH, pay_ahead=pay_ahead)),
        "pole": Party(Channel(terms, pole_key, prover=keys, proof_every=proof_every, one_time=one_time),
                      StreamController(False, grid_key=grid, packet_wh=PACKET_WH, pay_ahead=pay_ahead)),
    }
    return _Demo(ledger, keys, terms, parties, wallets, car, pole)


def _open_one_time(ledger, keys, wallets: dict, deposit_a: int, unit: int):
    """A shielded channel between one-time keys (the seed's one-time identities), the car's denominated deposit
    shielded first and then funded from its notes: the open names neither long-term account.
    Returns (terms, car's channel key, pole's channel key); the open is submitted, not committed."""
    import secrets

    from zkescrow.ledger.wallet import Wallet

    from . import api
    from .funding import open_from_notes_transaction
    from .terms import ChannelTerms
    wallet = Wallet(wallets["car"], ledger, keys)
    ledger.submit(wallet.shield(deposit_a))
    ledger.commit_block()
    wallet.scan()
    car_key, pole_key = api.one_time_key(), api.one_time_key()
    open_nonce = secrets.randbits(62)
    terms = ChannelTerms.new(address_of(car_key), address_of(pole_key), open_nonce, deposit_a, challenge_period=5,
                             shielded=True, unit=unit, owner_a=wallets["car"].owner, owner_b=wallets["pole"].owner,
                             chain_id=ledger.chain_id)
    ledger.submit(open_from_notes_transaction(terms, open_nonce, wallet, pole_key))
    return terms, car_key, pole_key


def _settle(demo: _Demo, stats: dict, out, started: float, *, shielded: bool, pay_ahead: bool) -> dict:
    """Close cooperatively, settle on the ledger, print the outcome; the demo's summary."""
    from . import api
    from .transactions import channel_record, locked_in_channels

    ledger, keys, terms, car, pole = demo.ledger, demo.keys, demo.terms, demo.car, demo.pole
    car_party, pole_party = demo.parties["car"], demo.parties["pole"]
    verified = pole_party.channel.verify_backlog() + car_party.channel.verify_backlog() if shielded else 0
    before = {"car": ledger.balance(car), "pole": ledger.balance(pole)}
    notes_before = len(ledger.commitments())
    recipients = tuple(demo.wallets[w].payment_address.viewing_public for w in ("car", "pole"))
    txs = api.settle(car_party.channel, ledger=ledger,
                     peer_signature=api.closing_signature(pole_party.channel, ledger),
                     prover=keys, recipients=recipients)
    for tx in txs:
        ledger.submit(tx)
    closed = ledger.commit_block()
    if closed.rejected:
        raise TransactionRejected(f"settlement rejected: {closed.rejected[0][1]}")
    record = channel_record(ledger, terms.channel_id)
    balance_b = car_party.channel.balance
    summary = {
        **stats, "channel_id": terms.channel_id, "shielded": shielded, "pay_ahead": pay_ahead,
        "deposit_a": terms.deposit_a, "deposit_b": terms.deposit_b,
        "balance_b": balance_b, "paid_car_to_pole": car_party.controller.paid_out,
        "paid_pole_to_car": pole_party.controller.paid_out, "step_proofs_verified": verified,
        "settled_height": closed.height, "status": record["status"], "ledger_before": before,
        "ledger_after": {"car": ledger.balance(car), "pole": ledger.balance(pole)},
        "settlement_notes": [str(c) for _, c, _ in ledger.commitments(notes_before)],
        "ledger_value": ledger.total_value(), "locked_in_channels": locked_in_channels(ledger),
        "seconds": round(time.perf_counter() - started, 2),
    }
    print(f"closed cooperatively in block {closed.height}: pole's share {balance_b:,} µEUR of "
          f"{terms.total:,}{' (known to car and pole only)' if shielded else ''} ({len(txs)} tx, "
          f"{closed.proofs_verified} proofs checked by the ledger)", file=out)
    if shielded:
        _report_wallets(demo, summary, verified, out)
    else:
        print(f"  ledger balances: car {before['car']:,} → {summary['ledger_after']['car']:,}, pole "
              f"{before['pole']:,} → {summary['ledger_after']['pole']:,}", file=out)
    return summary


def _report_wallets(demo: _Demo, summary: dict, verified: int, out) -> None:
    """Scan the settlement notes into each party's wallet and print what they found."""
    from zkescrow.ledger.wallet import Wallet
    found = {}
    for name, wallet_keys in demo.wallets.items():
        wallet = Wallet(wallet_keys, demo.ledger, demo.keys)
        wallet.scan()
        found[name] = wallet.balance()
    summary["wallet_balances"] = found
    print(f"  ledger saw commitments only; settled into notes {summary['settlement_notes'][0][:12]}… "
          f"(car) and {summary['settlement_notes'][1][:12]}… (pole); {verified} step proofs batch-verified "
          f"off-ledger", file=out)
    print(f"  wallets scanned the ledger: car's notes {found['car']:,} µEUR, pole's notes {found['pole']:,} µEUR",
          file=out)


def _stream(parties: dict, schedule: list[dict], grid_key: SigningKey, packets: int, out) -> dict:
    """Run the packet/payment loop over a lossless in-process transport; returns counters and peaks."""
    grid = address_of(grid_key)
    queues = {"car": [], "pole": []}
    pending = list(schedule)
    now = seq = released = max_exposure = printed = 0
    last = ""
    tty = hasattr(out, "isatty") and out.isatty()
    direction = CHARGE

    def send(sender, messages):
        queues["pole" if sender == "car" else "car"].extend(messages)

    while True:
        released = parties["car"].controller.released + parties["pole"].controller.released
        while pending and pending[0]["at_packet"] <= released:
            entry = pending.pop(0)
            seq += 1
            direction = entry["direction"]
            signal = PriceSignal(grid, seq, entry["price_per_wh"], direction, now, now + 3600).signed(grid_key)
            for name in ("car", "pole"):
                queues[name].append(signal_message(signal))
        if released >= packets:
            for party in parties.values():
                party.controller.stop()
        moved = False
        for name, party in parties.items():
            while queues[name]:
                send(name, party.handle(queues[name].pop(0), now))
                moved = True
        for name, party in parties.items():
            sent = party.poll(now)
            moved |= bool(sent)
            send(name, sent)
        exposure = max(p.controller.exposure for p in parties.values())
        max_exposure = max(max_exposure, exposure)
        car, pole = parties["car"].controller, parties["pole"].controller
        line = (f"packets {released:>4}/{packets}  {car.wh_metered:>6,} Wh charged  {car.wh_supplied:>6,} Wh fed back  "
                f"car paid {car.paid_out:>9,} µEUR  pole paid {pole.paid_out:>9,} µEUR  exposure {exposure:>6,} µEUR  "
                f"{'charge' if direction == CHARGE else 'feed-in'} @ {car.price // PACKET_WH if car.price else 0}"
                f" µEUR/Wh")
        if tty:
            print("\r" + line, end="", file=out, flush=True)
        elif released and released % 10 == 0 and released != printed:
            print(line, file=out)
            printed, last = released, line
        now += SECONDS_PER_PACKET
        if not moved and not any(queues.values()):
            break
    if tty or line != last:
        print(("\n" if tty else "") + line, file=out)
    rejected = [r for p in parties.values() for r in p.rejected]
    if rejected:
        raise SafetyViolation(f"a message was refused during the demo: {rejected[0]}")
    return {"packets": released, "wh_charged": parties["car"].controller.wh_metered,
            "wh_fed_back": parties["pole"].controller.wh_metered, "max_exposure": max_exposure,
            "packet_price_max": max(e["price_per_wh"] for e in schedule) * PACKET_WH}

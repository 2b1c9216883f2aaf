"""The EV-charging demo: full sessions in each escrow mode on one embedded ledger, and the report.

``run_demo`` builds a fresh ledger in ``DATA_DIR/ledger`` (circuit keys cached in
``DATA_DIR/keys``), launches and registers the escrow enclave, lets the driver pre-fund
notes of its standard deposit (a denomination covering ``DEPOSIT_WH`` at the highest
price it accepts, whichever pole it picks later), registers two poles, and runs
``sessions`` charging sessions per mode with real Groth16 proofs, each with a refund
deadline the driver draws at random (``EscrowWorld.draw_refund_height``).  The report
per mode holds the energy and money moved, the proofs made and their times, the
transaction bytes, total value before and after, the verified attestation, and — when
an ``observe`` function is given (the CLI passes the privacy adversary's summary) —
what an observer inferred from the ledger; with several modes, ``comparison`` puts
them side by side.  The pole forwards its first session's earnings to its operator on
its own schedule (``forwarding``), not in the block after it was paid.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path

from zkescrow.ledger.proofs import CircuitKeys

from .forwarding import EarningsForwarder
from .modes import MODES
from .scenarios import Faults, run_session
from .session import standard_deposit
from .world import EscrowWorld, MeteredKeys

DEMO_MARKER = "MADE_BY_ZKESCROW_DEMO"
PRICE_PER_WH = 500            # base units (µEUR) per Wh: €0.50/kWh
PACKET_WH = 10
DEPOSIT_WH = 300              # each deposit covers 300 Wh ...
MAX_PRICE_PER_WH = 1000       # ... at any price the driver accepts: its standard deposit names no pole's price
DRIVER_FUNDS = 100_000_000
#: ``--fault`` names: what goes wrong in the first session of each mode.
FAULTS = {
    "none": Faults(),
    "pole-stops": Faults(pole_stops_after=5),
    "car-stops": Faults(car_stops_after=5),
    "forged-reading": Faults(forged_reading_at=6),
    "backwards-reading": Faults(backwards_reading_at=6),
    "enclave-crash": Faults(enclave_crash_at=8),
    "enclave-gone": Faults(enclave_silent_after=8),
    "over-release": Faults(over_release=True),
    "double-release": Faults(double_release=True),
}


def prepare_data_dir(data_dir: Path) -> Path:
    """The demo's ledger directory, emptied; refuses to replace a ledger the demo did not make."""
    ledger_dir = data_dir / "ledger"
    if (ledger_dir / "ledger.sqlite").exists() and not (ledger_dir / DEMO_MARKER).exists():
        from zkescrow.errors import MalformedInput
        raise MalformedInput(f"{ledger_dir} holds a ledger the demo did not make; use another --data-dir")
    for sub in ("ledger", "platform"):
        shutil.rmtree(data_dir / sub, ignore_errors=True)
    ledger_dir.mkdir(parents=True)
    (ledger_dir / DEMO_MARKER).write_text("this ledger is replaced by the next `zkescrow demo`\n")
    return ledger_dir


def run_demo(data_dir: str | Path = "zkescrow-data", *, modes=MODES, sessions: int = 1, depth: int = 20,
             keys=None, log=print, onward: bool = True, save_wallets: bool = False, fault: str = "none",
             observe=None) -> dict:
    """Run the demo (see the module docstring); returns the report (one mode: its run; several: runs + comparison).

    ``save_wallets`` writes the participants' key files to ``DATA_DIR/wallets`` (mode 0600) so that
    ``zkescrow wallet …`` can go on from where the demo stopped.  ``fault`` (a name in ``FAULTS``)
    makes the first session of each mode go wrong that way.
    """
    data_dir = Path(data_dir)
    start = time.perf_counter()

    def say(message: str) -> None:
        log(f"[{time.perf_counter() - start:7.1f}s] {message}")

    prepare_data_dir(data_dir)
    metered = MeteredKeys(keys if keys is not None else _circuit_keys(data_dir, depth, say))
    world, deposit = _demo_world(data_dir, metered, depth, say, save_wallets, prefund=sessions * len(modes))
    car = world.car("driver")
    choice = car.discover(MAX_PRICE_PER_WH)[0]
    say(f"car discovers {len(car.discover())} poles and picks {choice['pole_id']} "
        f"({choice['price_per_wh']} per Wh, {choice['sessions']} settled sessions)")
    attestation = car.verify_enclave(world.host)
    say(f"car verifies the enclave quote: MRENCLAVE {attestation['measurement'][:16]}…, TCB level "
        f"{attestation['tcb_level']}, not debug, registered on the ledger")
    pole = world.poles[choice["pole_id"]]
    car.wallet.scan()

    runs = []
    for mode in modes:
        say(f"=== {mode} escrow: {sessions} session(s) ===")
        mark, before = metered.snapshot(), world.ledger.total_value()
        results = _run_mode(world, car, pole, mode, sessions, deposit, fault, onward, say)
        after = world.ledger.total_value()
        runs.append(_mode_report(mode, results, metered.since(mark), before, after, attestation, depth))
    if observe is not None:
        observation = observe(world.ledger)
        for run in runs:
            run["observer"] = observation[run["mode"]]["fields"]
    world.ledger.verify_chain()
    say(f"done: {world.ledger.height} blocks, chain verified, total value {world.ledger.total_value()['total']:,}")
    world.ledger.close()
    if len(runs) == 1:
        return runs[0]
    return {"runs": runs, "comparison": comparison(runs)}


def _circuit_keys(data_dir: Path, depth: int, say) -> CircuitKeys:
    keys = CircuitKeys(data_dir / "keys", depth, log=say)
    for name in ("deposit", "transfer", "escrow_release"):
        t = time.perf_counter()
        keys.proving_key(name)
        say(f"circuit keys: {name} (depth {depth}) ready in {time.perf_counter() - t:.1f}s")
    return keys


def _demo_world(data_dir: Path, metered: MeteredKeys, depth: int, say, save_wallets: bool, *,
                prefund: int) -> tuple[EscrowWorld, int]:
    """A fresh ledger with the enclave registered, a driver that pre-funded ``prefund`` standard deposits
    before any pole registered, two poles, and (optionally) everyone's wallet files saved; and the deposit."""
    say(f"ledger in {data_dir / 'ledger'} (Merkle depth {depth}); launching the escrow enclave")
    world = EscrowWorld.create(data_dir, metered, depth=depth,
                               funds={"driver": DRIVER_FUNDS, "operator": 0, "operator-2": 0},
                               log=lambda m: say(m), packet_wh=PACKET_WH)
    if not world.enclave_registered:
        from zkescrow.errors import TransactionRejected
        raise TransactionRejected("the ledger rejected the genuine escrow enclave")
    deposit = standard_deposit(world.ledger, DEPOSIT_WH, MAX_PRICE_PER_WH)
    world.mine(*world.car("driver").wallet.prefund([deposit] * prefund),
               label=f"driver pre-funds {prefund} standard deposit note(s) of {deposit:,}")
    world.add_pole("pole-berlin-01", "operator", PRICE_PER_WH)
    world.add_pole("pole-berlin-02", "operator-2", PRICE_PER_WH + 50)
    if save_wallets:
        wallets = data_dir / "wallets"
        wallets.mkdir(parents=True, exist_ok=True)
        named = dict(world.people, **{pole_id: p.keys for pole_id, p in world.poles.items()})
        for name, person in named.items():
            person.save(wallets / f"{name}.json")
        say(f"wallets of {', '.join(sorted(named))} saved in {wallets} (readable by you only)")
    return world, deposit


def _run_mode(world, car, pole, mode, sessions, deposit, fault, onward, say) -> list:
    """``sessions`` sessions in ``mode`` (the first one with ``fault``); the pole forwards its first earnings."""
    results = []
    forwarder = EarningsForwarder("batched")
    for k in range(sessions):
        target = [200, 120, 260, 80][k % 4]
        faults = FAULTS[fault] if k == 0 else None
        results.append(run_session(world, car, pole, mode, deposit=deposit, target_wh=target, faults=faults))
        r = results[-1]
        if not world.host.running:
            say(f"the operator relaunches the escrow enclave (sealed state, counter {world.restart_enclave()})")
        say(f"session {k + 1}: {r.energy_wh} Wh, pole paid {r.paid:,}, driver refunded {r.refunded:,} ({r.outcome})")
        if onward and k == 0:
            forwarder.earned(pole.pole_id, r.paid, world.ledger.height)
    if onward and results:
        _forward_earnings(world, pole, forwarder, results[-1])
    return results


def _forward_earnings(world, pole, forwarder, record) -> None:
    """The pole forwards what it earned to its operator on its own schedule, not right after a settlement."""
    while forwarder.pending():
        due = forwarder.due(world.ledger.height + 1)
        if not due:
            world.ledger.commit_block()
            continue
        pole.wallet.scan()
        amount = min(due[0][1], sum(n.note.value for n in pole.wallet.notes()[:2]))   # one spend: two notes
        tx = pole.wallet.send(pole.operator.payment_address, amount)
        world.mine(tx, label=f"pole forwards its earnings ({amount:,}) to its operator on its own schedule")
        record.transactions.append({"label": "pole forwards earnings", "txid": tx.txid, "kind": tx.kind,
                                    "size": tx.size, "height": world.ledger.height})


def _mode_report(mode, results, proofs, before, after, attestation, depth) -> dict:
    txs = [t for r in results for t in r.transactions]
    return {
        "mode": mode, "sessions": len(results), "depth": depth,
        "energy_wh": sum(r.energy_wh for r in results),
        "paid": sum(r.paid for r in results),
        "refunded": sum(r.refunded for r in results),
        "proofs": proofs,
        "transactions": {"count": len(txs), "bytes": sum(t["size"] for t in txs),
                         "by_kind": _count(t["kind"] for t in txs)},
        "conservation": {"before": before["total"], "after": after["total"], "holdings_after": after},
        "attestation": {"verified": True, **attestation},
        "session_results": [r.to_dict() for r in results],
    }


def _count(items) -> dict:
    out: dict = {}
    for x in items:
        out[x] = out.get(x, 0) + 1
    return out


def comparison(runs: list[dict]) -> dict:
    """Per row, each mode's value: what the observer learned, then the costs."""
    rows = {}
    for name in (runs[0].get("observer") or {}):
        rows[name] = {r["mode"]: {"learned": r["observer"][name]["learned"], "detail": r["observer"][name]["detail"]}
                      for r in runs}
    rows["proofs_made"] = {r["mode"]: r["proofs"]["count"] for r in runs}
    rows["prove_seconds"] = {r["mode"]: r["proofs"]["prove_s"] for r in runs}
    rows["verify_seconds"] = {r["mode"]: r["proofs"]["verify_s"] for r in runs}
    rows["transaction_bytes"] = {r["mode"]: r["transactions"]["bytes"] for r in runs}
    rows["value_conserved"] = {r["mode"]: r["conservation"]["before"] == r["conservation"]["after"] for r in runs}
    return rows


def format_comparison(report: dict) -> str:
    runs = report["runs"] if "runs" in report else [report]
    comp = report.get("comparison") or comparison(runs)
    modes = [r["mode"] for r in runs]
    rows = []
    for name, per_mode in comp.items():
        cells = []
        for m in modes:
            v = per_mode[m]
            if isinstance(v, dict):
                cells.append(f"{v['learned'].upper()}: {v['detail']}")
            elif isinstance(v, float):
                cells.append(f"{v:.1f}")
            elif isinstance(v, bool):
                cells.append("yes" if v else "NO")
            elif isinstance(v, int):
                cells.append(f"{v:,}")
            else:
                cells.append(str(v))
        rows.append([name.replace("_", " "), *cells])
    widths = (22,) + (54,) * len(modes)
    return table(["", *modes], rows, widths=widths)


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

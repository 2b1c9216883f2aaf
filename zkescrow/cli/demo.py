"""``zkescrow demo``: EV-charging sessions in both escrow modes on an embedded ledger, with a side-by-side report."""
from __future__ import annotations

import json
from pathlib import Path

import click

REPORT_NAME = "demo-report.json"


def channel_demo_available() -> bool:
    """True when the payment-channel demo module exists (it is imported only when asked for)."""
    import importlib.util
    try:
        return importlib.util.find_spec("zkescrow.channel.demo") is not None
    except ImportError:
        return False


def channel_options(command):
    """``--channel``, ``--v2g`` and ``--price-signal``: only when the payment-channel demo is part of this build."""
    if not channel_demo_available():
        return command
    for option in reversed([
            click.option("--channel", is_flag=True,
                         help="Instead of escrow sessions, stream payments per packet over a payment channel."),
            click.option("--v2g", is_flag=True, help="With --channel: reverse the energy direction (vehicle to grid)."),
            click.option("--price-signal", "price_signal", type=click.Path(exists=True, dir_okay=False), default=None,
                         help="With --channel: a JSON list of signed-price steps {at_packet, price_per_wh, "
                              "direction}.")]):
        command = option(command)
    return command


def write_report(report: dict, path: Path) -> None:
    from zkescrow.formats.binfile import write_file
    path.parent.mkdir(parents=True, exist_ok=True)
    write_file(path, (json.dumps(report, indent=1, sort_keys=True) + "\n").encode("utf-8"))


def _ledger_tip(data: Path) -> dict | None:
    """{"height", "hash"} of the ledger in DATA_DIR/ledger, or None when there is none (or it is unreadable)."""
    if not (data / "ledger" / "ledger.sqlite").exists():
        return None
    from zkescrow.errors import ZkEscrowError
    from zkescrow.ledger.ledger import Ledger
    try:
        ledger = Ledger(data / "ledger", readonly=True)
    except ZkEscrowError:
        return {"height": None, "hash": None}
    try:
        return {"height": ledger.height, "hash": ledger.tip_hash}
    finally:
        ledger.close()


def check_replaceable(data: Path, fresh: bool) -> None:
    """Refuse (naming --fresh) to replace a ledger in DATA_DIR unless the last demo made it and nobody used it since.

    Used since means: blocks added after the demo (by `zkescrow wallet` or `ledger`), or wallets the
    demo saved for the user (`--save-wallets`), whose notes live on this ledger only.
    """
    from zkescrow.errors import MalformedInput
    tip = _ledger_tip(data)
    if tip is None or fresh:
        return
    report_path = data / REPORT_NAME
    try:
        last = json.loads(report_path.read_text())
    except (OSError, ValueError):
        last = {}
    made = last.get("ledger_tip") if isinstance(last, dict) else None
    where = data / "ledger"
    if not isinstance(made, dict):
        reason = "a ledger the demo did not make"
    elif made.get("hash") != tip["hash"]:
        reason = f"a ledger used since the last demo (height {made.get('height')} then, {tip['height']} now)"
    elif last.get("saved_wallets"):
        reason = "the last demo's ledger, with wallets it saved for you in " + str(data / "wallets")
    else:
        return
    raise MalformedInput(f"{where} holds {reason}; `zkescrow demo --fresh` replaces it, "
                         f"or give another --data-dir")


def run_and_report(data: Path, *, fresh: bool, log, **options) -> dict:
    """run_demo after check_replaceable, its report written to DATA_DIR with the ledger's tip."""
    import shutil

    from zkescrow.escrow.demo import run_demo
    from .ledger_access import writer_lock
    with writer_lock(data):                 # `wallet` and `ledger` commands wait while the demo rebuilds
        check_replaceable(data, fresh)
        if fresh:
            for sub in ("ledger", "platform"):
                shutil.rmtree(data / sub, ignore_errors=True)
        report = run_demo(data, log=log, **options)
        report["ledger_tip"] = _ledger_tip(data)
        report["saved_wallets"] = bool(options.get("save_wallets"))
        write_report(report, data / REPORT_NAME)
    return report


#: Options of the escrow demo that mean nothing to the channel demo (refused with --channel).
ESCROW_ONLY = ("mode", "sessions", "depth", "fault", "save_wallets", "fresh", "population")


@click.command("demo")
@click.option("--mode", type=click.Choice(["transparent", "shielded", "both"]), default="both", show_default=True,
              help="Which escrow mode(s) to run.")
@click.option("--sessions", type=click.IntRange(1, 50), default=1, show_default=True,
              help="Charging sessions per mode.")
@click.option("--depth", type=click.IntRange(2, 32), default=20, show_default=True,
              help="Merkle depth of the note tree (the design's 20; smaller is faster).")
@click.option("--data-dir", type=click.Path(file_okay=False), default="zkescrow-data", show_default=True,
              help="Ledger, enclave platform and cached circuit keys.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the report as JSON to this file.")
@click.option("--fault", type=click.Choice(["none", "pole-stops", "car-stops", "forged-reading", "backwards-reading",
                                            "enclave-crash", "enclave-gone", "over-release", "double-release"]),
              default="none", show_default=True, help="Make the first session of each mode go wrong this way.")
@click.option("--save-wallets", is_flag=True,
              help="Write the participants' wallet key files to DATA_DIR/wallets for `zkescrow wallet`.")
@click.option("--fresh", is_flag=True,
              help="Replace a ledger in DATA_DIR that the demo did not make or that was used since (its value is lost).")
@click.option("--population", is_flag=True,
              help="Then simulate a small population (4 drivers, 2 poles, 8 sessions, all four modes, real proofs "
                   "at depth 8) in DATA_DIR/population and print what a linking adversary recovers, scored against "
                   "the truth (13 minutes on 2 cores while the test suite ran on them).")
@channel_options
@click.pass_context
def demo(ctx, mode, sessions, depth, data_dir, json_path, fault, save_wallets, fresh, population, channel=False,
         v2g=False, price_signal=None):
    """Run EV-charging sessions through the escrow enclave and print what an observer infers.

    A car discovers a pole in the ledger's service registry, verifies the escrow
    enclave's quote, deposits, charges in 10 Wh packets with signed meter readings,
    and the enclave settles; pole and driver receive shielded notes.  The report
    shows what an observer of the public ledger infers in each mode (for scores
    against the truth on a population, see `zkescrow simulate` and `privacy-eval`).
    The first run makes the circuits' keys (tens of seconds) and caches them in
    DATA_DIR/keys.

    The demo replaces its own ledger on the next run, but never one it did not make, one
    used since (more blocks) or one whose wallets it saved, unless given --fresh.

    \b
    Example:
      zkescrow demo --mode both --sessions 1 --json report.json
      zkescrow demo --mode both --population
      zkescrow demo --mode shielded --fault enclave-gone
    """
    if json_path:               # cheap checks before minutes of work
        from zkescrow.formats.binfile import check_writable
        check_writable(json_path)
    if channel or v2g or price_signal:
        if not channel:
            raise click.UsageError("--v2g and --price-signal go with --channel")
        from click.core import ParameterSource
        given = [f"--{name.replace('_', '-')}" for name in ESCROW_ONLY
                 if ctx.get_parameter_source(name) is not ParameterSource.DEFAULT]
        if given:
            raise click.UsageError(f"{', '.join(given)} {'does' if len(given) == 1 else 'do'} not apply to "
                                   f"--channel (one session streamed over a payment channel in "
                                   f"DATA_DIR/channel-demo; see `zkescrow channel-demo --help` for its options)")
        from zkescrow.channel.demo import run_channel_demo
        summary = run_channel_demo(Path(data_dir), v2g=v2g, price_signal_path=price_signal, out=click.get_text_stream("stdout"))
        if json_path:
            write_report({"channel": summary}, Path(json_path))
            click.echo(f"report written to {json_path}")
        return
    from zkescrow.escrow.demo import format_comparison
    modes = ("transparent", "shielded") if mode == "both" else (mode,)
    data = Path(data_dir)
    check_replaceable(data, fresh)
    if depth != 20:
        click.echo(f"Merkle depth {depth} (the design uses 20; smaller trees make smaller, faster proofs)")
    from zkescrow.privacy.observer import observe
    report = run_and_report(data, fresh=fresh, log=click.echo, modes=modes, sessions=sessions, depth=depth,
                            save_wallets=save_wallets, fault=fault, observe=observe)
    click.echo("")
    click.echo(format_comparison(report))
    runs = report["runs"] if "runs" in report else [report]
    for r in runs:
        click.echo(f"{r['mode']}: {r['sessions']} session(s), {r['energy_wh']} Wh, pole paid {r['paid']:,}, "
                   f"driver refunded {r['refunded']:,}; {r['proofs']['count']} proofs "
                   f"({r['proofs']['prove_s']:.1f}s proving, {r['proofs']['verify_s']:.1f}s verifying); "
                   f"total value {r['conservation']['before']:,} → {r['conservation']['after']:,}")
    if population:
        report["population"] = _population(data)
    if json_path:
        write_report(report, Path(json_path))
        click.echo(f"report written to {json_path}")


def _population(data: Path) -> dict:
    """Simulate the demo's small population, print the adversary's scores per mode; the result for the report."""
    import time

    from zkescrow.privacy.showcase import DEMO_POPULATION, population_comparison
    start = time.perf_counter()
    click.echo("")
    click.echo(f"A population: {DEMO_POPULATION['drivers']} drivers, {DEMO_POPULATION['poles']} poles, "
               f"{DEMO_POPULATION['sessions']} overlapping sessions with background shielded payments, in each "
               f"mode on its own ledger; then an adversary that reads only the public ledgers, scored against "
               f"what really happened.")

    def say(message: str) -> None:
        click.echo(f"[{time.perf_counter() - start:7.1f}s] {message}")
    result = population_comparison(data / "population", log=say)
    click.echo("")
    click.echo(result["table"])
    click.echo("(chance: what a guess without the ledger gets; a shielded mode keeps a field when the adversary "
               "does no better than that)")
    click.echo(f"rerun or grow it: {result['command']}")
    return {k: result[k] for k in ("config", "scores", "command")}

"""``zkescrow compare`` and ``observe``: the escrow ledger through an observer's eyes.

``compare`` sets the last demo's transparent and shielded runs side by side; ``observe`` runs the
adversary's linking heuristics on the public ledger alone.  The ``ledger`` and ``wallet`` commands
live in ``cli.ledger`` and ``cli.wallet``.
"""
from __future__ import annotations

import json
from pathlib import Path

import click

from .ledger import ledger_group  # noqa: F401  (importable from here as before)
from .ledger_access import DATA_DIR_OPTION, echo_json, ledger_dir, open_ledger
from .wallet import wallet_group  # noqa: F401  (importable from here as before)


@click.command("compare")
@DATA_DIR_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
def compare(data_dir, as_json):
    """Print only the transparent-vs-shielded comparison of the last demo (running one first if needed).

    What an observer infers is recomputed from the ledger in DATA_DIR (the privacy
    adversary, public data only); proof counts, times and transaction bytes come from
    the demo's report.

    \b
    Example:
      zkescrow compare --data-dir zkescrow-data
    """
    from zkescrow.cli.demo import REPORT_NAME, run_and_report
    from zkescrow.escrow.demo import comparison, format_comparison
    from zkescrow.privacy.observer import observe
    data = Path(data_dir)
    report_path = data / REPORT_NAME
    report = json.loads(report_path.read_text()) if report_path.exists() else None
    if report is None or "runs" not in report or not (ledger_dir(data) / "ledger.sqlite").exists():
        click.echo("no two-mode demo in this data directory yet: running `zkescrow demo --mode both` first", err=True)
        report = run_and_report(data, fresh=False, log=lambda m: click.echo(m, err=True), observe=observe)
    ledger = open_ledger(data, readonly=True)
    observation = observe(ledger)
    ledger.close()
    for run in report["runs"]:
        run["observer"] = observation[run["mode"]]["fields"]
    report["comparison"] = comparison(report["runs"])
    if as_json:
        echo_json(report["comparison"])
    else:
        click.echo(format_comparison(report))


@click.command("observe")
@DATA_DIR_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the full observation as JSON.")
def observe_cmd(data_dir, as_json):
    """What a third party infers from the public ledger alone: links, cars, poles, amounts, deadlines.

    Runs the adversary's linking heuristics (funder attribution, timing windows, amount
    and price arithmetic, ciphertext lengths, deadline and mode patterns, channel
    deposits and nonces) on DATA_DIR/ledger, or on every DATA_DIR/<mode>/ledger of a
    `zkescrow simulate` run.  `zkescrow privacy-eval` scores the same inferences
    against a simulation's ground truth.

    \b
    Example:
      zkescrow observe --data-dir zkescrow-data
      zkescrow observe --data-dir sim --json
    """
    from zkescrow.errors import MalformedInput
    from zkescrow.ledger.ledger import Ledger
    from zkescrow.privacy.observer import format_observation, observe
    from zkescrow.privacy.population import MODES
    data = Path(data_dir)
    found = [m for m in MODES if (data / m / "ledger" / "ledger.sqlite").exists()]
    if (ledger_dir(data) / "ledger.sqlite").exists() or not found:
        ledgers = {"": open_ledger(data_dir, readonly=True)}
    else:
        ledgers = {}
        for mode in found:
            try:
                ledgers[mode] = Ledger(data / mode / "ledger", readonly=True)
            except MalformedInput:
                for ledger in ledgers.values():
                    ledger.close()
                raise
    observations = {}
    for name, ledger in ledgers.items():
        observations[name] = observe(ledger)
        ledger.close()
    if as_json:
        echo_json(observations[""] if "" in observations else observations)
        return
    for name, observation in observations.items():
        if name:
            click.echo(f"=== {name} ===")
        click.echo(format_observation(observation))

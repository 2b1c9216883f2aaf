"""``zkescrow simulate`` and ``zkescrow privacy-eval``: a population on the ledger, and what an adversary recovers.

``simulate`` writes ``DATA_DIR/<mode>/ledger`` per mode and its ground truth
(``DATA_DIR/<mode>/truth.json``); ``privacy-eval`` runs the adversary on those ledgers
(public data only), scores it against the truth, prints a table and plots linking
success against population size when given several simulations.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import click

MODE_NAMES = ("transparent", "shielded", "signed-channel", "shielded-channel")


def _modes(text: str) -> tuple:
    from zkescrow.errors import MalformedInput
    modes = tuple(m.strip() for m in text.split(",") if m.strip())
    if not modes or not set(modes) <= set(MODE_NAMES):
        raise MalformedInput(f"--modes takes a comma-separated list of {', '.join(MODE_NAMES)}")
    return modes


def _write_json(obj, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, path)


@click.command("simulate")
@click.option("--drivers", type=click.IntRange(1, 200), default=8, show_default=True)
@click.option("--poles", type=click.IntRange(1, 50), default=4, show_default=True)
@click.option("--sessions", type=click.IntRange(1, 2000), default=40, show_default=True)
@click.option("--modes", default=",".join(MODE_NAMES), show_default=True,
              help="Comma-separated modes; each gets its own ledger.")
@click.option("--depth", type=click.IntRange(4, 20), default=10, show_default=True,
              help="Merkle depth of the note trees (2^depth notes per ledger).")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of arrivals and background traffic.")
@click.option("--arrival-rate", type=click.FloatRange(0.01, 10), default=0.5, show_default=True,
              help="Session arrivals per block (Poisson).")
@click.option("--background-rate", type=click.FloatRange(0, 10), default=0.5, show_default=True,
              help="Background shielded transfers per block (Poisson).")
@click.option("--funding", type=click.Choice(["prefund", "just-in-time"]), default="prefund", show_default=True,
              help="How drivers fund deposits: notes of the standard deposit shielded once up front, or a shield "
                   "of the deposit right before each session (naive wallets).")
@click.option("--forwarding", type=click.Choice(["batched", "next-block"]), default="batched", show_default=True,
              help="When poles forward earnings to their operator.")
@click.option("--settlement", type=click.Choice(["hidden", "prompt"]), default="hidden", show_default=True,
              help="When shielded escrow settles: at a height drawn up to the refund deadline, or in the next "
                   "block after charging (which gives the charging time away).")
@click.option("--data-dir", type=click.Path(file_okay=False), default="zkescrow-sim", show_default=True,
              help="Ledgers (one per mode) and truth.json.")
@click.option("--keys-dir", type=click.Path(file_okay=False), default=None,
              help="Cached circuit keys (default DATA_DIR/keys; made on first use).")
def simulate_cmd(drivers, poles, sessions, modes, depth, seed, arrival_rate, background_rate, funding, forwarding,
                 settlement, data_dir, keys_dir):
    """Simulate a population of drivers and poles with real proofs; write the ledgers and the ground truth.

    Sessions overlap (charging lets blocks pass), residents make background
    shielded payments, and every transaction is a real Groth16-proved one.  Circuit
    keys are single-party development keys cached in --keys-dir.

    \b
    Example:
      zkescrow simulate --drivers 8 --poles 4 --sessions 40 --data-dir sim
      zkescrow privacy-eval --data-dir sim
    """
    import shutil
    import time

    from zkescrow.errors import MalformedInput
    from zkescrow.privacy.population import PopulationConfig, circuit_keys, simulate
    config = PopulationConfig(drivers=drivers, poles=poles, sessions=sessions, modes=_modes(modes), depth=depth,
                              seed=seed, arrival_rate=arrival_rate, background_rate=background_rate,
                              funding=funding, forwarding=forwarding, settlement=settlement)
    data = Path(data_dir)
    for mode in config.modes:
        target = data / mode
        if target.exists() and {p.name for p in target.iterdir()} - {"ledger", "platform", "truth.json"}:
            raise MalformedInput(f"{target} holds something other than a simulation; use another --data-dir")
        shutil.rmtree(target, ignore_errors=True)
    start = time.perf_counter()

    def say(message: str) -> None:
        click.echo(f"[{time.perf_counter() - start:7.1f}s] {message}", err=True)

    keys = circuit_keys(Path(keys_dir) if keys_dir else data / "keys", depth, log=say)
    truth = simulate(config, data, keys, log=say)
    click.echo(f"{sum(len(m['sessions']) for m in truth['modes'].values())} sessions in "
               f"{len(truth['modes'])} mode(s); ledgers and ground truth in {data}/<mode>/")


def _observe_dir(data: Path, modes) -> dict:
    from zkescrow.ledger.ledger import Ledger
    from zkescrow.privacy.adversary import observe_ledger
    out = {}
    for mode in modes:
        ledger = Ledger(data / mode / "ledger")
        out[mode] = observe_ledger(ledger)
        ledger.close()
    return out


@click.command("privacy-eval")
@click.option("--data-dir", "data_dirs", type=click.Path(file_okay=False, exists=True), multiple=True,
              default=("zkescrow-sim",), show_default=True,
              help="A simulation directory (repeat for several population sizes: the plot's x axis).")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None,
              help="Write a PNG of linking success against population size (needs matplotlib).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the scores as JSON to this file.")
def privacy_eval_cmd(data_dirs, plot_path, json_path):
    """Score the adversary (public ledger only) against the simulation's ground truth, per mode and field.

    \b
    Example:
      zkescrow privacy-eval --data-dir sim --plot linking.png
      zkescrow privacy-eval --data-dir sim-d2 --data-dir sim-d4 --data-dir sim-d8 --plot linking.png
    """
    from zkescrow.errors import MalformedInput
    from zkescrow.privacy.evaluation import evaluate, format_scores, plot
    from zkescrow.privacy.population import load_truth
    results, points = [], []
    for data_dir in data_dirs:
        data = Path(data_dir)
        truth = load_truth(data)
        modes = list(truth["modes"])
        scores = evaluate(truth, _observe_dir(data, modes))
        click.echo(format_scores(scores, truth["config"]))
        click.echo("")
        results.append({"data_dir": str(data), "config": truth["config"], "scores": scores})
        for mode, s in scores.items():
            points.append({"drivers": truth["config"]["drivers"], "mode": mode,
                           "link": s["fields"]["link"]["recall"], "car": s["fields"]["car"]["recall"]})
    if json_path:
        _write_json(results, Path(json_path))
        click.echo(f"scores written to {json_path}")
    if plot_path:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise MalformedInput("--plot needs matplotlib: pip install 'zkescrow[bench]'") from None
        tmp = Path(plot_path).with_suffix(".tmp.png")
        plot(points, tmp)
        os.replace(tmp, plot_path)
        click.echo(f"plot written to {plot_path}")

"""The population part of ``zkescrow demo --population``: simulate a small population, attack it, score it.

A handful of drivers and poles is enough to show the difference between the modes
(what the seed says transparent escrow and signed channels leak, and what the shielded
modes keep) with real Groth16 proofs in about a quarter of an hour on 2 cores; the bounds of issue-sized
populations come from ``zkescrow simulate`` and ``zkescrow privacy-eval``.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from .evaluation import evaluate, format_scores
from .population import MODES, PopulationConfig, circuit_keys, simulate

#: The demo's population: small, but several drivers and poles, in all four modes.
DEMO_POPULATION = dict(drivers=4, poles=2, sessions=8, depth=8, seed=1, background_rate=0.3)


def population_comparison(data_dir: str | Path, *, log=None, keys=None, **overrides) -> dict:
    """Simulate ``DEMO_POPULATION`` (with ``overrides``) in every mode under ``data_dir`` with real proofs (keys
    cached in ``data_dir/keys``, unless ``keys`` are given), run the adversary on each ledger and score it
    against the truth.

    Returns {"config", "scores" (``evaluate``), "table" (``format_scores``), "command" (to rerun it)}.
    """
    from zkescrow.ledger.ledger import Ledger

    from .adversary import observe_ledger
    data = Path(data_dir)
    for mode in MODES:                           # the previous run's ledgers (this directory is the demo's own)
        shutil.rmtree(data / mode, ignore_errors=True)
    config = PopulationConfig(**{**DEMO_POPULATION, "modes": MODES, **overrides})
    keys = keys or circuit_keys(data / "keys", config.depth, log=log)
    truth = simulate(config, data, keys, log=log)
    observations = {}
    for mode in truth["modes"]:
        ledger = Ledger(data / mode / "ledger")
        try:
            observations[mode] = observe_ledger(ledger)
        finally:
            ledger.close()
    scores = evaluate(truth, observations)
    command = (f"zkescrow simulate --drivers {config.drivers} --poles {config.poles} --sessions {config.sessions} "
               f"--depth {config.depth} --seed {config.seed} --background-rate {config.background_rate} "
               f"--data-dir {data} && zkescrow privacy-eval --data-dir {data}")
    return {"config": truth["config"], "scores": scores, "table": format_scores(scores, truth["config"]),
            "command": command}

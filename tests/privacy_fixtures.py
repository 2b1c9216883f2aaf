"""A small seeded population (3 drivers, 2 poles, 6 sessions, tree depth 8) in every mode, simulated once.

The statements are checked (``StatementKeys``) rather than proved: what the adversary
reads — kinds, bodies, heights, ciphertexts — has the same shape either way, and the
population runs in seconds.  ``zkescrow simulate`` makes the same population with real
Groth16 proofs.  Import with ``from privacy_fixtures import *``.
"""
import pytest

from escrow_statement_keys import StatementKeys

SMALL = dict(drivers=3, poles=2, sessions=6, depth=8, seed=5, background_rate=0.5)


@pytest.fixture(scope="module")
def population(tmp_path_factory):
    """(ground truth, {mode: adversary observation}, data dir) of the small population."""
    from zkescrow.ledger.ledger import Ledger
    from zkescrow.privacy.adversary import observe_ledger
    from zkescrow.privacy.population import PopulationConfig, simulate
    data = tmp_path_factory.mktemp("population")
    truth = simulate(PopulationConfig(**SMALL), data, StatementKeys(SMALL["depth"]))
    observations = {}
    for mode in truth["modes"]:
        ledger = Ledger(data / mode / "ledger")
        observations[mode] = observe_ledger(ledger)
        ledger.close()
    return truth, observations, data

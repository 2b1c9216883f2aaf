"""Session fixtures for escrow tests: circuit keys at a small tree depth, built once per test run.

The development setup of transfer/escrow_release takes tens of seconds, so the
keys are made once (under pytest-xdist: once across workers, behind a lock) and
every test opens its own ledger against them.  Import with
``from escrow_fixtures import *``.
"""
from pathlib import Path

import pytest

from groth16_fixtures import _build_once
from zkescrow.ledger.proofs import CircuitKeys

#: Merkle depth of the test ledgers: small circuits, same statements.
ESCROW_DEPTH = 4
ESCROW_CIRCUITS = ("deposit", "transfer", "escrow_release")


@pytest.fixture(scope="session")
def escrow_keys_dir(tmp_path_factory) -> Path:
    def build(directory: Path) -> None:
        keys = CircuitKeys(directory, ESCROW_DEPTH)
        for name in ESCROW_CIRCUITS:
            keys.proving_key(name)
    return _build_once(tmp_path_factory, f"escrow-keys-d{ESCROW_DEPTH}", build)


@pytest.fixture(scope="session")
def circuit_keys(escrow_keys_dir) -> CircuitKeys:
    """Keys of deposit, transfer and escrow_release at ESCROW_DEPTH (shared by the tests of one worker)."""
    return CircuitKeys(escrow_keys_dir, ESCROW_DEPTH)

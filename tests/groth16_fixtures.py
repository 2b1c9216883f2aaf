"""Session fixtures for the Groth16 tests: a snarkjs ptau, circom circuits, snarkjs zkeys.

Use them with ``from groth16_fixtures import *`` in a test module.  Everything is
built by the pinned peers (snarkjs 0.7.6, circom2), never by zkescrow, so the
tests compare our code with someone else's.

The artifacts are expensive (``powersoftau prepare phase2`` takes most of a
minute), so they are built once per test run: under pytest-xdist the workers
share one directory next to their base temp dirs and take turns through a file
lock; without xdist they live in the session's base temp dir.  Set
ZKESCROW_GROTH16_FIXTURES=/some/dir to keep and reuse them between runs.

Fixtures (all session-scoped):

``ptau_file``            Path of a prepared phase-2 ptau, power ``PTAU_POWER`` (one contribution).
``circom_multiplier``    CircomArtifacts of ``c <== a*b`` with public input ``a`` (1 output, 1 public input).
``circom_poseidon``      CircomArtifacts of circomlib Poseidon(2) with public output ``hash``.
``snarkjs_zkey``         SnarkjsKey of the multiplier: ``groth16 setup`` + one ``zkey contribute``.
``snarkjs_zkey_poseidon`` the same for the Poseidon circuit.
"""
import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import CIRCOMLIB_CIRCUITS, run_circom, run_snarkjs

__all__ = [
    "PTAU_POWER", "CircomArtifacts", "SnarkjsKey",
    "ptau_file", "circom_multiplier", "circom_poseidon", "snarkjs_zkey", "snarkjs_zkey_poseidon", "poseidon",
]

#: 2^11 powers: enough for circuits up to ~1,000 constraints (the H points need the
#: 2n domain).  `prepare phase2` costs ~45 s at 11 and ~90 s at 12 on two cores.
PTAU_POWER = 11

MULTIPLIER_SOURCE = """pragma circom 2.0.0;

template Multiplier() {
    signal input a;
    signal input b;
    signal output c;
    c <== a * b;
}

component main {public [a]} = Multiplier();
"""

POSEIDON_SOURCE = """pragma circom 2.0.0;

include "poseidon.circom";

template Hash2() {
    signal input x;
    signal input y;
    signal output hash;
    component h = Poseidon(2);
    h.inputs[0] <== x;
    h.inputs[1] <== y;
    hash <== h.out;
}

component main = Hash2();
"""


@dataclass(frozen=True)
class CircomArtifacts:
    """A circom2-compiled circuit with one input and its witness (by ``snarkjs wtns calculate``)."""
    name: str
    dir: Path
    source: Path
    r1cs: Path
    wasm: Path
    sym: Path
    input: dict
    input_json: Path
    wtns: Path


@dataclass(frozen=True)
class SnarkjsKey:
    """Keys made by snarkjs for ``circuit`` from ``ptau``."""
    circuit: CircomArtifacts
    ptau: Path
    zkey_initial: Path      # `snarkjs groth16 setup` output (no contribution, gamma == delta)
    zkey: Path              # after one `snarkjs zkey contribute`
    vk_json: Path           # `snarkjs zkey export verificationkey` of ``zkey``
    vk_json_initial: Path   # the same for ``zkey_initial``


def _shared_root(tmp_path_factory) -> Path:
    cache = os.environ.get("ZKESCROW_GROTH16_FIXTURES")
    if cache:                       # a directory kept between runs (handy while developing)
        root = Path(cache)
        root.mkdir(parents=True, exist_ok=True)
        return root
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent          # shared by all workers of this run
    root = base / "groth16-fixtures"
    root.mkdir(exist_ok=True)
    return root


def _build_once(tmp_path_factory, name: str, build) -> Path:
    """Run ``build(directory)`` once per test run (across xdist workers); return the directory."""
    root = _shared_root(tmp_path_factory)
    directory = root / name
    done = root / f"{name}.done"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not done.exists():
                directory.mkdir(exist_ok=True)
                build(directory)
                done.write_text("ok")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return directory


def _build_ptau(directory: Path) -> None:
    p0, p1 = directory / "pot_0000.ptau", directory / "pot_0001.ptau"
    run_snarkjs("powersoftau", "new", "bn128", PTAU_POWER, p0)
    run_snarkjs("powersoftau", "contribute", p0, p1, "--name=fixture", "-e=zkescrow test entropy")
    run_snarkjs("powersoftau", "prepare", "phase2", p1, directory / "pot_final.ptau")
    p0.unlink()
    p1.unlink()


@pytest.fixture(scope="session")
def ptau_file(tmp_path_factory) -> Path:
    return _build_once(tmp_path_factory, f"ptau{PTAU_POWER}", _build_ptau) / "pot_final.ptau"


def _circuit(tmp_path_factory, name: str, source: str, inputs: dict) -> CircomArtifacts:
    def build(directory: Path) -> None:
        (directory / f"{name}.circom").write_text(source)
        run_circom(directory / f"{name}.circom", "--r1cs", "--wasm", "--sym", "-o", directory,
                   "-l", CIRCOMLIB_CIRCUITS)
        (directory / "input.json").write_text(json.dumps(inputs))
        run_snarkjs("wtns", "calculate", directory / f"{name}_js" / f"{name}.wasm",
                    directory / "input.json", directory / f"{name}.wtns")

    directory = _build_once(tmp_path_factory, f"circuit-{name}", build)
    return CircomArtifacts(
        name=name, dir=directory, source=directory / f"{name}.circom", r1cs=directory / f"{name}.r1cs",
        wasm=directory / f"{name}_js" / f"{name}.wasm", sym=directory / f"{name}.sym", input=inputs,
        input_json=directory / "input.json", wtns=directory / f"{name}.wtns")


@pytest.fixture(scope="session")
def circom_multiplier(tmp_path_factory) -> CircomArtifacts:
    return _circuit(tmp_path_factory, "multiplier", MULTIPLIER_SOURCE, {"a": "3", "b": "11"})


@pytest.fixture(scope="session")
def circom_poseidon(tmp_path_factory) -> CircomArtifacts:
    return _circuit(tmp_path_factory, "poseidon2", POSEIDON_SOURCE, {"x": "1", "y": "2"})


def _snarkjs_key(tmp_path_factory, circuit: CircomArtifacts, ptau: Path) -> SnarkjsKey:
    def build(directory: Path) -> None:
        run_snarkjs("groth16", "setup", circuit.r1cs, ptau, directory / "circuit_0000.zkey")
        run_snarkjs("zkey", "contribute", directory / "circuit_0000.zkey", directory / "circuit_0001.zkey",
                    "--name=fixture contribution", "-e=zkescrow fixture entropy")
        run_snarkjs("zkey", "export", "verificationkey", directory / "circuit_0001.zkey",
                    directory / "verification_key.json")
        run_snarkjs("zkey", "export", "verificationkey", directory / "circuit_0000.zkey",
                    directory / "verification_key_0000.json")

    directory = _build_once(tmp_path_factory, f"zkey-{circuit.name}", build)
    return SnarkjsKey(circuit=circuit, ptau=ptau, zkey_initial=directory / "circuit_0000.zkey",
                      zkey=directory / "circuit_0001.zkey", vk_json=directory / "verification_key.json",
                      vk_json_initial=directory / "verification_key_0000.json")


@pytest.fixture(scope="session")
def snarkjs_zkey(tmp_path_factory, circom_multiplier, ptau_file) -> SnarkjsKey:
    return _snarkjs_key(tmp_path_factory, circom_multiplier, ptau_file)


@pytest.fixture(scope="session")
def snarkjs_zkey_poseidon(tmp_path_factory, circom_poseidon, ptau_file) -> SnarkjsKey:
    return _snarkjs_key(tmp_path_factory, circom_poseidon, ptau_file)


@pytest.fixture(scope="module")
def poseidon(snarkjs_zkey_poseidon):
    """The Poseidon circuit's snarkjs key and witness, decoded: (ProvingKey, witness)."""
    from zkescrow.formats.wtns_file import read_wtns
    from zkescrow.groth16.zkey import read_zkey
    return read_zkey(snarkjs_zkey_poseidon.zkey), read_wtns(snarkjs_zkey_poseidon.circuit.wtns)

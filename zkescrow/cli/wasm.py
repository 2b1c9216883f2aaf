"""``zkescrow wtns calculate`` and ``zkescrow fullprove``: circom's .wasm witness calculators without Node.

Arguments follow snarkjs (`snarkjs wtns calculate`, `snarkjs groth16 fullprove`).  A circuit whose own
checks fail on the input (an ``assert`` or ``===`` that does not hold) is a false statement: exit 1.
An input that does not fit the circuit (unknown or missing signals, wrong counts, values not below r)
is malformed: exit 2.  Every output is written to a temporary file and renamed into place.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from ..errors import MalformedInput
from ..formats.binfile import write_file as write_atomic


def _check_out_dir(path) -> None:
    parent = Path(path).parent
    if not parent.is_dir():
        raise MalformedInput(f"{path}: the directory {parent} does not exist")
    if Path(path).is_dir():
        raise MalformedInput(f"{path}: is a directory")


def _inputs(path: str) -> dict:
    from .prove import _read_json
    inputs = _read_json(path, "circuit input")
    if not isinstance(inputs, dict):
        raise MalformedInput(f"{path}: circuit input must be a JSON object of signal names")
    return inputs


def _echo_log(calc) -> None:
    """The circuit's log() lines, on stderr once the outputs are written (an error stays one line)."""
    for line in calc.messages:
        click.echo(line, err=True)


def _calculator(wasm_path: str):
    from ..formats.wasm_witness import load_calculator
    return load_calculator(wasm_path)


@click.group("wtns")
def wtns_group():
    """Witness files (.wtns) from circom's WebAssembly witness calculators.

    \b
    Example:
      zkescrow wtns calculate circuit_js/circuit.wasm input.json witness.wtns
    """


@wtns_group.command("calculate")
@click.argument("wasm_path", metavar="CIRCUIT.wasm", type=click.Path(dir_okay=False))
@click.argument("input_path", metavar="INPUT.json", type=click.Path(dir_okay=False))
@click.argument("wtns_path", metavar="OUT.wtns", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable summary on stdout.")
def wtns_calculate(wasm_path, input_path, wtns_path, as_json):
    """Compute a witness with circom's .wasm, as `snarkjs wtns calculate` does (same .wtns bytes).

    Inputs are decimal strings or numbers, 0x-hex strings, negative values (taken modulo r) and
    nested arrays, as snarkjs reads them; a value not below r is refused.  The circuit's log()
    lines go to stderr after the witness is written.

    \b
    Example:
      zkescrow wtns calculate circuit_js/circuit.wasm input.json witness.wtns
      snarkjs wtns check circuit.r1cs witness.wtns
    """
    _check_out_dir(wtns_path)
    inputs = _inputs(input_path)
    calc = _calculator(wasm_path)
    data = calc.wtns_bytes(inputs)
    write_atomic(wtns_path, data)
    _echo_log(calc)
    if as_json:
        click.echo(json.dumps({"wtns": wtns_path, "values": calc.witness_size}))
    else:
        click.echo(f"wrote {wtns_path}: {calc.witness_size} values")


@click.command("fullprove")
@click.argument("input_path", metavar="INPUT.json", type=click.Path(dir_okay=False))
@click.argument("wasm_path", metavar="CIRCUIT.wasm", type=click.Path(dir_okay=False))
@click.argument("zkey_path", metavar="CIRCUIT.zkey", type=click.Path(dir_okay=False))
@click.argument("proof_path", metavar="PROOF.json", type=click.Path(dir_okay=False))
@click.argument("public_path", metavar="PUBLIC.json", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print paths and per-phase timings as JSON.")
def fullprove(input_path, wasm_path, zkey_path, proof_path, public_path, as_json):
    """Witness from circom's .wasm and a Groth16 proof in one step, as `snarkjs groth16 fullprove`.

    \b
    Example:
      zkescrow fullprove input.json circuit_js/circuit.wasm circuit_final.zkey proof.json public.json
      zkescrow verify verification_key.json public.json proof.json
    """
    t0 = time.perf_counter()
    for out in (proof_path, public_path):
        _check_out_dir(out)
    inputs = _inputs(input_path)
    calc = _calculator(wasm_path)
    witness = calc.calculate(inputs)
    t_witness = time.perf_counter()

    from ..groth16.key_cache import load_proving_key
    from ..groth16.proof import dumps, public_signals_to_json
    from ..groth16.prove import prove as groth16_prove
    pk, _ = load_proving_key(zkey_path)
    t_key = time.perf_counter()
    if len(witness) != pk.n_vars:
        raise MalformedInput(f"{wasm_path} computes {len(witness)} values but {zkey_path} needs {pk.n_vars} "
                             f"(calculator and key of different circuits?)")
    timings = {}
    progress = None
    if sys.stderr.isatty() and not as_json and pk.domain_size >= 1 << 12:
        from .prove import _ProgressBar
        progress = _ProgressBar()
    proof, public = groth16_prove(pk, witness, timings=timings, progress=progress)
    write_atomic(proof_path, dumps(proof.to_json()).encode())
    write_atomic(public_path, dumps(public_signals_to_json(public)).encode())
    _echo_log(calc)
    if pk.gamma2 == pk.delta2:
        click.echo(f"warning: {zkey_path} has no phase-2 contribution (gamma = delta): anyone holding the ptau "
                   f"can forge proofs under it; add one with `zkescrow zkey contribute`", err=True)
    if as_json:
        ms = {"witness": t_witness - t0, "read_zkey": t_key - t_witness, **timings, "wall": time.perf_counter() - t0}
        click.echo(json.dumps({"proof": proof_path, "public": public_path, "n_vars": pk.n_vars,
                               "timings_ms": {k: round(v * 1000, 3) for k, v in ms.items()}}, indent=1))

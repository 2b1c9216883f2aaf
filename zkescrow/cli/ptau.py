"""``zkescrow powersoftau new | contribute | beacon | prepare phase2 | verify``: phase 1 of a ceremony.

Thin glue over zkescrow.groth16.ptau_ceremony / ptau_verify and zkescrow.formats.ptau_file, with
snarkjs's argument order and options; the files are snarkjs's .ptau format, so either tool can take
the next step.  Progress on stderr only when it is a terminal; outputs are written atomically.
"""
from __future__ import annotations

import json
import re
import sys

import click

from ..errors import MalformedInput


def _read(path):
    from ..formats.ptau_file import read_ptau_file
    return read_ptau_file(path)


def _write(ptau, path) -> None:
    from ..formats.ptau_file import ptau_to_bytes
    from .wasm import write_atomic
    write_atomic(path, ptau_to_bytes(ptau, getattr(ptau, "encoded", None)))


def _check_out(path) -> None:
    from .wasm import _check_out_dir
    _check_out_dir(path)


def _steps(label: str, n: int):
    from .setup import _Steps
    return _Steps(label, n)


def _report(new, response_hash: bytes, out: str, as_json: bool) -> None:
    from ..groth16.contribute import format_hash
    c = new.contributions[-1]
    if as_json:
        click.echo(json.dumps({"ptau": out, "contribution": len(new.contributions), "name": c.name,
                               "responseHash": response_hash.hex(), "nextChallenge": c.next_challenge.hex()}))
    else:
        click.echo(format_hash(response_hash, "Contribution Response Hash:"))
        click.echo(format_hash(c.next_challenge, "Next Challenge Hash:"))


@click.group("powersoftau")
def ptau_group():
    """Powers of tau (phase 1 of a Groth16 ceremony) in snarkjs's .ptau format.

    \b
    Example:
      zkescrow powersoftau new bn128 12 pot12_0000.ptau
      zkescrow powersoftau contribute pot12_0000.ptau pot12_0001.ptau --name alice -e "some text"
      zkescrow powersoftau beacon pot12_0001.ptau pot12_beacon.ptau 0102030405060708090a0b0c0d0e0f 10 -n final
      zkescrow powersoftau prepare phase2 pot12_beacon.ptau pot12_final.ptau
      zkescrow powersoftau verify pot12_final.ptau
    """


@ptau_group.command("new")
@click.argument("curve", metavar="CURVE")
@click.argument("power", metavar="POWER", type=int)
@click.argument("out", metavar="OUT.ptau", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def new_cmd(curve, power, out, as_json):
    """Start a ceremony for circuits of up to 2^POWER constraints (`snarkjs powersoftau new`).

    CURVE is bn128 (also spelled bn254 or alt_bn128).  The file is byte-identical to snarkjs's.

    \b
    Example:
      zkescrow powersoftau new bn128 12 pot12_0000.ptau
    """
    from ..groth16.contribute import format_hash
    from ..groth16.ptau_ceremony import check_power, first_challenge_hash, new_ptau
    if re.sub(r"[^A-Z0-9]", "", curve.upper()) not in ("BN128", "BN254", "ALTBN128"):
        raise MalformedInput(f"curve {curve!r} is not supported (only bn128)")
    check_power(power)
    _check_out(out)
    _write(new_ptau(power), out)
    challenge = first_challenge_hash(power)
    if as_json:
        click.echo(json.dumps({"ptau": out, "power": power, "firstChallenge": challenge.hex()}))
    else:
        click.echo(format_hash(challenge, "First Contribution Hash:"))


@ptau_group.command("contribute")
@click.argument("ptau_in", metavar="IN.ptau", type=click.Path(dir_okay=False))
@click.argument("ptau_out", metavar="OUT.ptau", type=click.Path(dir_okay=False))
@click.option("--name", "-n", default=None, help="Contributor name recorded in the file (max 64 characters).")
@click.option("--entropy", "-e", default=None,
              help="Extra random text mixed with OS randomness. Asked for on a terminal when omitted.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def contribute_cmd(ptau_in, ptau_out, name, entropy, as_json):
    """Add a contribution (`snarkjs powersoftau contribute`); the secrets are never written.

    \b
    Example:
      zkescrow powersoftau contribute pot12_0000.ptau pot12_0001.ptau --name alice -e "my keyboard mash"
    """
    from ..groth16.ptau_ceremony import contribute
    _check_out(ptau_out)
    ptau = _read(ptau_in)
    if entropy is None and sys.stdin.isatty():
        entropy = click.prompt("Enter a random text (entropy)", default="", show_default=False, hide_input=True,
                               err=True)
    steps = _steps("contribute", 5)
    try:
        new, response = contribute(ptau, name=name, entropy=entropy, progress=steps)
    finally:
        steps.close()
    _write(new, ptau_out)
    _report(new, response, ptau_out, as_json)
    _dropped_note(ptau)


def _dropped_note(ptau) -> None:
    if ptau.lagrange:
        click.echo("note: the input was prepared for phase 2; the output is not (run "
                   "`zkescrow powersoftau prepare phase2` again)", err=True)


@ptau_group.command("beacon")
@click.argument("ptau_in", metavar="IN.ptau", type=click.Path(dir_okay=False))
@click.argument("ptau_out", metavar="OUT.ptau", type=click.Path(dir_okay=False))
@click.argument("beacon_hash", metavar="BEACONHASH")
@click.argument("num_iterations_exp", metavar="NUMITERATIONSEXP", type=int)
@click.option("--name", "-n", default=None, help="Name recorded for the beacon contribution.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def beacon_cmd(ptau_in, ptau_out, beacon_hash, num_iterations_exp, name, as_json):
    """Add the final public-randomness contribution (`snarkjs powersoftau beacon`).

    BEACONHASH is hex (e.g. a future block hash); the key is SHA-256 iterated 2^NUMITERATIONSEXP
    times over it (10 to 63), so anyone can recompute it.  Same inputs, same file as snarkjs.

    \b
    Example:
      zkescrow powersoftau beacon pot12_0001.ptau pot12_beacon.ptau 0102030405060708090a0b0c0d0e0f 10 -n final
    """
    from ..groth16.ptau_ceremony import beacon, check_beacon_exp, parse_beacon_hash
    beacon_bytes = parse_beacon_hash(beacon_hash)
    check_beacon_exp(num_iterations_exp)
    _check_out(ptau_out)
    ptau = _read(ptau_in)
    steps = _steps("beacon", 5)
    try:
        new, response = beacon(ptau, beacon_bytes, num_iterations_exp, name=name, progress=steps)
    finally:
        steps.close()
    _write(new, ptau_out)
    _report(new, response, ptau_out, as_json)
    _dropped_note(ptau)


@ptau_group.group("prepare")
def prepare_group():
    """Phase-2 preparation of a finished phase 1.

    \b
    Example:
      zkescrow powersoftau prepare phase2 pot12_beacon.ptau pot12_final.ptau
    """


@prepare_group.command("phase2")
@click.argument("ptau_in", metavar="IN.ptau", type=click.Path(dir_okay=False))
@click.argument("ptau_out", metavar="OUT.ptau", type=click.Path(dir_okay=False))
def prepare_phase2_cmd(ptau_in, ptau_out):
    """Add the Lagrange sections `setup` needs (`snarkjs powersoftau prepare phase2`; same bytes).

    \b
    Example:
      zkescrow powersoftau prepare phase2 pot12_beacon.ptau pot12_final.ptau
      zkescrow setup circuit.r1cs pot12_final.ptau circuit_0000.zkey
    """
    from ..groth16.ptau_ceremony import prepare_phase2
    _check_out(ptau_out)
    ptau = _read(ptau_in)
    steps = _steps("prepare phase2", 4)
    try:
        new = prepare_phase2(ptau, progress=steps)
    finally:
        steps.close()
    _write(new, ptau_out)
    click.echo(f"wrote {ptau_out}: power {new.power}, {len(new.contributions)} contributions, prepared for phase 2")


@ptau_group.command("verify")
@click.argument("ptau_path", metavar="IN.ptau", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def verify_cmd(ptau_path, as_json):
    """Check every contribution and point of a ptau (`snarkjs powersoftau verify`).

    Exit 0 and "Powers of Tau OK" when the file follows from its recorded ceremony, exit 1 naming
    the failed check when it does not (or has no contribution), exit 2 when it is malformed.

    \b
    Example:
      zkescrow powersoftau verify pot12_final.ptau
    """
    from ..groth16.ptau_verify import verify_ptau
    ptau = _read(ptau_path)
    steps = _steps("verify", 4 + len(ptau.contributions) + (4 * ptau.power + 5 if ptau.prepared else 0))
    try:
        report = verify_ptau(ptau, progress=steps)
    finally:
        steps.close()
    rows = [{"contribution": i, "name": c.name, "type": "beacon" if c.type == 1 else "contribution",
             "responseHash": h.hex(), "nextChallenge": c.next_challenge.hex()} for i, c, h in report]
    if as_json:
        click.echo(json.dumps({"ok": True, "power": ptau.power, "prepared": ptau.prepared, "contributions": rows}))
        return
    for row in rows:
        click.echo(f"contribution #{row['contribution']} {row['name'] or ''} ({row['type']}): "
                   f"response {row['responseHash'][:32]}…")
    if not ptau.prepared:
        click.echo("note: not prepared for phase 2; run `zkescrow powersoftau prepare phase2`", err=True)
    click.echo("Powers of Tau OK")

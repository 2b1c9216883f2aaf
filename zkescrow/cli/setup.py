"""``zkescrow setup`` and ``zkescrow zkey contribute | beacon | verify | export-vk``: Groth16 keys as snarkjs makes them.

Thin glue over zkescrow.groth16 (setup, setup_dev, contribute, zkey_verify) and
zkescrow.groth16.zkey.  Arguments follow snarkjs's order.  A progress bar is drawn on
stderr only when stderr is a terminal.
"""
from __future__ import annotations

import json
import sys
import time

import click


class _Steps:
    """A progress callback: a click progress bar over named steps on a TTY, silence elsewhere."""

    def __init__(self, label: str, steps: int):
        self.bar = None
        if sys.stderr.isatty():
            self.bar = click.progressbar(length=steps, label=label, file=sys.stderr,
                                         item_show_func=lambda step: step)
            self.bar.__enter__()

    def __call__(self, step: str) -> None:
        if self.bar is not None:
            self.bar.update(1, step)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _read_r1cs(path):
    from ..formats.r1cs_file import read_r1cs
    return read_r1cs(path)


def _summary(pk, out, seconds) -> dict:
    return {"zkey": str(out), "nVars": pk.n_vars, "nPublic": pk.n_public, "domainSize": pk.domain_size,
            "contributions": len(pk.contributions), "seconds": round(seconds, 3)}


@click.command("setup")
@click.argument("files", nargs=-1, required=True, metavar="CIRCUIT.r1cs [POT.ptau] OUT.zkey")
@click.option("--dev", is_flag=True,
              help="Single-party key from OS randomness, no ptau (development only; prints a warning).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def setup_cmd(files, dev, as_json):
    """Make a Groth16 proving key (.zkey) for a circuit, as `snarkjs groth16 setup` does.

    With a prepared phase-2 ptau the key is byte-identical to snarkjs's; it still needs
    `zkescrow zkey contribute` (or snarkjs's) before use.  With --dev no ptau is read: one
    process draws all the toxic waste, so use it only for development.

    \b
    Example:
      zkescrow setup circuit.r1cs pot12_final.ptau circuit_0000.zkey
      zkescrow setup circuit.r1cs dev.zkey --dev
    """
    from ..groth16.zkey import write_zkey
    from ..groth16.setup import DEV_SETUP_WARNING, setup, setup_dev

    expected = 2 if dev else 3
    if len(files) != expected:
        usage = "CIRCUIT.r1cs OUT.zkey --dev" if dev else "CIRCUIT.r1cs POT.ptau OUT.zkey"
        raise click.UsageError(f"expected {usage} ({expected} paths), got {len(files)}")
    from ..formats.binfile import check_writable
    out = files[-1]
    check_writable(out)
    r1cs = _read_r1cs(files[0])
    start = time.perf_counter()
    if dev:
        steps = _Steps("dev setup", 3)
        try:
            pk = setup_dev(r1cs, progress=steps)
        finally:
            steps.close()
    else:
        steps = _Steps("setup", 4)
        try:
            pk = setup(r1cs, files[1], progress=steps)
        finally:
            steps.close()
    write_zkey(pk, out)
    if dev:     # once the key exists, so a failure before it stays one line on stderr
        click.echo(DEV_SETUP_WARNING, err=True)
    seconds = time.perf_counter() - start
    if as_json:
        click.echo(json.dumps(_summary(pk, out, seconds)))
    else:
        click.echo(f"wrote {out}: {pk.n_vars} wires, {pk.n_public} public, domain 2^{pk.log_domain_size} "
                   f"({seconds:.2f} s)")


@click.group("zkey")
def zkey_group():
    """Groth16 proving keys (.zkey): phase-2 contributions, verification, vk export.

    \b
    Example:
      zkescrow zkey contribute circuit_0000.zkey circuit_0001.zkey --name "pole operator" -e "dice 4 2 6"
      zkescrow zkey beacon circuit_0001.zkey circuit_final.zkey 0102030405060708090a0b0c0d0e0f 10
      zkescrow zkey verify circuit.r1cs pot12_final.ptau circuit_0001.zkey
      zkescrow zkey export-vk circuit_0001.zkey verification_key.json
    """


@zkey_group.command("contribute")
@click.argument("zkey_in", metavar="IN.zkey", type=click.Path(dir_okay=False))
@click.argument("zkey_out", metavar="OUT.zkey", type=click.Path(dir_okay=False))
@click.option("--name", "-n", default=None, help="Contributor name recorded in the key (max 64 characters).")
@click.option("--entropy", "-e", default=None,
              help="Extra random text mixed with OS randomness. Asked for on a terminal when omitted.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def contribute_cmd(zkey_in, zkey_out, name, entropy, as_json):
    """Add a phase-2 contribution to a key, as `snarkjs zkey contribute` does.

    The secret comes from OS randomness mixed with the optional text; it is never written.
    Without -e, a terminal asks for some text; a non-interactive run never prompts.

    \b
    Example:
      zkescrow zkey contribute circuit_0000.zkey circuit_0001.zkey --name alice -e "my keyboard mash"
    """
    from ..groth16.contribute import contribute

    if entropy is None and sys.stdin.isatty():
        entropy = click.prompt("Enter a random text (entropy)", default="", show_default=False, hide_input=True,
                               err=True)
    _add_contribution(zkey_in, zkey_out, "contribute", lambda pk, steps: contribute(
        pk, name=name, entropy=entropy, progress=steps), as_json, show_circuit=True)


def _add_contribution(zkey_in, zkey_out, label: str, make, as_json: bool, *, show_circuit: bool) -> None:
    """Read ZKEY_IN, add one contribution with ``make(pk, steps)``, write ZKEY_OUT atomically and report its hash
    as snarkjs does (the output path is checked first, so OUT may be IN itself)."""
    from ..formats.binfile import check_writable
    from ..groth16.contribute import contribution_hash, format_hash
    from ..groth16.zkey import read_zkey, write_zkey
    check_writable(zkey_out)
    pk = read_zkey(zkey_in)
    steps = _Steps(label, 1)
    try:
        new = make(pk, steps)
    finally:
        steps.close()
    write_zkey(new, zkey_out)
    digest = contribution_hash(new.contributions[-1])
    if as_json:
        click.echo(json.dumps({"zkey": zkey_out, "contribution": len(new.contributions),
                               "contributionHash": digest.hex(), "circuitHash": new.cs_hash.hex()}))
        return
    if show_circuit:
        click.echo(format_hash(new.cs_hash, "Circuit Hash:"))
    click.echo(format_hash(digest, "Contribution Hash:"))


@zkey_group.command("beacon")
@click.argument("zkey_in", metavar="IN.zkey", type=click.Path(dir_okay=False))
@click.argument("zkey_out", metavar="OUT.zkey", type=click.Path(dir_okay=False))
@click.argument("beacon_hash", metavar="BEACONHASH")
@click.argument("num_iterations_exp", metavar="NUMITERATIONSEXP", type=int)
@click.option("--name", "-n", default=None, help="Name recorded for the beacon contribution.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def beacon_cmd(zkey_in, zkey_out, beacon_hash, num_iterations_exp, name, as_json):
    """Add the final phase-2 contribution from a public beacon, as `snarkjs zkey beacon` does.

    BEACONHASH is hex (e.g. a future block hash); the secret is drawn from SHA-256 iterated
    2^NUMITERATIONSEXP times over it (10 to 63), so anyone can recompute it.  Same inputs, same
    key as snarkjs.

    \b
    Example:
      zkescrow zkey beacon circuit_0001.zkey circuit_final.zkey 0102030405060708090a0b0c0d0e0f 10 -n "final beacon"
    """
    from ..groth16.contribute import beacon
    from ..groth16.ptau_ceremony import check_beacon_exp, parse_beacon_hash
    beacon_bytes = parse_beacon_hash(beacon_hash)
    check_beacon_exp(num_iterations_exp)
    _add_contribution(zkey_in, zkey_out, "beacon", lambda pk, steps: beacon(
        pk, beacon_bytes, num_iterations_exp, name=name, progress=steps), as_json, show_circuit=False)


@zkey_group.command("verify")
@click.argument("r1cs_path", metavar="CIRCUIT.r1cs", type=click.Path(dir_okay=False))
@click.argument("ptau_path", metavar="POT.ptau", type=click.Path(dir_okay=False))
@click.argument("zkey_path", metavar="KEY.zkey", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def verify_cmd(r1cs_path, ptau_path, zkey_path, as_json):
    """Check that a key follows from the circuit, the ptau and its contributions.

    Exit 0 and "OK" when it does, exit 1 with the failed check when it does not, exit 2 when
    a file is malformed.

    \b
    Example:
      zkescrow zkey verify circuit.r1cs pot12_final.ptau circuit_0001.zkey
    """
    from ..groth16.zkey import read_zkey
    from ..groth16.contribute import contribution_hash
    from ..groth16.zkey_verify import zkey_verify

    r1cs = _read_r1cs(r1cs_path)
    pk = read_zkey(zkey_path)
    steps = _Steps("verify", 3)
    try:
        zkey_verify(r1cs, ptau_path, pk, progress=steps)
    finally:
        steps.close()
    if as_json:
        click.echo(json.dumps({"ok": True, "contributions": [
            {"name": c.name, "hash": contribution_hash(c).hex()} for c in pk.contributions]}))
    else:
        for i, c in enumerate(pk.contributions, start=1):
            click.echo(f"contribution #{i} {c.name or ''}: {contribution_hash(c).hex()[:32]}…")
        if pk.is_fresh():
            click.echo("note: no contribution yet (gamma == delta); do not use this key in production", err=True)
        click.echo("OK")


@zkey_group.command("export-vk")
@click.argument("zkey_path", metavar="IN.zkey", type=click.Path(dir_okay=False))
@click.argument("vk_path", metavar="vk.json", type=click.Path(dir_okay=False))
def export_vk_cmd(zkey_path, vk_path):
    """Write the verification key, the same text as `snarkjs zkey export verificationkey`.

    \b
    Example:
      zkescrow zkey export-vk circuit_0001.zkey verification_key.json
    """
    from ..groth16.zkey import read_zkey

    pk = read_zkey(zkey_path, proving=False)
    from ..formats.binfile import write_file
    write_file(vk_path, vk_json_text(pk).encode("utf-8"))


@zkey_group.group("export")
def export_group():
    """snarkjs-style spelling of the exports: `zkescrow zkey export verificationkey IN.zkey vk.json`.

    \b
    Example:
      zkescrow zkey export verificationkey circuit_0001.zkey verification_key.json
    """


export_group.add_command(click.Command(
    "verificationkey", callback=export_vk_cmd.callback, params=list(export_vk_cmd.params),
    help=export_vk_cmd.help.replace("zkey export-vk", "zkey export verificationkey"),
    short_help="The same as `zkescrow zkey export-vk`."))


def vk_json_text(pk) -> str:
    """snarkjs's verification_key.json text for a key (bfj, one-space indent, no final newline)."""
    return json.dumps(pk.verification_key().to_json(), indent=1)

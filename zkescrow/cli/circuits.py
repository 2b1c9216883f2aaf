"""``zkescrow circuits | compile | witness | inspect``: built-in circuits and circom files.

Thin glue over circuits.registry, the DSL and zkescrow.formats.
"""
from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import MalformedFile, MalformedInput


def _params(depth, pairs) -> dict:
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise MalformedInput(f"--param expects KEY=VALUE, got {pair!r}")
        try:
            params[key] = int(value)
        except ValueError:
            raise MalformedInput(f"--param {key}: {value!r} is not an integer") from None
    if depth is not None:
        params["depth"] = depth
    if "depth" in params:
        check_depth(params["depth"])
    return params


def check_depth(depth) -> int:
    """A Merkle depth the native tree accepts (1..MAX_DEPTH); larger or smaller ones fail before compiling."""
    from circuits.crypto.merkle import MAX_DEPTH
    if isinstance(depth, bool) or not isinstance(depth, int) or not 1 <= depth <= MAX_DEPTH:
        raise MalformedInput(f"depth must be an integer in 1..{MAX_DEPTH}, got {depth!r}")
    return depth


def _circuit(name, depth, pairs):
    from circuits import registry
    return registry.get(name, **_params(depth, pairs))


_param_options = [
    click.option("--depth", type=int, default=None, help="Merkle tree depth (circuits that have one)."),
    click.option("--param", "-p", "pairs", multiple=True, metavar="KEY=VALUE",
                 help="Set any integer circuit parameter (repeatable)."),
]


def _with_params(fn):
    for option in reversed(_param_options):
        fn = option(fn)
    return fn


@click.command("circuits")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def circuits_cmd(as_json):
    """List the built-in circuits with their constraint counts.

    \b
    Example:
      zkescrow circuits --json
    """
    from circuits import registry
    rows = []
    for name, e in registry.list_circuits():
        r1cs = registry.get(name).compile()
        rows.append({"name": name, "params": e.defaults, "constraints": r1cs.n_constraints,
                     "wires": r1cs.n_wires, "public": r1cs.n_public, "description": e.description})
    if as_json:
        click.echo(json.dumps(rows, indent=1))
        return
    if not rows:
        click.echo("no circuits registered")
        return
    click.echo(f"{'name':<18} {'constraints':>11} {'wires':>8} {'public':>6}  params / description")
    for row in rows:
        params = ", ".join(f"{k}={v}" for k, v in row["params"].items())
        click.echo(f"{row['name']:<18} {row['constraints']:>11} {row['wires']:>8} {row['public']:>6}  "
                   f"{params + ' — ' if params else ''}{row['description']}")


@click.command("compile")
@click.argument("name")
@_with_params
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="The .r1cs to write (default NAME.r1cs); the .sym goes next to it.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def compile_cmd(name, depth, pairs, output, as_json):
    """Compile built-in circuit NAME to an .r1cs (and .sym) file snarkjs reads.

    \b
    Example:
      zkescrow compile deposit --depth 20 -o deposit.r1cs
      snarkjs r1cs info deposit.r1cs
    """
    from ..formats import sym_entries, write_r1cs, write_sym
    r1cs = _circuit(name, depth, pairs).compile()
    out = Path(output or f"{name}.r1cs")
    write_r1cs(r1cs, out)
    write_sym(sym_entries(r1cs), out.with_suffix(".sym"))
    if as_json:
        click.echo(json.dumps({"r1cs": str(out), "sym": str(out.with_suffix(".sym")),
                               "constraints": r1cs.n_constraints, "wires": r1cs.n_wires,
                               "public": r1cs.n_public}, indent=1))
        return
    click.echo(f"{out}: {r1cs.n_constraints} constraints, {r1cs.n_wires} wires, "
               f"{r1cs.n_public} public signals; symbols in {out.with_suffix('.sym')}")


@click.command("witness")
@click.argument("name")
@click.argument("input_json", required=False, type=click.Path(exists=True, dir_okay=False))
@_with_params
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="The .wtns to write (default NAME.wtns); with --example, the input file to write.")
@click.option("--example", is_flag=True,
              help="Print a valid INPUT_JSON for NAME (a fresh true statement) instead of computing a witness.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (public signals as strings).")
def witness_cmd(name, input_json, depth, pairs, output, example, as_json):
    """Compute the witness of built-in circuit NAME for INPUT_JSON (snarkjs input format).

    INPUT_JSON maps each input signal to a number or decimal string, arrays as (nested)
    lists, as circom's input.json.  `--example` prints one for NAME.  A false statement
    exits 1 naming the failing gadget and input.

    \b
    Example:
      zkescrow witness deposit --example > input.json
      zkescrow witness deposit input.json -o deposit.wtns
      snarkjs wtns check deposit.r1cs deposit.wtns
    """
    from ..formats import write_wtns
    if example:
        if input_json is not None:
            raise MalformedInput("--example prints an input; it takes no INPUT_JSON")
        from .examples import example_input
        text = json.dumps(example_input(name, _params(depth, pairs)), indent=1) + "\n"
        if output:
            from ..formats.binfile import write_file
            write_file(output, text.encode())
            click.echo(f"{output}: example input of {name}", err=True)
        else:
            click.echo(text, nl=False)
        return
    if input_json is None:
        raise MalformedInput(f"give INPUT_JSON, or print an example with `zkescrow witness {name} --example`")
    from ..formats.json_text import loads
    with open(input_json, "rb") as fh:
        inputs = loads(fh.read(), str(input_json))
    circuit = _circuit(name, depth, pairs)
    witness = circuit.witness(inputs)
    out = Path(output or f"{name}.wtns")
    write_wtns(witness, out)
    public = circuit.compile().public_signals(witness)
    if as_json:
        click.echo(json.dumps({"wtns": str(out), "values": len(witness), "public": [str(v) for v in public]},
                              indent=1))
        return
    click.echo(f"{out}: {len(witness)} values; public signals {public}")


def _named(path, read, data):
    """``read(data)`` with the file's name instead of ``<bytes>`` in an error message."""
    try:
        return read(data)
    except MalformedFile as exc:
        raise MalformedFile(str(exc).replace("<bytes>", str(path), 1)) from None


@click.command("inspect")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def inspect_cmd(path, as_json):
    """Summarise an .r1cs or .wtns file: magic, version, prime, counts.

    A BN254 file is fully validated; a file over another prime is summarised from its header.

    \b
    Example:
      zkescrow inspect circuit.r1cs --json
    """
    from ..bn254.constants import R
    from ..formats import read_r1cs, read_wtns
    from ..formats.binfile import load_bytes, parse_binfile
    data, _ = load_bytes(path)
    magic = data[:4]
    if magic not in (b"r1cs", b"wtns"):
        raise MalformedFile(f"{path}: not an .r1cs or .wtns file (magic {magic!r})")
    binfile = parse_binfile(data, magic, (1,) if magic == b"r1cs" else (2,), path)
    header = binfile.section(1, "header")
    n8 = header.u32()
    prime = header.bigint(n8)
    info = {"magic": magic.decode(), "version": binfile.version, "n8": n8, "prime": str(prime),
            "prime_is_bn254_r": prime == R}
    if magic == b"r1cs":
        keys = ("wires", "public_outputs", "public_inputs", "private_inputs")
        info.update({k: header.u32() for k in keys})
        info["labels"] = header.u64()
        info["constraints"] = header.u32()
        if prime == R:
            _named(path, read_r1cs, data)
    else:
        info["values"] = header.u32()
        if prime == R:
            info["first_is_one"] = _named(path, read_wtns, data)[:1] == [1]
    info["sections"] = {str(k): len(v) for k, v in binfile.sections.items()}
    if as_json:
        click.echo(json.dumps(info, indent=1))
    else:
        for key, value in info.items():
            click.echo(f"{key:<17} {value}")

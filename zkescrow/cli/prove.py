"""``zkescrow prove``, ``zkescrow verify`` and ``zkescrow export``: Groth16 in snarkjs's argument order.

Each command imports the library modules it needs inside its body, so ``zkescrow verify`` loads the
pairing but not the prover, the circuits or the file readers.
"""
import json
import sys
import time
from pathlib import Path

import click

from ..errors import InvalidProof, MalformedInput, ZkEscrowError

#: Domains at least this large get a progress bar (when stderr is a terminal).
_PROGRESS_MIN_DOMAIN = 1 << 12


def _read_json(path: str, what: str):
    from ..formats.json_text import loads
    return loads(Path(path).read_bytes(), f"{path}: {what}")


def _parsed(path: str, what: str, parse):
    """parse(JSON of path), with the file name put in front of any error message."""
    obj = _read_json(path, what)
    try:
        return parse(obj)
    except ZkEscrowError as exc:
        raise type(exc)(f"{path}: {exc}") from None


def _write_json(path: str, obj) -> None:
    from ..formats.binfile import write_file
    from ..groth16.proof import dumps
    write_file(path, dumps(obj).encode("utf-8"))


def _check_outputs(*paths) -> None:
    """Before any long work: every output path can be written, and no two are the same file."""
    from ..formats.binfile import check_writable
    resolved = [Path(p).resolve() for p in paths]
    if len(set(resolved)) != len(resolved):
        raise MalformedInput(f"output files must differ: {', '.join(paths)}")
    for p in paths:
        check_writable(p)


def _ms(timings: dict) -> dict:
    return {k: round(v * 1000, 3) for k, v in timings.items()}


class _ProgressBar:
    """One line on stderr, redrawn as the prover moves from phase to phase."""

    WIDTH = 30

    def __call__(self, phase: str, fraction: float) -> None:
        filled = int(self.WIDTH * fraction)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        end = "\n" if phase == "done" else ""
        sys.stderr.write(f"\rproving [{bar}] {int(fraction * 100):3d}% {phase:<10}{end}")
        sys.stderr.flush()


def _builtin_circuit(name: str):
    """The registry entry called ``name``, or None (no registry, or no such circuit)."""
    try:
        from circuits import registry
    except ImportError:
        return None
    return registry.CIRCUITS.get(name)


def _parse_params(pairs) -> dict:
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise MalformedInput(f"--param {pair!r}: expected KEY=VALUE")
        try:
            params[key] = int(value)
        except ValueError:
            params[key] = value
    return params


PROVE_HELP = """Make a Groth16 proof (snarkjs-compatible proof.json and public.json).

\b
File form (same order as `snarkjs groth16 prove`):
  zkescrow prove CIRCUIT.zkey WITNESS.wtns PROOF.json PUBLIC.json
Built-in circuit form (the witness is computed here from the inputs):
  zkescrow prove NAME --input input.json --zkey NAME.zkey -o proof.json --public public.json

\b
Example:
  zkescrow prove multiplier.zkey witness.wtns proof.json public.json --json
"""


@click.command("prove", help=PROVE_HELP)
@click.argument("args", nargs=-1, metavar="CIRCUIT.zkey WITNESS.wtns PROOF.json PUBLIC.json | NAME")
@click.option("--input", "input_path", metavar="INPUT.json", help="Circuit inputs (built-in circuit form).")
@click.option("--zkey", "zkey_path", metavar="NAME.zkey", help="Proving key (built-in form; default NAME.zkey).")
@click.option("-o", "--output", "proof_path", metavar="PROOF.json", help="Proof file (built-in form; default proof.json).")
@click.option("--public", "public_path", metavar="PUBLIC.json",
              help="Public signals file (built-in form; default public.json).")
@click.option("--depth", type=int, default=None, help="Merkle tree depth (built-in circuits that have one).")
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE",
              help="Circuit parameter (built-in form), e.g. -p depth=20.")
@click.option("--json", "as_json", is_flag=True, help="Print paths and per-phase timings as JSON.")
def prove(args, input_path, zkey_path, proof_path, public_path, depth, params, as_json):
    t0 = time.perf_counter()
    entry = _builtin_circuit(args[0]) if len(args) == 1 else None
    if entry is not None:
        name = args[0]
        if input_path is None:
            raise MalformedInput(f"built-in circuit {name!r} needs --input INPUT.json")
        zkey_path = zkey_path or f"{name}.zkey"
        proof_path = proof_path or "proof.json"
        public_path = public_path or "public.json"
        from circuits import registry
        circuit_params = _parse_params(params)
        if depth is not None:
            circuit_params["depth"] = depth
        if "depth" in circuit_params:
            from .circuits import check_depth
            check_depth(circuit_params["depth"])
        circuit = registry.get(name, **circuit_params)
        _check_outputs(proof_path, public_path)
        inputs = _read_json(input_path, "circuit input")
        if not isinstance(inputs, dict):
            raise MalformedInput(f"{input_path}: circuit input must be a JSON object")
        witness = circuit.witness(inputs)
        source = f"circuit {name}"
    elif len(args) == 4:
        if input_path or params or depth is not None:
            raise MalformedInput("--input/--param/--depth go with a built-in circuit name, not with a .wtns file")
        zkey_path, witness_path, proof_path, public_path = args
        _check_outputs(proof_path, public_path)
        from ..formats.wtns_file import read_wtns
        witness = read_wtns(witness_path)
        source = witness_path
    elif len(args) == 1:
        raise MalformedInput(f"{args[0]!r} is not a built-in circuit; "
                             f"give CIRCUIT.zkey WITNESS.wtns PROOF.json PUBLIC.json")
    else:
        raise MalformedInput(f"expected CIRCUIT.zkey WITNESS.wtns PROOF.json PUBLIC.json or a built-in circuit "
                             f"name, got {len(args)} arguments")
    t_witness = time.perf_counter()

    from ..groth16.key_cache import load_proving_key
    from ..groth16.proof import public_signals_to_json
    from ..groth16.prove import prove as groth16_prove
    pk, _ = load_proving_key(zkey_path)        # decoded-key cache, keyed by the .zkey's SHA-256
    t_key = time.perf_counter()
    if len(witness) != pk.n_vars:
        raise MalformedInput(f"{source} has {len(witness)} values but {zkey_path} needs {pk.n_vars} "
                             f"(witness and key of different circuits?)")
    progress = _ProgressBar() if sys.stderr.isatty() and pk.domain_size >= _PROGRESS_MIN_DOMAIN \
        and not as_json else None
    timings = {}
    proof, public = groth16_prove(pk, witness, timings=timings, progress=progress)
    # public.json first: a failure in between never leaves a proof.json without its public signals
    _write_json(public_path, public_signals_to_json(public))
    _write_json(proof_path, proof.to_json())
    if pk.gamma2 == pk.delta2:      # after the work, so a failure above stays one line on stderr
        click.echo(f"warning: {zkey_path} has no phase-2 contribution (gamma = delta): anyone holding the ptau "
                   f"can forge proofs under it; add one with `zkescrow zkey contribute`", err=True)
    if as_json:
        all_ms = {"read_witness": (t_witness - t0), "read_zkey": t_key - t_witness, **timings,
                  "wall": time.perf_counter() - t0}
        click.echo(json.dumps({"proof": proof_path, "public": public_path, "n_public": pk.n_public,
                               "n_vars": pk.n_vars, "domain_size": pk.domain_size, "timings_ms": _ms(all_ms)},
                              indent=1))


VERIFY_HELP = """Verify a Groth16 proof (snarkjs JSON files, same order as `snarkjs groth16 verify`).

Prints OK (exit 0) or INVALID (exit 1); malformed input (bad JSON, wrong shapes, coordinates
not below q, points off the curve or outside G2, public signals not below r, wrong count) is one
line on stderr naming the problem (exit 2).  A key anyone can forge proofs under (gamma = ±delta,
e.g. a .zkey without a phase-2 contribution, or delta = ±G2) is refused with one line (exit 1:
the key is well formed but the statement "this proof is valid" cannot hold under it);
--allow-insecure-key checks the proof anyway, for tests.

\b
Example:
  zkescrow verify verification_key.json public.json proof.json
"""


@click.command("verify", help=VERIFY_HELP)
@click.argument("vk_path", metavar="VK.json")
@click.argument("public_path", metavar="PUBLIC.json")
@click.argument("proof_path", metavar="PROOF.json")
@click.option("--json", "as_json", is_flag=True, help="Print the result and per-phase timings as JSON.")
@click.option("--allow-insecure-key", is_flag=True,
              help="Check the proof even under a key anyone can forge under (gamma = ±delta, delta = ±G2); "
                   "for tests only.")
def verify(vk_path, public_path, proof_path, as_json, allow_insecure_key):
    t0 = time.perf_counter()
    from ..groth16.proof import Proof, parse_public_signals
    from ..groth16.verify import verify as groth16_verify
    from ..groth16.vk import VerificationKey
    vk = _parsed(vk_path, "verification key", VerificationKey.from_json)
    proof = _parsed(proof_path, "proof", Proof.from_json)
    public = _parsed(public_path, "public signals", lambda obj: parse_public_signals(obj, vk.n_public))
    t_parse = time.perf_counter()
    timings = {}
    ok = groth16_verify(vk, public, proof, timings=timings, allow_insecure=allow_insecure_key)
    if allow_insecure_key and (reason := vk.insecurity()) is not None:
        click.echo(f"warning: {vk_path} is insecure ({reason}): this result proves nothing", err=True)
    total = time.perf_counter() - t0
    if as_json:
        click.echo(json.dumps({"valid": ok, "timings_ms": _ms({"parse": t_parse - t0, **timings, "wall": total})},
                              indent=1))
    else:
        click.echo("OK" if ok else "INVALID")
    if not ok:
        raise InvalidProof(f"{proof_path} does not verify for {public_path} under {vk_path}")


EXPORT_HELP = """Export a proof as Solidity calldata, or a verification key as a Solidity verifier.

\b
Example:
  zkescrow export calldata public.json proof.json
  zkescrow export solidity verification_key.json Verifier.sol
"""


@click.group("export", help=EXPORT_HELP)
def export():
    """Export commands (calldata, solidity)."""


@export.command("calldata")
@click.argument("public_path", metavar="PUBLIC.json")
@click.argument("proof_path", metavar="PROOF.json")
def export_calldata(public_path, proof_path):
    """Print the arguments of verifyProof(a, b, c, input), as `snarkjs zkey export soliditycalldata`.

    \b
    Example:
      zkescrow export calldata public.json proof.json
    """
    from ..groth16.calldata import calldata
    from ..groth16.proof import Proof, parse_public_signals
    public = _parsed(public_path, "public signals", parse_public_signals)
    proof = _parsed(proof_path, "proof", Proof.from_json)
    click.echo(calldata(public, proof))


@export.command("solidity")
@click.argument("vk_path", metavar="VK.json")
@click.argument("out_path", metavar="Verifier.sol")
def export_solidity(vk_path, out_path):
    """Write a Solidity verifier contract (EIP-196/197 precompiles) for a verification key.

    \b
    Example:
      zkescrow export solidity verification_key.json Verifier.sol
    """
    from ..groth16.solidity import solidity_verifier
    from ..groth16.vk import VerificationKey
    from ..formats.binfile import write_file
    vk = _parsed(vk_path, "verification key", VerificationKey.from_json)
    write_file(out_path, solidity_verifier(vk).encode("utf-8"))

"""``zkescrow bench``: the Groth16 benchmark suite (bench/suite.py) from the command line.

``bench`` is a top-level package of the distribution (pyproject.toml ``packages.find``), so this
command imports it like any dependency, from a source checkout or an installed wheel.  The suite
measures what is available: the snarkjs columns need the npm peers of tests/interop (a checkout),
the plots need matplotlib (the ``bench`` extra).
"""
from pathlib import Path

import click

from ..errors import MalformedInput

BENCH_HELP = """Benchmark the prover and verifier beside snarkjs, groth16py and py_ecc.

Runs bench/suite.py: the depth-20 transfer circuit (and, without --quick, a circom2 Poseidon
membership circuit) proved and verified by every available implementation on the same key and
witness, a scaling sweep over circuit size, and the built-in circuits.  Prints a Markdown table
and writes results.json, results.md and PNG plots to --out.

\b
Hardware profiles: --cores N (CPU affinity), --memory 512M (address-space limit; runs that
exceed it are reported as out of memory), --cpu-quota 0.5 (cgroup v2, when writable), or a
--preset: rpi4, phone, server, single.

\b
Example:
  zkescrow bench --quick
  zkescrow bench --preset phone --sizes 8,10,12 --out /tmp/bench-phone
  zkescrow bench --targets '' --sizes '' --circuits '' --presets server,rpi4,phone,single --runs 3
"""


def _bench_module():
    """``bench.suite``, installed with the package (pyproject declares ``bench`` a package)."""
    try:
        from bench import suite
    except ImportError as exc:
        raise MalformedInput(f"zkescrow bench cannot load the benchmark suite ({exc}); install "
                             f"zkescrow[bench] for its optional dependencies") from None
    return suite


@click.command("bench", help=BENCH_HELP)
@click.option("--quick", is_flag=True, help="About two minutes: transfer depth 20 and a sweep up to 2^12.")
@click.option("--runs", type=int, default=None, help="Timed runs per measurement (default 5, quick 3).")
@click.option("--preset", type=click.Choice(["rpi4", "phone", "server", "single"]), default=None,
              help="Named hardware profile.")
@click.option("--cores", type=int, default=None, help="Pin measured processes to N CPUs.")
@click.option("--memory", default=None, metavar="SIZE", help="Address-space limit, e.g. 512M.")
@click.option("--cpu-quota", type=float, default=None, help="CPUs of bandwidth through cgroup v2 cpu.max.")
@click.option("--sizes", default=None, metavar="K,K,...", help="Sweep exponents (constraints 2^K), e.g. 8,10,12.")
@click.option("--targets", default=None, metavar="NAMES", help="Target fixtures, e.g. transfer-d20,membership-d20.")
@click.option("--circuits", default=None, metavar="NAMES",
              help="Built-in circuits of the registry to prove and verify (default: all), e.g. deposit,transfer.")
@click.option("--presets", default=None, metavar="NAMES",
              help="The car's deposit proof and time to first packet under these presets, e.g. rpi4,phone,single.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Output directory.")
@click.option("--publish", is_flag=True, help="Copy results to bench/results and refresh bench/RESULTS.md.")
@click.option("--no-plots", is_flag=True, help="Skip the PNG plots.")
def bench(**options):
    suite = _bench_module()
    if options["runs"] is not None and options["runs"] < 1:
        raise click.UsageError("--runs must be at least 1")
    if options["presets"] is not None:
        from bench.profiles import PRESETS
        unknown = [x for x in options["presets"].split(",") if x and x not in PRESETS]
        if unknown:
            raise click.UsageError(f"--presets: unknown preset {unknown[0]!r} (known: {', '.join(PRESETS)})")
    if options["memory"] is not None:
        from bench.profiles import parse_memory
        try:
            parse_memory(options["memory"])
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None

    class Args:
        pass
    args = Args()
    for key, value in options.items():
        setattr(args, key, value)
    suite.execute(args)

"""Entry point of the ``zkescrow`` command.

Subcommands are imported only when they run, so ``zkescrow verify`` does not pay
for the modules of ``zkescrow bench``.  Errors follow one rule: a
``StatementFalse`` (e.g. an invalid proof) is one line on stderr and exit 1, any
other ``ZkEscrowError`` (malformed input) is one line and exit 2.
"""
import importlib
import sys

import click

from .. import __version__
from ..errors import StatementFalse, ZkEscrowError

#: name -> "module:attribute" of a click command or group, imported on first use.
COMMANDS = {
    "demo": "zkescrow.cli.demo:demo",
    "enclave": "zkescrow.cli.enclave:enclave",
    "circuits": "zkescrow.cli.circuits:circuits_cmd",
    "compile": "zkescrow.cli.circuits:compile_cmd",
    "witness": "zkescrow.cli.circuits:witness_cmd",
    "inspect": "zkescrow.cli.circuits:inspect_cmd",
    "poseidon": "zkescrow.cli.poseidon:poseidon_cmd",
    "setup": "zkescrow.cli.setup:setup_cmd",
    "zkey": "zkescrow.cli.setup:zkey_group",
    "channel-demo": "zkescrow.cli.channel:channel_demo",
    "compare": "zkescrow.cli.escrow:compare",
    "observe": "zkescrow.cli.escrow:observe_cmd",
    "ledger": "zkescrow.cli.escrow:ledger_group",
    "wallet": "zkescrow.cli.escrow:wallet_group",
    "prove": "zkescrow.cli.prove:prove",
    "verify": "zkescrow.cli.prove:verify",
    "export": "zkescrow.cli.prove:export",
    "bench": "zkescrow.cli.bench:bench",
}


class LazyGroup(click.Group):
    """A click group whose subcommands live in modules imported on demand."""

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="zkescrow")
def cli():
    """zkescrow: privacy-preserving escrow and token streaming between machines.

    \b
    Example:
      zkescrow demo
    """


def main(argv=None):
    """Run the CLI; map library errors to one line on stderr and exit 1 or 2."""
    try:
        cli.main(args=argv, prog_name="zkescrow", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except StatementFalse as exc:
        click.echo(f"zkescrow: {exc}", err=True)
        sys.exit(1)
    except ZkEscrowError as exc:
        click.echo(f"zkescrow: {exc}", err=True)
        sys.exit(2)
    except OSError as exc:
        click.echo(f"zkescrow: {exc}", err=True)
        sys.exit(2)
    sys.exit(0)


if __name__ == "__main__":
    main()

"""Entry point of the ``zkescrow`` command.

Subcommands are imported only when they run, so ``zkescrow verify`` does not pay
for the modules of ``zkescrow bench``.  Errors follow one rule: a
``StatementFalse`` (e.g. an invalid proof) is one line on stderr and exit 1, any
other ``ZkEscrowError`` (malformed input) is one line and exit 2.
"""
import importlib
import json
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
    "simulate": "zkescrow.cli.privacy:simulate_cmd",
    "privacy-eval": "zkescrow.cli.privacy:privacy_eval_cmd",
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


def _usage_line(exc: click.UsageError) -> str:
    """A click usage error as one line: what was wrong and where the help is."""
    ctx = exc.ctx
    where = ctx.command_path if ctx is not None else "zkescrow"
    if isinstance(exc, getattr(click.exceptions, "NoArgsIsHelpError", ())) and isinstance(ctx.command, click.Group):
        names = ", ".join(ctx.command.list_commands(ctx))
        message = f"missing command (one of: {names})"
    else:
        message = " ".join(exc.format_message().split())
    return f"{where}: {message} (see '{where} --help')"


def _os_error_line(exc: OSError) -> str:
    if exc.filename is not None and exc.strerror:
        return f"zkescrow: {exc.filename}: {exc.strerror}"
    return f"zkescrow: {exc}"


def main(argv=None):
    """Run the CLI; map library errors to one line on stderr and exit 1 or 2."""
    try:
        cli.main(args=argv, prog_name="zkescrow", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.UsageError as exc:
        click.echo(_usage_line(exc), err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"zkescrow: {' '.join(exc.format_message().split())}", err=True)
        sys.exit(2)
    except StatementFalse as exc:
        click.echo(f"zkescrow: {exc}", err=True)
        sys.exit(1)
    except ZkEscrowError as exc:
        click.echo(f"zkescrow: {exc}", err=True)
        sys.exit(2)
    except OSError as exc:
        click.echo(_os_error_line(exc), err=True)
        sys.exit(2)
    except json.JSONDecodeError as exc:
        click.echo(f"zkescrow: not valid JSON: {exc}", err=True)
        sys.exit(2)
    except UnicodeDecodeError as exc:
        click.echo(f"zkescrow: not UTF-8 text: {exc}", err=True)
        sys.exit(2)
    sys.exit(0)


if __name__ == "__main__":
    main()

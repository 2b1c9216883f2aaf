"""Entry point of the ``zkescrow`` command.

Subcommands are imported only when they run, so ``zkescrow verify`` does not pay
for the modules of ``zkescrow bench``.  Errors follow one rule: a
``StatementFalse`` (e.g. an invalid proof) is one line on stderr and exit 1, any
other ``ZkEscrowError`` (malformed input) is one line and exit 2.
"""
import json
import sys

import click

from .. import __version__
from ..errors import ZkEscrowError, exit_code

def _module(name: str):
    """The CLI module ``name``, imported on first use with a plain import (so the layering check sees it)."""
    if name == "demo":
        from . import demo as module
    elif name == "enclave":
        from . import enclave as module
    elif name == "circuits":
        from . import circuits as module
    elif name == "poseidon":
        from . import poseidon as module
    elif name == "setup":
        from . import setup as module
    elif name == "channel":
        from . import channel as module
    elif name == "escrow":
        from . import escrow as module
    elif name == "ledger":
        from . import ledger as module
    elif name == "wallet":
        from . import wallet as module
    elif name == "prove":
        from . import prove as module
    elif name == "bench":
        from . import bench as module
    elif name == "privacy":
        from . import privacy as module
    elif name == "wasm":
        from . import wasm as module
    elif name == "ptau":
        from . import ptau as module
    elif name == "cache":
        from . import cache as module
    else:
        raise KeyError(name)
    return module


#: name -> (module of zkescrow.cli, attribute) of a click command or group, imported on first use.
COMMANDS = {
    "demo": ("demo", "demo"),
    "enclave": ("enclave", "enclave"),
    "circuits": ("circuits", "circuits_cmd"),
    "compile": ("circuits", "compile_cmd"),
    "witness": ("circuits", "witness_cmd"),
    "inspect": ("circuits", "inspect_cmd"),
    "poseidon": ("poseidon", "poseidon_cmd"),
    "setup": ("setup", "setup_cmd"),
    "zkey": ("setup", "zkey_group"),
    "channel-demo": ("channel", "channel_demo"),
    "compare": ("escrow", "compare"),
    "observe": ("escrow", "observe_cmd"),
    "ledger": ("ledger", "ledger_group"),
    "wallet": ("wallet", "wallet_group"),
    "prove": ("prove", "prove"),
    "verify": ("prove", "verify"),
    "export": ("prove", "export"),
    "bench": ("bench", "bench"),
    "simulate": ("privacy", "simulate_cmd"),
    "privacy-eval": ("privacy", "privacy_eval_cmd"),
    "wtns": ("wasm", "wtns_group"),
    "fullprove": ("wasm", "fullprove"),
    "powersoftau": ("ptau", "ptau_group"),
    "cache": ("cache", "cache_group"),
}


class LazyGroup(click.Group):
    """A click group whose subcommands live in modules imported on demand."""

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target
        return getattr(_module(module), attr)


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
    except ZkEscrowError as exc:
        click.echo(f"zkescrow: {exc}", err=True)
        sys.exit(exit_code(exc))
    except OSError as exc:
        click.echo(_os_error_line(exc), err=True)
        sys.exit(2)
    except json.JSONDecodeError as exc:
        click.echo(f"zkescrow: not valid JSON: {exc}", err=True)
        sys.exit(2)
    except UnicodeDecodeError as exc:
        click.echo(f"zkescrow: not UTF-8 text: {exc}", err=True)
        sys.exit(2)
    except RecursionError:
        click.echo("zkescrow: input nested too deeply", err=True)
        sys.exit(2)
    except ValueError as exc:
        if "for integer string conversion" not in str(exc):     # Python's digit limit: input, not a bug
            raise
        click.echo(f"zkescrow: a number in the input is too large ({str(exc).split(';')[0]})", err=True)
        sys.exit(2)
    sys.exit(0)


if __name__ == "__main__":
    main()

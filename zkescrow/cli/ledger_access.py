"""What the ledger commands share: the data directory's layout and writer lock, opening the ledger, committing
one block, and the AMOUNT argument.

Everything lives in a data directory (default ./zkescrow-data): the ledger in ``ledger/``, circuit
keys in ``keys/``, wallet key files in ``wallets/NAME.json`` (readable by their owner only).  Each
command that changes the ledger submits its transaction and commits a block at once (an embedded,
single-node ledger).

Commands that read the ledger, build a transaction and commit it hold the writer lock
(``DATA_DIR/.writer.lock``, flock) from the first read to the commit, so concurrent ones take turns instead
of picking the same nonce or note.  Readers never take it.
"""
from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path

import click

#: Seconds a writer waits for another to finish before giving up with "ledger busy".
LOCK_WAIT_S = float(os.environ.get("ZKESCROW_LOCK_WAIT", "600"))

#: Largest amount a command takes: the ledger's whole supply fits in a signed 64-bit integer.
MAX_AMOUNT = (1 << 63) - 1

DATA_DIR_OPTION = click.option("--data-dir", type=click.Path(file_okay=False), default="zkescrow-data",
                               show_default=True, help="Ledger, keys and wallets.")


def ledger_dir(data_dir) -> Path:
    return Path(data_dir) / "ledger"


def open_ledger(data_dir, *, with_keys: bool = False, readonly: bool = False):
    """The data directory's ledger (MalformedInput if there is none), with its circuit keys if asked."""
    from zkescrow.ledger.ledger import Ledger
    from zkescrow.ledger.proofs import CircuitKeys
    from zkescrow.errors import MalformedInput
    path = ledger_dir(data_dir)
    if not (path / "ledger.sqlite").exists():
        raise MalformedInput(f"no ledger in {path}: run `zkescrow ledger init` or `zkescrow demo` first")
    ledger = Ledger(path, readonly=readonly)
    if with_keys:
        ledger.keys = CircuitKeys(Path(data_dir) / "keys", ledger.depth,
                                  log=lambda m: click.echo(m, err=True))
    return ledger


def wallet_path(data_dir, name: str) -> Path:
    """Where wallet ``name``'s key file lives (MalformedInput for a name that is not letters, digits, - and _)."""
    from zkescrow.errors import MalformedInput
    if not name or not name.replace("-", "").replace("_", "").isalnum():
        raise MalformedInput(f"wallet names are letters, digits, '-' and '_': {name!r}")
    return Path(data_dir) / "wallets" / f"{name}.json"


def load_keys(data_dir, name: str):
    """Wallet ``name``'s keys (MalformedInput if it does not exist)."""
    from zkescrow.errors import MalformedInput
    from zkescrow.ledger.keys import WalletKeys
    path = wallet_path(data_dir, name)
    if not path.exists():
        raise MalformedInput(f"no wallet {name!r} in {path.parent} (zkescrow wallet new {name})")
    return WalletKeys.load(path)


def echo_json(obj) -> None:
    click.echo(json.dumps(obj, indent=1, sort_keys=True, default=str))


def commit(ledger, *txs) -> None:
    """Submit and commit in one block; a rejection is TransactionRejected (exit 1) with the ledger's reason."""
    from zkescrow.errors import TransactionRejected
    for tx in txs:
        ledger.submit(tx)
    result = ledger.commit_block()
    if result.rejected:
        kind = next(tx.kind for tx in txs if tx.txid == result.rejected[0][0])
        raise TransactionRejected(f"{kind} rejected by the ledger: {result.rejected[0][1]}")
    for tx in txs:
        click.echo(f"block {result.height}: {tx.kind} {tx.txid[:16]}… ({tx.size:,} bytes)")


@contextmanager
def writer_lock(data_dir):
    """Hold the data directory's writer lock (``DATA_DIR/.writer.lock``, flock) for one command.

    Commands that read the ledger, build a transaction and commit it run one at a time, so two
    payments from one wallet never pick the same nonce or note; the others wait their turn.
    """
    import fcntl
    import time
    from zkescrow.errors import ZkEscrowError
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    fd = os.open(Path(data_dir) / ".writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise ZkEscrowError(f"ledger busy: another zkescrow command has been writing to {data_dir} "
                                        f"for {LOCK_WAIT_S:.0f} s; try again when it is done") from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)            # releases the lock


class Amount(click.ParamType):
    """A positive whole amount of base units, with messages that say what is wrong with it."""

    name = "AMOUNT"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            number = value
        else:
            text = str(value).strip().replace("_", "")
            try:
                number = int(text, 10)
            except ValueError:
                self.fail(f"the amount must be a whole number of base units, got {value!r}", param, ctx)
        if number < 0:
            self.fail(f"the amount cannot be negative, got {number}", param, ctx)
        if number == 0:
            self.fail("the amount must be at least 1", param, ctx)
        if number > MAX_AMOUNT:
            self.fail(f"the amount {number} is larger than any ledger can hold ({MAX_AMOUNT:,})", param, ctx)
        return number


#: Commands whose AMOUNT argument may look like an option (-5) get it as an argument, to say it is negative.
AMOUNT_COMMAND = {"context_settings": {"ignore_unknown_options": True}}



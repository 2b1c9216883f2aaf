"""What the ledger commands share: the data directory's writer lock and the AMOUNT argument.

Commands that read the ledger, build a transaction and commit it hold the writer lock
(``DATA_DIR/.writer.lock``, flock) from the first read to the commit, so concurrent ones take turns instead
of picking the same nonce or note.  Readers never take it.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import click

#: Seconds a writer waits for another to finish before giving up with "ledger busy".
LOCK_WAIT_S = float(os.environ.get("ZKESCROW_LOCK_WAIT", "600"))

#: Largest amount a command takes: the ledger's whole supply fits in a signed 64-bit integer.
MAX_AMOUNT = (1 << 63) - 1


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



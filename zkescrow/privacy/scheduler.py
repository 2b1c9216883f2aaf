"""Concurrent sessions on one ledger: each session runs in its own thread, one at a time, block by block.

A session is ordinary sequential protocol code.  Where it would mine a block it calls
``Task.next_block(txs)`` instead: the transactions go into the next block that the
scheduler commits, together with those of every other open session and the
population's background traffic, and the session sleeps until that block exists.
Only one thread runs at any moment (a baton passes between the scheduler and the
tasks), so the threads need no locks; each task opens its own connection to the
ledger (SQLite connections stay in the thread that made them).
"""
from __future__ import annotations

import threading


class Task:
    """One session played in its own thread (see the module docstring)."""

    def __init__(self, name: str, body):
        self.name = name
        self._body = body
        self._go, self._back = threading.Event(), threading.Event()
        self._txs: list = []
        self.block = None              # the BlockResult the task woke up to
        self.result = None
        self.error: BaseException | None = None
        self.done = False
        self.parties_free = False      # set by the body when its parties may start other work before it ends
        self._thread = threading.Thread(target=self._main, name=f"session-{name}", daemon=True)
        self._started = False

    # --- inside the task's thread ----------------------------------------------------------
    def _main(self) -> None:
        self._go.wait()
        self._go.clear()
        try:
            self.result = self._body(self)
        except BaseException as exc:          # handed to the scheduler, which re-raises it
            self.error = exc
        self.done = True
        self._back.set()

    def next_block(self, txs=()):
        """Put ``txs`` into the next block and sleep until it is committed; returns its BlockResult."""
        self._txs = list(txs)
        self._back.set()
        self._go.wait()
        self._go.clear()
        return self.block

    # --- in the scheduler's thread ---------------------------------------------------------
    def step(self, block=None) -> list:
        """Run the task until it waits for a block (or ends); returns the transactions it wants mined."""
        self.block = block
        if not self._started:
            self._started = True
            self._thread.start()
        self._go.set()
        self._back.wait()
        self._back.clear()
        if self.error is not None:
            self._thread.join()
            raise self.error
        if self.done:
            self._thread.join()
        txs, self._txs = self._txs, []
        return txs

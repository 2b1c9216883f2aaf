"""The API for writing a program that runs inside a simulated enclave.

A program is a module with one ``EnclaveProgram`` subclass.  Its entry points (ecalls) are methods marked
with ``@ecall``; nothing else is callable from outside.  Its private state lives in the instance; what must
survive a restart goes through ``self.ctx.save_state`` (sealed, rollback-protected) and comes back in
``on_start``::

    from enclave_sim import EnclaveProgram, ecall

    class Counter(EnclaveProgram):
        config = {"limit": 10}                 # part of the measurement

        def on_start(self, state):             # state: what the last save_state stored, or None
            self.n = state["n"] if state else 0

        @ecall
        def bump(self) -> int:
            if self.n >= self.config["limit"]:
                raise ValueError("limit reached")
            self.n += 1
            self.ctx.save_state({"n": self.n})  # counter++, seal, hand the blob to the host
            return self.n

Arguments and results of ecalls reached over the secure channel are JSON values; sealed state is a JSON
value too (encode bytes as hex).  The context ``self.ctx`` (an ``EnclaveContext``) gives the program its
identity, its keys (``ctx.sign``, ``ctx.signing_key``, ``ctx.agreement_key``), sealing (``ctx.seal`` /
``ctx.unseal`` for extra data, ``ctx.save_state`` / ``ctx.open_state`` for counter-protected state), its
monotonic counter (``ctx.counter``, ``ctx.check_anchor(n)`` against a ledger-anchored copy) and
``ctx.halt(reason)`` to fail closed.
"""
from __future__ import annotations

from typing import Any, Callable, ClassVar, Mapping

from .identity import KeyPolicy

ECALL_MARK = "__enclave_ecall__"


def ecall(function: Callable) -> Callable:
    """Declare a method of an EnclaveProgram as an entry point callable from outside the enclave."""
    setattr(function, ECALL_MARK, True)
    return function


class EnclaveProgram:
    """Base class of enclave programs; see the module docstring for an example.

    Class attributes a program may set:
      config            JSON object measured with the code (limits, fixed parameters); read via ``self.config``
      seal_policy       KeyPolicy for save_state: MRENCLAVE (default: only this exact build reads the state)
                        or MRSIGNER (later versions of the same signer and product read it: upgrades)
      measured_modules  dotted names of further modules the program relies on; their source is measured too
    """
    config: ClassVar[Mapping[str, Any]] = {}
    seal_policy: ClassVar[KeyPolicy] = KeyPolicy.MRENCLAVE
    measured_modules: ClassVar[tuple[str, ...]] = ()

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.config = ctx.config

    def on_start(self, state: Any | None) -> None:
        """Called once at launch (and on a host-driven restore) with the latest sealed state, None when fresh."""

    @classmethod
    def entry_points(cls) -> dict[str, Callable]:
        """Declared ecalls by name (methods marked with ``@ecall``, including inherited ones)."""
        found = {}
        for name in dir(cls):
            if name.startswith("_"):
                continue
            member = getattr(cls, name, None)
            if callable(member) and getattr(member, ECALL_MARK, False):
                found[name] = member
        return found

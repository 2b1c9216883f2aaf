"""Durable files of a simulated platform: atomic writes, monotonic counters, the host's blob store.

Two kinds of storage with different trust:

* ``MonotonicCounters`` models trusted non-volatile counters (SGX PSE counters, a TPM NV index, eMMC RPMB):
  values only go up and survive restarts.  The simulator keeps them in one JSON file, rewritten atomically
  (temp file, fsync, rename, fsync of the directory) and MACed with a platform key so corruption or a naive
  edit is detected.  Whoever can restore an older copy of that file *and* the matching sealed blob defeats
  rollback protection: real deployments put counters where the host cannot rewind them.
* ``HostStorage`` is the untrusted host's disk where enclaves leave sealed blobs.  The host may delete,
  swap or replay those files at will; sealing and the counters are what make that harmless.
"""
from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
from pathlib import Path

from zkescrow.errors import MalformedInput, RollbackDetected, SealingError


def atomic_write(path: str | os.PathLike, data: bytes, *, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data`` so a crash leaves either the old or the new file, never a mix."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class MonotonicCounters:
    """Named counters that only increase, persisted in ``path`` (see the module docstring).

    Every read goes to the file and every increment holds an exclusive lock on ``path.lock`` across
    read-modify-write, so several processes (or Platform objects) on one directory never hand out a value twice.
    """

    def __init__(self, path: str | os.PathLike, mac_key: bytes):
        self._path = Path(path)
        self._mac_key = mac_key
        self._load()                       # fail early on a corrupt or tampered store

    def _mac(self, body: bytes) -> str:
        return hmac.new(self._mac_key, b"zkescrow/enclave_sim/counters\x00" + body, hashlib.sha256).hexdigest()

    def _load(self) -> dict[str, int]:
        if not self._path.exists():
            return {}
        try:
            outer = json.loads(self._path.read_bytes())
            body = outer["counters"].encode()
            ok = hmac.compare_digest(self._mac(body), outer["mac"])
            values = json.loads(body)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise SealingError(f"monotonic counter store {self._path} is corrupt") from None
        if not ok or not all(isinstance(v, int) and v >= 0 for v in values.values()):
            raise SealingError(f"monotonic counter store {self._path} was tampered with (MAC mismatch)")
        return values

    def read(self, name: str) -> int:
        return self._load().get(name, 0)

    def increment(self, name: str, expected: int | None = None) -> int:
        """Advance counter ``name`` by one, durably, and return the new value.

        With ``expected`` this is a compare-and-increment: if the counter is not at ``expected`` (another
        instance of the enclave moved it), nothing changes and RollbackDetected is raised.
        """
        lock = os.open(self._path.with_name(self._path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            values = self._load()
            current = values.get(name, 0)
            if expected is not None and current != expected:
                raise RollbackDetected(f"monotonic counter is at {current}, not at {expected} as this enclave "
                                       f"left it: another instance forked the state")
            values[name] = current + 1
            body = json.dumps(values, sort_keys=True, separators=(",", ":"))
            atomic_write(self._path, json.dumps({"counters": body, "mac": self._mac(body.encode())}).encode())
            return values[name]
        finally:
            os.close(lock)          # releases the lock


class HostStorage:
    """The host's untrusted directory of sealed blobs, one file per (enclave slot, name)."""

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)

    def path(self, slot: str, name: str) -> Path:
        if not slot.isalnum() or not name.replace("-", "").isalnum():
            raise MalformedInput(f"bad storage name {slot!r}/{name!r}")
        return self.directory / slot / f"{name}.sealed"

    def read(self, slot: str, name: str) -> bytes | None:
        try:
            return self.path(slot, name).read_bytes()
        except FileNotFoundError:
            return None

    def write(self, slot: str, name: str, blob: bytes) -> None:
        p = self.path(slot, name)
        p.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(p, blob)

"""Memory of a measured process tree, read from /proc while it runs (Linux).

``tree_mib(root)`` sums the proportional set size (PSS: each shared page divided among the processes
that map it) of every descendant of ``root``; copy-on-write pages a prover shares with its forked
workers count once, and the launcher at the root (bench/launch.py) is left out.  Where a kernel has no
``smaps_rollup`` the resident set from ``statm`` is used instead (shared pages then count once per
process: an upper bound).  ``poll_peak`` samples until the root exits.
"""
from __future__ import annotations

import os
import time

_PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4


def descendants(pid: int) -> list[int]:
    """All descendants of ``pid`` (not ``pid`` itself), from /proc/<pid>/task/*/children."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    kids = [int(x) for x in f.read().split()]
                out.extend(kids)
                todo.extend(kids)
        except OSError:
            pass
    return out


def process_kib(pid: int) -> int:
    """PSS of one process in KiB (resident set if PSS is unavailable); 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * _PAGE_KIB
    except (OSError, ValueError, IndexError):
        return 0


def tree_mib(root: int) -> float:
    """Summed PSS of the descendants of ``root`` in MiB."""
    return sum(process_kib(p) for p in descendants(root)) / 1024


def poll_peak(proc, deadline: float, interval: float = 0.01) -> tuple[float, bool]:
    """(largest ``tree_mib(proc.pid)`` seen, timed out?) sampling every ``interval`` s until ``proc`` exits."""
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, tree_mib(proc.pid))
        if time.perf_counter() > deadline:
            return peak, True
        time.sleep(interval)
    return peak, False

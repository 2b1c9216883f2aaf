"""The bench harness measures each command's own memory, not the harness's (no timing assertions).

Dummy children allocate and touch known amounts; the checks are ranges (an interpreter adds ~10 MiB).
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.profiles import make_profile  # noqa: E402
from bench.runners import rss_floor_mib, run_measured  # noqa: E402

MIB = 1 << 20


def _allocate(mib: int, hold: float = 0.5) -> list[str]:
    return [sys.executable, "-c", f"import time; b = bytearray(b'x') * ({mib} << 20); time.sleep({hold})"]


def test_two_children_of_different_size_measure_as_themselves_not_as_the_harness():
    ballast = bytearray(b"\x01") * (250 * MIB)   # the harness is far larger than either child
    small = run_measured(_allocate(20), make_profile())
    large = run_measured(_allocate(120), make_profile())
    assert ballast[-1] == 1
    assert small["status"] == large["status"] == "ok"
    for key in ("peak_rss_mib", "peak_tree_mib"):
        assert 20 <= small[key] < 60, (key, small)
        assert 120 <= large[key] < 160, (key, large)
        assert 80 <= large[key] - small[key] <= 120, (key, small, large)


def test_the_process_tree_adds_forked_children_and_the_largest_process_does_not():
    code = ("import os, time\npid = os.fork()\nb = bytearray(b'x') * (60 << 20)\ntime.sleep(0.6)\n"
            "if pid: os.waitpid(pid, 0)\n")
    res = run_measured([sys.executable, "-c", code], make_profile())
    assert res["status"] == "ok"
    assert 60 <= res["peak_rss_mib"] < 100, res          # one process: its own 60 MiB
    assert 115 <= res["peak_tree_mib"] < 170, res        # both processes, 60 MiB each


def test_the_launcher_floor_is_small():
    assert rss_floor_mib() < 20

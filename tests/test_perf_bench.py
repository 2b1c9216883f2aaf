"""The benchmark harness: hardware profiles, out-of-memory reporting, tables (no timing assertions)."""
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import report  # noqa: E402
from bench.profiles import PRESETS, make_profile, parse_memory  # noqa: E402
from bench.runners import run_measured  # noqa: E402
from zkescrow.cli.main import main  # noqa: E402


@pytest.mark.parametrize("text,expected", [("512M", 512 << 20), ("1G", 1 << 30), ("2GiB", 2 << 30),
                                           ("1048576", 1 << 20), ("64k", 64 << 10)])
def test_parse_memory(text, expected):
    assert parse_memory(text) == expected


@pytest.mark.parametrize("text", ["lots", "-1M", "0"])
def test_parse_memory_rejects(text):
    with pytest.raises(ValueError):
        parse_memory(text)


def test_presets_and_overrides():
    for name in PRESETS:
        assert make_profile(name).name == name
    p = make_profile("phone", memory="256M")
    assert p.memory == 256 << 20 and p.cores == 2
    with pytest.raises(ValueError):
        make_profile("toaster")
    assert make_profile().name == "default"


def test_memory_limit_is_reported_as_out_of_memory():
    profile = make_profile(memory="300M")
    res = run_measured([sys.executable, "-c", "x = bytearray(1 << 30)"], profile)
    assert res["status"] == "oom"
    assert res["detail"] == "out of memory for this profile"


def test_cores_pin_the_child():
    profile = make_profile(cores=1)
    code = "import os, sys; sys.exit(0 if len(os.sched_getaffinity(0)) == 1 else 3)"
    assert run_measured([sys.executable, "-c", code], profile)["status"] == "ok"


def test_failure_is_an_error_with_its_message():
    res = run_measured([sys.executable, "-c", "raise SystemExit('no such key')"], make_profile())
    assert res["status"] == "error" and "no such key" in res["detail"]


def test_cpu_quota_without_cgroup_v2_is_noted():
    profile = make_profile(cpu_quota=0.5)
    profile.prepare()
    try:
        info = profile.to_json()
        assert info["cpu_quota_applied"] or any("not applied" in n for n in info["notes"])
    finally:
        profile.cleanup()


def _sample(wall):
    return {"median": wall, "min": wall * 0.9, "max": wall * 1.1}


def test_markdown_reports_ratios_and_oom():
    results = {
        "machine": {"cpu_model": "test", "cpu_count": 2, "memory_mib": 1, "load_average_at_start": (0, 0, 0),
                    "load_average_at_end": (0, 0, 0), "python": "3", "gmpy2": "2", "gmp": "GMP",
                    "profile": make_profile("phone").to_json()},
        "runs": 5, "warmup": 1,
        "targets": {"t": {"fixture": {"n_constraints": 100, "domain_size": 128, "n_vars": 90, "origin": "x"},
                          "prove": {"zkescrow": {"status": "ok", "wall": _sample(3.0)},
                                    "snarkjs": {"status": "oom", "detail": "out of memory for this profile"}},
                          "verify": {"zkescrow": {"status": "ok", "wall": _sample(0.2)},
                                     "snarkjs": {"status": "ok", "wall": _sample(0.4)}},
                          "in_process": {"status": "error", "detail": "boom"}}},
        "sweep": {}, "circuits": {},
    }
    md = report.markdown(results)
    assert "out of memory for this profile" in md
    assert "0.50×" in md


def test_cli_bench_rejects_bad_memory(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["bench", "--memory", "lots"])
    assert exc.value.code == 2


def test_cli_bench_help_has_example(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["bench", "--help"])
    assert exc.value.code == 0
    assert "zkescrow bench --quick" in capsys.readouterr().out


def test_node_that_cannot_reserve_memory_is_out_of_memory():
    import shutil
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    res = run_measured(["node", "-e", "console.log(1)"], make_profile(memory="256M"))
    assert res["status"] == "oom"

"""Published benchmark tables: per-section provenance, per-round ratios, presets (no timing assertions)."""
import json
import sys
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import publish, report  # noqa: E402
from bench.profiles import make_profile  # noqa: E402
from bench.suite import command_line  # noqa: E402


def _s(x):
    return {"median": x, "min": x * 0.8, "max": x * 1.2, "n": 3}


def _results(command, **sections):
    base = {"machine": {"cpu_model": "test cpu", "cpu_count": 2, "memory_mib": 1, "load_average_at_start": [3.5, 3, 2],
                        "load_average_at_end": [4.25, 3, 2], "python": "3", "gmpy2": "2", "gmp": "GMP",
                        "profile": make_profile().to_json(), "started": "2026-01-01T00:00:00Z",
                        "git_revision": "abcdef0123456", "rss_floor_mib": 5.2},
            "command": command, "runs": 3, "warmup": 1}
    return dict(base, **{k: sections.get(k, {}) for k in report.SECTIONS})


def _circuit():
    ok = {"status": "ok", "wall": _s(1.0), "cpu": _s(0.5), "peak_tree_mib": _s(30), "peak_rss_mib": _s(25)}
    return {"fixture": {"n_constraints": 416, "domain_size": 512, "n_vars": 420, "origin": "built-in"},
            "load_before": [3.5, 3, 2], "load_after": [4.25, 3, 2],
            "prove": {"zkescrow": dict(ok, ratio_cpu=_s(0.5), ratio_wall=_s(0.75), accepted_by_snarkjs=True),
                      "snarkjs": dict(ok, peak_tree_mib=_s(120))},
            "verify": {"zkescrow": dict(ok, ratio_cpu=_s(0.25), ratio_wall=_s(0.3)), "snarkjs": ok}}


def test_circuit_table_has_per_round_ratios_memory_and_load():
    md = report.markdown(_results("python -m bench.suite --runs 3", circuits={"deposit": _circuit()}))
    assert "`python -m bench.suite --runs 3`" in md
    assert "3.5, 3.0, 2.0 at start, 4.2, 3.0, 2.0 at end" in md
    assert "**0.50×** (0.40–0.60)" in md and "**0.75×** (0.60–0.90)" in md
    assert "| 30 MiB |" in md and "| 120 MiB |" in md
    assert "3.5 → 4.2" in md and "2^9" in md and "deposit yes" in md


def _preset(name, status="ok"):
    fp = {"status": status, "detail": None, "wall": _s(9), "cpu": _s(8), "peak_tree_mib": _s(150),
          "ttfp": _s(8.0), "car_prove": _s(7.5), "key_load": _s(1.0),
          "phases": {ph: _s(0.1) for ph in ("shield", "discover", "attest", "open", "fund", "confirm", "first_go")}}
    return {"profile": make_profile(name).to_json(),
            "deposit_prove": {"status": "ok", "wall": _s(0.4), "cpu": _s(0.35), "peak_tree_mib": _s(17)},
            "first_packet": {"shielded": fp, "transparent": dict(fp, status=status)}}


def test_presets_table_states_how_each_preset_is_applied_and_reports_oom():
    md = report.markdown(_results("x", presets={"phone": _preset("phone", "oom"), "single": _preset("single")}))
    assert "RLIMIT_AS 512 MiB" in md and "affinity to 1 CPU [" in md
    assert "out of memory for this profile" in md
    assert "big.LITTLE" in md
    assert "| single | 400.00 ms (320.00 ms–480.00 ms) |" in md


def test_publish_keeps_the_sections_of_other_runs(tmp_path):
    legacy = _results("python -m bench.suite --runs 5 --sizes 8", circuits={"deposit": _circuit()})
    del legacy["machine"]["rss_floor_mib"]
    (tmp_path / "results.json").write_text(json.dumps(legacy))
    md = tmp_path / "RESULTS.md"
    md.write_text(f"# title\n\n{publish.BEGIN}\nold\n{publish.END}\n\n## kept\n")
    publish.publish(tmp_path, _results("python -m bench.suite --presets single", presets={"single": _preset("single")}),
                   [], directory=tmp_path, results_md=md)
    text = md.read_text()
    assert "old" not in text and text.startswith("# title") and text.endswith("## kept\n")
    assert "`python -m bench.suite --runs 5 --sizes 8`" in text          # the circuits: from the earlier run
    assert "before issue 14" in text                                    # ... whose memory is flagged
    assert "`python -m bench.suite --presets single`" in text           # the presets: from this one
    assert json.loads((tmp_path / "presets.json").read_text())["circuits"] == {}


def test_command_line_names_every_option_that_was_set():
    args = SimpleNamespace(quick=False, runs=3, preset=None, cores=None, memory=None, cpu_quota=None, sizes="",
                           targets="", circuits=None, presets="rpi4,phone", publish=True)
    assert command_line(args) == "python -m bench.suite --runs 3 --sizes '' --targets '' --presets rpi4,phone --publish"


def test_cli_bench_rejects_an_unknown_preset(capsys):
    import pytest
    from zkescrow.cli.main import main
    with pytest.raises(SystemExit) as exc:
        main(["bench", "--presets", "rpi4,toaster"])
    assert exc.value.code == 2
    assert "toaster" in capsys.readouterr().err

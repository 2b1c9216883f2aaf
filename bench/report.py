"""Tables (Markdown) and plots (PNG, matplotlib) of a bench.suite result (publishing: bench/publish.py)."""
from __future__ import annotations

import math
import statistics
from pathlib import Path

from .timing import fmt

PHASES = ("build_abc", "ntt", "msm_a", "msm_b1", "msm_b2", "msm_c", "msm_h", "blind")


def _med(xs):
    xs = [x for x in (xs or []) if x is not None]
    return statistics.median(xs) if xs else None


def _cell(s) -> str:
    if not s:
        return "—"
    return f"{fmt(s['median'])} ({fmt(s['min'])}–{fmt(s['max'])})"


def _mib(s) -> str:
    return "—" if not s else f"{s['median']:.0f} MiB"


def _status(entry) -> str:
    st = entry.get("status", "ok")
    if st == "ok":
        return ""
    if st == "oom":
        return "out of memory for this profile"
    return st + (f": {entry['detail']}" if entry.get("detail") else "")


def _ratio(a, b) -> str:
    if not a or not b:
        return "—"
    return f"{a['median'] / b['median']:.2f}×"


def _stat(xs) -> dict | None:
    xs = [x for x in (xs or []) if x is not None]
    if not xs:
        return None
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs)}


SECTIONS = ("targets", "sweep", "circuits", "presets")


def _loads(xs) -> str:
    return ", ".join(f"{x:.1f}" for x in xs) if xs else "?"


def command_of(results: dict) -> str:
    """The command that repeats ``results`` (recorded since issue 14; rebuilt from the plan before)."""
    if results.get("command"):
        return results["command"]
    plan = results.get("plan", {})
    parts = ["python -m bench.suite", "--runs", str(results.get("runs"))]
    parts += ["--targets", ",".join(plan.get("targets", [])) or "''"]
    parts += ["--sizes", ",".join(map(str, plan.get("sweep", []))) or "''"]
    return " ".join(parts)


def header(results: dict) -> list[str]:
    """Provenance of a run: command, time, git, machine, load at start and end, profile."""
    m = results["machine"]
    prof = m["profile"]
    lines = [
        f"Command: `{command_of(results)}` · started {m.get('started', '?')} · git "
        f"{str(m.get('git_revision'))[:10]}{' (dirty)' if m.get('git_dirty') else ''}",
        f"Machine: {m.get('cpu_model')} · {m.get('cpu_count')} CPUs · {m.get('memory_mib')} MiB · "
        f"load average (1, 5, 15 min) {_loads(m['load_average_at_start'])} at start, "
        f"{_loads(m.get('load_average_at_end'))} at end",
        f"Python {m['python']}, gmpy2 {m['gmpy2']} ({m['gmp']}), node {m.get('node')}, snarkjs {m.get('snarkjs')}, "
        f"groth16py {m.get('groth16py') or 'not installed'}",
        f"Profile: {prof['name']} ({prof['description']}; {prof['cores']} cores"
        f"{', ' + str(prof['memory_bytes'] // (1 << 20)) + ' MiB address space' if prof['memory_bytes'] else ''}"
        f"{', cpu quota ' + str(prof['cpu_quota']) if prof['cpu_quota'] else ''})"
        + ("; " + "; ".join(prof["notes"]) if prof["notes"] else ""),
        f"Median of {results['runs']} runs after {results['warmup']} warm-up (min–max); whole-process wall time "
        f"unless marked CPU.",
    ]
    if m.get("rss_floor_mib") is None:
        lines.append("Memory columns of this run come from the harness before issue 14: a child forked from the "
                     "driver inherits the driver's peak RSS, so a small process may show the driver's size.")
    else:
        lines.append(f"Memory: each command runs behind a fresh launcher (bench/launch.py); peak RSS is the "
                     f"kernel's peak of the largest process (floor {m['rss_floor_mib']:.0f} MiB, the launcher), "
                     f"tree PSS the summed proportional set size of the command and its descendants, sampled "
                     f"every 10 ms.")
    return lines + [""]


def markdown(results: dict, sections=SECTIONS) -> str:
    lines = header(results)
    for name in sections:
        if results.get(name):
            lines += SECTION_WRITERS[name](results)
    return "\n".join(lines)


def _targets_md(results: dict) -> list[str]:
    lines = []
    for name, t in results["targets"].items():
        fx = t["fixture"]
        lines += [f"### {name}: {fx['n_constraints']:,} constraints, domain 2^{int(math.log2(fx['domain_size']))}, "
                  f"{fx['n_vars']:,} wires ({fx['origin']})", "",
                  "| prover | prove wall | CPU | peak RSS (largest process) | peak memory (process tree, PSS) "
                  "| wall vs snarkjs | accepted by snarkjs |",
                  "|---|---|---|---|---|---|---|"]
        sj = t["prove"].get("snarkjs", {}).get("wall")
        for p, e in t["prove"].items():
            note = _status(e)
            lines.append(f"| {p} | {_cell(e.get('wall')) if not note else note} | {_cell(e.get('cpu'))} | "
                         f"{_mib(e.get('peak_rss_mib'))} | {_mib(e.get('peak_tree_mib'))} | {_ratio(e.get('wall'), sj)} | "
                         f"{ {True: 'yes', False: 'NO', None: '—'}[e.get('accepted_by_snarkjs')] } |")
        lines += ["", "| verifier | verify wall (whole process) | CPU | peak RSS | vs snarkjs |", "|---|---|---|---|---|"]
        sjv = t["verify"].get("snarkjs", {}).get("wall")
        for p, e in t["verify"].items():
            note = _status(e)
            lines.append(f"| {p} | {_cell(e.get('wall')) if not note else note} | {_cell(e.get('cpu'))} | "
                         f"{_mib(e.get('peak_rss_mib'))} | {_ratio(e.get('wall'), sjv)} |")
        ip = t.get("in_process", {})
        if ip.get("status") != "ok":
            lines += ["", f"In-process: {_status(ip)}"]
        else:
            lines += ["", "| in-process | wall | CPU |", "|---|---|---|"]
            if "verify" in ip:
                v = ip["verify"]["verify"]
                lines.append(f"| verify (one proof) | {_cell(_stat(v['wall_s']))} | {_cell(_stat(v['cpu_s']))} |")
            if "batch" in ip:
                b = ip["batch"]
                bw, sw = _stat(b["batch_64"]["wall_s"]), _stat(b["singles_64"]["wall_s"])
                bc, sc = _stat(b["batch_64"]["cpu_s"]), _stat(b["singles_64"]["cpu_s"])
                lines.append(f"| verify_batch, 64 proofs | {_cell(bw)} | {_cell(bc)} |")
                lines.append(f"| 64 × verify | {_cell(sw)} | {_cell(sc)} |")
                lines.append(f"| batch throughput gain | {sw['median'] / bw['median']:.2f}× | "
                             f"{sc['median'] / bc['median']:.2f}× |")
            if "key" in ip:
                k = ip["key"]
                lines.append(f"| read_zkey (decode + checks) | {_cell(_stat(k['read_zkey']['wall_s']))} | "
                             f"{_cell(_stat(k['read_zkey']['cpu_s']))} |")
                lines.append(f"| decoded-key cache hit | {_cell(_stat(k['cache_hit']['wall_s']))} | "
                             f"{_cell(_stat(k['cache_hit']['cpu_s']))} |")
            if "prove" in ip:
                lines += _phase_rows(ip["prove"])
        lines.append("")
    return lines


def _sweep_md(results: dict) -> list[str]:
    lines = []
    if results["sweep"]:
        lines += ["### Scaling sweep (synthetic chain circuits, every witness value a full 254-bit scalar)", "",
                  "| constraints | domain | " + " | ".join(f"{p} prove" for p in _provers(results["sweep"]))
                  + " | in-process 1 core | per constraint | per constraint / log2 n |",
                  "|---|---|" + "---|" * len(_provers(results["sweep"])) + "---|---|---|"]
        for name, s in results["sweep"].items():
            fx = s["fixture"]
            cells = []
            for p in _provers(results["sweep"]):
                e = s["prove"].get(p)
                cells.append("—" if e is None else (_status(e) or _cell(e.get("wall"))))
            ip = s.get("in_process", {})
            seq = _stat(ip.get("prove", {}).get("sequential", {}).get("wall_s")) if ip.get("status") == "ok" else None
            n = fx["domain_size"]
            per = seq["median"] / fx["n_constraints"] if seq else None
            lines.append(f"| {fx['n_constraints']:,} | 2^{int(math.log2(n))} | " + " | ".join(cells)
                         + f" | {_cell(seq)} | {fmt(per) if per else '—'} | "
                         f"{fmt(per / math.log2(n)) if per else '—'} |")
        lines.append("")
        lines += ["Per-phase medians of the in-process sequential prover (s):", "",
                  "| constraints | " + " | ".join(PHASES) + " |", "|---|" + "---|" * len(PHASES)]
        for name, s in results["sweep"].items():
            ip = s.get("in_process", {})
            if ip.get("status") != "ok":
                continue
            ph = ip["prove"]["sequential_phases_s"]
            lines.append(f"| {s['fixture']['n_constraints']:,} | "
                         + " | ".join(f"{_med(ph.get(k)):.3f}" if ph.get(k) else "—" for k in PHASES) + " |")
        lines.append("")
    return lines


def _ratio_cell(r) -> str:
    return "—" if not r else f"**{r['median']:.2f}×** ({r['min']:.2f}–{r['max']:.2f})"


def _circuits_md(results: dict) -> list[str]:
    lines = ["### Built-in circuits (every circuit of `circuits.registry`, default parameters)", "",
             "zkescrow and snarkjs prove the same `.wtns` with the same `.zkey`, back to back in each round; the "
             "ratio is the median (min–max) of the per-round zkescrow / snarkjs ratios.  Memory: peak of the "
             "process tree (PSS).", "",
             "| circuit | constraints | domain | zkescrow prove wall | CPU | memory | snarkjs prove wall | CPU | "
             "memory | ratio, CPU | ratio, wall | groth16py (arkworks) wall | load 1-min before → after |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, c in results["circuits"].items():
        pr, fx = c["prove"], c["fixture"]
        zk, sj, g = pr.get("zkescrow", {}), pr.get("snarkjs", {}), pr.get("groth16py", {})
        cell = lambda e, k: _status(e) or _cell(e.get(k))  # noqa: E731
        load = f"{c['load_before'][0]:.1f} → {c['load_after'][0]:.1f}" if c.get("load_before") else "—"
        lines.append(f"| {name} | {fx['n_constraints']:,} | 2^{int(math.log2(fx['domain_size']))} | "
                     f"{cell(zk, 'wall')} | {_cell(zk.get('cpu'))} | {_mib(zk.get('peak_tree_mib'))} | "
                     f"{cell(sj, 'wall')} | {_cell(sj.get('cpu'))} | {_mib(sj.get('peak_tree_mib'))} | "
                     f"{_ratio_cell(zk.get('ratio_cpu'))} | {_ratio_cell(zk.get('ratio_wall'))} | "
                     f"{cell(g, 'wall') if g else '—'} | {load} |")
    if any(c.get("verify") for c in results["circuits"].values()):
        lines += ["", "| circuit | `zkescrow verify` wall | CPU | peak RSS | `snarkjs groth16 verify` wall | CPU | "
                  "peak RSS | ratio, CPU | ratio, wall |", "|---|---|---|---|---|---|---|---|---|"]
        for name, c in results["circuits"].items():
            v = c.get("verify") or {}
            zk, sj = v.get("zkescrow", {}), v.get("snarkjs", {})
            lines.append(f"| {name} | {_status(zk) or _cell(zk.get('wall'))} | {_cell(zk.get('cpu'))} | "
                         f"{_mib(zk.get('peak_rss_mib'))} | {_status(sj) or _cell(sj.get('wall'))} | "
                         f"{_cell(sj.get('cpu'))} | {_mib(sj.get('peak_rss_mib'))} | "
                         f"{_ratio_cell(zk.get('ratio_cpu'))} | {_ratio_cell(zk.get('ratio_wall'))} |")
    accepted = {n: c["prove"].get("zkescrow", {}).get("accepted_by_snarkjs") for n, c in results["circuits"].items()}
    if any(a is not None for a in accepted.values()):
        lines += ["", "Every zkescrow proof above passes `snarkjs groth16 verify`: "
                  + ", ".join(f"{n} {'yes' if a else 'NO' if a is False else '—'}" for n, a in accepted.items())
                  + "."]
    return lines + [""]


def _presets_md(results: dict) -> list[str]:
    from .first_packet import presets_md
    return presets_md(results["presets"])


SECTION_WRITERS = {"targets": _targets_md, "sweep": _sweep_md, "circuits": _circuits_md, "presets": _presets_md}


def _phase_rows(pr) -> list[str]:
    ph = pr["sequential_phases_s"]
    rows = ["", f"In-process prover phases (1 process; worker prover with {pr['workers']} processes below; "
            f"{pr['witness_01']} of {pr['witness_len']} witness values are 0 or 1):", "",
            "| phase | sequential | worker prover |", "|---|---|---|"]
    par = pr["parallel_phases_s"]
    for k in PHASES + ("total",):
        rows.append(f"| {k} | {_cell(_stat(ph.get(k)))} | {_cell(_stat(par.get(k)))} |")
    rows.append(f"| total CPU | {_cell(_stat(pr['sequential']['cpu_s']))} | {_cell(_stat(pr['parallel']['cpu_s']))}"
                f" (parent only) |")
    return rows


def _provers(sweep) -> list[str]:
    seen = []
    for s in sweep.values():
        for p in s["prove"]:
            if p not in seen:
                seen.append(p)
    return seen


def plots(results: dict, out: Path) -> list[Path]:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    sweep = results["sweep"]
    if not sweep:
        return []
    made = []
    fig, ax = plt.subplots(figsize=(7, 5))
    for p in _provers(sweep):
        xs, ys = [], []
        for s in sweep.values():
            e = s["prove"].get(p)
            if e and e.get("wall"):
                xs.append(s["fixture"]["n_constraints"])
                ys.append(e["wall"]["median"])
        if xs:
            ax.plot(xs, ys, marker="o", label=f"{p} (whole process)")
    xs, ys = [], []
    for s in sweep.values():
        ip = s.get("in_process", {})
        if ip.get("status") == "ok":
            xs.append(s["fixture"]["n_constraints"])
            ys.append(_med(ip["prove"]["sequential"]["wall_s"]))
    if xs:
        ax.plot(xs, ys, marker="s", linestyle="--", label="zkescrow in-process, 1 core")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("constraints")
    ax.set_ylabel("prove time (s, median)")
    ax.set_title("Groth16 prove time vs circuit size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    path = out / "prove_time_vs_constraints.png"
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    made.append(path)

    fig, ax = plt.subplots(figsize=(7, 5))
    xs, per, norm = [], [], []
    for s in sweep.values():
        ip = s.get("in_process", {})
        if ip.get("status") != "ok":
            continue
        n_c, n = s["fixture"]["n_constraints"], s["fixture"]["domain_size"]
        t = _med(ip["prove"]["sequential"]["wall_s"])
        xs.append(n_c)
        per.append(t / n_c * 1e6)
        norm.append(t / (n * math.log2(n)) * 1e6)
    if xs:
        ax.plot(xs, per, marker="o", label="µs per constraint")
        ax.plot(xs, norm, marker="s", label="µs per (n·log2 n)")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("constraints")
        ax.set_ylabel("µs")
        ax.set_title("zkescrow in-process prover: time per constraint")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
        path = out / "time_per_constraint.png"
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        made.append(path)
    plt.close(fig)
    return made

"""Constrained presets: the car's deposit proof and its time to first packet.

    python -m bench.suite --targets '' --sizes '' --circuits '' --presets server,rpi4,phone,single --runs 3

For each preset (``bench.profiles``: cores by CPU affinity, memory by ``RLIMIT_AS``, CPU bandwidth by
cgroup v2 ``cpu.max`` when writable), applied to the measured processes only, run by run interleaved
across the presets:

* **deposit proof**: ``zkescrow prove`` of the built-in ``deposit`` circuit (the shield of a note) as a
  whole process: wall, CPU, peak memory of its process tree.
* **time to first packet**: the car's path of ``ChargingSession`` (``zkescrow.escrow.session``) from the
  moment it decides to charge to the pole's first "go" for a packet, in a child process
  (``python -m bench.first_packet --child``):

      shield      the car shields exactly its standard deposit: the deposit proof, and the block that
                  takes it (the ledger verifies the proof)
      discover    the pole's registry entry (price, meter key) from the ledger
      attest      the car verifies the enclave's quote and registration; the pole opens its channel
      open        the pole's signed offer, checked by the car and by the enclave against the chain
      fund        a ``transfer`` proof spending the shielded deposit (shielded mode: into the escrow
                  note; transparent mode: ``escrow_open`` into the public escrow), mined, and checked
                  by the enclave against the ledger's headers
      confirm     the pole checks the enclave's ticket against its own offer and confirms the session
      first go    metering starts, the pole's opening reading is receipted, ``authorize_next`` says go

  Before the clock starts (not counted): the ledger with the enclave registered, the pole registered,
  the driver's account funded, and the proving keys read from disk (``key_load_s`` reports that read).
  The pole, the enclave and the ledger run in the same process as the car, under the same preset: the
  times are an upper bound for a car whose counterparts run elsewhere; ``car_prove_s`` is the car's own
  proving inside it.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from .fixtures import cache_root, fixture
from .profiles import make_profile
from .runners import PYTHON, prove_command, run_measured

PHASES = ("shield", "discover", "attest", "open", "fund", "confirm", "first_go")
DEPTH = 20


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --- the child: one car's path to its first packet ---------------------------------------------------

def first_packet(keys_dir: Path, depth: int, mode: str) -> dict:
    from zkescrow.escrow.demo import DEPOSIT_WH, DRIVER_FUNDS, MAX_PRICE_PER_WH, PACKET_WH, PRICE_PER_WH
    from zkescrow.escrow.session import ChargingSession, standard_deposit
    from zkescrow.escrow.world import EscrowWorld, MeteredKeys
    from zkescrow.ledger.proofs import CircuitKeys

    keys = MeteredKeys(CircuitKeys(keys_dir, depth))
    start = time.perf_counter()
    for name in ("deposit", "transfer"):
        keys.proving_key(name)
    key_load = time.perf_counter() - start
    with tempfile.TemporaryDirectory(prefix="bench-first-packet-") as tmp:
        world = EscrowWorld.create(tmp, keys, depth=depth, funds={"driver": DRIVER_FUNDS, "operator": 0},
                                   log=lambda m: None, packet_wh=PACKET_WH)
        pole = world.add_pole("pole-bench-01", "operator", PRICE_PER_WH)
        car = world.car("driver")
        deposit = standard_deposit(world.ledger, DEPOSIT_WH, MAX_PRICE_PER_WH)
        session = ChargingSession(world, car, pole, mode, deposit=deposit, target_wh=PACKET_WH)
        mark = keys.snapshot()
        times = {}

        def phase(name, fn):
            t = time.perf_counter()
            fn()
            times[name] = time.perf_counter() - t

        def shield():
            world.mine(car.wallet.shield(deposit), label="shield the deposit")

        def first_go():
            sid = session.session_id
            car.start_metering(pole.pole_id, sid)
            begin = pole.begin(sid)
            session.submit(begin, car.receipt(begin, session.service["meter_key"]))
            go = world.call(pole, "authorize_next", sid, 0, world.ledger.height)
            if not go["go"]:
                raise RuntimeError(f"the pole refuses the first packet: {go['reason']}")

        t0, c0 = time.perf_counter(), time.process_time()
        for name, fn in (("shield", shield), ("discover", session.discover), ("attest", session.attest),
                         ("open", session.open), ("fund", session.fund), ("confirm", session.confirm),
                         ("first_go", first_go)):
            phase(name, fn)
        total, cpu = time.perf_counter() - t0, time.process_time() - c0
        proofs = keys.proofs[mark[0]:]
        world.ledger.close()
    return {"mode": mode, "depth": depth, "deposit": deposit, "ttfp_s": total, "ttfp_cpu_parent_s": cpu,
            "phases_s": times, "car_proofs": [[n, s] for n, s in proofs],
            "car_prove_s": sum(s for _, s in proofs), "key_load_s": key_load}


# --- the driver: every preset, interleaved ------------------------------------------------------------

def keys_dir(depth: int = DEPTH) -> Path:
    return cache_root() / f"circuit-keys-d{depth}"


def _prepare_keys(depth: int) -> Path:
    """Proving keys of deposit and transfer at ``depth`` on disk (a development setup, made once)."""
    from zkescrow.ledger.proofs import CircuitKeys
    d = keys_dir(depth)
    keys = CircuitKeys(d, depth, log=log)
    for name in ("deposit", "transfer"):
        keys.proving_key(name)
    return d


def _summary(xs):
    xs = [x for x in xs if x is not None]
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)} if xs else None


def run_presets(presets: list[str], runs: int, modes=("shielded", "transparent"), depth: int = DEPTH) -> dict:
    """{preset: {profile, deposit_prove: {...}, first_packet: {mode: {...}}}}, rounds interleaved."""
    kd = _prepare_keys(depth)
    fx = fixture("deposit", log=log)
    profiles = {p: make_profile(p) for p in presets}
    out = {p: {"deposit_prove": {"samples": [], "status": "ok"},
               "first_packet": {m: {"samples": [], "status": "ok"} for m in modes}} for p in presets}
    try:
        for prof in profiles.values():
            prof.prepare()
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(runs + 1):                       # round 0: warm-up of the deposit prover only
                for p, prof in profiles.items():
                    entry = out[p]["deposit_prove"]
                    if entry["status"] == "ok":
                        res = run_measured(prove_command("zkescrow", fx, Path(tmp)), prof)
                        _take(entry, res, keep=i > 0)
                    if i == 0:
                        continue
                    for mode in modes:
                        entry = out[p]["first_packet"][mode]
                        if entry["status"] != "ok":
                            continue
                        result_file = Path(tmp) / f"fp-{p}-{mode}.json"
                        res = run_measured([PYTHON, "-m", "bench.first_packet", "--child", "--mode", mode,
                                            "--keys-dir", str(kd), "--depth", str(depth),
                                            "--json", str(result_file)], prof)
                        if res["status"] == "ok":
                            res["inside"] = json.loads(result_file.read_text())
                        _take(entry, res)
                        log(f"  {p} {mode}: {res['status']} "
                            + (f"ttfp {res['inside']['ttfp_s']:.2f} s" if res["status"] == "ok" else ""))
    finally:
        for prof in profiles.values():
            prof.cleanup()
    for p, prof in profiles.items():
        out[p]["profile"] = prof.to_json()
        _summarise(out[p]["deposit_prove"])
        for entry in out[p]["first_packet"].values():
            _summarise(entry)
            ins = [s["inside"] for s in entry["samples"]]
            entry["ttfp"] = _summary([x["ttfp_s"] for x in ins])
            entry["car_prove"] = _summary([x["car_prove_s"] for x in ins])
            entry["key_load"] = _summary([x["key_load_s"] for x in ins])
            entry["phases"] = {ph: _summary([x["phases_s"][ph] for x in ins]) for ph in PHASES}
    return out


def _take(entry, res, keep=True) -> None:
    if res["status"] != "ok":
        entry["status"], entry["detail"] = res["status"], res.get("detail")
        log(f"    {res['status']}: {res.get('detail')}")
    elif keep:
        entry["samples"].append(res)


def _summarise(entry) -> None:
    s = entry["samples"]
    entry["wall"] = _summary([x["wall_s"] for x in s])
    entry["cpu"] = _summary([x["cpu_s"] for x in s])
    entry["peak_tree_mib"] = _summary([x["peak_tree_mib"] for x in s])
    entry["peak_rss_mib"] = _summary([x["peak_rss_mib"] for x in s])


# --- the table ------------------------------------------------------------------------------------------

def _s(x) -> str:
    from .timing import fmt
    return "—" if not x else f"{fmt(x['median'])} ({fmt(x['min'])}–{fmt(x['max'])})"


def _m(x) -> str:
    return "—" if not x else f"{x['median']:.0f} MiB"


def _applied(prof: dict) -> str:
    parts = [f"affinity to {prof['cores']} CPU{'s' if prof['cores'] != 1 else ''} {prof['cpus']}"]
    if prof.get("memory_bytes"):
        parts.append(f"RLIMIT_AS {prof['memory_bytes'] >> 20} MiB")
    if prof.get("cpu_quota"):
        parts.append(f"cpu.max {prof['cpu_quota']} CPUs" + ("" if prof.get("cpu_quota_applied") else " NOT applied"))
    return ", ".join(parts)


def presets_md(presets: dict) -> list[str]:
    def bad(e):
        return "out of memory for this profile" if e["status"] == "oom" else f"{e['status']}: {e.get('detail')}"

    lines = ["How each preset is applied to the measured process (the driver runs unconstrained):", "",
             "| preset | stands for | applied here as | cannot reproduce |", "|---|---|---|---|"]
    for p, e in presets.items():
        prof = e["profile"]
        notes = "; ".join(prof.get("notes") or [])
        lines.append(f"| {p} | {prof['description']} | {_applied(prof)}{' (' + notes + ')' if notes else ''} | "
                     f"{prof['cannot_emulate']} |")
    lines += ["", "What the simulation cannot reproduce: an affinity mask hands the process fewer cores of *this* "
              "machine, not slower ones.  A Cortex-A72 at 1.5 GHz is not an x86 core slowed down: GMP runs other "
              "multiply kernels there, the caches and memory bandwidth are smaller and the board throttles when "
              "hot, so these rows are not the device's times; they show that the prover runs within each limit, "
              "how much memory it takes, and how it uses the cores it is given.  `RLIMIT_AS` caps address space, "
              "not resident memory, and a CPU quota needs a writable cgroup v2 hierarchy (the table says when it "
              "was not applied).  On a machine with fewer CPUs than a preset names, the preset gets what there is."]
    lines += ["", "Deposit proof (`zkescrow prove` of the built-in `deposit` circuit, 416 constraints, whole "
              "process) and time to first packet (the car's path from deciding to charge to the pole's first "
              "go, in one process with pole, enclave and ledger: an upper bound; see `bench/first_packet.py`):",
              "", "| preset | deposit prove wall | CPU | memory (tree PSS) | TTFP shielded | of which the car's "
              "proofs (deposit + transfer) | fund phase | memory | TTFP transparent | memory |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for p, e in presets.items():
        dp = e["deposit_prove"]
        row = [p] + ([bad(dp), "", ""] if dp["status"] != "ok" else
                     [_s(dp["wall"]), _s(dp["cpu"]), _m(dp["peak_tree_mib"])])
        sh, tr = e["first_packet"].get("shielded"), e["first_packet"].get("transparent")
        if sh is None:
            row += ["not measured"] * 4
        elif sh["status"] != "ok":
            row += [bad(sh), "", "", ""]
        else:
            row += [_s(sh["ttfp"]), _s(sh["car_prove"]), _s(sh["phases"]["fund"]), _m(sh["peak_tree_mib"])]
        if tr is None:
            row += ["not measured", ""]
        elif tr["status"] != "ok":
            row += [bad(tr), ""]
        else:
            row += [_s(tr["ttfp"]), _m(tr["peak_tree_mib"])]
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", "Time to first packet by phase (shielded, medians):", "",
              "| preset | " + " | ".join(PHASES) + " | proving keys read before (not counted) |",
              "|---|" + "---|" * (len(PHASES) + 1)]
    for p, e in presets.items():
        sh = e["first_packet"].get("shielded")
        if sh and sh["status"] == "ok":
            cells = [_s(sh["phases"][ph]).split(" (")[0] for ph in PHASES]
            lines.append(f"| {p} | " + " | ".join(cells) + f" | {_s(sh['key_load']).split(' (')[0]} |")
    return lines + [""]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", action="store_true", help="run one car's path (inside a measured process)")
    parser.add_argument("--mode", choices=["shielded", "transparent"], default="shielded")
    parser.add_argument("--keys-dir", type=Path, default=None)
    parser.add_argument("--depth", type=int, default=DEPTH)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    if not args.child:
        parser.error("run the presets through bench.suite --presets; --child runs one car")
    result = first_packet(args.keys_dir or keys_dir(args.depth), args.depth, args.mode)
    text = json.dumps(result)
    if args.json:
        args.json.write_text(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

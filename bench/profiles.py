"""Constrained-hardware profiles: what a measured process may use.

A profile is applied to each measured child process (never to the benchmark driver):

* ``cores``   CPU affinity (``sched_setaffinity``) to the first N usable CPUs.  The prover's worker
              count follows the affinity mask, snarkjs's thread pool follows the CPU count it sees.
* ``memory``  an address-space limit (``RLIMIT_AS``).  A run that exceeds it is reported as
              "out of memory for this profile" instead of a crash.  Caveat: this limits *virtual*
              memory; V8/WebAssembly reserve gigabytes of address space up front, so snarkjs and
              node cannot start under a few hundred MiB even though their resident set would fit.
              A cgroup memory limit (resident memory) would be fairer and is used by nothing here.
* ``cpu_quota`` a fraction of one CPU per period through cgroup v2 ``cpu.max`` (e.g. 0.5 = half a
              core of bandwidth), when the machine has a writable cgroup v2 hierarchy with the cpu
              controller; otherwise the profile reports that the quota could not be applied.

Named presets (``PRESETS``) and what they cannot emulate:

* ``rpi4``   Raspberry Pi 4: 4 Cortex-A72 cores at 1.5 GHz, 1–8 GB.  Applied as 4 cores (capped at the
             cores present), 1 GiB address space, and cpu quota 0.35 per core when cgroup v2 allows.
             Cannot emulate: ARM's slower big-integer multiply (gmpy2 uses different GMP kernels), the
             smaller caches, thermal throttling.
* ``phone``  a mid-range phone running the prover in an app: 2 big cores usable, 512 MiB.  Cannot
             emulate: big.LITTLE scheduling, the OS killing a background app, battery throttling.
* ``server`` no limits: all cores, no memory limit (the reference).
* ``single`` one core, no memory limit: the single-thread floor.
"""
from __future__ import annotations

import os
import resource
from dataclasses import dataclass, field
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")

_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def parse_memory(text: str | None) -> int | None:
    """'512M' / '1G' / '1048576' → bytes; None or '' → None."""
    if not text:
        return None
    t = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = t[-1] if t[-1] in "KMG" else ""
    number = t[:-1] if unit else t
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"memory limit {text!r}: expected a size like 512M or 2G") from None
    if value <= 0:
        raise ValueError(f"memory limit {text!r} must be positive")
    return int(value * _UNITS[unit])


def usable_cpus() -> list[int]:
    try:
        return sorted(os.sched_getaffinity(0))
    except AttributeError:
        return list(range(os.cpu_count() or 1))


def cgroup_v2_cpu_available() -> tuple[bool, str]:
    """(usable, reason): whether a child cgroup with cpu.max can be made here."""
    controllers = CGROUP_ROOT / "cgroup.controllers"
    if not controllers.exists():
        return False, "no cgroup v2 hierarchy at /sys/fs/cgroup (cgroup v1 or hybrid)"
    if "cpu" not in controllers.read_text().split():
        return False, "cgroup v2 without the cpu controller"
    if not os.access(CGROUP_ROOT, os.W_OK):
        return False, "cgroup v2 present but /sys/fs/cgroup is not writable"
    return True, "cgroup v2 cpu.max"


@dataclass
class Profile:
    name: str = "default"
    cores: int | None = None
    memory: int | None = None          # bytes of address space
    cpu_quota: float | None = None     # CPUs of bandwidth per period (cgroup v2)
    description: str = "no limits"
    cannot: str = ""
    notes: list = field(default_factory=list)
    _cgroup: Path | None = None

    def cpu_list(self) -> list[int]:
        cpus = usable_cpus()
        if self.cores:
            if self.cores > len(cpus):
                self.notes.append(f"asked for {self.cores} cores, only {len(cpus)} present: using {len(cpus)}")
            cpus = cpus[:self.cores]
        return cpus

    def prepare(self) -> None:
        """Make the cgroup for the CPU quota (once, in the driver)."""
        if self.cpu_quota is None or self._cgroup is not None:
            return
        ok, why = cgroup_v2_cpu_available()
        if not ok:
            self.notes.append(f"cpu quota {self.cpu_quota} not applied: {why}")
            return
        group = CGROUP_ROOT / f"zkescrow-bench-{os.getpid()}"
        try:
            group.mkdir(exist_ok=True)
            period = 100_000
            (group / "cpu.max").write_text(f"{int(self.cpu_quota * period)} {period}")
            self._cgroup = group
        except OSError as exc:
            self.notes.append(f"cpu quota {self.cpu_quota} not applied: {exc}")

    def cleanup(self) -> None:
        if self._cgroup is not None:
            try:
                self._cgroup.rmdir()
            except OSError:
                pass
            self._cgroup = None

    def child_setup(self):
        """A ``preexec_fn`` applying the profile in the child before it runs."""
        cpus = self.cpu_list()
        memory = self.memory
        group = self._cgroup

        def apply():
            if cpus:
                os.sched_setaffinity(0, cpus)
            if memory:
                resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
            if group is not None:
                (group / "cgroup.procs").write_text(str(os.getpid()))
        return apply

    def env(self) -> dict:
        """Environment for children: worker counts follow the profile's cores."""
        n = str(len(self.cpu_list()))
        return {"ZKESCROW_BENCH_CORES": n, "UV_THREADPOOL_SIZE": n}

    def to_json(self) -> dict:
        return {"name": self.name, "cores": len(self.cpu_list()), "cpus": self.cpu_list(),
                "memory_bytes": self.memory, "cpu_quota": self.cpu_quota,
                "cpu_quota_applied": self._cgroup is not None, "description": self.description,
                "cannot_emulate": self.cannot, "notes": list(dict.fromkeys(self.notes))}


PRESETS = {
    "rpi4": dict(cores=4, memory=1 << 30, cpu_quota=1.4,
                 description="Raspberry Pi 4 (4× Cortex-A72 1.5 GHz, 1 GiB for the prover)",
                 cannot="ARM big-integer kernels, small caches, thermal throttling"),
    "phone": dict(cores=2, memory=512 << 20,
                  description="mid-range phone app (2 big cores, 512 MiB)",
                  cannot="big.LITTLE scheduling, the OS killing background apps, battery throttling"),
    "server": dict(description="no limits (all cores, no memory limit)", cannot="nothing: the reference"),
    "single": dict(cores=1, description="one core, no memory limit", cannot="—"),
}


def make_profile(preset: str | None = None, *, cores=None, memory=None, cpu_quota=None) -> Profile:
    """A profile from a preset name, overridden by explicit --cores/--memory/--cpu-quota."""
    if preset and preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r} (known: {', '.join(PRESETS)})")
    base = dict(PRESETS[preset]) if preset else {}
    name = preset or "custom"
    if cores is not None:
        base["cores"] = cores
    if memory is not None:
        base["memory"] = parse_memory(memory) if isinstance(memory, str) else memory
    if cpu_quota is not None:
        base["cpu_quota"] = cpu_quota
    if not preset and not any(v is not None for v in (cores, memory, cpu_quota)):
        name = "default"
    base.setdefault("description", "custom limits" if name == "custom" else "no limits")
    return Profile(name=name, **base)

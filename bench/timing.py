"""Timing helpers shared by the benchmarks: medians of repeated runs after a warm-up, with min and max."""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field


@dataclass
class Sample:
    """Repeated wall-clock timings of one operation, in seconds."""

    name: str
    seconds: list = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def minimum(self) -> float:
        return min(self.seconds)

    @property
    def maximum(self) -> float:
        return max(self.seconds)

    def to_json(self) -> dict:
        return {"name": self.name, "median_s": self.median, "min_s": self.minimum, "max_s": self.maximum,
                "samples_s": self.seconds}


def measure(name: str, fn, *, runs: int = 5, warmup: int = 1) -> Sample:
    """Run ``fn`` ``warmup`` times untimed, then ``runs`` times timed."""
    for _ in range(warmup):
        fn()
    sample = Sample(name)
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        sample.seconds.append(time.perf_counter() - start)
    return sample


def fmt(seconds: float) -> str:
    """A duration with a unit that keeps three significant digits."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"

"""How one proof's work is cut into pieces and spread over N workers by measured cost.

A Groth16 proof is six jobs: the quotient ``q`` (buildABC, A, B and C moved from the domain to
its coset, d = A·B − C) and five MSMs (A, B1, C and H in G1, B2 in G2).  H needs d, so it runs after ``q``.

Cost model, in seconds: ``q`` costs ``ntt · N·log2 N`` (N the domain); a whole MSM costs
``g1 · Σ weight_i`` (``g2`` in G2) plus ``piece`` for its bucket reductions, and a piece holding the
fraction f of its windows costs f times that, where
weight_i is 0 for a zero scalar or a missing point, ``WEIGHT_ONE`` for a scalar ±1 (added directly),
``WEIGHT_SHORT`` for a scalar (or r − scalar) below 2^64 and 1 for any other.  The coefficients
start at values measured on an idle 2-core x86 machine and are re-fitted after every proof from the
workers' own per-piece timings (``Costs.update``), so a pool adapts to the machine it runs on.

Partition: the jobs are laid on a line in the order q, H, B2, C, A, B1 and the line is cut into N
stretches of equal cost; each cut falls inside at most one MSM, which is then split by its bucket
windows (``msm_g1(…, span=(lo, hi))``: every piece takes all points but only its fraction of the
scalars' digit windows; partial sums add), so N workers make at most N − 1 extra pieces and a cut
costs no extra bucket reduction (a split by point range made each piece pay a full reduction and a
smaller window).  q and H share the first stretch,
so the worker that computes d also starts H; H pieces on later workers run after their other pieces.
A remainder smaller than ``MIN_PIECE`` of a stretch is not split off (every piece reads all the points).
"""
from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from itertools import accumulate

from ..bn254.constants import R

#: Scalar weights relative to a full 254-bit scalar (one bucket addition per window).
WEIGHT_ONE = 0.05
WEIGHT_SHORT = 0.3
_SHORT = 1 << 64
_R = int(R)
#: The jobs in line order (see the module docstring) and the group each MSM works in.
LINE = ("q", "h", "b2", "c", "a", "b1")
G2_JOBS = frozenset({"b2"})
#: Fraction of a stretch below which a remainder is not split into its own piece.
MIN_PIECE = 0.04


@dataclass
class Costs:
    """Seconds per unit of work; ``update`` re-fits them from measured pieces (exponential average)."""
    g1: float = 6.0e-5          # per weight-1 term of a G1 MSM (all windows)
    g2: float = 1.6e-4          # per weight-1 term of the G2 MSM
    ntt: float = 8.5e-7         # per N·log2 N of the quotient job (buildABC + three convolutions)
    piece: float = 0.04         # the bucket reductions of one whole MSM
    smoothing: float = 0.5
    samples: dict = field(default_factory=dict)

    def update(self, kind: str, units: float, seconds: float) -> None:
        """Fold one measurement (``units`` of ``kind`` took ``seconds``) into the coefficient."""
        if units <= 0 or seconds <= 0:
            return
        old = getattr(self, kind)
        setattr(self, kind, (1 - self.smoothing) * old + self.smoothing * seconds / units)
        self.samples[kind] = self.samples.get(kind, 0) + 1


def scalar_weights(values) -> list:
    """The per-scalar weights of the cost model (see module docstring)."""
    out = []
    append = out.append
    for k in values:
        k = int(k)
        if not k:
            append(0.0)
        elif k == 1 or k == _R - 1:
            append(WEIGHT_ONE)
        elif k < _SHORT or _R - k < _SHORT:
            append(WEIGHT_SHORT)
        else:
            append(1.0)
    return out


def prefix_costs(weights, present) -> list:
    """Prefix sums of the weights of present points (``present[i]`` False for a missing point)."""
    return [0.0] + list(accumulate(w if p else 0.0 for w, p in zip(weights, present)))


@dataclass(frozen=True)
class Piece:
    job: str                    # "q" or an MSM name
    lo: int = 0
    hi: int = 0
    units: float = 0.0          # work units (the cost model's g1/g2/ntt unit), for re-fitting
    span: tuple = (0.0, 1.0)    # the fraction of the MSM's bucket windows this piece sums

    @property
    def fraction(self) -> float:
        return self.span[1] - self.span[0]


def quotient_units(domain_size: int) -> float:
    return domain_size * max(domain_size.bit_length() - 1, 1)


def plan(prefixes: dict, domain_size: int, workers: int, costs: Costs) -> list:
    """Pieces for each of ``workers`` workers: a list of lists of ``Piece``.

    ``prefixes[name]`` are the prefix weight sums of each MSM (``prefix_costs``); every MSM's
    windows [0, 1] are covered by its pieces' spans, in order, whatever its cost.
    """
    def rate(job):
        return costs.g2 if job in G2_JOBS else costs.g1

    jobs = []
    for job in LINE:
        if job == "q":
            units = quotient_units(domain_size)
            jobs.append((job, None, units * costs.ntt))
        else:
            pre = prefixes[job]
            jobs.append((job, pre, pre[-1] * rate(job) + costs.piece))
    total = sum(cost for _, _, cost in jobs)
    if workers <= 1:
        return [[_whole(job, pre, domain_size) for job, pre, _ in jobs]]
    target = total / workers
    out = [[] for _ in range(workers)]
    wi, room = 0, target
    for job, pre, cost in jobs:
        if pre is None:
            out[wi].append(Piece("q", units=quotient_units(domain_size)))
            room -= cost
            continue
        n, units = len(pre) - 1, pre[-1]
        done = 0.0                   # fraction of this MSM's windows already handed out
        while True:
            rest = (1.0 - done) * cost
            if wi == workers - 1 or rest <= room + MIN_PIECE * target:
                out[wi].append(Piece(job, 0, n, units * (1.0 - done), (done, 1.0)))
                room -= rest
                break
            if room < MIN_PIECE * target:      # full: the next worker goes on
                wi, room = wi + 1, target
                continue
            cut = done + room / cost             # cut where this worker's stretch ends
            out[wi].append(Piece(job, 0, n, units * (cut - done), (done, cut)))
            done = cut
            wi, room = wi + 1, target
        if room <= MIN_PIECE * target and wi < workers - 1:
            wi, room = wi + 1, target
    return out


def _whole(job, pre, domain_size):
    if pre is None:
        return Piece("q", units=quotient_units(domain_size))
    return Piece(job, 0, len(pre) - 1, pre[-1])

"""A persistent pool of forked prover processes for one proving key.

``ProverPool(pk, workers=N)`` forks N processes that inherit the decoded key (copy-on-write, nothing
pickled); each ``pool.prove(witness)`` then sends the witness once to every worker (32 bytes a value)
and hands out the pieces of ``schedule.plan``: the quotient job (buildABC and the move of A, B, C to
the coset) and the five MSMs, one of them cut by bucket windows where a worker's stretch ends, so
every worker gets the same measured cost.  Workers send back one point per piece (partial sums add)
and d, the H scalars, which the parent forwards as the H pieces' scalars.  The pool re-fits its cost
model from every proof, so a server that keeps one pool balances better with each proof;
``prove_many`` proves a list of witnesses with one pool.

N defaults to the CPUs in this process's affinity mask (``os.sched_getaffinity``), so ``taskset``,
a container's cpuset or a 16-core server are all followed.  If a worker dies, its unfinished pieces
are computed in the parent and the proof is still made; the pool then runs without that worker.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import secrets
import time
from multiprocessing.connection import wait

from gmpy2 import mpz

from ..bn254.curve import g1_add, g2_add
from ..bn254.msm import msm_g1, msm_g2
from . import schedule
from .prove import _checked_witness, blind, build_abc, quotient_evaluations

_from_bytes = mpz.from_bytes


def affinity_cpus() -> int:
    """CPUs this process may run on (its affinity mask; ``os.cpu_count()`` where there is none)."""
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return os.cpu_count() or 1


def encode_scalars(values) -> bytes:
    return b"".join(int(v).to_bytes(32, "little") for v in values)


def decode_scalars(data) -> list:
    view = memoryview(data)
    return [_from_bytes(view[o:o + 32], "little") for o in range(0, len(view), 32)]


def _points(pk, job):
    return {"a": pk.a, "b1": pk.b1, "b2": pk.b2, "c": pk.c, "h": pk.h}[job]


def msm_piece(pk, job: str, lo: int, hi: int, witness, d=None, span=None):
    """Σ over points [lo, hi) of MSM ``job`` (affine); ``d`` holds the H scalars of [lo, hi).

    ``span=(a, b)``: only the fraction [a, b) of the bucket windows (``msm_g1``)."""
    points = _points(pk, job)[lo:hi]
    if job == "h":
        scalars = d
    elif job == "c":
        off = pk.n_public + 1
        scalars = witness[off + lo:off + hi]
    else:
        scalars = witness[lo:hi]
    return (msm_g2 if job == "b2" else msm_g1)(points, scalars, span)


def quotient_job(pk, witness):
    """(d, seconds in buildABC, seconds moving A, B, C to the coset): the H scalars of ``witness``."""
    t0 = time.process_time()
    at, bt, ct = build_abc(pk, witness)
    t1 = time.process_time()
    d = quotient_evaluations(pk, at, bt, ct)
    return d, t1 - t0, time.process_time() - t1


def _worker_main(conn, pk) -> None:
    """A worker's loop: ("begin", witness) then pieces; one reply per piece; ("stop",) ends it."""
    gc.disable()                # pieces make no reference cycles; the key is frozen by the parent
    witness = None
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        kind = msg[0]
        if kind == "stop":
            return
        try:
            if kind == "begin":
                witness = decode_scalars(msg[1])
                continue
            if kind == "q":
                d, t_abc, t_ntt = quotient_job(pk, witness)
                conn.send(("q", encode_scalars(d), t_abc, t_ntt))
            elif kind == "msm":
                _, job, lo, hi, span, d_bytes = msg
                t0 = time.process_time()
                d = decode_scalars(d_bytes) if d_bytes is not None else None
                point = msm_piece(pk, job, lo, hi, witness, d, span)
                conn.send(("msm", job, lo, point, time.process_time() - t0))
        except BaseException as exc:        # report it; the parent computes the piece itself
            try:
                conn.send(("error", kind, f"{type(exc).__name__}: {exc}"))
            except (OSError, ValueError):
                return


class ProverPool:
    """Forked workers proving with one key; use as a context manager or call ``close``.

    ``workers``: processes to fork (default: ``affinity_cpus()``); with 1, proofs run in this process.
    """

    def __init__(self, pk, workers: int | None = None):
        self.pk = pk
        wanted = max(int(workers or affinity_cpus()), 1)
        self.costs = schedule.Costs()
        self._present = {job: [P is not None for P in _points(pk, job)] for job in schedule.LINE if job != "q"}
        self._procs, self._conns = [], []
        self.last_busy = []
        if wanted > 1 and "fork" in multiprocessing.get_all_start_methods():
            ctx = multiprocessing.get_context("fork")
            gc.freeze()                  # the children's collectors never walk (and copy) the key's pages
            try:
                for _ in range(wanted):
                    parent_end, child_end = ctx.Pipe(duplex=True)
                    proc = ctx.Process(target=_worker_main, args=(child_end, pk), daemon=True)
                    proc.start()
                    child_end.close()
                    self._procs.append(proc)
                    self._conns.append(parent_end)
            except OSError:
                pass                     # fewer workers (or none): the rest runs here
            finally:
                gc.unfreeze()

    @property
    def workers(self) -> int:
        """Processes proving (1: this process alone)."""
        return max(len(self._conns), 1)

    # --- lifecycle ---------------------------------------------------------------------------------

    def close(self) -> None:
        for conn in self._conns:
            try:
                conn.send(("stop",))
            except (OSError, ValueError):
                pass
        for proc in self._procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join()
        for conn in self._conns:
            conn.close()
        self._procs, self._conns = [], []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- proving ----------------------------------------------------------------------------------

    def plan(self, witness, workers: int | None = None) -> list:
        """The pieces per worker for this (checked) witness (for ``workers`` workers: this pool's)."""
        pk = self.pk
        weights = schedule.scalar_weights(witness)
        off = pk.n_public + 1
        prefixes = {job: schedule.prefix_costs(weights[off:] if job == "c" else weights, present)
                    for job, present in self._present.items() if job != "h"}
        prefixes["h"] = schedule.prefix_costs([1.0] * pk.domain_size, self._present["h"])
        return schedule.plan(prefixes, pk.domain_size, workers or len(self._conns) or 1, self.costs)

    def prove(self, witness, *, rng=secrets, timings: dict | None = None, progress=None):
        """``(Proof, public_signals)`` as ``prove`` does; timings are summed over the workers' pieces."""
        t_start = time.perf_counter()
        pk = self.pk
        w = _checked_witness(pk, witness)
        spent = {} if timings is None else timings
        for name in ("build_abc", "ntt", "msm_a", "msm_b1", "msm_b2", "msm_c", "msm_h", "blind"):
            spent[name] = 0.0
        plan = self.plan(w)
        sums = {job: None for job in schedule.LINE if job != "q"}
        if not self._conns:
            d = None
            for piece in plan[0]:
                d = self._run_here(piece, w, d, sums, spent)
        else:
            self._run_workers(plan, w, sums, spent, progress)
        t0 = time.perf_counter()
        proof = blind(pk, sums["a"], sums["b1"], sums["b2"], g1_add(sums["c"], sums["h"]), rng)
        spent["blind"] = time.perf_counter() - t0
        spent["total"] = time.perf_counter() - t_start
        if progress is not None:
            progress("done", 1.0)
        return proof, [int(v) for v in w[1:pk.n_public + 1]]

    def _add(self, sums, job, point):
        add = g2_add if job == "b2" else g1_add
        sums[job] = add(sums[job], point)

    def _run_here(self, piece, w, d, sums, spent):
        """Compute one piece in this process; returns d (computed by the "q" piece)."""
        if piece.job == "q":
            d, t_abc, t_ntt = quotient_job(self.pk, w)
            spent["build_abc"] += t_abc
            spent["ntt"] += t_ntt
            return d
        if piece.job == "h" and d is None:
            d, _, _ = quotient_job(self.pk, w)
        t0 = time.process_time()
        point = msm_piece(self.pk, piece.job, piece.lo, piece.hi, w,
                          d[piece.lo:piece.hi] if piece.job == "h" else None, piece.span)
        spent["msm_" + piece.job] += time.process_time() - t0
        self._add(sums, piece.job, point)
        return d

    def _run_workers(self, plan, w, sums, spent, progress):
        exchange = _Exchange(self, plan, sums, spent, progress)
        exchange.start(encode_scalars(w))
        exchange.run()
        #: CPU seconds each worker spent on its pieces in the last proof (how even the split was).
        self.last_busy = list(exchange.busy.values())
        if exchange.dead:
            self._recover(exchange.dead, exchange.pending, exchange.held_h, w, exchange.d_bytes, sums, spent)

    def _recover(self, dead, pending, held_h, w, d_bytes, sums, spent):
        """Compute here what dead workers left unfinished; drop them from the pool."""
        left = []
        for conn in set(dead):
            left.extend(pending.get(conn, []))
            left.extend(held_h.get(conn, []))
        for conn in list(held_h):          # live workers whose H never got sent (d was lost)
            if conn not in dead:
                left.extend(held_h.pop(conn))
        d = decode_scalars(d_bytes) if d_bytes is not None else None
        left.sort(key=lambda p: p.job != "q")
        for piece in left:
            d = self._run_here(piece, w, d, sums, spent)
        for conn in set(dead):
            i = self._conns.index(conn)
            proc = self._procs.pop(i)
            self._conns.pop(i)
            proc.kill()
            proc.join()
            conn.close()


class _Exchange:
    """One proof's messages with the workers: pieces sent and still owed, H pieces waiting for d."""

    def __init__(self, pool, plan, sums, spent, progress):
        self.pool, self.sums, self.spent, self.progress = pool, sums, spent, progress
        self.pending = {}            # conn -> pieces sent and not answered, in order
        self.held_h = {}             # conn -> H pieces waiting for d
        for conn, pieces in zip(pool._conns, plan):
            self.pending[conn] = [p for p in pieces if p.job != "h"]
            self.held_h[conn] = [p for p in pieces if p.job == "h"]
        self.dead = []
        self.d_bytes = None
        self.busy = {conn: 0.0 for conn in self.pending}
        self.total_units = sum(p.units for pieces in plan for p in pieces) or 1.0
        self.done_units = 0.0

    def start(self, w_bytes: bytes) -> None:
        for conn, pieces in self.pending.items():
            try:
                conn.send(("begin", w_bytes))
                for p in pieces:
                    conn.send(("q",) if p.job == "q" else ("msm", p.job, p.lo, p.hi, p.span, None))
            except (OSError, ValueError):
                self.dead.append(conn)

    def send_h(self, conn) -> None:
        pieces = self.held_h.pop(conn, [])
        self.pending[conn].extend(pieces)        # owed from now on, sent or not (a dead worker's go to _recover)
        try:
            for p in pieces:
                conn.send(("msm", "h", p.lo, p.hi, p.span, self.d_bytes[32 * p.lo:32 * p.hi]))
        except (OSError, ValueError):
            self.dead.append(conn)

    def run(self) -> None:
        while True:
            live = [c for c, owed in self.pending.items() if owed and c not in self.dead]
            if not live:
                return
            for conn in wait(live):
                self.receive(conn)

    def receive(self, conn) -> None:
        try:
            reply = conn.recv()
        except (EOFError, OSError):
            self.dead.append(conn)
            return
        if reply[0] == "error":
            self.dead.append(conn)
            return
        piece = self.pending[conn].pop(0)
        costs = self.pool.costs
        if reply[0] == "q":
            _, self.d_bytes, t_abc, t_ntt = reply
            self.spent["build_abc"] += t_abc
            self.spent["ntt"] += t_ntt
            self.busy[conn] += t_abc + t_ntt
            costs.update("ntt", piece.units, t_abc + t_ntt)
            for c in list(self.held_h):
                if c not in self.dead:
                    self.send_h(c)
        else:
            _, job, _lo, point, seconds = reply
            self.pool._add(self.sums, job, point)
            self.spent["msm_" + job] += seconds
            self.busy[conn] += seconds
            costs.update("g2" if job in schedule.G2_JOBS else "g1", piece.units,
                         max(seconds - costs.piece * piece.fraction, seconds / 2))
        self.done_units += piece.units
        if self.progress is not None:
            phase = "ntt" if piece.job == "q" else "msm_" + piece.job
            self.progress(phase, min(self.done_units / self.total_units, 0.99))


def prove_many(pk, witnesses, *, workers: int | None = None, rng=secrets) -> list:
    """``[(Proof, public_signals), …]`` for each witness, all with one pool of ``workers`` processes."""
    witnesses = list(witnesses)
    if not witnesses:
        return []
    with ProverPool(pk, workers) as pool:
        return [pool.prove(w, rng=rng) for w in witnesses]

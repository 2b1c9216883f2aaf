"""A population on one embedded ledger per mode: drivers, poles, concurrent sessions, background payments.

``simulate(config, data_dir, keys)`` builds, for each mode, a fresh ledger in
``DATA_DIR/<mode>/ledger`` with real Groth16 proofs (``keys``: the circuit keys of the
ledger's tree depth, see ``circuit_keys``), registers ``poles`` poles at different
prices, and plays ``sessions`` charging sessions of ``drivers`` drivers:

* arrivals: a seeded Poisson process over blocks (``arrival_rate`` sessions per block);
  each picks a driver and a pole uniformly and an energy target uniformly in
  [``min_packets``, ``max_packets``] packets of 10 Wh; a driver and a pole serve one
  session at a time, so a session waits while either is busy;
* sessions overlap: charging lets a block pass every ``packets_per_block`` packets,
  and every open session's transactions share the blocks (``scheduler``);
* background: ``residents`` wallets shield at the start and pay each other shielded
  transfers (``background_rate`` per block, random amounts);
* funding (``funding='prefund'``, the default: every driver shields notes of exactly
  the standard deposit once at the start, and a session spends one of them whole;
  ``'just-in-time'``, naive wallets: a driver shields the deposit in the block before
  its session when its notes do not cover it);
* one standard deposit for every session and pole: the smallest denomination covering
  ``deposit_wh`` at the highest price (escrow: the ledger's denominations; channels:
  ``deposit_for``), so no amount encodes a price or an energy;
* escrow settlements posted as ``settlement`` says (``'hidden'``, the default: at a
  height drawn uniformly up to the refund deadline; ``'prompt'``: in the next block,
  see ``zkescrow.escrow.settlement_timing``); car and pole are free for other
  sessions once the enclave has decided;
* channels on one-time keys for both parties, the car's deposit paid from notes it
  shielded at the start (shielded channels: a channel funded from notes; signed
  channels: an unshield to the car's one-time address); the pole forwards its
  earnings to its operator as ``forwarding`` says.

The same seed gives every mode the same arrivals, drivers, poles and targets.
Returns the ground truth (``SessionTruth`` per session, the population's public
identities); ``write_truth`` stores it as JSON.
"""
from __future__ import annotations

import json
import os
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from zkescrow.errors import MalformedInput
from zkescrow.ledger.denominations import covering

from .players import PACKET_WH, SessionTruth, bind
from .scheduler import Task

MODES = ("transparent", "shielded", "signed-channel", "shielded-channel")
ESCROW_MODES = ("transparent", "shielded")
FUNDING = ("just-in-time", "prefund")


@dataclass
class PopulationConfig:
    """Size and behaviour of a simulated population (see the module docstring)."""

    drivers: int = 8
    poles: int = 4
    sessions: int = 40
    modes: tuple = MODES
    depth: int = 10
    seed: int = 1
    arrival_rate: float = 0.5
    background_rate: float = 0.5
    residents: int = 0                  # 0: as many as drivers
    packets_per_block: int = 5
    funding: str = "prefund"
    forwarding: str = "batched"
    settlement: str = "hidden"
    deposit_wh: int = 300
    min_packets: int = 5
    max_packets: int = 28

    def __post_init__(self):
        self.modes = tuple(self.modes)
        if not set(self.modes) <= set(MODES) or not self.modes:
            raise MalformedInput(f"modes must be among {', '.join(MODES)}")
        if self.funding not in FUNDING:
            raise MalformedInput(f"funding must be one of {', '.join(FUNDING)}")
        from zkescrow.escrow.forwarding import POLICIES
        from zkescrow.escrow.settlement_timing import POLICIES as TIMINGS
        if self.forwarding not in POLICIES:
            raise MalformedInput(f"forwarding must be one of {', '.join(POLICIES)}")
        if self.settlement not in TIMINGS:
            raise MalformedInput(f"settlement must be one of {', '.join(TIMINGS)}")
        if min(self.drivers, self.poles, self.sessions) < 1 or not 1 <= self.min_packets <= self.max_packets:
            raise MalformedInput("drivers, poles and sessions must be positive; min_packets <= max_packets")
        if self.max_packets * PACKET_WH > self.deposit_wh:
            raise MalformedInput("an energy target must fit in the deposit (max_packets × 10 Wh <= deposit_wh)")
        if not 0 < self.arrival_rate and 0 <= self.background_rate:
            raise MalformedInput("arrival_rate must be positive and background_rate non-negative")


def pole_prices(poles: int) -> list[int]:
    """Different prices (base units per Wh) for poles 0, 1, …"""
    return [400 + 37 * j for j in range(poles)]


def schedule(config: PopulationConfig) -> list[dict]:
    """Arrivals: [{index, block (offset from the first session block), driver, pole, target_wh}]."""
    rng = random.Random(config.seed)
    clock, out = 0.0, []
    for index in range(config.sessions):
        clock += rng.expovariate(config.arrival_rate)
        out.append({"index": index, "block": int(clock), "driver": f"driver-{rng.randrange(config.drivers):02d}",
                    "pole": f"pole-{rng.randrange(config.poles):02d}",
                    "target_wh": PACKET_WH * rng.randint(config.min_packets, config.max_packets)})
    return out


def circuit_keys(keys_dir: str | Path, depth: int, *, log=None):
    """The cached development keys (``CircuitKeys``) of every circuit the population proves, at ``depth``.

    Each proof runs in the simulating process (``workers=1``): its session threads take turns, so forking
    prover workers per proof would only add pipes and copies (a depth-10 transfer proof measured 5.1–6.3 s of
    CPU in-process against 7.7–8.3 s with forked workers, at load 8.5 on 2 cores)."""
    from zkescrow.ledger.proofs import CircuitKeys
    keys = CircuitKeys(keys_dir, depth, log=log, workers=1)
    for name in ("deposit", "transfer", "escrow_release", "channel_update", "channel_settle"):
        keys.proving_key(name)
    return keys


TRUTH_NAME = "truth.json"


def simulate(config: PopulationConfig, data_dir: str | Path, keys, *, log=None) -> dict:
    """Run the population in every mode of ``config`` (see the module docstring); returns the ground truth.

    Each mode's ledger and truth go to ``DATA_DIR/<mode>/`` (``ledger/``, ``truth.json``), so modes of
    one population may also be simulated by separate processes into the same directory.
    """
    data_dir = Path(data_dir)
    log = log or (lambda message: None)
    truth = {"config": asdict(config), "schedule": schedule(config), "modes": {}}
    for mode in config.modes:
        started = time.perf_counter()
        run = ModeRun(config, mode, data_dir / mode, keys, log)
        result = run.play(truth["schedule"])
        result["seconds"] = round(time.perf_counter() - started, 1)
        truth["modes"][mode] = result
        write_truth({**truth, "modes": {mode: result}}, data_dir / mode / TRUTH_NAME)
        log(f"{mode}: {len(result['sessions'])} sessions in {result['seconds']} s, ledger height {result['height']}")
    return truth


def write_truth(truth: dict, path: str | Path) -> None:
    """Write the ground truth JSON atomically."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(truth, indent=1, sort_keys=True))
    os.replace(tmp, path)


def load_truth(data_dir: str | Path) -> dict:
    """The ground truth of every mode simulated in ``data_dir`` (``DATA_DIR/<mode>/truth.json``), merged."""
    merged: dict = {}
    for mode in MODES:
        path = Path(data_dir) / mode / TRUTH_NAME
        if not path.exists():
            continue
        try:
            part = json.loads(path.read_text())
            config, modes = part["config"], part["modes"]
        except (OSError, ValueError, KeyError, TypeError):
            raise MalformedInput(f"{path} is not a simulation's ground truth") from None
        if merged and {k: v for k, v in config.items() if k != "modes"} != \
                {k: v for k, v in merged["config"].items() if k != "modes"}:
            raise MalformedInput(f"{path} belongs to another population than the other modes in {data_dir}")
        merged.setdefault("config", dict(config, modes=[]))
        merged.setdefault("modes", {}).update(modes)
        merged["config"]["modes"] = list(merged["modes"])
    if not merged:
        raise MalformedInput(f"{data_dir} holds no simulation (no <mode>/truth.json): run `zkescrow simulate` first")
    return merged


@dataclass
class _Open:
    spec: dict
    task: Task | None = None
    ready_at: int = 0                 # first block the session may start (after a just-in-time shield)
    extra: dict = field(default_factory=dict)


class ModeRun:
    """One mode's ledger and population, played block by block."""

    def __init__(self, config: PopulationConfig, mode: str, data_dir: Path, keys, log):
        from .world import build_world
        self.config, self.mode, self.keys, self.log = config, mode, keys, log
        self.escrow = mode in ESCROW_MODES
        self.rng = random.Random(config.seed * 7919 + 1)      # background traffic: the same in every mode
        self.world = build_world(config, mode, data_dir, keys)
        self.ledger = self.world.ledger

    def play(self, arrivals: list[dict]) -> dict:
        """Play ``arrivals`` block by block until every session ended and every pole forwarded its earnings."""
        from zkescrow.errors import TransactionRejected
        from zkescrow.escrow.forwarding import EarningsForwarder
        ledger = self.ledger
        self.forwarder = EarningsForwarder(self.config.forwarding, random.Random(self.config.seed * 31 + 7))
        first = ledger.height + 1
        self.waiting = [_Open(dict(a, mode=self.mode, block=first + a["block"])) for a in arrivals]
        self.running: list[_Open] = []
        self.busy: set[str] = set()
        self.sessions: list[dict] = []
        block = None
        while self.waiting or self.running or self.forwarder.pending():
            height = ledger.height + 1
            txs = self._forwards(height) + self._arrivals(height) + self._sessions(height, block) + self._background()
            block = self.world.commit(txs)
            if block.rejected:
                raise TransactionRejected(f"block {block.height}: a transaction was rejected: {block.rejected[0][1]}")
        for _ in range(3):                       # a quiet tail, so the last settlement is not the chain's tip
            self.world.commit(self._background())
        ledger.verify_chain()
        self.sessions.sort(key=lambda s: s["start_block"])
        out = {"ledger_dir": str(ledger.store.data_dir), "height": ledger.height, "sessions": self.sessions,
               "identities": self.world.identities(), "value": ledger.total_value()}
        self.world.close()
        return out

    def _forwards(self, height: int) -> list:
        """Poles (not in a session) forwarding earnings to their operators in this block, as the policy says."""
        txs = []
        for pole_id, amount in self.forwarder.due(height, idle=set(self.world.poles) - self.busy):
            pole = self.world.poles[pole_id]
            bind(self.ledger, pole)
            pole.wallet.scan()
            amount = min(amount, sum(n.note.value for n in pole.wallet.notes()[:2]))   # one spend: two notes
            txs.append(pole.wallet.send(pole.operator.payment_address, amount))
        return txs

    def _arrivals(self, height: int) -> list:
        """Start the sessions that arrived and whose driver and pole are free (their shields, if any)."""
        txs = []
        for item in list(self.waiting):
            spec = item.spec
            if spec["block"] > height or {spec["driver"], spec["pole"]} & self.busy:
                continue
            self.busy |= {spec["driver"], spec["pole"]}
            self.waiting.remove(item)
            shield = self._fund(spec) if self.escrow else None
            if shield is not None:
                txs.append(shield)
            item.ready_at = height + (shield is not None)
            self.running.append(item)
        return txs

    def _sessions(self, height: int, block) -> list:
        """Let every running session go on until it waits for the next block; collect its transactions."""
        txs = []
        for item in list(self.running):
            if item.ready_at > height:
                continue
            if item.task is None:
                item.task = Task(f"{self.mode}-{item.spec['index']}", self.world.session_body(item.spec))
            txs += item.task.step(block)
            if (item.task.parties_free or item.task.done) and not item.extra.get("freed"):
                item.extra["freed"] = True             # charging is over: driver and pole may start again
                self.busy -= {item.spec["driver"], item.spec["pole"]}
            if item.task.done:
                self.running.remove(item)
                truth: SessionTruth = item.task.result
                self.sessions.append(truth.to_dict())
                if self.escrow:
                    self.forwarder.earned(item.spec["pole"], truth.pole_share, truth.settle_height)
        return txs

    def _fund(self, spec: dict):
        """Just-in-time funding (today's wallets): shield the deposit when the driver's notes do not cover it."""
        car = self.world.cars[spec["driver"]]
        bind(self.ledger, car)
        car.wallet.scan()
        deposit = self.world.deposit(spec)
        spendable = sum(n.note.value for n in car.wallet.notes()[:2])        # a spend takes two notes
        if self.config.funding == "just-in-time" and spendable < deposit:      # one note of the covering denomination
            return car.wallet.shield(covering(deposit, self.ledger.denominations or [deposit]))
        if spendable < deposit:
            raise AssertionError(f"{spec['driver']} has no notes left for a deposit of {deposit}")
        return None

    def _background(self) -> list:
        """Shielded payments among the residents this block (at most one per resident)."""
        wallets = self.world.residents
        if not wallets or self.config.background_rate <= 0:
            return []
        count = min(len(wallets), _poisson(self.rng, self.config.background_rate))
        txs = []
        for payer in self.rng.sample(sorted(wallets), count):
            wallet = wallets[payer]
            wallet.scan()
            payee = self.rng.choice([n for n in sorted(wallets) if n != payer] or [payer])
            spendable = sum(n.note.value for n in wallet.notes()[:2])
            if spendable < 2_000:
                continue
            amount = self.rng.randint(1_000, min(spendable, 2_000_000))
            txs.append(wallet.send(wallets[payee].keys.payment_address, amount))
        return txs


def _poisson(rng: random.Random, rate: float) -> int:
    count, clock = 0, rng.expovariate(rate)
    while clock < 1.0:
        count += 1
        clock += rng.expovariate(rate)
    return count

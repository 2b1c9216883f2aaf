"""The world a charging session runs in: the ledger, its circuit keys, the TEE vendor, the enclave host, the poles.

``EscrowWorld`` mines blocks (logging and recording what was accepted or rejected),
registers poles, draws each session's refund deadline for the driver (``secrets``, from
``refund_delays``), connects parties to the enclave over secure channels and relays their
ecalls (remembering the enclave's counter as its clients' anchor), and restarts the enclave
after a crash.  ``MeteredKeys`` wraps circuit keys to count proofs and verifications for reports.
"""
from __future__ import annotations

import secrets
import time
from pathlib import Path

from enclave_sim import EnclaveSigner, Vendor, verify_quote
from zkescrow.errors import MalformedInput, TransactionRejected, WrongState
from zkescrow.ledger.denominations import DEFAULT as DEFAULT_DENOMINATIONS
from zkescrow.ledger.keys import WalletKeys
from zkescrow.ledger.ledger import Ledger
from zkescrow.ledger.wallet import Wallet

from .actors import Car, EnclaveHost, Pole, enclave_policy
from .actors import program_image as escrow_image
from .enclave_program import EscrowProgram

#: The range a driver draws a session's refund delay from (blocks after the tip at opening); the close
#: height is ``settle_window`` blocks before it.  Within the enclave's [min_refund_delay, max_refund_delay].
REFUND_DELAYS = (16, 128)
MAX_REFUND_DELAY = EscrowProgram.config["max_refund_delay"]


class MeteredKeys:
    """Circuit keys that record every proof made and every batch verified (for reports)."""

    def __init__(self, keys):
        self.inner = keys
        self.depth = keys.depth
        self.proofs: list[tuple[str, float]] = []
        self.verifications: list[tuple[str, int, float]] = []
        self.log = None

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def prove(self, name: str, inputs: dict):
        proof, public, seconds = self.inner.prove(name, inputs)
        self.proofs.append((name, seconds))
        if self.log is not None:
            self.log(f"          proof: {name} (depth {self.depth}) in {seconds:.1f}s")
        return proof, public, seconds

    def verify_many(self, name: str, items: list) -> list[bool]:
        start = time.perf_counter()
        verdicts = self.inner.verify_many(name, items)
        self.verifications.append((name, len(items), time.perf_counter() - start))
        return verdicts

    def snapshot(self) -> tuple[int, int]:
        return len(self.proofs), len(self.verifications)

    def since(self, mark: tuple[int, int]) -> dict:
        proofs, verifications = self.proofs[mark[0]:], self.verifications[mark[1]:]
        by_circuit: dict[str, int] = {}
        for name, _ in proofs:
            by_circuit[name] = by_circuit.get(name, 0) + 1
        return {"count": len(proofs), "by_circuit": by_circuit,
                "prove_s": round(sum(s for _, s in proofs), 3),
                "verified": sum(n for _, n, _ in verifications),
                "verify_s": round(sum(s for _, _, s in verifications), 3)}


class EscrowWorld:
    """Ledger, TEE vendor, enclave host and poles of one run (see the module docstring)."""

    def __init__(self, data_dir: Path, ledger: Ledger, keys: MeteredKeys, vendor, signer, host: EnclaveHost, *,
                 log=None, packet_wh: int = 10, refund_delays: tuple[int, int] = REFUND_DELAYS,
                 settle_window: int = 4, rng=None):
        self.data_dir = data_dir
        self.ledger = ledger
        self.keys = keys
        self.vendor = vendor
        self.signer = signer
        self.host = host
        self.log = log or (lambda message: None)
        self.packet_wh = packet_wh
        low, high = refund_delays
        if not settle_window + 4 <= low <= high <= MAX_REFUND_DELAY:
            raise MalformedInput(f"refund delays {refund_delays} must lie in [{settle_window + 4}, "
                                 f"{MAX_REFUND_DELAY}] (settle window {settle_window}, the enclave's bounds)")
        self.refund_delays = (low, high)
        self.settle_window = settle_window
        self.rng = rng or secrets.SystemRandom()    # drivers' draws; a seeded random.Random only to replay a simulation
        self.poles: dict[str, Pole] = {}
        self.anchor = 0                      # the enclave's counter as last seen by its clients
        self.program_config: dict | None = None
        self.expected_image = host.image     # the genuine build for this ledger (``create`` sets it)
        self.people: dict[str, WalletKeys] = {}
        if self.keys.log is None:
            self.keys.log = self.log

    @classmethod
    def create(cls, data_dir: str | Path, circuit_keys, *, depth: int, funds: dict[str, int], log=None,
               program_image=None, program_config: dict | None = None, root_window: int = 100,
               denominations=DEFAULT_DENOMINATIONS, **options) -> "EscrowWorld":
        """A fresh ledger in ``data_dir`` whose genesis funds the named people, plus a launched, registered enclave.

        The genuine escrow program is built for this ledger (its chain id and authority keys in the measured
        config, plus ``program_config``'s bounds); the ledger accepts only that build.
        ``denominations``: the ledger's shield amounts (``Ledger.create``; None: any amount).
        ``program_image``: the build the host actually runs (default: the genuine one).
        """
        data_dir = Path(data_dir)
        people = {name: WalletKeys.generate() for name in funds}
        vendor, signer = Vendor.create(), EnclaveSigner.generate()
        keys = circuit_keys if isinstance(circuit_keys, MeteredKeys) else MeteredKeys(circuit_keys)
        ledger = Ledger.create(data_dir / "ledger", {people[n].address: v for n, v in funds.items()}, depth=depth,
                               keys=keys, root_window=root_window, denominations=denominations)
        genuine = escrow_image(ledger=ledger, config=program_config)
        ledger.enclave_policy = enclave_policy(vendor, signer.mrsigner, image=genuine)
        host = EnclaveHost(data_dir / "platform", vendor, signer, image=program_image or genuine)
        world = cls(data_dir, ledger, keys, vendor, signer, host, log=log, **options)
        world.people = people
        world.program_config = program_config
        world.expected_image = genuine
        result = world.mine(host.registration(ledger), label="register enclave")
        world.enclave_registered = not result.rejected
        return world

    # --- the chain -------------------------------------------------------------------------

    def mine(self, *txs, label: str = "", record=None):
        """Submit ``txs`` and commit one block; log, and record in ``record`` (a SessionResult), what happened."""
        for tx in txs:
            self.ledger.submit(tx)
        result = self.ledger.commit_block()
        sizes = {tx.txid: tx for tx in txs}
        for txid in result.accepted:
            tx = sizes[txid]
            self.log(f"block {result.height:>3}  + {tx.kind:<17} {tx.size:>6,} B  {label}")
            if record is not None:
                record.transactions.append({"label": label, "txid": txid, "kind": tx.kind, "size": tx.size,
                                            "height": result.height})
        for txid, reason in result.rejected:
            self.log(f"block {result.height:>3}  ✗ {sizes[txid].kind:<17} rejected: {reason}  {label}")
            if record is not None:
                record.rejected.append({"label": label, "kind": sizes[txid].kind, "reason": reason})
        return result

    def draw_refund_height(self) -> int:
        """A session's refund height: the tip plus a delay the driver draws uniformly (``secrets``) from
        ``refund_delays``, so no deadline is a fixed offset from its opening or funding block (``rng``: the OS's
        randomness unless a simulation replays a seed)."""
        low, high = self.refund_delays
        return self.ledger.height + self.rng.randint(low, high)

    def mine_until(self, height: int) -> None:
        while self.ledger.height < height:
            self.ledger.commit_block()

    # --- parties ---------------------------------------------------------------------------

    def add_pole(self, pole_id: str, operator: str, price_per_wh: int, **kw) -> Pole:
        operator_keys = self.people[operator]
        pole = Pole(pole_id, operator_keys, price_per_wh, **kw)
        result = self.mine(pole.registration(self.ledger.nonce(operator_keys.address), self.ledger.chain_id),
                           label=f"register {pole_id} at {price_per_wh} per Wh")
        if result.rejected:
            raise TransactionRejected(f"pole registration rejected: {result.rejected[0][1]}")
        pole.wallet = Wallet(pole.keys, self.ledger, self.keys)
        self.poles[pole_id] = pole
        return pole

    def connect_pole(self, pole: Pole) -> None:
        """The pole verifies the enclave with its own nonce and opens a secure channel."""
        nonce = secrets.token_bytes(32)
        policy = enclave_policy(self.vendor, self.signer.mrsigner, image=self.expected_image)
        verified = verify_quote(self.host.enclave.attest(nonce), None, policy, nonce)
        pole.channel = verified.channel()

    def car(self, name: str) -> Car:
        return Car(self.people[name], self.ledger, self.keys, vendor=self.vendor, signer_mrsigner=self.signer.mrsigner,
                   program_config=self.program_config)

    def call(self, party, method: str, *args):
        """An ecall by ``party`` over its secure channel through the host, the answer sealed to the party (which
        refuses a rolled-back counter); first the host brings the enclave's headers up to the ledger's tip."""
        self.sync_enclave()
        result = party.open_reply(party.channel.call(self.host.transport, method, *args,
                                                     reply_key=party.reply_public_hex))
        self._saw(result)
        return result

    def _saw(self, result) -> None:
        if isinstance(result, dict) and isinstance(result.get("counter"), int):
            self.anchor = max(self.anchor, result["counter"])

    def sync_enclave(self) -> int:
        """The host relays the ledger's signed headers the enclave has not seen; returns the enclave's tip."""
        if not self.host.running:
            return -1
        enclave = self.host.enclave
        tip = enclave.call("sync_headers", [])["tip"]
        while tip < self.ledger.height:
            end = min(self.ledger.height, tip + 256)
            answer = enclave.call("sync_headers", [h.to_json() for h in self.ledger.headers(tip + 1, end)])
            self._saw(answer)
            tip = answer["tip"]
        return tip

    def evidence(self, txid: str) -> dict:
        """A transaction with what proves it to the enclave: its block's signed header and its Merkle proof."""
        return self.ledger.transaction_proof(txid)

    def registration_evidence(self, pole_id: str) -> dict:
        """The pole's register_service transaction, with its inclusion proof."""
        service = next(s for s in self.ledger.services() if s["pole_id"] == pole_id)
        return self.evidence(service["txid"])

    def restart_enclave(self) -> int:
        """Crash recovery: relaunch from the sealed state, check the counter against the clients' anchor, and let
        each pole check and re-confirm its sessions the restart holds (``Pole.recover``)."""
        self.host.launch()
        counter = self.host.enclave.call("resume", self.anchor)["counter"]
        for pole in self.poles.values():
            for session_id in list(pole.sessions):
                try:
                    pole.recover(self.call, session_id)
                except WrongState:          # evicted, or in a phase with nothing to hold
                    continue
        return counter


def new_session_id() -> tuple[str, int]:
    """A random session id: 62 hex digits (the ledger's string) = a 248-bit field element (the circuits')."""
    value = secrets.randbits(248)
    return f"{value:062x}", value

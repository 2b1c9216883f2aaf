"""Streaming benchmark: payment-channel updates on this machine, beside Teechain's and µRaiden's published model.

    python -m bench.streaming [--updates 2000] [--proofs 4] [--batch 16] [--keys-dir DIR] [--json out.json]

Measures, single-threaded, in-process (no network):

* signed updates (Ed25519 counter, µRaiden-style): pay, verify+countersign, take receipt — per second,
  and each half separately; bytes per update and per receipt;
* shielded per-packet updates (Pedersen commitment + opening + Ed25519): the same, without a proof;
* shielded step proofs (Groth16 ``channel_update``, ~2,900 constraints): prove, verify one, batch-verify
  ``--batch`` — seconds each and updates per second; proof bytes (snarkjs JSON, and 128 B compressed);
* end-to-end latency per packet: packet released → metered → paid → countersigned → receipt taken,
  through the ``Party`` state machines (median and 99th percentile), signed and shielded.

Teechain (SOSP'19 / arXiv 1707.05454 v1): > 33,000 tx/s at 0.1 s latency between SGX enclaves across the
Atlantic; µRaiden: one signature per payment over a cumulative balance, checked off-chain by the receiver
(ecrecover), no proof — the model of our signed updates.  Their figures include networks and machines we
do not reproduce; the table puts them side by side, it does not rank them.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

from nacl.signing import SigningKey

from zkescrow.channel import api
from zkescrow.channel.controller import StreamController
from zkescrow.channel.pricing import PriceSignal
from zkescrow.channel.proofs import StepProof
from zkescrow.channel.session import Party, signal_message
from zkescrow.channel.state import Channel, prove_transition

from .timing import fmt, measure

TEECHAIN_TPS, TEECHAIN_LATENCY_S = 33_000, 0.1
PACKET_WH, PRICE_PER_WH = 10, 500


def _pair(shielded: bool, prover=None, proof_every: int = 0, deposit: int = 10**15):
    car, pole = SigningKey.generate(), SigningKey.generate()
    terms = api.new_channel(car, api.address_of(pole), 0, deposit, shielded=shielded, unit=PACKET_WH)
    return (Channel(terms, car, prover=prover, proof_every=proof_every),
            Channel(terms, pole, prover=prover, proof_every=proof_every))


def bench_updates(shielded: bool, n: int) -> dict:
    """Per-packet updates: pay, verify+countersign, take the receipt."""
    payer, payee = _pair(shielded)
    amount = PACKET_WH * PRICE_PER_WH
    updates, receipts = [], []
    start = time.perf_counter()
    for _ in range(n):
        updates.append(api.make_update(payer, amount))
    t_make = time.perf_counter() - start
    start = time.perf_counter()
    for message in updates:
        receipts.append(api.verify_update(payee, message).receipt)
    t_verify = time.perf_counter() - start
    start = time.perf_counter()
    for receipt in receipts:
        api.accept_receipt(payer, receipt)
    t_receipt = time.perf_counter() - start
    total = t_make + t_verify + t_receipt
    return {"kind": "shielded (commitment)" if shielded else "signed", "updates": n,
            "make_per_s": n / t_make, "verify_per_s": n / t_verify, "receipt_per_s": n / t_receipt,
            "round_per_s": n / total, "update_bytes": statistics.median(len(u) for u in updates),
            "receipt_bytes": statistics.median(len(r) for r in receipts)}


def bench_step_proofs(keys, n_proofs: int, batch: int) -> dict:
    """Groth16 channel_update proofs: prove, verify one, batch-verify."""
    payer, _ = _pair(True, prover=keys)
    keys.proving_key("channel_update")                       # setup outside the timings
    steps = []
    prove_times = []
    for _ in range(n_proofs):
        message = json.loads(api.make_update(payer, PACKET_WH * PRICE_PER_WH))
        counter = payer.mine
        new = counter.openings[tuple(int(c) for c in message["state"]["commitment"])]
        old = counter.openings[counter.proven]
        start = time.perf_counter()
        step = prove_transition(keys, payer.terms, counter.step, old, new)
        prove_times.append(time.perf_counter() - start)
        counter.step, counter.proven = counter.step + 1, tuple(step.c_new)
        steps.append(step)
    items = [(s.public_signals, s.proof) for s in steps]
    one = measure("verify one", lambda: keys.verify_many("channel_update", items[:1]), runs=5)
    many = [items[k % len(items)] for k in range(batch)]
    batched = measure(f"verify batch of {batch}", lambda: keys.verify_many("channel_update", many), runs=3)
    prove = statistics.median(prove_times)
    return {"constraints": len(keys.circuit("channel_update").compile().constraints),
            "prove_s": prove, "prove_per_s": 1 / prove, "verify_one_s": one.median, "verify_one_per_s": 1 / one.median,
            "batch": batch, "verify_batch_s": batched.median, "verify_batch_per_s": batch / batched.median,
            "proof_json_bytes": statistics.median(len(json.dumps(s.proof)) for s in steps),
            "proof_compressed_bytes": 128, "step_json_bytes": len(json.dumps(StepProof.to_json(steps[0])))}


def bench_latency(shielded: bool, packets: int) -> dict:
    """Per-packet end-to-end latency through the two Party state machines (lossless in-process transport)."""
    car_ch, pole_ch = _pair(shielded)
    grid = SigningKey.generate()
    signal = PriceSignal(api.address_of(grid), 1, PRICE_PER_WH).signed(grid)
    car = Party(car_ch, StreamController(True, grid_key=api.address_of(grid), packet_wh=PACKET_WH))
    pole = Party(pole_ch, StreamController(False, grid_key=api.address_of(grid), packet_wh=PACKET_WH))
    for party in (car, pole):
        party.handle(signal_message(signal), 0)
    latencies = []
    for _ in range(packets):
        start = time.perf_counter()
        packet = pole.poll(0)                      # release
        for message in packet:
            car.handle(message, 0)                 # meter
        payment = car.poll(0)                      # pay
        receipts = [r for m in payment for r in pole.handle(m, 0)]   # verify + countersign
        for receipt in receipts:
            car.handle(receipt, 0)                 # take the receipt
        latencies.append(time.perf_counter() - start)
        assert pole.controller.exposure == 0 and payment and receipts
    latencies.sort()
    return {"kind": "shielded (commitment)" if shielded else "signed", "packets": packets,
            "median_s": statistics.median(latencies), "p99_s": latencies[int(0.99 * (len(latencies) - 1))],
            "packets_per_s": packets / sum(latencies)}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description="payment-channel streaming benchmark")
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--proofs", type=int, default=4)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--keys-dir", default=None, help="cache of circuit keys (default: a temporary dir)")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    from zkescrow.ledger.proofs import CircuitKeys
    keys = CircuitKeys(Path(args.keys_dir or tempfile.mkdtemp(prefix="bench-streaming-")), 4)

    signed = bench_updates(False, args.updates)
    shielded = bench_updates(True, max(args.updates // 10, 50))
    proofs = bench_step_proofs(keys, args.proofs, args.batch)
    lat_signed = bench_latency(False, min(args.updates, 1000))
    lat_shielded = bench_latency(True, max(args.updates // 10, 50))
    result = {"machine": f"{platform.machine()} {platform.processor() or ''} Python {platform.python_version()}",
              "signed": signed, "shielded": shielded, "step_proofs": proofs,
              "latency_signed": lat_signed, "latency_shielded": lat_shielded,
              "teechain": {"tx_per_s": TEECHAIN_TPS, "latency_s": TEECHAIN_LATENCY_S}}
    print(f"## Streaming over payment channels ({result['machine']}, one core, in-process)\n")
    print("| update | per second | bytes/update | end-to-end latency per packet (median / p99) |")
    print("|---|---|---|---|")
    print(f"| signed (Ed25519 counter; pay+verify+receipt) | {signed['round_per_s']:,.0f} "
          f"(make {signed['make_per_s']:,.0f}, verify {signed['verify_per_s']:,.0f}) | {signed['update_bytes']:.0f} "
          f"(+{signed['receipt_bytes']:.0f} receipt) | {fmt(lat_signed['median_s'])} / {fmt(lat_signed['p99_s'])} |")
    print(f"| shielded, per packet (Pedersen commitment + opening) | {shielded['round_per_s']:,.0f} "
          f"(make {shielded['make_per_s']:,.0f}, verify {shielded['verify_per_s']:,.0f}) | "
          f"{shielded['update_bytes']:.0f} (+{shielded['receipt_bytes']:.0f} receipt) | "
          f"{fmt(lat_shielded['median_s'])} / {fmt(lat_shielded['p99_s'])} |")
    print(f"| shielded step proof (Groth16, {proofs['constraints']:,} constraints): prove | "
          f"{proofs['prove_per_s']:.2f} ({fmt(proofs['prove_s'])} each) | {proofs['proof_json_bytes']:.0f} JSON "
          f"/ {proofs['proof_compressed_bytes']} compressed | every k packets: k·packet time must exceed "
          f"{fmt(proofs['prove_s'])} |")
    print(f"| shielded step proof: verify one | {proofs['verify_one_per_s']:,.1f} ({fmt(proofs['verify_one_s'])}) "
          f"| | |")
    print(f"| shielded step proof: verify batch of {proofs['batch']} | {proofs['verify_batch_per_s']:,.1f} "
          f"({fmt(proofs['verify_batch_s'])} per batch) | | |")
    print(f"| Teechain (published; SGX, replicated, trans-Atlantic) | > {TEECHAIN_TPS:,} | — | "
          f"{TEECHAIN_LATENCY_S} s |")
    print("| µRaiden (published model) | one signature per payment, ecrecover by the receiver, no proof | "
          "balance + signature in HTTP headers | one round trip |")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()

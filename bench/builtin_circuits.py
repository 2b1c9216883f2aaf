"""Prove and verify every built-in circuit with zkescrow and snarkjs on the same key and witness.

    python -m bench.builtin_circuits [--runs 3] [--depth 20] [--out DIR]

For each circuit: a development key (written as .zkey), an honest witness (.wtns)
from the circuit's witness builder, then medians of --runs runs of
  zkescrow in-process prove / verify,
  `zkescrow prove` / `zkescrow verify` as whole processes,
  `snarkjs groth16 prove` / `snarkjs groth16 verify` as whole processes,
with every proof checked by the other implementation.  Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from circuits.crypto.eddsa import PrivateKey
from circuits.crypto.merkle import MerkleTree
from circuits.crypto.pedersen import random_blinding
from circuits.escrow.channel_update import ChannelState, channel_update_inputs
from circuits.escrow.deposit import deposit_inputs
from circuits.escrow.escrow_release import RELEASE, escrow_release_inputs
from circuits.escrow.transfer import SpendInput, transfer_inputs
from circuits.escrow.value_commitment import value_commitment_inputs
from circuits.notes import EscrowTerms, Note, SpendingKey, release_message
from circuits.registry import get
from zkescrow.formats.r1cs_file import write_r1cs
from zkescrow.formats.wtns_file import write_wtns
from zkescrow.groth16.zkey import write_zkey
from zkescrow.groth16 import prove, setup_dev, verify
from zkescrow.groth16.proof import dumps, public_signals_to_json

from .runners import snarkjs_cli, zkescrow_cli
from .timing import fmt, measure


def honest_inputs(depth: int) -> dict:
    """name -> (circuit parameters, inputs of an honest statement)."""
    alice, bob = SpendingKey.generate(), SpendingKey.generate()
    tree = MerkleTree(depth)
    n1, n2 = Note.new(70, alice.owner), Note.new(30, alice.owner)
    p1, p2 = tree.append(n1.commitment), tree.append(n2.commitment)
    transfer = transfer_inputs([SpendInput(n1, alice, tree.path(p1)), SpendInput(n2, alice, tree.path(p2))],
                               [Note.new(90, bob.owner), Note.new(5, alice.owner)], root=tree.root,
                               public_amount=-5, depth=depth).inputs
    enclave = PrivateKey.generate()
    terms = EscrowTerms(enclave.public_key, alice.owner, bob.owner, price_per_wh=3, session_id=77, refund_height=100)
    escrow_note = Note.new(300, terms.owner)
    position = tree.append(escrow_note.commitment)
    signature = enclave.sign_poseidon(release_message(77, 40, 9, terms.nullifier(escrow_note, position)))
    release = escrow_release_inputs(escrow_note, terms, tree.path(position), root=tree.root, height=50,
                                    mode=RELEASE, energy_wh=40, final_nonce=9, signature=signature,
                                    depth=depth).inputs
    old, new = ChannelState(100, random_blinding(), 4), ChannelState(130, random_blinding(), 5)
    from circuits.escrow.channel_settle import channel_settle_inputs
    from zkescrow.channel.terms import ChannelTerms
    channel = ChannelTerms.new("a" * 64, "b" * 64, 0, 700, 300, shielded=True, unit=7,
                               owner_a=alice.owner, owner_b=bob.owner)
    return {
        "deposit": ({}, deposit_inputs(Note.new(5, alice.owner))),
        "transfer": ({"depth": depth}, transfer),
        "escrow_release": ({"depth": depth}, release),
        "channel_update": ({}, channel_update_inputs(1000, 10, 42, old, new, packets=3)),
        "channel_settle": ({}, channel_settle_inputs(channel, 350, random_blinding())),
        "value_commitment": ({}, value_commitment_inputs(123456789, random_blinding())),
    }


def _run(argv, cwd) -> None:
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv))} failed: {proc.stderr or proc.stdout}")


def bench_circuit(name: str, params: dict, inputs: dict, runs: int, work: Path) -> dict:
    circuit = get(name, **params)
    r1cs = circuit.compile()
    pk = setup_dev(r1cs)
    witness = circuit.witness(inputs)
    d = work / name
    d.mkdir(parents=True, exist_ok=True)
    write_r1cs(r1cs, d / "c.r1cs")
    write_zkey(pk, d / "c.zkey")
    write_wtns(witness, d / "c.wtns")
    vk = pk.verification_key()
    (d / "vk.json").write_text(dumps(vk.to_json()))
    proof, public = prove(pk, witness)
    zk = zkescrow_cli()
    snark = snarkjs_cli()
    if snark is None:
        raise RuntimeError("snarkjs not found: run `make test` (it installs tests/interop) or put it on PATH")
    row = {"circuit": name, "constraints": len(r1cs.constraints), "wires": r1cs.n_wires}
    row["prove_in_process"] = measure("prove", lambda: prove(pk, witness), runs=runs).median
    row["verify_in_process"] = measure("verify", lambda: verify(vk, public, proof), runs=max(runs, 5)).median
    row["prove_cli"] = measure("cli prove", lambda: _run(zk + ["prove", "c.zkey", "c.wtns", "p.json", "pub.json"], d),
                               runs=runs).median
    row["verify_cli"] = measure("cli verify", lambda: _run(zk + ["verify", "vk.json", "pub.json", "p.json"], d),
                                runs=runs).median
    row["prove_snarkjs"] = measure("snarkjs prove", lambda: _run(snark + ["groth16", "prove", "c.zkey", "c.wtns",
                                                                          "sp.json", "spub.json"], d), runs=runs).median
    row["verify_snarkjs"] = measure("snarkjs verify", lambda: _run(snark + ["groth16", "verify", "vk.json",
                                                                             "spub.json", "sp.json"], d),
                                    runs=runs).median
    _run(snark + ["groth16", "verify", "vk.json", "pub.json", "p.json"], d)      # snarkjs accepts ours
    _run(zk + ["verify", "vk.json", "spub.json", "sp.json"], d)                   # we accept snarkjs's
    assert json.loads((d / "pub.json").read_text()) == public_signals_to_json(public)
    return row


def table(rows) -> str:
    out = ["| circuit | constraints | prove in-process | `zkescrow prove` | `snarkjs groth16 prove` | ratio "
           "| verify in-process | `zkescrow verify` | `snarkjs groth16 verify` | ratio |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['circuit']} | {r['constraints']:,} | {fmt(r['prove_in_process'])} | {fmt(r['prove_cli'])} "
                   f"| {fmt(r['prove_snarkjs'])} | {r['prove_cli'] / r['prove_snarkjs']:.2f}× "
                   f"| {fmt(r['verify_in_process'])} | {fmt(r['verify_cli'])} | {fmt(r['verify_snarkjs'])} "
                   f"| {r['verify_cli'] / r['verify_snarkjs']:.2f}× |")
    return "\n".join(out)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--depth", type=int, default=20, help="Merkle depth of transfer and escrow_release")
    parser.add_argument("--out", help="keep keys, witnesses and proofs in this directory")
    args = parser.parse_args(argv)
    work = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="zkescrow-circuits-"))
    rows = []
    for name, (params, inputs) in honest_inputs(args.depth).items():
        rows.append(bench_circuit(name, params, inputs, args.runs, work))
        print(f"{name}: done", file=sys.stderr, flush=True)
    print(f"Medians of {args.runs} runs (verify in-process: of {max(args.runs, 5)}); whole-process times are wall "
          f"clock; ratio = zkescrow / snarkjs.\n")
    print(table(rows))
    (work / "builtin_circuits.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()

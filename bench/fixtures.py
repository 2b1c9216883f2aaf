"""Benchmark inputs, built once and cached under ``bench/out/cache`` (or ``$ZKESCROW_BENCH_CACHE``).

Every fixture is a directory holding ``circuit.r1cs``, ``circuit.zkey``, ``witness.wtns``,
``verification_key.json`` and, once made, ``proof.json``/``public.json`` (a proof by our prover
that ``snarkjs groth16 verify`` accepted).  Keys come from ``setup_dev`` (one party, fresh
randomness: fine for timing, never for value); snarkjs proves with them as with any .zkey.

* ``transfer-dD``   the built-in 2-in-2-out transfer at Merkle depth D (13,267 constraints at 20),
                    witness from a real spend of two notes of a small tree.
* ``membership-dD`` a circom2-compiled circuit of circomlib Poseidon: note commitment Poseidon(3),
                    nullifier Poseidon(2), a 64-bit range check (Num2Bits) and a depth-D Poseidon
                    Merkle path with DualMux swaps (5,674 constraints at depth 20), witness by
                    ``snarkjs wtns calculate``.
* ``chain-2^k``     a synthetic R1CS for the scaling sweep: 2^k − 8 constraints w_{i+1} = w_i·x_i with
                    random private x_i, so every witness value is a full 254-bit scalar (the MSMs'
                    worst case); domain exactly 2^k.
* built-in circuits by name (``deposit``, ``channel_update`` …) for the circuit sweep, with witnesses
  from the circuits' own input builders.

``fixture(name)`` returns a ``Fixture``; building a large one (2^16) takes minutes, once.
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NODE_MODULES = REPO / "tests" / "interop" / "node_modules"
SNARKJS_CLI = NODE_MODULES / "snarkjs" / "build" / "cli.cjs"
CIRCOM_CLI = NODE_MODULES / "circom2" / "cli.js"
CIRCOMLIB = NODE_MODULES / "circomlib" / "circuits"

MEMBERSHIP_SOURCE = """pragma circom 2.0.0;

include "poseidon.circom";
include "bitify.circom";
include "mux1.circom";

// A note (value, owner, rho) is in a Poseidon Merkle tree of depth D; reveal its nullifier.
template Membership(D) {
    signal input root;
    signal input nullifier;
    signal input value;
    signal input owner;
    signal input rho;
    signal input nk;
    signal input pathElements[D];
    signal input pathIndices[D];

    component range = Num2Bits(64);
    range.in <== value;

    component cm = Poseidon(3);
    cm.inputs[0] <== value;
    cm.inputs[1] <== owner;
    cm.inputs[2] <== rho;

    component nf = Poseidon(2);
    nf.inputs[0] <== nk;
    nf.inputs[1] <== rho;
    nullifier === nf.out;

    component mux[D];
    component h[D];
    signal node[D + 1];
    node[0] <== cm.out;
    for (var i = 0; i < D; i++) {
        pathIndices[i] * (1 - pathIndices[i]) === 0;
        mux[i] = MultiMux1(2);
        mux[i].c[0][0] <== node[i];
        mux[i].c[0][1] <== pathElements[i];
        mux[i].c[1][0] <== pathElements[i];
        mux[i].c[1][1] <== node[i];
        mux[i].s <== pathIndices[i];
        h[i] = Poseidon(2);
        h[i].inputs[0] <== mux[i].out[0];
        h[i].inputs[1] <== mux[i].out[1];
        node[i + 1] <== h[i].out;
    }
    root === node[D];
}

component main {public [root, nullifier]} = Membership(%d);
"""


@dataclass(frozen=True)
class Fixture:
    name: str
    dir: Path
    n_constraints: int
    domain_size: int
    n_vars: int
    origin: str            # "built-in", "circom", "synthetic"

    @property
    def r1cs(self) -> Path:
        return self.dir / "circuit.r1cs"

    @property
    def zkey(self) -> Path:
        return self.dir / "circuit.zkey"

    @property
    def wtns(self) -> Path:
        return self.dir / "witness.wtns"

    @property
    def vk_json(self) -> Path:
        return self.dir / "verification_key.json"

    @property
    def proof_json(self) -> Path:
        return self.dir / "proof.json"

    @property
    def public_json(self) -> Path:
        return self.dir / "public.json"


def cache_root() -> Path:
    root = Path(os.environ.get("ZKESCROW_BENCH_CACHE") or REPO / "bench" / "out" / "cache")
    root.mkdir(parents=True, exist_ok=True)
    return root


def node_available() -> bool:
    return shutil.which("node") is not None and SNARKJS_CLI.exists()


def run_node(script: Path, *args, timeout=1800, cwd=None) -> subprocess.CompletedProcess:
    proc = subprocess.run(["node", str(script), *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          cwd=cwd)
    if proc.returncode != 0:
        raise RuntimeError(f"{script.name} {' '.join(map(str, args))} failed ({proc.returncode}):\n"
                           f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return proc


# --- witnesses -----------------------------------------------------------------------------

def _transfer_witness(depth: int):
    from circuits.crypto.merkle import MerkleTree
    from circuits.escrow.transfer import SpendInput, Transfer, transfer_inputs
    from circuits.notes import Note, SpendingKey

    alice, bob = SpendingKey.generate(), SpendingKey.generate()
    tree = MerkleTree(depth)
    notes = [Note.new(70, alice.owner), Note.new(30, alice.owner)]
    idx = [tree.append(n.commitment) for n in notes]
    spends = [SpendInput(n, alice, tree.path(i)) for n, i in zip(notes, idx)]
    st = transfer_inputs(spends, [Note.new(90, bob.owner), Note.new(5, alice.owner)], root=tree.root,
                         public_amount=-5, depth=depth)
    circuit = Transfer(depth=depth)
    return circuit.compile(), circuit.witness(st.inputs)


def builtin_fixture_name(circuit: str) -> str:
    """The fixture of a registry circuit at its default parameters: ``transfer-d20``, ``deposit`` …"""
    from circuits.registry import entry
    depth = entry(circuit).defaults.get("depth")
    return circuit if depth is None else f"{circuit}-d{depth}"


def _builtin_witness(name: str):
    """(r1cs, witness) of a built-in circuit with a valid statement from its own input builder
    (``bench.builtin_circuits.honest_inputs``); ``NAME-dD`` sets the Merkle depth."""
    from circuits.registry import entry, get

    base, _, d = name.partition("-d")
    if base == "transfer":
        return _transfer_witness(int(d or 20))
    defaults = entry(base).defaults
    params = {"depth": int(d or defaults["depth"])} if "depth" in defaults else {}
    from .builtin_circuits import honest_inputs
    inputs = honest_inputs(params.get("depth", 20))
    if base not in inputs:
        raise KeyError(f"built-in circuit {base!r} has no witness builder in bench.builtin_circuits.honest_inputs")
    circuit = get(base, **params)
    return circuit.compile(), circuit.witness(inputs[base][1])


def _membership_inputs(depth: int) -> dict:
    from circuits.crypto.poseidon import poseidon

    value, owner, rho, nk = 1234567, secrets.randbelow(1 << 250), secrets.randbelow(1 << 250), \
        secrets.randbelow(1 << 250)
    elements = [secrets.randbelow(1 << 250) for _ in range(depth)]
    indices = [secrets.randbelow(2) for _ in range(depth)]
    node = poseidon([value, owner, rho])
    for e, bit in zip(elements, indices):
        node = poseidon([e, node] if bit else [node, e])
    return {"root": str(node), "nullifier": str(poseidon([nk, rho])), "value": str(value), "owner": str(owner),
            "rho": str(rho), "nk": str(nk), "pathElements": [str(e) for e in elements],
            "pathIndices": [str(b) for b in indices]}


def _chain(log_n: int):
    """(r1cs, witness) of 2^log_n − 8 constraints w_{i+1} = w_i·x_i (output = last w)."""
    from zkescrow.bn254.constants import R
    from zkescrow.r1cs import R1CS

    m = (1 << log_n) - 8
    r = int(R)
    # wires: 0 ONE, 1 out (public), 2 w0 (public input), 3..m+2 x_i, then w_1..w_{m-1}
    n_wires = 3 + m + (m - 1)
    x_wire = lambda i: 3 + i                         # noqa: E731
    w_wire = lambda i: 2 if i == 0 else 1 if i == m else 3 + m + (i - 1)  # noqa: E731
    constraints = [({w_wire(i): 1}, {x_wire(i): 1}, {w_wire(i + 1): 1}) for i in range(m)]
    r1cs = R1CS(n_wires=n_wires, n_pub_out=1, n_pub_in=1, n_prv_in=m, constraints=constraints)
    witness = [0] * n_wires
    witness[0] = 1
    w = secrets.randbelow(r - 1) + 1
    witness[2] = w
    for i in range(m):
        x = secrets.randbelow(r - 1) + 1
        witness[x_wire(i)] = x
        w = w * x % r
        witness[w_wire(i + 1)] = w
    return r1cs, witness


# --- building --------------------------------------------------------------------------------

def _finish(directory: Path, r1cs, witness, origin: str, log) -> None:
    """Write the key (dev setup), witness, vk and metadata of a fixture."""
    from zkescrow.formats.r1cs_file import write_r1cs
    from zkescrow.formats.wtns_file import write_wtns
    from zkescrow.groth16 import setup_dev, write_zkey
    from zkescrow.groth16.proof import dumps

    r1cs.check(witness)
    if not (directory / "circuit.r1cs").exists():
        write_r1cs(r1cs, directory / "circuit.r1cs")
    write_wtns(witness, directory / "witness.wtns")
    log(f"  setup_dev for {directory.name} ({r1cs.n_constraints} constraints)")
    pk = setup_dev(r1cs)
    write_zkey(pk, directory / "circuit.zkey")
    (directory / "verification_key.json").write_text(dumps(pk.verification_key().to_json()))
    meta = {"n_constraints": r1cs.n_constraints, "domain_size": pk.domain_size, "n_vars": pk.n_vars,
            "origin": origin}
    (directory / "fixture.json").write_text(json.dumps(meta, indent=1))


def _build(name: str, directory: Path, log) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    if name.startswith("membership-d"):
        depth = int(name.partition("-d")[2])
        from zkescrow.formats.r1cs_file import read_r1cs
        from zkescrow.formats.wtns_file import read_wtns
        (directory / "membership.circom").write_text(MEMBERSHIP_SOURCE % depth)
        log(f"  circom2 membership depth {depth}")
        # circom2 (WASI) resolves includes relative to its working directory and trips over a
        # symlinked node_modules, so it compiles next to a copy of the circomlib sources.
        shutil.copytree(CIRCOMLIB, directory / "circomlib", dirs_exist_ok=True)
        run_node(CIRCOM_CLI, "membership.circom", "--r1cs", "--wasm", "--O2", "-o", ".", "-l", "circomlib",
                 cwd=directory)
        shutil.rmtree(directory / "circomlib")
        shutil.move(directory / "membership.r1cs", directory / "circuit.r1cs")
        (directory / "input.json").write_text(json.dumps(_membership_inputs(depth)))
        run_node(SNARKJS_CLI, "wtns", "calculate", directory / "membership_js" / "membership.wasm",
                 directory / "input.json", directory / "witness.wtns")
        r1cs = read_r1cs(directory / "circuit.r1cs")
        _finish(directory, r1cs, read_wtns(directory / "witness.wtns"), "circom", log)
    elif name.startswith("chain-2^"):
        r1cs, witness = _chain(int(name.partition("^")[2]))
        _finish(directory, r1cs, witness, "synthetic", log)
    else:
        r1cs, witness = _builtin_witness(name)
        _finish(directory, r1cs, witness, "built-in", log)


def fixture(name: str, *, log=print) -> Fixture:
    """The fixture ``name`` (built on first use)."""
    directory = cache_root() / name.replace("^", "")
    meta_path = directory / "fixture.json"
    if not meta_path.exists():
        _build(name, directory, log)
    meta = json.loads(meta_path.read_text())
    return Fixture(name=name, dir=directory, **meta)


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()

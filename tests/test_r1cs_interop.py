"""Our .r1cs/.wtns against snarkjs and circom2: each side reads and checks the other's files."""
import json
import re

import pytest

from circuits.dsl import Circuit, Output, Private, Public
from circuits.gadgets.bits import num2bits
from circuits.gadgets.compare import greater_eq_than, is_equal, is_zero, less_than
from circuits.gadgets.mux import dual_mux, mux
from conftest import CIRCOMLIB_CIRCUITS, TESTS_DIR, run_circom, run_snarkjs
from zkescrow.errors import UnsatisfiedConstraint
from zkescrow.formats import read_r1cs, read_sym, read_wtns, sym_entries, write_r1cs, write_sym, write_wtns

pytestmark = pytest.mark.interop


class Multiplier(Circuit):
    c = Output()
    a = Public()
    b = Private()

    def define(self, cs):
        self.c = self.a * self.b


class Bits(Circuit):
    bits = Output(n="n")
    x = Private()
    n = 254

    def define(self, cs):
        self.bits = num2bits(cs, self.x, self.n)


class Comparators(Circuit):
    flags = Output(n=4)
    limit = Public()
    amount = Private()
    paid = Private()

    def define(self, cs):
        self.flags[0] = less_than(cs, self.amount, self.limit, 64)
        self.flags[1] = greater_eq_than(cs, self.paid, self.amount, 64)
        self.flags[2] = is_zero(cs, self.paid)
        self.flags[3] = is_equal(cs, self.paid, self.amount)
        left, right = dual_mux(cs, self.flags[0], self.amount, self.paid)
        cs.assert_equal(mux(cs, self.flags[0], left, right), self.amount)


CASES = [
    ("multiplier", Multiplier(), {"a": 3, "b": 11}),
    ("bits254", Bits(), {"x": 21888242871839275222246405745257275088548364400416034343698204186575808495616}),
    ("comparators", Comparators(), {"limit": 1000, "amount": 999, "paid": 999}),
    ("comparators_false_flags", Comparators(), {"limit": 5, "amount": 999, "paid": 7}),
]


def _info(output: str) -> dict:
    return {k: int(v) for k, v in re.findall(r"# of ([A-Za-z ]+): (\d+)", output)}


@pytest.fixture(scope="session")
def our_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("ours")
    files = {}
    for name, circuit, inputs in CASES:
        r1cs = circuit.compile()
        write_r1cs(r1cs, root / f"{name}.r1cs")
        write_sym(sym_entries(r1cs), root / f"{name}.sym")
        witness = circuit.witness(inputs)
        write_wtns(witness, root / f"{name}.wtns")
        files[name] = (root / f"{name}.r1cs", root / f"{name}.wtns", r1cs, witness)
    return files


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_snarkjs_reads_our_r1cs_and_accepts_our_witness(our_files, name):
    r1cs_path, wtns_path, r1cs, _ = our_files[name]
    info = _info(run_snarkjs("r1cs", "info", r1cs_path).stdout)
    assert info == {"Wires": r1cs.n_wires, "Constraints": r1cs.n_constraints, "Private Inputs": r1cs.n_prv_in,
                    "Public Inputs": r1cs.n_pub_in, "Labels": r1cs.n_labels, "Outputs": r1cs.n_pub_out}
    check = run_snarkjs("wtns", "check", r1cs_path, wtns_path)
    assert "WITNESS IS CORRECT" in check.stdout


@pytest.mark.parametrize("name", ["multiplier", "comparators"])
def test_corrupted_witness_is_rejected_by_snarkjs_and_by_us(our_files, tmp_path, name):
    r1cs_path, _, r1cs, witness = our_files[name]
    bad = list(witness)
    bad[-1] = (bad[-1] + 1) % r1cs.prime
    write_wtns(bad, tmp_path / "bad.wtns")
    proc = run_snarkjs("wtns", "check", r1cs_path, tmp_path / "bad.wtns", check=False)
    assert proc.returncode != 0 and "WITNESS IS NOT CORRECT" in proc.stdout
    snarkjs_index = int(re.search(r"aborting checking process at constraint (\d+)", proc.stdout).group(1))
    with pytest.raises(UnsatisfiedConstraint, match=rf"constraint {snarkjs_index} "):
        r1cs.check(read_wtns(tmp_path / "bad.wtns"))


def test_our_sym_lists_every_wire_but_one(our_files, tmp_path):
    r1cs_path, _, r1cs, _ = our_files["comparators"]
    entries = read_sym(r1cs_path.with_suffix(".sym"))
    assert [e.witness_id for e in entries] == list(range(1, r1cs.n_wires))
    assert [e.name for e in entries[:7]] == ["main.flags[0]", "main.flags[1]", "main.flags[2]", "main.flags[3]",
                                              "main.limit", "main.amount", "main.paid"]


CIRCOM_SOURCE = """pragma circom 2.0.0;
include "comparators.circom";
include "bitify.circom";

template Budget() {
    signal input limit;
    signal input amount;
    signal input price;
    signal output ok;
    signal output cost;
    cost <== amount * price;
    component lt = LessThan(64);
    lt.in[0] <== cost;
    lt.in[1] <== limit;
    ok <== lt.out;
    component bits = Num2Bits(32);
    bits.in <== amount;
}

component main {public [limit]} = Budget();
"""


@pytest.fixture(scope="session")
def circom_budget(tmp_path_factory):
    root = tmp_path_factory.mktemp("circom-budget")
    (root / "budget.circom").write_text(CIRCOM_SOURCE)
    run_circom(root / "budget.circom", "--r1cs", "--wasm", "--sym", "-o", root, "-l", CIRCOMLIB_CIRCUITS,
               cwd=TESTS_DIR.parent)
    (root / "input.json").write_text(json.dumps({"limit": "1000", "amount": "7", "price": "99"}))
    run_snarkjs("wtns", "calculate", root / "budget_js" / "budget.wasm", root / "input.json", root / "budget.wtns")
    return root


def test_we_read_and_check_circom_files(circom_budget, tmp_path):
    r1cs = read_r1cs(circom_budget / "budget.r1cs")
    witness = read_wtns(circom_budget / "budget.wtns")
    info = _info(run_snarkjs("r1cs", "info", circom_budget / "budget.r1cs").stdout)
    assert (r1cs.n_wires, r1cs.n_constraints, r1cs.n_pub_out, r1cs.n_pub_in, r1cs.n_prv_in, r1cs.n_labels) == \
        (info["Wires"], info["Constraints"], info["Outputs"], info["Public Inputs"], info["Private Inputs"],
         info["Labels"])
    assert len(witness) == r1cs.n_wires and witness[0] == 1
    assert r1cs.public_signals(witness) == [1, 693, 1000]          # ok, cost, limit
    r1cs.check(witness)
    sym = read_sym(circom_budget / "budget.sym")
    assert {e.name for e in sym} >= {"main.ok", "main.cost", "main.limit", "main.amount", "main.price"}
    assert all(e.witness_id < r1cs.n_wires for e in sym)

    bad = list(witness)
    bad[2] = 694                                                  # claim a different cost
    write_wtns(bad, tmp_path / "bad.wtns")
    proc = run_snarkjs("wtns", "check", circom_budget / "budget.r1cs", tmp_path / "bad.wtns", check=False)
    assert proc.returncode != 0 and "WITNESS IS NOT CORRECT" in proc.stdout
    assert not r1cs.is_satisfied(read_wtns(tmp_path / "bad.wtns"))


def test_snarkjs_prints_our_constraints_with_our_sym_names(our_files):
    r1cs_path, _, r1cs, _ = our_files["comparators"]
    out = run_snarkjs("r1cs", "print", r1cs_path, r1cs_path.with_suffix(".sym")).stdout
    assert out.count(" = 0") == r1cs.n_constraints
    assert "main.LessThan[0].Num2Bits[0].bit[0]" in out and "main.amount" in out and "main.flags[2]" in out

"""Every built-in circuit: snarkjs reads our .r1cs and accepts our witness for an honest statement."""
import pytest

from conftest import run_snarkjs
from test_soundness_common import honest_cases, make_escrow, make_pool
from zkescrow.formats.r1cs_file import write_r1cs
from zkescrow.formats.wtns_file import write_wtns

CASES = honest_cases(make_pool(), make_escrow())


@pytest.mark.interop
@pytest.mark.parametrize("label, circuit, inputs", CASES, ids=[c[0] for c in CASES])
def test_snarkjs_wtns_check_accepts_every_builtin_circuit(label, circuit, inputs, tmp_path):
    r1cs = circuit.compile()
    write_r1cs(r1cs, tmp_path / "c.r1cs")
    write_wtns(circuit.witness(inputs), tmp_path / "c.wtns")
    info = run_snarkjs("r1cs", "info", tmp_path / "c.r1cs").stdout
    assert f"# of Constraints: {len(r1cs.constraints)}" in info
    out = run_snarkjs("wtns", "check", tmp_path / "c.r1cs", tmp_path / "c.wtns")
    assert "WITNESS IS CORRECT" in out.stdout + out.stderr


def test_every_registered_circuit_has_an_honest_case():
    from circuits.registry import list_circuits
    covered = {type(circuit).__name__ for _, circuit, _ in CASES}
    assert {entry.circuit_class().__name__ for _, entry in list_circuits()} <= covered

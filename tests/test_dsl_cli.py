"""zkescrow circuits / compile / witness / inspect on a circuit registered by the test."""
import json

import pytest

from circuits import registry
from circuits.dsl import Circuit, Output, Private, Public
from circuits.gadgets.compare import less_than
from zkescrow.cli.main import main
from zkescrow.formats import read_r1cs, read_sym, read_wtns


class Affordable(Circuit):
    """ok = (amount·price < limit); amount·price fits in `bits` bits."""
    ok = Output()
    limit = Public()
    amount = Private()
    price = Private()
    bits = 32

    def define(self, cs):
        self.ok = less_than(cs, self.amount * self.price, self.limit, self.bits)


@pytest.fixture
def registered():
    registry.register("affordable", Affordable, {"bits": 32}, "amount·price below a limit")
    yield
    registry.unregister("affordable")


def run(capsys, *argv):
    with pytest.raises(SystemExit) as exc:
        main(list(map(str, argv)))
    out, err = capsys.readouterr()
    return exc.value.code, out, err


def test_registry_api(registered):
    assert [name for name, _ in registry.list_circuits()] == sorted(registry.CIRCUITS)
    cls, defaults, description = registry.CIRCUITS["affordable"]
    assert (cls, defaults) == (Affordable, {"bits": 32})
    assert registry.get("affordable", bits=16).bits == 16
    with pytest.raises(Exception, match="no parameter.*depth"):
        registry.get("affordable", depth=3)
    with pytest.raises(Exception, match="unknown circuit 'nope'"):
        registry.get("nope")


def test_function_targets_are_resolved_on_first_use():
    calls = []

    def load():                 # a built-in entry imports its circuit module here
        calls.append(1)
        return Affordable

    registry.register("lazy", load, {"bits": 8})
    assert calls == []
    try:
        assert isinstance(registry.get("lazy"), Affordable)
    finally:
        registry.unregister("lazy")


def test_circuits_table_and_json(registered, capsys):
    code, out, _ = run(capsys, "circuits", "--json")
    assert code == 0
    row = next(r for r in json.loads(out) if r["name"] == "affordable")
    assert row == {"name": "affordable", "params": {"bits": 32}, "constraints": 34, "wires": 37, "public": 2,
                   "description": "amount·price below a limit"}
    code, out, _ = run(capsys, "circuits")
    assert code == 0 and "affordable" in out and "34" in out


def test_compile_witness_inspect(registered, capsys, tmp_path):
    r1cs_path = tmp_path / "a.r1cs"
    code, out, _ = run(capsys, "compile", "affordable", "-p", "bits=16", "-o", r1cs_path)
    assert code == 0 and "18 constraints" in out
    assert read_r1cs(r1cs_path).n_constraints == 18
    assert read_sym(tmp_path / "a.sym")[0].name == "main.ok"

    (tmp_path / "in.json").write_text(json.dumps({"limit": "100", "amount": 3, "price": "30"}))
    code, out, _ = run(capsys, "witness", "affordable", tmp_path / "in.json", "-p", "bits=16", "-o", tmp_path / "a.wtns")
    assert code == 0 and "public signals [1, 100]" in out
    assert read_r1cs(r1cs_path).is_satisfied(read_wtns(tmp_path / "a.wtns"))
    code, out, _ = run(capsys, "witness", "affordable", tmp_path / "in.json", "-p", "bits=16", "-o", tmp_path / "b.wtns",
                       "--json")
    assert code == 0 and json.loads(out)["public"] == ["1", "100"]
    code, out, _ = run(capsys, "compile", "affordable", "-o", tmp_path / "c.r1cs", "--json")
    assert code == 0 and json.loads(out)["constraints"] == 34 and json.loads(out)["sym"].endswith("c.sym")

    code, out, _ = run(capsys, "inspect", r1cs_path, "--json")
    info = json.loads(out)
    assert code == 0 and info["magic"] == "r1cs" and info["constraints"] == 18 and info["public_outputs"] == 1
    n_wires = read_r1cs(r1cs_path).n_wires
    assert info["prime_is_bn254_r"] and info["sections"] == {"1": 64, "2": info["sections"]["2"], "3": 8 * n_wires}
    code, out, _ = run(capsys, "inspect", tmp_path / "a.wtns", "--json")
    assert code == 0 and json.loads(out)["values"] == n_wires and json.loads(out)["first_is_one"]
    code, out, _ = run(capsys, "inspect", tmp_path / "a.wtns")
    assert code == 0 and out.startswith("magic             wtns")


def test_inspect_summarises_a_file_over_another_prime(capsys, tmp_path):
    import struct
    from zkescrow.formats.binfile import build_binfile
    p = 2**255 - 19
    header = struct.pack("<I", 32) + p.to_bytes(32, "little") + struct.pack("<IIIIQI", 3, 1, 1, 0, 3, 0)
    (tmp_path / "x.r1cs").write_bytes(build_binfile(b"r1cs", 1, [(1, header), (2, b"")]))
    code, out, _ = run(capsys, "inspect", tmp_path / "x.r1cs", "--json")
    info = json.loads(out)
    assert code == 0 and info["prime"] == str(p) and not info["prime_is_bn254_r"] and info["wires"] == 3


@pytest.mark.parametrize("argv, message", [
    (["compile", "nope"], "unknown circuit 'nope'"),
    (["compile", "affordable", "--depth", "3"], "no parameter"),
    (["compile", "affordable", "-p", "bits"], "KEY=VALUE"),
    (["witness", "affordable", "IN"], "missing input"),
    (["witness", "affordable", "BADJSON"], "not valid JSON"),
    (["inspect", "IN"], "not an .r1cs or .wtns file"),
    (["inspect", "TRUNC"], "truncated"),
])
def test_malformed_input_is_one_line_and_exit_2(registered, capsys, tmp_path, argv, message):
    (tmp_path / "in.json").write_text(json.dumps({"limit": 1}))
    (tmp_path / "bad.json").write_text("{")
    (tmp_path / "trunc.r1cs").write_bytes(b"r1cs\x01\x00\x00\x00\x03\x00\x00\x00\x01")
    paths = {"IN": tmp_path / "in.json", "BADJSON": tmp_path / "bad.json", "TRUNC": tmp_path / "trunc.r1cs"}
    code, out, err = run(capsys, *[paths.get(a, a) for a in argv])
    assert code == 2
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_false_statement_exits_1_naming_the_gadget(registered, capsys, tmp_path):
    (tmp_path / "in.json").write_text(json.dumps({"limit": 100, "amount": 1 << 20, "price": 1 << 20}))
    code, _, err = run(capsys, "witness", "affordable", tmp_path / "in.json", "-o", tmp_path / "x.wtns")
    assert code == 1 and "LessThan" in err and err.count("\n") == 1


@pytest.mark.parametrize("command", ["circuits", "compile", "witness", "inspect"])
def test_help_shows_an_example(capsys, command):
    code, out, _ = run(capsys, command, "--help")
    assert code == 0 and "Example:" in out and "zkescrow" in out

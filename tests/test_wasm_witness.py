"""Witnesses from circom's .wasm computed by zkescrow (wasmtime) against `snarkjs wtns calculate`.

Three circom2-compiled circuits: the multiplier, a chain of circomlib Poseidon hashes, and a circuit
with a two-dimensional input array, a public input and several outputs (one an array).  Our .wtns
must be the same bytes as snarkjs's for the same input.json; bad inputs are one line naming the signal.
"""
import json

import pytest

from bench.ceremony import CHAIN
from cli_run import in_process as run
from conftest import CIRCOMLIB_CIRCUITS, run_circom, run_node_cli, run_snarkjs
from groth16_fixtures import _build_once, _circuit, circom_multiplier  # noqa: F401  (session fixture)
from zkescrow.bn254.constants import R
from zkescrow.errors import MalformedFile, MalformedInput, WitnessError
from zkescrow.formats.wasm_witness import fnv1a64, load_calculator
from zkescrow.formats.wtns_file import read_wtns

pytestmark = pytest.mark.interop

POSEIDON_CHAIN_SOURCE = CHAIN % 4             # the ceremony bench's chain of Poseidon(3), 4 links

ARRAYS_SOURCE = """pragma circom 2.0.0;

template Arrays(n) {
    signal input m[n][2];
    signal input k;
    signal output total;
    signal output products[n];
    var acc = 0;
    for (var i = 0; i < n; i++) {
        products[i] <== m[i][0] * m[i][1];
        acc += products[i];
    }
    total <== acc * k;
    k * (k - 7) === 0;
    log("total", total, "k", k);
}

component main {public [k]} = Arrays(3);
"""

#: exercises every value form snarkjs reads: decimal string, number, 0x-hex, negative.
ARRAYS_INPUT = {"m": [["1", 2], ["0x1f", "4"], [-1, "123456789012345678901234567890"]], "k": "7"}


@pytest.fixture(scope="session")
def circom_chain(tmp_path_factory):
    return _circuit(tmp_path_factory, "poseidon_chain", POSEIDON_CHAIN_SOURCE,
                    {"seed": "12345", "salt": ["1", "0x2a"]})


@pytest.fixture(scope="session")
def circom_arrays(tmp_path_factory):
    return _circuit(tmp_path_factory, "arrays", ARRAYS_SOURCE, ARRAYS_INPUT)


@pytest.fixture(params=["multiplier", "chain", "arrays"])
def circuit(request, circom_multiplier, circom_chain, circom_arrays):  # noqa: F811
    return {"multiplier": circom_multiplier, "chain": circom_chain, "arrays": circom_arrays}[request.param]


def one_line(code, err, expected):
    assert code == expected, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


def test_fnv_hash_is_circoms():
    # the value circom's witness_calculator.js computes for "main.in" style names (FNV-1a 64, offset basis)
    assert fnv1a64("") == 0xCBF29CE484222325
    assert fnv1a64("a") == 0xAF63DC4C8601EC8C


def test_our_wtns_is_the_bytes_snarkjs_writes(capsys, circuit, tmp_path):
    out = tmp_path / "ours.wtns"
    code, stdout, err = run(capsys, ["wtns", "calculate", circuit.wasm, circuit.input_json, out, "--json"])
    assert code == 0, err
    assert json.loads(stdout)["values"] == len(read_wtns(circuit.wtns))
    assert out.read_bytes() == circuit.wtns.read_bytes()
    run_snarkjs("wtns", "check", circuit.r1cs, out)


def test_circuit_log_lines_go_to_stderr(capsys, circom_arrays, tmp_path):
    code, out, err = run(capsys, ["wtns", "calculate", circom_arrays.wasm, circom_arrays.input_json, tmp_path / "w.wtns"])
    witness = read_wtns(tmp_path / "w.wtns")
    assert code == 0 and err.splitlines() == [f"total {witness[1]} k 7"]


def test_a_second_input_matches_too(circom_arrays, tmp_path):
    """Another input, fed to both tools through the same file (k = 0 is the other root of the assert)."""
    inputs = {"m": [[5, 6], [7, 8], ["0xff", "-3"]], "k": 0}
    (tmp_path / "in.json").write_text(json.dumps(inputs))
    run_snarkjs("wtns", "calculate", circom_arrays.wasm, tmp_path / "in.json", tmp_path / "snarkjs.wtns")
    ours = load_calculator(circom_arrays.wasm).wtns_bytes(inputs)
    assert ours == (tmp_path / "snarkjs.wtns").read_bytes()


def test_one_calculator_serves_many_inputs_even_after_a_failed_assert(circom_arrays):
    calc = load_calculator(circom_arrays.wasm)
    good = calc.calculate(ARRAYS_INPUT)
    with pytest.raises(WitnessError, match="assert"):
        calc.calculate({**ARRAYS_INPUT, "k": 3})
    assert calc.calculate(ARRAYS_INPUT) == good
    assert good == read_wtns(circom_arrays.wtns)


def test_the_per_value_path_gives_the_same_witness(circom_chain):
    """Without the bulk copy (no exported memory, or it cannot grow) values are read word by word."""
    calc = load_calculator(circom_chain.wasm)
    calc._dump = None
    assert calc.wtns_bytes(circom_chain.input) == circom_chain.wtns.read_bytes()


BUS_SOURCE = """pragma circom 2.2.0;
bus Point() { signal x; signal y; }
bus Segment() { Point() a; Point() b; }

template Buses() {
    input Segment() s;
    input Point() ps[2];
    signal output out;
    signal m;
    m <== s.a.x * s.b.y;
    out <== m + ps[0].x * ps[1].y + s.a.y + s.b.x + ps[0].y + ps[1].x;
}

component main = Buses();
"""

BUS_INPUT = {"s": {"a": {"x": "2", "y": "3"}, "b": {"x": "4", "y": "5"}},
             "ps": [{"x": "6", "y": "7"}, {"x": "8", "y": "0x9"}]}


def test_bus_inputs_are_named_as_circom_names_them(tmp_path_factory, tmp_path):
    """circom 2.2 buses: nested objects become s.a.x and ps[0].x.  snarkjs 0.7.6 cannot feed them, so the
    reference is the witness_calculator.js circom writes next to the .wasm (generate_witness.js)."""
    def build(directory):
        (directory / "buses.circom").write_text(BUS_SOURCE)
        run_circom(directory / "buses.circom", "--r1cs", "--wasm", "--sym", "-o", directory, "-l", CIRCOMLIB_CIRCUITS)
        (directory / "input.json").write_text(json.dumps(BUS_INPUT))
        js = directory / "buses_js"
        run_node_cli(js / "generate_witness.js", js / "buses.wasm", directory / "input.json", directory / "buses.wtns")

    d = _build_once(tmp_path_factory, "circuit-buses-sym", build)
    calc = load_calculator(d / "buses_js" / "buses.wasm")
    assert calc.wtns_bytes(BUS_INPUT) == (d / "buses.wtns").read_bytes()
    with pytest.raises(MalformedInput, match=r"missing input signal: ps\[1\]\.y$"):
        calc.calculate({**BUS_INPUT, "ps": [{"x": "6", "y": "7"}, {"x": "8"}]})


BAD_INPUTS = [
    ({"m": [[1, 2], [3, 4], [5, 6]], "k": 3}, 1, "assert failed"),
    ({"m": [[1, 2], [3, 4], [5, 6]]}, 2, "missing input signal: k"),
    ({"k": 7}, 2, "missing input signal: m"),
    ({"m": [[1, 2], [3, 4]], "k": 7}, 2, "'m' takes 6 values, the input gives 4"),
    ({"m": [[1, 2], [3, 4], [5, 6], [7, 8]], "k": 7}, 2, "'m' takes 6 values, the input gives 8"),
    ({"m": [[1, 2], [3, 4], [5]], "k": 7}, 2, "m is not a rectangular array"),
    ({"m": [[1, 2], [3, 4], [5, 6]], "k": 7, "nope": 1}, 2, "'nope' is not an input"),
    ({"m": [[1, 2], [3, 4], [5, 6]], "k": 7, "total": 1}, 2, "'total' is not an input"),
    ({"m": [[1, 2], [3, 4], [5, 6]], "k": str(R)}, 2, "k = "),
    ({"m": [[1, 2], [3, 4], [5, str(2 ** 300)]], "k": 7}, 2, "m[2][1] = "),
    ({"m": [[1, 2], [3, 4], [5, 1.5]], "k": 7}, 2, "m[2][1] = 1.5"),
    ({"m": [[1, 2], [3, 4], [5, "1e3"]], "k": 7}, 2, "m[2][1] = '1e3'"),
    ({"m": [[1, 2], [3, 4], [5, True]], "k": 7}, 2, "m[2][1] = True"),
    ({"m": [[1, 2], [3, 4], [5, None]], "k": 7}, 2, "m[2][1] = None"),
    ({"m": [[1, 2], [3, 4], [5, 6]], "k": []}, 2, "k is an empty array"),
    ([1, 2], 2, "JSON object"),
]


@pytest.mark.parametrize("inputs, expected, needle", BAD_INPUTS, ids=[n for _, _, n in BAD_INPUTS])
def test_bad_input_is_one_line_naming_the_signal(capsys, circom_arrays, tmp_path, inputs, expected, needle):
    (tmp_path / "in.json").write_text(json.dumps(inputs))
    out = tmp_path / "out.wtns"
    err = one_line(*run(capsys, ["wtns", "calculate", circom_arrays.wasm, tmp_path / "in.json", out])[::2], expected)
    assert needle in err
    assert not out.exists()


def test_library_errors_are_typed(circom_arrays, tmp_path):
    calc = load_calculator(circom_arrays.wasm)
    with pytest.raises(MalformedInput):
        calc.calculate({"k": 7})
    with pytest.raises(WitnessError):
        calc.calculate({**ARRAYS_INPUT, "k": 1})
    (tmp_path / "x.wasm").write_bytes(b"\0asm\x01\0\0\0garbage")
    for path in (circom_arrays.r1cs, tmp_path / "x.wasm"):
        with pytest.raises(MalformedFile):
            load_calculator(path)


def test_fullprove_makes_a_proof_snarkjs_accepts(capsys, circom_arrays, tmp_path):
    zkey, vk = tmp_path / "dev.zkey", tmp_path / "vk.json"
    assert run(capsys, ["setup", circom_arrays.r1cs, zkey, "--dev"])[0] == 0
    assert run(capsys, ["zkey", "export-vk", zkey, vk])[0] == 0
    proof, public = tmp_path / "proof.json", tmp_path / "public.json"
    code, _, err = run(capsys, ["fullprove", circom_arrays.input_json, circom_arrays.wasm, zkey, proof, public])
    assert code == 0, err
    witness = read_wtns(circom_arrays.wtns)
    assert json.loads(public.read_text()) == [str(v) for v in witness[1:6]]     # 4 outputs, then k
    assert "OK" in run_snarkjs("groth16", "verify", vk, public, proof).stdout
    assert run(capsys, ["verify", vk, public, proof])[:2] == (0, "OK\n")

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**ARRAYS_INPUT, "k": 2}))
    err = one_line(*run(capsys, ["fullprove", bad, circom_arrays.wasm, zkey, tmp_path / "p2.json",
                                 tmp_path / "q2.json"])[::2], 1)
    assert "assert failed" in err and not (tmp_path / "p2.json").exists()


def test_fullprove_refuses_a_key_of_another_circuit(capsys, circom_arrays, circom_multiplier, tmp_path):  # noqa: F811
    zkey = tmp_path / "mul.zkey"
    assert run(capsys, ["setup", circom_multiplier.r1cs, zkey, "--dev"])[0] == 0
    err = one_line(*run(capsys, ["fullprove", circom_arrays.input_json, circom_arrays.wasm, zkey,
                                 tmp_path / "p.json", tmp_path / "q.json"])[::2], 2)
    assert "different circuits" in err

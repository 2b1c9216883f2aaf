"""Hostile files and inputs: sizes a file declares are checked against the bytes it has before anything
is allocated for them, and numbers too long to convert are malformed input (exit 2, one line), never an
out-of-memory, a traceback or exit 1."""
import json
import os
import resource
import struct
import subprocess
import sys
import tracemalloc

import pytest

from cli_run import ROOT, one_line_error, zkescrow

from zkescrow.bn254.constants import G1_GENERATOR, G2_GENERATOR, N8, Q, R
from zkescrow.bn254.curve import g1_mul, g2_mul
from zkescrow.errors import InvalidFieldElement, MalformedFile, MalformedInput
from zkescrow.formats import r1cs_to_bytes, read_r1cs, read_wtns
from zkescrow.formats.binfile import build_binfile, parse_binfile
from zkescrow.formats.json_text import loads
from zkescrow.formats.ptau import read_ptau
from zkescrow.formats.zkey import read_zkey_fields, zkey_to_bytes
from zkescrow.groth16.proof import Proof, parse_public_signals
from zkescrow.groth16.setup import setup_dev
from zkescrow.groth16.vk import VerificationKey
from zkescrow.r1cs import R1CS

HUGE = 2 ** 31 + 1
BIG_NUMBER = "9" * 5000


def hostile_r1cs(n_wires=HUGE, n_constraints=0, *, wire_map=False) -> bytes:
    """About a hundred bytes that declare ``n_wires`` wires (the finding: 2^31 + 1)."""
    header = (struct.pack("<I", N8) + R.to_bytes(N8, "little") + struct.pack("<IIII", n_wires, 1, 1, 0)
              + struct.pack("<Q", n_wires) + struct.pack("<I", n_constraints))
    sections = [(1, header), (2, b"")] + ([(3, b"\0" * 16)] if wire_map else [])
    return build_binfile(b"r1cs", 1, sections)


def small_r1cs() -> R1CS:
    return R1CS(n_wires=4, n_pub_out=1, n_pub_in=1, n_prv_in=1, constraints=[({2: 1}, {3: 1}, {1: 1})])


def _refused_cheaply(read, data, match):
    """``read(data)`` raises MalformedFile matching ``match`` while allocating under 1 MB."""
    tracemalloc.start()
    try:
        with pytest.raises(MalformedFile, match=match):
            read(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20, peak


# --- library: declared sizes against the file ---------------------------------------------------------------

@pytest.mark.parametrize("data, match", [
    (hostile_r1cs(), r"declares 2147483649 wires, but without a wire->label section"),
    (hostile_r1cs(wire_map=True), r"wire->label section has 16 bytes, expected 8 × nWires"),
    (hostile_r1cs(n_wires=4, n_constraints=2 ** 32 - 1), r"declares 4294967295 constraints"),
], ids=["wires", "wire-map", "constraints"])
def test_r1cs_declaring_more_than_it_holds(data, match):
    assert len(data) < 200
    _refused_cheaply(read_r1cs, data, match)


def test_an_honest_r1cs_still_reads():
    assert read_r1cs(r1cs_to_bytes(small_r1cs())).n_wires == 4


def test_container_declaring_too_many_sections():
    data = b"r1cs" + struct.pack("<II", 1, 2 ** 32 - 1) + bytes(20)
    _refused_cheaply(lambda d: parse_binfile(d, b"r1cs", (1,)), data, "declares 4294967295 sections")


def test_wtns_declaring_more_values_than_it_holds():
    header = struct.pack("<I", N8) + R.to_bytes(N8, "little") + struct.pack("<I", 2 ** 32 - 1)
    data = build_binfile(b"wtns", 2, [(1, header), (2, bytes(64))])
    _refused_cheaply(read_wtns, data, "declares 4294967295 values")


def test_ptau_header_declaring_a_huge_ceremony(tmp_path):
    header = struct.pack("<I", N8) + Q.to_bytes(N8, "little") + struct.pack("<II", 28, 28)
    path = tmp_path / "tiny.ptau"
    path.write_bytes(build_binfile(b"ptau", 1, [(1, header), (2, bytes(64))]))
    with pytest.raises(MalformedFile, match="no section|expected"):
        read_ptau(path)
    path.write_bytes(build_binfile(b"ptau", 1, [(1, header[:-8] + struct.pack("<II", 2 ** 31, 2 ** 31))]))
    with pytest.raises(MalformedFile, match="outside 1..28"):
        read_ptau(path)


@pytest.fixture(scope="module")
def zkey_bytes() -> bytes:
    pk = setup_dev(small_r1cs())
    pk.cs_hash = bytes(64)
    return zkey_to_bytes(pk)


def _patch_header(data: bytes, n_vars=None, domain_size=None) -> bytes:
    sections = parse_binfile(data, b"zkey", (1,)).sections
    header = bytearray(sections[2])
    at = 8 + 2 * N8
    if n_vars is not None:
        header[at:at + 4] = struct.pack("<I", n_vars)
    if domain_size is not None:
        header[at + 8:at + 12] = struct.pack("<I", domain_size)
    return build_binfile(b"zkey", 1, [(i, bytes(header) if i == 2 else sections[i]) for i in sections])


@pytest.mark.parametrize("proving", [True, False])
@pytest.mark.parametrize("patch, match", [
    (dict(n_vars=2 ** 31), "nVars = 2147483648"),
    (dict(domain_size=1 << 28), "domainSize = 268435456"),
], ids=["n_vars", "domain"])
def test_zkey_header_declaring_more_than_its_sections(zkey_bytes, proving, patch, match):
    assert read_zkey_fields(zkey_bytes, proving=proving)["n_vars"] == 4
    _refused_cheaply(lambda d: read_zkey_fields(d, proving=proving), _patch_header(zkey_bytes, **patch), match)


# --- library: oversized numbers in JSON ------------------------------------------------------------------

@pytest.mark.parametrize("text, match", [
    ("[" + BIG_NUMBER + "]", "a number has 5000 digits"),
    ("[1e999999999999999999999]", None),          # a float overflows to inf: valid JSON, checked later
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ("[1,", "not JSON"),
])
def test_json_loads_refuses_hostile_text(text, match):
    if match is None:
        loads(text, "x")
        return
    with pytest.raises(MalformedInput, match=match):
        loads(text, "x")


def test_deep_nesting_is_refused_even_with_a_raised_recursion_limit():
    """With a high recursion limit json's C scanner would overflow the C stack (a crash, not an error);
    ``loads`` refuses the nesting before parsing.  Run in a child so a regression cannot kill the session."""
    code = ("import sys; sys.setrecursionlimit(10**6)\n"
            "from zkescrow.formats.json_text import loads\n"
            "from zkescrow.errors import MalformedInput\n"
            "try:\n    loads('[' * 200000 + ']' * 200000, 'x')\n"
            "except MalformedInput as exc:\n    print(exc)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0 and "nested too deeply" in proc.stdout, (proc.returncode, proc.stderr[-500:])


def test_public_signals_with_huge_numbers_are_malformed():
    with pytest.raises(InvalidFieldElement, match="not below"):
        parse_public_signals(json.dumps([BIG_NUMBER]))
    with pytest.raises(MalformedInput, match="5000 digits"):
        parse_public_signals("[" + BIG_NUMBER + "]")
    assert parse_public_signals(["0" * 5000 + "7"]) == [7]          # leading zeros are no size


# --- through the CLI entry point ----------------------------------------------------------------------------

def _limit_memory():
    """A 2 GB address-space cap, so a regression fails fast instead of exhausting the machine."""
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


@pytest.mark.parametrize("command", [["setup", "{r1cs}", "{out}", "--dev"],
                                     ["setup", "{r1cs}", "{ptau}", "{out}"],
                                     ["zkey", "verify", "{r1cs}", "{ptau}", "{out}"],
                                     ["inspect", "{r1cs}"]],
                         ids=["setup-dev", "setup", "zkey-verify", "inspect"])
def test_cli_refuses_a_hostile_r1cs(command, tmp_path):
    paths = {"r1cs": tmp_path / "hostile.r1cs", "ptau": tmp_path / "none.ptau", "out": tmp_path / "out.zkey"}
    paths["r1cs"].write_bytes(hostile_r1cs())
    args = [part.format(**paths) for part in command]
    proc = zkescrow(*args, preexec_fn=_limit_memory)
    one_line_error(proc, 2, "hostile.r1cs", "2147483649 wires")
    assert not paths["out"].exists()


@pytest.fixture()
def vk_file(tmp_path):
    vk = VerificationKey(alpha1=g1_mul(G1_GENERATOR, 5), beta2=g2_mul(G2_GENERATOR, 7),
                         gamma2=g2_mul(G2_GENERATOR, 11), delta2=g2_mul(G2_GENERATOR, 13),
                         ic=[g1_mul(G1_GENERATOR, 17), g1_mul(G1_GENERATOR, 19)])
    path = tmp_path / "vk.json"
    path.write_text(json.dumps(vk.to_json()))
    return path


def _write(path, text):
    path.write_text(text)
    return path


@pytest.mark.parametrize("where", ["public-int", "public-string", "proof", "vk", "deep"])
def test_cli_verify_with_oversized_numbers(where, vk_file, tmp_path):
    proof = Proof(pi_a=g1_mul(G1_GENERATOR, 3), pi_b=g2_mul(G2_GENERATOR, 5), pi_c=g1_mul(G1_GENERATOR, 7))
    public = _write(tmp_path / "public.json", '["1"]')
    proof_path = _write(tmp_path / "proof.json", json.dumps(proof.to_json()))
    target = {"public-int": public, "public-string": public, "proof": proof_path, "vk": vk_file,
              "deep": public}[where]
    if where == "public-int":
        _write(target, "[" + BIG_NUMBER + "]")
    elif where == "public-string":
        _write(target, json.dumps([BIG_NUMBER]))
    elif where == "deep":
        _write(target, "[" * 100_000 + "]" * 100_000)
    else:
        text = target.read_text()
        old = f'"{proof.to_json()["pi_a"][0]}"' if where == "proof" else '"nPublic": 1'
        assert old in text
        _write(target, text.replace(old, BIG_NUMBER if where == "proof" else '"nPublic": ' + BIG_NUMBER, 1))
    one_line_error(zkescrow("verify", vk_file, public, proof_path), 2, target.name)


def test_cli_witness_input_with_a_huge_number(tmp_path):
    inputs = _write(tmp_path / "input.json", '{"value": ' + BIG_NUMBER + "}")
    one_line_error(zkescrow("witness", "deposit", inputs, "-o", tmp_path / "w.wtns"), 2, "5000 digits")
    inputs = _write(tmp_path / "input.json", json.dumps({"value": BIG_NUMBER}))
    proc = zkescrow("witness", "deposit", inputs, "-o", tmp_path / "w.wtns")
    one_line_error(proc, 2)


@pytest.mark.parametrize("argv", [["export", "calldata", "{big}", "{big}"], ["poseidon", BIG_NUMBER]],
                         ids=["calldata", "poseidon"])
def test_cli_other_commands_with_huge_numbers(argv, tmp_path):
    big = _write(tmp_path / "big.json", json.dumps([BIG_NUMBER]))
    line = one_line_error(zkescrow(*[a.format(big=big) if a.startswith("{") else a for a in argv]), 2)
    assert len(line) < 300

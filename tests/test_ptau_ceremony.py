"""Powers of tau made by zkescrow against snarkjs 0.7.6, both ways, and a whole ceremony in zkescrow.

* `zkescrow powersoftau new` is byte-identical to snarkjs's; a beacon and `prepare phase2` (both
  deterministic) are byte-identical to snarkjs's on the same input file.
* `snarkjs powersoftau verify` accepts our contributed, beaconed and prepared files; ours accepts
  snarkjs's; a mixed ceremony (each tool contributing in turn) verifies under both.
* `snarkjs groth16 setup` takes our prepared ptau and makes the same key as `zkescrow setup`.
* Tampered files are refused by both verifiers (exit 1 for ours).
* new → contribute → beacon → prepare phase2 → setup → zkey contribute → zkey verify → witness →
  prove → verify, all by zkescrow commands.
"""
import json
import struct

import pytest

from cli_run import in_process as run
from conftest import run_snarkjs
from test_wasm_witness import circom_arrays  # noqa: F401  (session fixture)
from zkescrow.errors import InvalidPtau, MalformedInput
from zkescrow.formats.ptau_file import ptau_to_bytes, read_ptau_file
from zkescrow.groth16.ptau_ceremony import beacon, contribute, new_ptau, prepare_phase2
from zkescrow.groth16.ptau_verify import response_hash, verify_ptau

pytestmark = pytest.mark.interop

POWER = 6
BEACON = "0102030405060708090a0b0c0d0e0f"


def write(ptau, path):
    path.write_bytes(ptau_to_bytes(ptau, getattr(ptau, "encoded", None)))
    return path


def snarkjs_verify_ok(path) -> bool:
    proc = run_snarkjs("powersoftau", "verify", path, check=False)
    return proc.returncode == 0 and "Powers of Tau Ok!" in proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    """Our ceremony at POWER: new, two contributions, a beacon, prepare phase2 (library calls)."""
    d = tmp_path_factory.mktemp("ptau-ours")
    p0 = new_ptau(POWER)
    p1, _ = contribute(p0, name="alice", entropy="alice's dice")
    p2, _ = contribute(p1, name="bob", entropy=None)
    p3, _ = beacon(p2, bytes.fromhex(BEACON), 10, name="final beacon")
    p4 = prepare_phase2(p3)
    return {name: write(p, d / f"{name}.ptau") for name, p in
            {"new": p0, "alice": p1, "bob": p2, "beacon": p3, "final": p4}.items()}


@pytest.fixture(scope="module")
def theirs(tmp_path_factory):
    """snarkjs's ceremony at POWER - 1: new, contribute, beacon, prepare phase2."""
    d = tmp_path_factory.mktemp("ptau-snarkjs")
    f = {name: d / f"{name}.ptau" for name in ("new", "carol", "beacon", "final")}
    run_snarkjs("powersoftau", "new", "bn128", POWER - 1, f["new"])
    run_snarkjs("powersoftau", "contribute", f["new"], f["carol"], "--name=carol", "-e=carol's entropy")
    run_snarkjs("powersoftau", "beacon", f["carol"], f["beacon"], BEACON, 10, "-n=snarkjs beacon")
    run_snarkjs("powersoftau", "prepare", "phase2", f["beacon"], f["final"])
    return f


def test_new_is_byte_identical_to_snarkjs(capsys, tmp_path):
    run_snarkjs("powersoftau", "new", "bn128", 4, tmp_path / "snarkjs.ptau")
    code, out, err = run(capsys, ["powersoftau", "new", "bn128", 4, tmp_path / "ours.ptau"])
    assert code == 0, err
    assert (tmp_path / "ours.ptau").read_bytes() == (tmp_path / "snarkjs.ptau").read_bytes()
    assert "First Contribution Hash" in out


@pytest.mark.parametrize("stage", ["alice", "bob", "beacon", "final"])
def test_snarkjs_verifies_our_files(ours, stage):
    assert snarkjs_verify_ok(ours[stage])


@pytest.mark.parametrize("stage", ["carol", "beacon", "final"])
def test_we_verify_snarkjs_files(capsys, theirs, stage):
    code, out, err = run(capsys, ["powersoftau", "verify", theirs[stage], "--json"])
    assert code == 0, err
    report = json.loads(out)
    assert report["ok"] and report["prepared"] == (stage == "final")
    assert [c["name"] for c in report["contributions"]] == ["carol", "snarkjs beacon"][:len(report["contributions"])]


def test_our_response_hashes_are_the_ones_snarkjs_prints(theirs):
    """snarkjs verify prints each contribution's response hash, from the stored partial hash and key."""
    text = run_snarkjs("powersoftau", "verify", theirs["beacon"]).stdout
    words = "".join(text.split("Response Hash:")[1].split("[INFO]")[0].split())
    ptau = read_ptau_file(theirs["beacon"])
    assert response_hash(ptau.contributions[-1]).hex() in words.replace("snarkJS:", "")


def test_beacon_and_prepare_are_byte_identical_to_snarkjs(ours, tmp_path):
    run_snarkjs("powersoftau", "beacon", ours["bob"], tmp_path / "beacon.ptau", BEACON, 10, "-n=final beacon")
    assert (tmp_path / "beacon.ptau").read_bytes() == ours["beacon"].read_bytes()
    run_snarkjs("powersoftau", "prepare", "phase2", ours["beacon"], tmp_path / "final.ptau")
    assert (tmp_path / "final.ptau").read_bytes() == ours["final"].read_bytes()


def test_a_mixed_ceremony_verifies_under_both(capsys, theirs, tmp_path):
    mine = tmp_path / "mine.ptau"
    assert run(capsys, ["powersoftau", "contribute", theirs["carol"], mine, "-n", "dave", "-e", "entropy"])[0] == 0
    run_snarkjs("powersoftau", "contribute", mine, tmp_path / "erin.ptau", "--name=erin", "-e=more entropy")
    assert snarkjs_verify_ok(mine) and snarkjs_verify_ok(tmp_path / "erin.ptau")
    code, out, err = run(capsys, ["powersoftau", "verify", tmp_path / "erin.ptau", "--json"])
    assert code == 0, err
    assert [c["name"] for c in json.loads(out)["contributions"]] == ["carol", "dave", "erin"]


def test_snarkjs_groth16_setup_takes_our_ptau(capsys, ours, circom_arrays, tmp_path):  # noqa: F811
    run_snarkjs("groth16", "setup", circom_arrays.r1cs, ours["final"], tmp_path / "snarkjs.zkey")
    assert run(capsys, ["setup", circom_arrays.r1cs, ours["final"], tmp_path / "ours.zkey"])[0] == 0
    assert (tmp_path / "ours.zkey").read_bytes() == (tmp_path / "snarkjs.zkey").read_bytes()
    run_snarkjs("zkey", "verify", circom_arrays.r1cs, ours["final"], tmp_path / "snarkjs.zkey")


def test_zkey_beacon_is_byte_identical_to_snarkjs(capsys, ours, circom_arrays, tmp_path):  # noqa: F811
    zkey0, zkey1 = tmp_path / "c_0000.zkey", tmp_path / "c_0001.zkey"
    assert run(capsys, ["setup", circom_arrays.r1cs, ours["final"], zkey0])[0] == 0
    assert run(capsys, ["zkey", "contribute", zkey0, zkey1, "-n", "someone", "-e", "x"])[0] == 0
    code, out, err = run(capsys, ["zkey", "beacon", zkey1, tmp_path / "ours.zkey", BEACON, 10, "-n", "beacon"])
    assert code == 0, err
    run_snarkjs("zkey", "beacon", zkey1, tmp_path / "snarkjs.zkey", BEACON, 10, "-n=beacon")
    assert (tmp_path / "ours.zkey").read_bytes() == (tmp_path / "snarkjs.zkey").read_bytes()
    run_snarkjs("zkey", "verify", circom_arrays.r1cs, ours["final"], tmp_path / "ours.zkey")
    assert run(capsys, ["zkey", "verify", circom_arrays.r1cs, ours["final"], tmp_path / "ours.zkey"])[0] == 0
    for bad in (["zkey", "beacon", zkey1, tmp_path / "x.zkey", "xy", 10],
                ["zkey", "beacon", zkey1, tmp_path / "x.zkey", BEACON, 64]):
        code, _, err = run(capsys, bad)
        assert code == 2 and len(err.splitlines()) == 1, err
    assert not (tmp_path / "x.zkey").exists()


def _tampered(src, dst, mutate):
    data = bytearray(src.read_bytes())
    mutate(data)
    dst.write_bytes(bytes(data))
    return dst


def _section(data, wanted):
    """(offset, size) of a section's payload in a ptau."""
    pos, (count,) = 12, struct.unpack_from("<I", data, 8)
    for _ in range(count):
        sid, size = struct.unpack_from("<IQ", data, pos)
        pos += 12
        if sid == wanted:
            return pos, size
        pos += size
    raise KeyError(wanted)


def _swap_points(section, i, j, size):
    def mutate(data):
        pos, _ = _section(data, section)
        a, b = pos + i * size, pos + j * size
        data[a:a + size], data[b:b + size] = data[b:b + size], data[a:a + size]
    return mutate


def _beacon_hash_byte(data):
    pos, size = _section(data, 7)
    end = pos + size
    data[end - 1] ^= 1              # the last byte of the last contribution: its beacon hash


TAMPERS = {
    "tauG1 points swapped": ("beacon", _swap_points(2, 2, 3, 64), "tauG1"),
    "tauG2 points swapped": ("beacon", _swap_points(3, 2, 3, 128), "tauG2"),
    "alphaTauG1 points swapped": ("beacon", _swap_points(4, 1, 2, 64), "alphaTauG1"),
    "beacon hash changed": ("beacon", _beacon_hash_byte, "beacon key"),
    "Lagrange level swapped": ("final", _swap_points(12, 3, 4, 64), "Lagrange"),
    "Lagrange G2 swapped": ("final", _swap_points(13, 3, 4, 128), "Lagrange"),
}


@pytest.mark.parametrize("name", TAMPERS)
def test_tampered_files_are_refused_by_both(capsys, ours, tmp_path, name):
    stage, mutate, needle = TAMPERS[name]
    bad = _tampered(ours[stage], tmp_path / "bad.ptau", mutate)
    code, out, err = run(capsys, ["powersoftau", "verify", bad])
    assert code == 1 and len(err.splitlines()) == 1 and needle in err, err
    assert not snarkjs_verify_ok(bad)


def test_malformed_files_are_one_line_exit_2(capsys, ours, tmp_path):
    data = ours["final"].read_bytes()
    cases = {"truncated": data[:len(data) // 2], "trailing": data + b"\0",
             "off-curve": _tampered(ours["alice"], tmp_path / "oc.ptau",
                                    lambda d: d.__setitem__(slice(_section(d, 2)[0] + 64, _section(d, 2)[0] + 65),
                                                            b"\x07")).read_bytes()}
    for name, blob in cases.items():
        (tmp_path / f"{name}.ptau").write_bytes(blob)
        for argv in (["powersoftau", "verify", tmp_path / f"{name}.ptau"],
                     ["powersoftau", "contribute", tmp_path / f"{name}.ptau", tmp_path / "x.ptau", "-e", "x"],
                     ["powersoftau", "prepare", "phase2", tmp_path / f"{name}.ptau", tmp_path / "x.ptau"]):
            code, _, err = run(capsys, argv)
            assert code == 2 and len(err.splitlines()) == 1, (name, argv, err)
    assert not (tmp_path / "x.ptau").exists()


def test_contributing_to_a_prepared_file_drops_the_lagrange_sections(capsys, ours, tmp_path):
    code, _, err = run(capsys, ["powersoftau", "contribute", ours["final"], tmp_path / "next.ptau", "-e", "x"])
    assert code == 0 and "prepare phase2" in err
    assert not read_ptau_file(tmp_path / "next.ptau").prepared
    assert snarkjs_verify_ok(tmp_path / "next.ptau")


def test_a_file_without_contribution_is_refused(capsys, ours):
    code, _, err = run(capsys, ["powersoftau", "verify", ours["new"]])
    assert code == 1 and "no contribution" in err
    with pytest.raises(InvalidPtau):
        verify_ptau(read_ptau_file(ours["new"]))


def test_bad_arguments_are_one_line_exit_2(capsys, ours, tmp_path):
    out = tmp_path / "out.ptau"
    for argv in (["powersoftau", "new", "bls12381", 4, out], ["powersoftau", "new", "bn128", 0, out],
                 ["powersoftau", "new", "bn128", 29, out],
                 ["powersoftau", "beacon", ours["bob"], out, "xyz", 10],
                 ["powersoftau", "beacon", ours["bob"], out, "0102", 9],
                 ["powersoftau", "beacon", ours["bob"], out, "0102", 64],
                 ["powersoftau", "verify", ours["new"].parent / "missing.ptau"],
                 ["powersoftau", "contribute", ours["alice"], tmp_path / "no-dir" / "x.ptau", "-e", "x"]):
        code, _, err = run(capsys, argv)
        assert code == 2 and len(err.splitlines()) == 1, (argv, err)
    assert not out.exists()
    with pytest.raises(MalformedInput):
        new_ptau(0)


def test_a_whole_ceremony_in_zkescrow_alone(capsys, circom_arrays, tmp_path):  # noqa: F811
    d = tmp_path
    steps = [
        ["powersoftau", "new", "bn128", POWER, d / "pot_0000.ptau"],
        ["powersoftau", "contribute", d / "pot_0000.ptau", d / "pot_0001.ptau", "--name", "first", "-e", "one"],
        ["powersoftau", "contribute", d / "pot_0001.ptau", d / "pot_0002.ptau", "-n", "second", "-e", "two"],
        ["powersoftau", "beacon", d / "pot_0002.ptau", d / "pot_beacon.ptau", BEACON, 10, "-n", "beacon"],
        ["powersoftau", "prepare", "phase2", d / "pot_beacon.ptau", d / "pot_final.ptau"],
        ["powersoftau", "verify", d / "pot_final.ptau"],
        ["setup", circom_arrays.r1cs, d / "pot_final.ptau", d / "c_0000.zkey"],
        ["zkey", "contribute", d / "c_0000.zkey", d / "c_0001.zkey", "--name", "phase2", "-e", "three"],
        ["zkey", "beacon", d / "c_0001.zkey", d / "c_final.zkey", BEACON, 10, "-n", "phase2 beacon"],
        ["zkey", "verify", circom_arrays.r1cs, d / "pot_final.ptau", d / "c_final.zkey"],
        ["zkey", "export-vk", d / "c_final.zkey", d / "vk.json"],
        ["fullprove", circom_arrays.input_json, circom_arrays.wasm, d / "c_final.zkey", d / "proof.json",
         d / "public.json"],
        ["verify", d / "vk.json", d / "public.json", d / "proof.json"],
    ]
    for argv in steps:
        code, out, err = run(capsys, argv)
        assert code == 0, (argv, err)
    assert out == "OK\n"
    code, out, _ = run(capsys, ["powersoftau", "verify", d / "pot_final.ptau", "--json"])
    assert [c["name"] for c in json.loads(out)["contributions"]] == ["first", "second", "beacon"]

"""The program API and the measurement: what is measured, what is callable, and crash/restart of a process."""
import hashlib
import json
import signal
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from enclave_sim import EnclaveProgram, EnclaveSigner, Platform, ProgramImage, Vendor, ecall
from enclave_sim.measurement import DOMAIN, canonical_bytes, normalize_source
from zkescrow.errors import MalformedInput, WrongState

KVSTORE_FILE = Path(__file__).resolve().parent.parent / "enclave_sim" / "examples" / "kvstore.py"


@pytest.fixture(scope="module")
def vendor():
    return Vendor.create()


def test_measurement_is_sha256_of_the_documented_canonical_bytes():
    image = ProgramImage.load("enclave_sim.examples.kvstore")
    source = normalize_source(KVSTORE_FILE.read_bytes())

    def lp(b):
        return struct.pack(">I", len(b)) + b
    expected = (b"zkescrow/enclave_sim/measurement/v1\x00" + lp(b"KeyValueStore") + lp(source)
                + struct.pack(">I", 0) + lp(b'{"max_keys":64}'))
    assert canonical_bytes("KeyValueStore", source, (), {"max_keys": 64}) == expected
    assert image.measurement == hashlib.sha256(expected).digest()
    assert expected.startswith(DOMAIN)


def test_file_path_and_module_name_measure_the_same():
    by_name = ProgramImage.load("enclave_sim.examples.kvstore")
    by_path = ProgramImage.load(str(KVSTORE_FILE))
    by_class = ProgramImage.load(f"{KVSTORE_FILE}:KeyValueStore")
    assert by_name.measurement == by_path.measurement == by_class.measurement


def test_checkout_noise_is_normalized_but_any_real_change_is_not():
    raw = KVSTORE_FILE.read_bytes()
    base = ProgramImage.from_source(raw).measurement
    crlf = raw.replace(b"\n", b"\r\n")
    noisy = b"\xef\xbb\xbf" + raw.replace(b":\n", b":   \t\n") + b"\n\n\n"
    assert ProgramImage.from_source(crlf).measurement == base
    assert ProgramImage.from_source(noisy).measurement == base
    comment = raw.replace(b"smallest useful", b"smallest  useful")
    assert ProgramImage.from_source(comment).measurement != base
    assert ProgramImage.from_source(raw, config={"max_keys": 65}).measurement != base


def test_measured_modules_are_part_of_the_measurement():
    source = b'''
from enclave_sim import EnclaveProgram

class UsesHelpers(EnclaveProgram):
    measured_modules = MODULES
'''
    alone = ProgramImage.from_source(source.replace(b"MODULES", b"()"))
    helped = ProgramImage.from_source(source.replace(b"MODULES", b'("enclave_sim.quote",)'))
    assert helped.modules[0][0] == "enclave_sim.quote" and alone.measurement != helped.measurement


class Gatekeeper(EnclaveProgram):
    def on_start(self, state):
        self.secret = "hunter2"

    @ecall
    def hint(self):
        return len(self.secret)

    def reveal(self):
        return self.secret


def test_only_declared_entry_points_are_callable(tmp_path, vendor):
    program = ProgramImage.load("enclave_sim.examples.kvstore")
    enclave = Platform.create(tmp_path / "p", vendor).launch(program, EnclaveSigner.generate().sign(program))
    assert enclave.ecalls == ("get", "put", "signed_get", "size")
    for name in ("forget_everything", "on_start", "_program", "__init__", "entry_points"):
        with pytest.raises(MalformedInput, match=f"enclave has no ecall '{name}'"):
            enclave.call(name)
    assert Gatekeeper.entry_points().keys() == {"hint"}


def test_kvstore_limits_come_from_its_measured_config(tmp_path, vendor):
    small = ProgramImage.load("enclave_sim.examples.kvstore", config={"max_keys": 2})
    enclave = Platform.create(tmp_path / "p", vendor).launch(small, EnclaveSigner.generate().sign(small))
    enclave.call("put", "a", "1")
    enclave.call("put", "b", "2")
    enclave.call("put", "a", "3")
    with pytest.raises(ValueError, match=r"store is full \(2 keys\)"):
        enclave.call("put", "c", "4")
    assert enclave.call("size") == 2 and enclave.counter == 3


@pytest.mark.parametrize("source, reason", [
    (b"x = (", "fails to load"),
    (b"from enclave_sim import EnclaveProgram\n", "defines 0 EnclaveProgram classes"),
    (b"\xff\xfe", "not UTF-8"),
    (b"from enclave_sim import EnclaveProgram\nclass P(EnclaveProgram):\n    config = {'x': float('nan')}\n",
     "not JSON"),
])
def test_bad_programs_are_malformed_input(source, reason):
    with pytest.raises(MalformedInput, match=reason):
        ProgramImage.from_source(source)


CHILD = r'''
import os, signal, sys
from enclave_sim import EnclaveSigner, Platform, ProgramImage
directory, signer_pem = sys.argv[1], sys.argv[2]
image = ProgramImage.load("enclave_sim.examples.kvstore")
enclave = Platform.open(directory).launch(image, EnclaveSigner.from_pem(open(signer_pem, "rb").read()).sign(image))
start = enclave.call("size")
for i in range(start, start + 3):
    print(enclave.call("put", f"k{i}", f"v{i}"), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
'''


def test_killed_process_restarts_from_its_latest_sealed_state(tmp_path, vendor):
    platform = Platform.create(tmp_path / "platform", vendor)
    signer = EnclaveSigner.generate()
    (tmp_path / "signer.pem").write_bytes(signer.to_pem())
    counters = []
    for _ in range(2):                                  # two lives, each ended by SIGKILL
        child = subprocess.run([sys.executable, "-c", CHILD, str(platform.directory), str(tmp_path / "signer.pem")],
                               capture_output=True, text=True, timeout=60, cwd=Path(__file__).parent.parent)
        assert child.returncode == -signal.SIGKILL, child.stderr
        counters += [int(line) for line in child.stdout.split()]
    assert counters == [1, 2, 3, 4, 5, 6]
    image = ProgramImage.load("enclave_sim.examples.kvstore")
    survivor = Platform.open(platform.directory).launch(image, signer.sign(image))
    assert [survivor.call("get", f"k{i}") for i in range(6)] == [f"v{i}" for i in range(6)]
    assert survivor.counter == 6
    assert json.loads((platform.directory / "platform.json").read_text())["platform_id"] == platform.platform_id.hex()


def test_simulator_implements_the_backend_interfaces(tmp_path, vendor):
    from enclave_sim import AttestationPlatform, EnclaveHandle
    platform = Platform.create(tmp_path / "p", vendor)
    image = ProgramImage.load("enclave_sim.examples.kvstore")
    enclave = platform.launch(image, EnclaveSigner.generate().sign(image))
    assert isinstance(platform, AttestationPlatform) and isinstance(enclave, EnclaveHandle)
    assert not isinstance(object(), EnclaveHandle)


def test_platform_key_material_is_sealed_to_its_fuses(tmp_path, vendor):
    from zkescrow.errors import SealingError
    platform = Platform.create(tmp_path / "p", vendor)
    with pytest.raises(WrongState, match="already holds a platform"):
        Platform.create(tmp_path / "p", vendor)
    secret = platform._attestation_key.private_numbers().private_value.to_bytes(32, "big")
    for path in (tmp_path / "p").iterdir():
        if path.is_file():
            assert secret not in path.read_bytes(), path.name
    (tmp_path / "p" / "fuses.bin").write_bytes(bytes(32))          # another chip's fuses
    with pytest.raises(SealingError, match="does not unseal on this platform"):
        Platform.open(tmp_path / "p")
    with pytest.raises(WrongState, match="holds no platform"):
        Platform.open(tmp_path / "nothing")

"""Sealing and rollback protection: blobs open only for their enclave on their platform, and only the latest.

The sealing format is also checked against independent implementations: HKDF written out from RFC 5869 with
the standard library's hmac, and AES-256-GCM from libsodium (pynacl) instead of OpenSSL (cryptography).
"""
import hashlib
import hmac
import json
import shutil

import nacl.bindings
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enclave_sim import EnclaveSigner, KeyPolicy, Platform, ProgramImage, Vendor
from enclave_sim.identity import EnclaveIdentity
from enclave_sim.sealing import SealedBlob, derive_seal_key, seal, unseal
from zkescrow.errors import EnclaveHalted, EnclaveLaunchError, RollbackDetected, SealingError

KVSTORE = "enclave_sim.examples.kvstore"

VERSIONED = '''
from enclave_sim import EnclaveProgram, KeyPolicy, ecall


class Versioned(EnclaveProgram):
    """Keeps a list of notes; state sealed to the signer so later versions inherit it."""
    seal_policy = KeyPolicy.MRSIGNER
    config = {"version": VERSION}

    def on_start(self, state):
        self.notes = list(state["notes"]) if state else []

    @ecall
    def add(self, note):
        self.notes.append(note)
        return self.ctx.save_state({"notes": self.notes})

    @ecall
    def notes_so_far(self):
        return self.notes

    @ecall
    def seal_secret(self, secret_hex, policy):
        return self.ctx.seal(bytes.fromhex(secret_hex), policy=KeyPolicy[policy]).hex()

    @ecall
    def unseal_secret(self, blob_hex):
        return self.ctx.unseal(bytes.fromhex(blob_hex)).hex()

    @ecall
    def settle(self, anchored_counter):
        self.ctx.check_anchor(anchored_counter)
        return "settled at %d" % self.ctx.counter
'''


def versioned(version: int) -> ProgramImage:
    return ProgramImage.from_source(VERSIONED.replace("VERSION", str(version)).encode(), origin="versioned.py")


@pytest.fixture(scope="module")
def vendor():
    return Vendor.create()


@pytest.fixture(scope="module")
def signer():
    return EnclaveSigner.generate()


@pytest.fixture(scope="module")
def image():
    return ProgramImage.load(KVSTORE)


@pytest.fixture
def platform(tmp_path, vendor):
    return Platform.create(tmp_path / "platform", vendor)


def state_blob(platform, enclave) -> bytes:
    return platform.host_storage.read(enclave.storage_slot, "state")


def test_state_survives_a_restart_with_the_same_keys(platform, image, signer):
    sig = signer.sign(image, product_id=1, svn=1)
    first = platform.launch(image, sig)
    for i in range(3):
        assert first.call("put", f"k{i}", f"v{i}") == i + 1
    keys = first.public_keys
    del first
    again = Platform.open(platform.directory).launch(image, sig)
    assert [again.call("get", f"k{i}") for i in range(3)] == ["v0", "v1", "v2"]
    assert again.counter == 3 and again.public_keys == keys
    assert again.call("put", "k3", "v3") == 4


def test_sealed_blob_moved_to_another_enclave_is_refused(platform, image, signer):
    a = platform.launch(image, signer.sign(image, product_id=1, svn=1))
    a.call("put", "secret", "42")
    other_image = ProgramImage.load(KVSTORE, config={"max_keys": 3})      # another build: another MRENCLAVE
    b = platform.launch(other_image, signer.sign(other_image, product_id=1, svn=1))
    with pytest.raises(SealingError, match="sealed by another enclave"):
        b.restore(state_blob(platform, a))
    # The host copies a's blob into b's storage: b refuses to start from it.
    platform.host_storage.write(b.storage_slot, "state", state_blob(platform, a))
    with pytest.raises(SealingError, match="sealed by another enclave"):
        platform.launch(other_image, signer.sign(other_image, product_id=1, svn=1))


def test_sealed_blob_with_a_forged_header_fails_authentication(platform, image, signer):
    a = platform.launch(image, signer.sign(image, product_id=1, svn=1))
    a.call("put", "secret", "42")
    other_image = ProgramImage.load(KVSTORE, config={"max_keys": 3})
    b = platform.launch(other_image, signer.sign(other_image, product_id=1, svn=1))
    blob = SealedBlob.from_bytes(state_blob(platform, a))
    relabelled = blob.__class__(**{**blob.__dict__, "mrenclave": other_image.measurement})
    with pytest.raises(SealingError, match="fails authentication"):
        b.restore(relabelled.to_bytes())


def test_sealed_blob_moved_to_another_platform_is_refused(tmp_path, platform, vendor, image, signer):
    sig = signer.sign(image, product_id=1, svn=1)
    a = platform.launch(image, sig)
    a.call("put", "secret", "42")
    elsewhere = Platform.create(tmp_path / "elsewhere", vendor)
    shutil.copytree(platform.host_storage.directory, elsewhere.host_storage.directory)
    with pytest.raises(SealingError, match="sealed on another platform"):
        elsewhere.launch(image, sig)
    # Claiming the other platform's id in the header does not help: the key comes from this platform's fuses.
    blob = SealedBlob.from_bytes(state_blob(platform, a))
    forged = blob.__class__(**{**blob.__dict__, "platform_id": elsewhere.platform_id}).to_bytes()
    shutil.rmtree(elsewhere.host_storage.directory)
    fresh = elsewhere.launch(image, sig)
    with pytest.raises(SealingError, match="fails authentication"):
        fresh.restore(forged)


def test_rolled_back_blob_halts_the_enclave(platform, image, signer):
    enclave = platform.launch(image, signer.sign(image, product_id=1, svn=1))
    enclave.call("put", "balance", "100")
    old = state_blob(platform, enclave)
    enclave.call("put", "balance", "10")
    enclave.restore(state_blob(platform, enclave))         # the latest blob is fine
    with pytest.raises(RollbackDetected, match="sealed state has counter 1 but the monotonic counter is at 2"):
        enclave.restore(old)
    assert enclave.halted
    for attempt in (lambda: enclave.call("get", "balance"), lambda: enclave.attest(bytes(32)),
                    lambda: enclave.quote(bytes(64)), lambda: enclave.handle(b"x" * 80),
                    lambda: enclave.restore(old)):
        with pytest.raises(EnclaveHalted, match="enclave halted: sealed state has counter 1"):
            attempt()


def test_restart_from_a_rolled_back_or_deleted_blob_is_refused(platform, image, signer):
    sig = signer.sign(image, product_id=1, svn=1)
    enclave = platform.launch(image, sig)
    enclave.call("put", "balance", "100")
    old = state_blob(platform, enclave)
    enclave.call("put", "balance", "10")
    slot = enclave.storage_slot
    platform.host_storage.write(slot, "state", old)          # the host rewinds its disk and restarts
    with pytest.raises(RollbackDetected, match="rolled back"):
        Platform.open(platform.directory).launch(image, sig)
    platform.host_storage.path(slot, "state").unlink()        # or withholds the state entirely
    with pytest.raises(RollbackDetected, match="no sealed state, but the monotonic counter is at 2"):
        Platform.open(platform.directory).launch(image, sig)


def test_two_instances_cannot_fork_the_state(platform, image, signer):
    sig = signer.sign(image, product_id=1, svn=1)
    first = platform.launch(image, sig)
    second = Platform.open(platform.directory).launch(image, sig)     # the host starts a twin
    assert first.call("put", "paid", "10") == 1
    with pytest.raises(RollbackDetected, match="monotonic counter is at 1, not at 0 .* another instance forked"):
        second.call("put", "paid", "0")
    with pytest.raises(EnclaveHalted):
        second.call("get", "paid")
    assert first.call("put", "paid", "20") == 2                        # the first instance carries on
    assert Platform.open(platform.directory).launch(image, sig).call("get", "paid") == "20"


def test_counters_never_hand_out_a_value_twice_across_handles(platform):
    other = Platform.open(platform.directory)
    values = [platform.counters.increment("x"), other.counters.increment("x"), platform.counters.increment("x")]
    assert values == [1, 2, 3] and other.counters.read("x") == 3


def test_tampered_counter_store_is_detected(platform, image, signer):
    platform.launch(image, signer.sign(image, product_id=1, svn=1)).call("put", "a", "b")
    path = platform.directory / "counters.json"
    outer = json.loads(path.read_text())
    outer["counters"] = outer["counters"].replace(":1", ":0")
    path.write_text(json.dumps(outer))
    with pytest.raises(SealingError, match="tampered"):
        Platform.open(platform.directory)


def test_mrsigner_sealing_allows_upgrades_and_refuses_downgrades(platform, signer):
    v1, v2 = versioned(1), versioned(2)
    assert v1.measurement != v2.measurement
    old = platform.launch(v1, signer.sign(v1, product_id=5, svn=1))
    old.call("add", "from v1")
    new = platform.launch(v2, signer.sign(v2, product_id=5, svn=2))
    assert new.call("notes_so_far") == ["from v1"]           # same signer, higher SVN: reads the state
    new.call("add", "from v2")
    with pytest.raises(SealingError, match=r"sealed by SVN 2; this enclave has SVN 1 \(downgrade refused\)"):
        platform.launch(v1, signer.sign(v1, product_id=5, svn=1))
    stranger = EnclaveSigner.generate()
    imposter = platform.launch(v2, stranger.sign(v2, product_id=5, svn=9))
    with pytest.raises(SealingError, match="sealed by another signer or product"):
        imposter.restore(state_blob(platform, new))


def test_mrenclave_sealed_data_does_not_open_after_a_code_change(platform, signer):
    v1, v2 = versioned(1), versioned(2)
    e1 = platform.launch(v1, signer.sign(v1, product_id=1, svn=1))
    e2 = platform.launch(v2, signer.sign(v2, product_id=1, svn=1))
    pinned = e1.call("seal_secret", "c0ffee", "MRENCLAVE")
    portable = e1.call("seal_secret", "c0ffee", "MRSIGNER")
    assert e1.call("unseal_secret", pinned) == "c0ffee"
    with pytest.raises(SealingError, match="sealed by another enclave"):
        e2.call("unseal_secret", pinned)
    assert e2.call("unseal_secret", portable) == "c0ffee"
    e1.call("add", "state")
    with pytest.raises(SealingError, match="counter-protected state blob: open it with open_state"):
        e1.call("unseal_secret", state_blob(platform, e1).hex())


def test_debug_and_production_keys_differ(platform, image, signer):
    sig = signer.sign(image, product_id=1, svn=1)
    production = platform.launch(image, sig)
    production.call("put", "k", "v")
    debug = platform.launch(image, sig, debug=True)
    assert debug.call("get", "k") is None                    # its own, separate state
    with pytest.raises(SealingError, match="sealed by a production enclave; a debug enclave cannot open it"):
        debug.restore(state_blob(platform, production))


def test_launch_checks_the_sigstruct(platform, image, signer):
    other = ProgramImage.load(KVSTORE, config={"max_keys": 1})
    with pytest.raises(EnclaveLaunchError, match="differs from the signed SIGSTRUCT"):
        platform.launch(other, signer.sign(image, product_id=1, svn=1))
    sig = signer.sign(image, product_id=1, svn=1)
    forged = sig.__class__(sig.mrenclave, sig.product_id, 99, sig.signer_public_key, sig.signature)
    with pytest.raises(EnclaveLaunchError, match="SIGSTRUCT signature does not verify"):
        platform.launch(image, forged)


def _rfc5869_hkdf_sha256(ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    okm, block = b"", b""
    for i in range((length + 31) // 32):
        block = hmac.new(prk, block + info + bytes([i + 1]), hashlib.sha256).digest()
        okm += block
    return okm[:length]


def test_sealed_state_decrypts_with_independent_hkdf_and_aes_gcm(platform, image, signer):
    enclave = platform.launch(image, signer.sign(image, product_id=3, svn=4))
    enclave.call("put", "k", "v")
    raw = state_blob(platform, enclave)
    blob = SealedBlob.from_bytes(raw)
    fuses = (platform.directory / "fuses.bin").read_bytes()
    ident = enclave.identity
    info = (b"zkescrow/enclave_sim/seal-key/v1\x00" + (1).to_bytes(2, "big") + ident.mrenclave
            + (3).to_bytes(2, "big") + (4).to_bytes(2, "big") + (1).to_bytes(2, "big") + b"\x00")
    key = _rfc5869_hkdf_sha256(fuses, blob.key_id, info, 32)
    assert key == derive_seal_key(fuses, KeyPolicy.MRENCLAVE, blob.key_id, ident.mrenclave, ident.mrsigner, 3, 4,
                                  1, False)
    plaintext = nacl.bindings.crypto_aead_aes256gcm_decrypt(blob.ciphertext, blob.header(), blob.nonce, key)
    assert json.loads(plaintext) == {"items": {"k": "v"}}
    assert blob.counter == 1 and blob.policy is KeyPolicy.MRENCLAVE


def test_counter_anchored_on_the_ledger_must_match(platform, signer):
    v1 = versioned(1)
    enclave = platform.launch(v1, signer.sign(v1, product_id=1, svn=1))
    enclave.call("add", "a")
    enclave.call("add", "b")
    assert enclave.call("settle", 2) == "settled at 2"
    with pytest.raises(EnclaveHalted, match="counter 2 differs from the anchored counter 3"):
        enclave.call("settle", 3)
    with pytest.raises(EnclaveHalted):
        enclave.call("notes_so_far")


ME = EnclaveIdentity(bytes(range(32)), bytes(range(32, 64)), 4, 2, False)
ROOT, PLATFORM_ID = bytes(32), bytes(range(16))


@settings(max_examples=40, deadline=None)
@given(plaintext=st.binary(max_size=200), policy=st.sampled_from(list(KeyPolicy)),
       counter=st.one_of(st.none(), st.integers(0, 2**64 - 1)))
def test_unseal_inverts_seal(plaintext, policy, counter):
    blob = seal(ROOT, PLATFORM_ID, 3, ME, plaintext, policy, counter)
    opened, header = unseal(ROOT, PLATFORM_ID, 3, ME, blob)
    assert opened == plaintext and header.counter == counter and header.policy is policy


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_flipped_bit_in_a_blob_is_refused(data):
    blob = bytearray(seal(ROOT, PLATFORM_ID, 3, ME, b"escrow state", KeyPolicy.MRENCLAVE, 7))
    bit = data.draw(st.integers(0, len(blob) * 8 - 1))
    blob[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(SealingError):
        unseal(ROOT, PLATFORM_ID, 3, ME, bytes(blob))

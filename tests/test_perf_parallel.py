"""The worker-process prover and the decoded-key cache give exactly the plain prover's results."""
import json
import random

import pytest

from conftest import run_snarkjs
from zkescrow.bn254.constants import R
from zkescrow.formats.zkey import read_zkey, write_zkey
from zkescrow.groth16 import setup_dev
from zkescrow.groth16.key_cache import decode, load_proving_key
from zkescrow.groth16.parallel import prove_parallel, schedule
from zkescrow.groth16.proof import dumps
from zkescrow.groth16.prove import prove
from zkescrow.groth16.verify import verify
from zkescrow.r1cs import R1CS


def _chain(m: int, seed: int):
    """m constraints w_{i+1} = w_i·x_i plus a boolean and a zero wire: out public, w_0 public."""
    rnd = random.Random(seed)
    n_wires = 3 + m + (m - 1) + 2
    x = lambda i: 3 + i                                       # noqa: E731
    w = lambda i: 2 if i == 0 else 1 if i == m else 3 + m + i - 1  # noqa: E731
    bit, zero = n_wires - 2, n_wires - 1
    cons = [({w(i): 1}, {x(i): 1}, {w(i + 1): 1}) for i in range(m)]
    cons += [({bit: 1}, {bit: 1}, {bit: 1}), ({zero: 1}, {x(0): 1}, {})]
    wit = [0] * n_wires
    wit[0] = 1
    wit[2] = rnd.randrange(1, R)
    for i in range(m):
        wit[x(i)] = rnd.randrange(1, R) if i % 3 else rnd.randrange(2, 1 << 40)
        wit[w(i + 1)] = wit[w(i)] * wit[x(i)] % R
    wit[bit] = 1
    r1cs = R1CS(n_wires=n_wires, n_pub_out=1, n_pub_in=1, n_prv_in=m, constraints=cons)
    r1cs.check(wit)
    return r1cs, wit


class _SeededRng(random.Random):
    """A reproducible stand-in for ``secrets`` (the prover draws r, s with ``randbelow``)."""

    def randbelow(self, n):
        return self.randrange(n)


@pytest.fixture(scope="module")
def keyed():
    r1cs, wit = _chain(40, 7)
    return setup_dev(r1cs), wit


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_parallel_proof_equals_sequential_proof(keyed, workers):
    pk, wit = keyed
    expected, public = prove(pk, wit, rng=_SeededRng(5))
    got, got_public = prove_parallel(pk, wit, workers=workers, rng=_SeededRng(5))
    assert got_public == public
    assert got.to_json() == expected.to_json()
    assert verify(pk.verification_key(), public, got)


def test_parallel_proof_of_a_false_witness_does_not_verify(keyed):
    pk, wit = keyed
    bad = list(wit)
    bad[1] = (bad[1] + 1) % R                      # the public output no longer matches
    proof, public = prove_parallel(pk, bad, workers=2)
    assert not verify(pk.verification_key(), public, proof)


def test_schedule_covers_every_msm_once(keyed):
    pk, wit = keyed
    for lanes in (1, 2, 4):
        plan = schedule(pk, wit, lanes)
        assert len(plan) == lanes
        names = sorted(n for lane in plan for n in lane)
        assert names == ["msm_a", "msm_b1", "msm_b2", "msm_c"]


def test_worker_failure_is_reported(keyed):
    pk, wit = keyed
    import copy
    pk2 = copy.copy(pk)
    pk2.b2 = list(pk.b2)
    pk2.b2[3] = 5                                    # not a point: the G2 MSM fails in the worker
    with pytest.raises(RuntimeError, match="MSM worker failed"):
        prove_parallel(pk2, wit, workers=2)


def test_key_cache_hit_equals_fresh_read(keyed, tmp_path):
    pk, _ = keyed
    zkey = tmp_path / "k.zkey"
    write_zkey(pk, zkey)
    cache = tmp_path / "cache"
    first, status1 = load_proving_key(zkey, cache_dir=cache)
    second, status2 = load_proving_key(zkey, cache_dir=cache)
    assert (status1, status2) == ("miss", "hit")
    assert first == read_zkey(zkey) and second == read_zkey(zkey)
    assert len(list(cache.iterdir())) == 1


def test_key_cache_is_never_stale(keyed, tmp_path):
    pk, wit = keyed
    zkey = tmp_path / "k.zkey"
    cache = tmp_path / "cache"
    write_zkey(pk, zkey)
    load_proving_key(zkey, cache_dir=cache)
    other = setup_dev(_chain(40, 7)[0])              # same circuit, new toxic waste: a different key
    write_zkey(other, zkey)
    got, status = load_proving_key(zkey, cache_dir=cache)
    assert status == "miss"
    assert got == read_zkey(zkey) and got != pk


def test_key_cache_ignores_corrupt_files(keyed, tmp_path):
    pk, _ = keyed
    zkey = tmp_path / "k.zkey"
    cache = tmp_path / "cache"
    write_zkey(pk, zkey)
    load_proving_key(zkey, cache_dir=cache)
    (entry,) = cache.iterdir()
    data = bytearray(entry.read_bytes())
    digest = bytes(data[16:48])
    assert decode(bytes(data[:-1]), digest) is None             # truncated
    assert decode(bytes(data), bytes(32)) is None               # another key's digest
    entry.write_bytes(bytes(data[:100]))
    got, status = load_proving_key(zkey, cache_dir=cache)
    assert status == "miss" and got == read_zkey(zkey)


def test_key_cache_unwritable_directory_still_proves(keyed, tmp_path):
    pk, _ = keyed
    zkey = tmp_path / "k.zkey"
    write_zkey(pk, zkey)
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    got, status = load_proving_key(zkey, cache_dir=blocker / "sub")
    assert status == "unwritable" and got == read_zkey(zkey)


@pytest.mark.interop
def test_snarkjs_accepts_parallel_proof(keyed, tmp_path):
    pk, wit = keyed
    proof, public = prove_parallel(pk, wit, workers=2)
    (tmp_path / "vk.json").write_text(dumps(pk.verification_key().to_json()))
    (tmp_path / "proof.json").write_text(dumps(proof.to_json()))
    (tmp_path / "public.json").write_text(json.dumps([str(v) for v in public]))
    out = run_snarkjs("groth16", "verify", tmp_path / "vk.json", tmp_path / "public.json", tmp_path / "proof.json")
    assert "OK" in out.stdout

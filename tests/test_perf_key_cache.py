"""The decoded-key cache returns exactly what read_zkey decodes, is never stale, and survives bad files."""
import random

import pytest

from zkescrow.bn254.constants import R
from zkescrow.groth16.zkey import read_zkey, write_zkey
from zkescrow.groth16 import setup_dev
from zkescrow.groth16.key_cache import decode, load_proving_key
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


@pytest.fixture(scope="module")
def keyed():
    r1cs, wit = _chain(40, 7)
    return setup_dev(r1cs), wit










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



def test_key_cache_off_by_environment(keyed, tmp_path, monkeypatch):
    pk, _ = keyed
    zkey = tmp_path / "k.zkey"
    write_zkey(pk, zkey)
    monkeypatch.setenv("ZKESCROW_KEY_CACHE", "off")
    got, status = load_proving_key(zkey)
    assert status == "off" and got == read_zkey(zkey)
    monkeypatch.setenv("ZKESCROW_KEY_CACHE", str(tmp_path / "env-cache"))
    assert load_proving_key(zkey)[1] == "miss"
    assert load_proving_key(zkey)[1] == "hit"
    assert len(list((tmp_path / "env-cache").iterdir())) == 1


def test_malformed_zkey_is_reported(tmp_path):
    from zkescrow.errors import MalformedFile
    bad = tmp_path / "bad.zkey"
    bad.write_bytes(b"zkey" + bytes(20))
    with pytest.raises(MalformedFile):
        load_proving_key(bad, cache_dir=tmp_path / "c")


def test_cli_prove_goes_through_the_cache(keyed, tmp_path, monkeypatch):
    from zkescrow.cli.main import main
    from zkescrow.formats.wtns_file import write_wtns
    from zkescrow.groth16.proof import Proof
    from zkescrow.groth16.verify import verify
    import json

    pk, wit = keyed
    zkey, wtns = tmp_path / "k.zkey", tmp_path / "w.wtns"
    write_zkey(pk, zkey)
    write_wtns(wit, wtns)
    monkeypatch.setenv("ZKESCROW_KEY_CACHE", str(tmp_path / "cache"))
    for run in range(2):
        proof, public = tmp_path / f"proof{run}.json", tmp_path / f"public{run}.json"
        with pytest.raises(SystemExit) as exc:
            main(["prove", str(zkey), str(wtns), str(proof), str(public)])
        assert exc.value.code == 0
        assert len(list((tmp_path / "cache").iterdir())) == 1
        assert verify(pk.verification_key(), json.loads(public.read_text()),
                      Proof.from_json(json.loads(proof.read_text())))

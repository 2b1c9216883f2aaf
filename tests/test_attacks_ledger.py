"""Issue 12, ledger findings 9–11 (and the ledger side of 2), played through the public API.

9   one hostile unsigned transaction no longer wipes the honest transactions of its block;
10  a transaction signed for one ledger is refused by another (signatures bind the chain id);
11  block hashes commit to the transaction bodies: a rewritten body or a damaged file is caught;
2   the ledger's authority-signed headers and inclusion proofs, followed by a light client.
"""
import json
import os
import sqlite3
import stat

import pytest
from nacl.signing import SigningKey

from zkescrow.errors import CorruptLedger, InvalidSignature, MalformedInput
from zkescrow.ledger.keys import WalletKeys
from zkescrow.ledger.ledger import Ledger
from zkescrow.ledger.transactions import Transaction
from zkescrow.ledger.headers import HeaderChain, SignedHeader, tx_leaf, verify_inclusion

DEPTH = 4
CHANNELS = ("escrow", "channel")


def transfer(ledger, keys: WalletKeys, to: str, amount: int, nonce: int) -> Transaction:
    return Transaction("transfer", {"from": keys.address, "to": to, "amount": amount, "nonce": nonce}).signed(
        keys.account, ledger.chain_id)


@pytest.fixture
def people():
    return [WalletKeys(bytes([i + 1]) * 32) for i in range(3)]


@pytest.fixture
def busy_ledger(tmp_path, people):
    """A ledger with three blocks of transfers after genesis."""
    alice, bob, carol = people
    ledger = Ledger.create(tmp_path / "a", {alice.address: 1_000, bob.address: 500}, depth=DEPTH)
    nonce = 0
    for block in range(3):
        for i in range(block + 2):
            ledger.submit(transfer(ledger, alice, [bob, carol][i % 2].address, 1 + i, nonce))
            nonce += 1
        assert not ledger.commit_block().rejected
    return ledger


# --- finding 9: the block-wipe attack -------------------------------------------------------------

def test_the_block_wipe_attack_loses_no_honest_transaction(tmp_path, people):
    """Unsigned junk with each field that crashed ``commit_block`` before, between honest transfers."""
    alice, bob, carol = people
    ledger = Ledger.create(tmp_path, {alice.address: 1_000, bob.address: 0}, depth=DEPTH,
                           extensions=("escrow", "channel"))
    junk = [Transaction("transfer", {"from": carol.address, "to": bob.address, "amount": "²", "nonce": 0}),
            Transaction("transfer", {"from": carol.address, "to": bob.address, "amount": "--5", "nonce": 0}),
            Transaction("transfer", {"from": carol.address, "to": bob.address, "amount": "9" * 4_400, "nonce": 0}),
            Transaction("channel_settle", {"channel_id": 2**64}),
            Transaction("channel_close", {"channel_id": ["a"], "closer": carol.address}),
            Transaction("escrow_payout", {"session_id": {"x": 1}, "authority": "refund"}),
            Transaction("escrow_open", {"public_amount": "-1", "session_id": [1], "pole_id": 2**70,
                                        "enclave": None, "refund_key": carol.address, "refund_height": 9}),
            Transaction("shield", {"from": carol.address, "amount": "²", "nonce": "--1", "commitment": "1"})]
    honest = [transfer(ledger, alice, bob.address, 10 + i, i) for i in range(len(junk) + 1)]
    for tx in [t for pair in zip(honest, junk) for t in pair] + honest[-1:]:
        ledger.submit(tx)
    result = ledger.commit_block()
    assert result.accepted == [tx.txid for tx in honest]
    assert {txid for txid, _ in result.rejected} == {tx.txid for tx in junk}
    assert ledger.balance(bob.address) == sum(10 + i for i in range(len(honest))) and ledger.pending == []
    assert ledger.total_value()["total"] == 1_000
    ledger.verify_chain()


def test_a_block_that_fails_to_commit_keeps_its_transactions_pending(tmp_path, people, monkeypatch):
    alice, bob, _ = people
    ledger = Ledger.create(tmp_path, {alice.address: 100}, depth=DEPTH)
    txs = [transfer(ledger, alice, bob.address, 5, n) for n in range(3)]
    for tx in txs:
        ledger.submit(tx)
    real = Ledger._check_conservation

    def disk_full(self, db, pool_value):
        raise OSError("disk full")
    monkeypatch.setattr(Ledger, "_check_conservation", disk_full)
    with pytest.raises(OSError):
        ledger.commit_block()
    assert [tx.txid for tx in ledger.pending] == [tx.txid for tx in txs] and ledger.height == 0
    monkeypatch.setattr(Ledger, "_check_conservation", real)
    assert ledger.commit_block().accepted == [tx.txid for tx in txs]
    assert ledger.balance(bob.address) == 15 and ledger.pending == []
    ledger.verify_chain()


# --- finding 2 (ledger side) and 11: signed headers, inclusion proofs -------------------------

def test_the_authority_key_is_stored_private(tmp_path, people):
    ledger = Ledger.create(tmp_path, {people[0].address: 1}, depth=DEPTH)
    mode = stat.S_IMODE(os.stat(tmp_path / "authority.key").st_mode)
    assert mode == 0o600
    assert ledger.authorities == [bytes(SigningKey(bytes.fromhex((tmp_path / "authority.key").read_text().strip()))
                                        .verify_key).hex()]
    assert ledger.chain_id == ledger.header(0).header.hash() == ledger.blocks(0, 0)[0]["hash"]


def test_only_the_authority_commits_blocks(tmp_path, people):
    key = SigningKey(b"k" * 32)
    Ledger.create(tmp_path, {people[0].address: 1}, depth=DEPTH, authority=key).close()
    assert not (tmp_path / "authority.key").exists()              # a key given by the caller is not written
    reader = Ledger(tmp_path)
    with pytest.raises(MalformedInput, match="without its authority key"):
        reader.commit_block()
    reader.close()
    with pytest.raises(MalformedInput, match="not one of its ledger's authorities"):
        Ledger(tmp_path, authority=SigningKey(b"x" * 32))
    ledger = Ledger(tmp_path, authority=key)
    assert ledger.commit_block().height == 1
    ledger.verify_chain()


def test_a_light_client_follows_the_signed_headers_and_checks_inclusion(busy_ledger):
    ledger = busy_ledger
    client = HeaderChain(ledger.authorities, ledger.threshold, ledger.chain_id)
    assert client.extend([SignedHeader.from_json(h.to_json()) for h in ledger.headers()]) == ledger.height
    assert client.tip_hash == ledger.tip_hash and client.knows_note_root(ledger.root)
    for tx in ledger.transactions(1):
        height, index, proof = ledger.inclusion(tx["txid"])
        assert (height, index) == (tx["height"], tx["position"])
        leaf = tx_leaf(json.loads(tx["body"]))
        assert verify_inclusion(client.header(height).tx_root, leaf, index, proof)
        forged = json.loads(tx["body"])
        forged["body"]["amount"] += 100                              # the body is committed, not only the txid
        assert not verify_inclusion(client.header(height).tx_root, tx_leaf(forged), index, proof)
        assert not verify_inclusion(client.header(height).tx_root, leaf, index ^ 1, proof)


def test_a_transaction_proof_convinces_a_light_client_and_a_forged_one_does_not(busy_ledger):
    from zkescrow.errors import InvalidProof
    ledger = busy_ledger
    client = HeaderChain(ledger.authorities, ledger.threshold, ledger.chain_id, window=2)
    client.extend(ledger.headers(0, 2))
    old, new = ledger.transactions(1, 1)[0]["txid"], ledger.transactions(3, 3)[0]["txid"]
    header, tx = client.proven_transaction(ledger.transaction_proof(old))   # beyond the window: the signature
    assert header.height == 1 and tx["body"]["amount"] == 1
    with pytest.raises(InvalidProof, match="beyond"):
        client.proven_transaction(ledger.transaction_proof(new))
    client.extend(ledger.headers())
    assert client.proven_transaction(ledger.transaction_proof(new))[0].height == 3
    bundle = ledger.transaction_proof(new)
    bundle["tx"]["body"]["amount"] = 500                                     # a car inflating its deposit
    with pytest.raises(InvalidProof, match="not in block 3"):
        client.proven_transaction(bundle)
    bundle = ledger.transaction_proof(new)
    h = SignedHeader.from_json(bundle["header"]).header
    fake = type(h)(h.chain_id, h.height, h.prev, h.tx_root, "5")            # a header the authority never signed
    bundle["header"] = SignedHeader(fake, [fake.sign(SigningKey.generate())]).to_json()
    with pytest.raises(InvalidSignature):
        client.proven_transaction(bundle)
    bundle["header"] = SignedHeader(fake, [fake.sign(ledger.authority)]).to_json()   # the authority equivocates
    with pytest.raises(InvalidProof, match="not the one this chain followed"):
        client.proven_transaction(bundle)


def test_a_header_not_signed_by_the_authority_is_refused(busy_ledger):
    ledger = busy_ledger
    client = HeaderChain(ledger.authorities, ledger.threshold, ledger.chain_id)
    headers = ledger.headers()
    client.extend(headers[:2])
    h = headers[2].header
    with pytest.raises(InvalidSignature):
        client.append(SignedHeader(h, [h.sign(SigningKey.generate())]))
    with pytest.raises(MalformedInput):
        client.append(headers[3])
    client.extend(headers)
    assert client.tip_height == ledger.height


# --- finding 11: tampering is detected ---------------------------------------------------------

def _rewrite_amount(path, height: int, amount: int) -> str:
    """Rewrite the amount in the first transaction body of block ``height`` behind the ledger's back."""
    db = sqlite3.connect(path / "ledger.sqlite")
    txid, body = db.execute("SELECT txid, body FROM txs WHERE height = ? ORDER BY position", (height,)).fetchone()
    tx = json.loads(body)
    tx["body"]["amount"] = amount
    db.execute("UPDATE txs SET body = ? WHERE txid = ?", (json.dumps(tx, sort_keys=True), txid))
    db.commit()
    db.close()
    return txid


def test_a_rewritten_body_in_an_old_block_fails_verify_chain(busy_ledger):
    path = busy_ledger.store.data_dir
    busy_ledger.verify_chain()
    busy_ledger.close()
    _rewrite_amount(path, 1, 999)
    ledger = Ledger(path)                          # the quick check looks at the tip only
    with pytest.raises(CorruptLedger, match=f"{path}.*block 1"):
        ledger.verify_chain()


def test_a_rewritten_body_in_the_tip_block_is_refused_on_open(busy_ledger):
    path = busy_ledger.store.data_dir
    busy_ledger.close()
    _rewrite_amount(path, 3, 999)
    with pytest.raises(CorruptLedger, match=f"ledger in {path} is corrupted.*block 3"):
        Ledger(path)


def test_a_rewritten_header_or_hash_is_refused_on_open(busy_ledger):
    path = busy_ledger.store.data_dir
    busy_ledger.close()
    db = sqlite3.connect(path / "ledger.sqlite")
    header = json.loads(db.execute("SELECT header FROM headers WHERE height = 3").fetchone()[0])
    header["note_root"] = "12345"
    db.execute("UPDATE headers SET header = ? WHERE height = 3", (json.dumps(header),))
    db.commit()
    db.close()
    with pytest.raises(CorruptLedger, match="block 3"):
        Ledger(path)


def test_a_damaged_sqlite_file_is_refused_on_open(busy_ledger):
    path = busy_ledger.store.data_dir
    busy_ledger.store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    busy_ledger.close()
    data = bytearray((path / "ledger.sqlite").read_bytes())
    page = 4096
    for offset in range(2 * page, len(data), page):          # scribble over every page after the schema
        data[offset + 8: offset + 200] = os.urandom(192)
    (path / "ledger.sqlite").write_bytes(bytes(data))
    with pytest.raises(MalformedInput, match=str(path)):
        Ledger(path)


# --- finding 10: signatures bind the chain id ------------------------------------------------------

def test_a_transaction_signed_for_one_ledger_is_refused_by_another(tmp_path, people):
    alice, bob, _ = people
    accounts = {alice.address: 1_000, bob.address: 0}
    ledger_a = Ledger.create(tmp_path / "a", accounts, depth=DEPTH, authority=SigningKey(b"A" * 32))
    ledger_b = Ledger.create(tmp_path / "b", accounts, depth=DEPTH, authority=SigningKey(b"B" * 32))
    assert ledger_a.chain_id != ledger_b.chain_id
    assert ledger_a.transactions(0, 0)[0]["body"] == ledger_b.transactions(0, 0)[0]["body"]   # same genesis
    tx = transfer(ledger_a, alice, bob.address, 600, 0)
    ledger_a.submit(tx)
    assert ledger_a.commit_block().accepted == [tx.txid]
    ledger_b.submit(tx)                                   # the replay on the twin ledger
    result = ledger_b.commit_block()
    assert result.accepted == [] and "signature does not verify" in result.rejected[0][1]
    assert ledger_b.balance(alice.address) == 1_000 and ledger_b.balance(bob.address) == 0
    assert ledger_a.balance(bob.address) == 600


def test_a_channel_close_signed_for_one_ledger_is_refused_by_another(tmp_path):
    from zkescrow.channel import api
    from zkescrow.channel.transactions import close_transactions
    car, pole = SigningKey(b"c" * 32), SigningKey(b"p" * 32)
    a, b = (bytes(k.verify_key).hex() for k in (car, pole))
    ledgers = [Ledger.create(tmp_path / name, {a: 5_000, b: 5_000}, depth=DEPTH, extensions=CHANNELS,
                             authority=SigningKey(name.encode() * 32)) for name in "AB"]
    terms = [api.new_channel(car, b, 0, 1_000, chain_id=ledger.chain_id) for ledger in ledgers]
    for ledger, t in zip(ledgers, terms):
        ledger.submit(api.open_transaction(t, car, 0))
        assert ledger.commit_block().rejected == []
    # the channel on A, opened with the id of B's channel, is refused: the id binds the chain id
    ledgers[0].submit(api.open_transaction(terms[1], car, 1))
    assert "chain id" in ledgers[0].commit_block().rejected[0][1]
    # a close the pole signed for its channel on A does not close anything on B
    from zkescrow.channel.state import Channel
    close_on_a = close_transactions(Channel(terms[0], pole))[0]
    forged = type(close_on_a)(close_on_a.kind, {**close_on_a.body, "channel_id": terms[1].channel_id},
                              close_on_a.signature)
    ledgers[1].submit(forged)
    assert "signature does not verify" in ledgers[1].commit_block().rejected[0][1]


def _cli(*argv):
    import subprocess
    import sys
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "zkescrow.cli.main", *map(str, argv)], capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL, env=env)


def test_the_cli_shows_a_corrupted_ledger_as_one_line(tmp_path):
    data = tmp_path / "data"
    assert _cli("ledger", "init", "--data-dir", data, "--fund", "alice=100", "--fund", "bob=0").returncode == 0
    assert _cli("wallet", "send", "--data-dir", data, "alice", "30", "--to", "bob", "--transparent").returncode == 0
    assert _cli("wallet", "send", "--data-dir", data, "alice", "5", "--to", "bob", "--transparent").returncode == 0
    ok = _cli("ledger", "verify", "--data-dir", data, "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["height"] == 2
    headers = [json.loads(line) for line in _cli("ledger", "headers", "--data-dir", data).stdout.splitlines()]
    ledger = Ledger(data / "ledger")
    client = HeaderChain(ledger.authorities, ledger.threshold, ledger.chain_id)
    assert client.extend(headers) == 2
    txid = ledger.transactions(2, 2)[0]["txid"]
    ledger.close()
    proof = json.loads(_cli("ledger", "proof", "--data-dir", data, txid).stdout)
    assert client.proven_transaction(proof)[1]["body"]["amount"] == 5
    missing = _cli("ledger", "proof", "--data-dir", data, "00" * 32)
    assert missing.returncode == 2 and "not on the ledger" in missing.stderr
    _rewrite_amount(data / "ledger", 1, 3)                       # an old block: open still works, verify does not
    assert _cli("ledger", "show", "--data-dir", data).returncode == 0
    bad = _cli("ledger", "verify", "--data-dir", data)
    assert bad.returncode == 2 and bad.stdout == ""
    assert len(bad.stderr.strip().splitlines()) == 1 and "block 1" in bad.stderr and "Traceback" not in bad.stderr
    _rewrite_amount(data / "ledger", 2, 50)                      # the tip block: refused on open
    for command in ("show", "blocks", "verify"):
        bad = _cli("ledger", command, "--data-dir", data)
        assert bad.returncode == 2, bad.stderr
        line, = bad.stderr.strip().splitlines()
        assert "corrupted" in line and str(data / "ledger") in line

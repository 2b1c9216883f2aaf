"""The ledger: rules hold, rejected transactions leave only a reason, value is conserved, blocks survive SIGKILL."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from circuits.notes import Note
from escrow_fixtures import *  # noqa: F401,F403
from escrow_fixtures import ESCROW_DEPTH
from zkescrow.errors import MalformedInput
from zkescrow.ledger.keys import WalletKeys
from zkescrow.ledger.ledger import Ledger
from zkescrow.ledger.transactions import Transaction
from zkescrow.ledger.wallet import OwnedNote, Wallet


def transfer(keys: WalletKeys, to: str, amount: int, nonce: int, chain_id: str) -> Transaction:
    return Transaction("transfer", {"from": keys.address, "to": to, "amount": amount, "nonce": nonce}).signed(
        keys.account, chain_id)


@pytest.fixture
def people():
    return WalletKeys.generate(), WalletKeys.generate()


def test_transparent_rules_and_rejections_leave_only_a_reason(tmp_path, people):
    alice, bob = people
    ledger = Ledger.create(tmp_path, {alice.address: 100}, depth=ESCROW_DEPTH)
    good = transfer(alice, bob.address, 30, 0, ledger.chain_id)
    forged = Transaction("transfer", {"from": alice.address, "to": bob.address, "amount": 50, "nonce": 1}).signed(
        bob.account, ledger.chain_id)
    overdraw = transfer(alice, bob.address, 71, 1, ledger.chain_id)
    for tx in (good, good, forged, overdraw):
        ledger.submit(tx)
    result = ledger.commit_block()
    assert result.accepted == [good.txid]
    reasons = dict((txid, reason) for txid, reason in result.rejected)
    assert "replay" in result.rejected[0][1]
    assert "signature does not verify" in reasons[forged.txid]
    assert "balance 70 is less than 71" in reasons[overdraw.txid]
    assert ledger.balance(alice.address) == 70 and ledger.balance(bob.address) == 30
    assert [r["txid"] for r in ledger.rejections()] == [good.txid, forged.txid, overdraw.txid]
    assert [t["txid"] for t in ledger.transactions(1, 1)] == [good.txid]
    ledger.submit(good)
    assert "replay" in ledger.commit_block().rejected[0][1]
    assert ledger.total_value()["total"] == 100
    ledger.verify_chain()


def test_service_registry(tmp_path, people):
    alice, _ = people
    ledger = Ledger.create(tmp_path, {alice.address: 1}, depth=ESCROW_DEPTH)
    body = {"pole_id": "pole-7", "operator": alice.address, "price_per_wh": 3, "location": "52.52N,13.40E",
            "meter_key": "ab" * 32, "nonce": 0}
    ledger.submit(Transaction("register_service", body).signed(alice.account, ledger.chain_id))
    ledger.submit(Transaction("register_service", dict(body, nonce=1)).signed(alice.account, ledger.chain_id))
    result = ledger.commit_block()
    assert len(result.accepted) == 1 and "already registered" in result.rejected[0][1]
    assert ledger.services()[0]["price_per_wh"] == 3


def test_ledger_refuses_an_empty_directory_and_a_second_genesis(tmp_path, people):
    with pytest.raises(MalformedInput, match="holds no ledger"):
        Ledger(tmp_path)
    Ledger.create(tmp_path, {people[0].address: 1}, depth=ESCROW_DEPTH).close()
    with pytest.raises(MalformedInput, match="already holds a ledger"):
        Ledger.create(tmp_path, {people[0].address: 1}, depth=ESCROW_DEPTH)


@pytest.mark.slow
def test_shielded_pool_double_spend_stale_root_and_restart(tmp_path, people, circuit_keys):
    alice, bob = people
    ledger = Ledger.create(tmp_path, {alice.address: 1400, bob.address: 0}, depth=ESCROW_DEPTH,
                           keys=circuit_keys, root_window=3)
    wa = Wallet(alice, ledger, circuit_keys)
    ledger.submit(wa.shield(1000))                        # one note of a denomination
    assert not ledger.commit_block().rejected
    wa.scan()
    held = ledger.total_value()
    assert wa.balance() == 1000
    assert (held["transparent"], held["shielded"], held["escrow"], held["total"]) == (400, 1000, 0, 1400)

    first = wa.send(bob.payment_address, 150)
    second = wa.send(bob.payment_address, 120)           # spends the same note: a double spend
    ledger.submit(first)
    assert ledger.commit_block().accepted == [first.txid]
    ledger.submit(second)
    assert "already spent" in ledger.commit_block().rejected[0][1]

    ledger.close()                                        # the nullifier set survives a restart
    ledger = Ledger(tmp_path, keys=circuit_keys)
    ledger.submit(second)
    assert "already spent" in ledger.commit_block().rejected[0][1]

    wb = Wallet(bob, ledger, circuit_keys)
    wb.scan()
    assert wb.balance() == 150
    stale = wb.send(alice.payment_address, 10)           # proved against today's root...
    wa = Wallet(alice, ledger, circuit_keys)
    for _ in range(3):                                   # ...which leaves the 3-root window
        ledger.submit(wa.shield(1))
        ledger.commit_block()
    ledger.submit(stale)
    assert "is not one of the last 3 roots" in ledger.commit_block().rejected[0][1]

    forged_tree = Wallet(bob, ledger, circuit_keys)      # a note that was never on the ledger
    forged_tree.scan()
    fake = Note.new(10_000, bob.owner)
    position = forged_tree.tree.append(fake.commitment)
    forged_tree._notes[position] = OwnedNote(fake, position, fake.nullifier(bob.spending.nullifier_key, position))
    ledger.submit(forged_tree.send(alice.payment_address, 10_000))
    assert "not one of the last" in ledger.commit_block().rejected[0][1]

    tampered = wb.unshield(50, bob.address)
    tampered.body["recipient"] = alice.address           # the proof binds the recipient through ext_data_hash
    ledger.submit(tampered)
    assert ledger.commit_block().rejected[0][1] == "proof does not verify"
    assert ledger.total_value()["total"] == 1400
    ledger.verify_chain()


KILL_SCRIPT = textwrap.dedent("""
    import sys
    from zkescrow.ledger.keys import WalletKeys
    from zkescrow.ledger.ledger import Ledger
    from zkescrow.ledger.transactions import Transaction
    people = [WalletKeys(bytes([i]) * 32) for i in range(4)]
    ledger = Ledger(sys.argv[1])
    nonces = [ledger.nonce(p.address) for p in people]
    print("ready", flush=True)
    k = 0
    while True:
        for _ in range(20):
            i, j = k % 4, (k + 1) % 4
            body = {"from": people[i].address, "to": people[j].address, "amount": 1 + k % 5, "nonce": nonces[i]}
            ledger.submit(Transaction("transfer", body).signed(people[i].account, ledger.chain_id))
            nonces[i] += 1
            k += 1
        ledger.commit_block()
""")


@pytest.mark.slow
def test_sigkill_during_block_commit_leaves_a_consistent_ledger(tmp_path):
    people = [WalletKeys(bytes([i]) * 32) for i in range(4)]
    Ledger.create(tmp_path, {p.address: 10_000 for p in people}, depth=ESCROW_DEPTH).close()
    script = tmp_path / "writer.py"
    script.write_text(KILL_SCRIPT)
    heights = []
    for delay in (0.3, 0.7, 1.1):
        proc = subprocess.Popen([sys.executable, str(script), str(tmp_path)], stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        ledger = Ledger(tmp_path)
        ledger.verify_chain()
        assert ledger.total_value()["total"] == 40_000
        n_txs = sum(b["n_txs"] for b in ledger.blocks(1))
        assert n_txs == len(ledger.transactions(1))
        heights.append(ledger.height)
        ledger.close()
    assert heights == sorted(heights) and heights[-1] > 0


@pytest.mark.slow
def test_a_full_note_tree_rejects_the_transaction_not_the_block(tmp_path, people, circuit_keys):
    alice, bob = people
    ledger = Ledger.create(tmp_path, {alice.address: 100, bob.address: 5}, depth=ESCROW_DEPTH, keys=circuit_keys)
    wallet = Wallet(alice, ledger, circuit_keys)
    capacity = 1 << ESCROW_DEPTH
    shields = [wallet.shield(1) for _ in range(capacity + 1)]
    for tx in shields:
        ledger.submit(tx)
    ledger.submit(transfer(bob, alice.address, 5, 0, ledger.chain_id))
    result = ledger.commit_block()
    assert len(result.accepted) == capacity + 1                 # 16 shields and the transparent transfer
    assert "note tree is full" in result.rejected[0][1]
    assert ledger.total_value()["total"] == 105 and ledger.pool_value == capacity

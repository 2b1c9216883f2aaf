"""Each ledger judges with its own rulebook: two ledgers in one process stay independent.

A ledger knows the core kinds and the extensions recorded in it, whatever modules the
process has imported; its stored extension list names what it knows.
"""
import sqlite3

import pytest
from nacl.signing import SigningKey

from zkescrow.channel import api
from zkescrow.channel.proofs import address_of
from zkescrow.errors import MalformedInput
from zkescrow.ledger.backend import ChainBackend
from zkescrow.ledger.extensions import build_rulebook, canonical_names
from zkescrow.ledger.ledger import Ledger
from zkescrow.ledger.rulebook import Rulebook
from zkescrow.ledger.transactions import Transaction

CAR, POLE = SigningKey(bytes([21]) * 32), SigningKey(bytes([22]) * 32)
A, B = address_of(CAR), address_of(POLE)


def _channel_open(ledger):
    terms = api.new_channel(CAR, B, ledger.nonce(A), 1_000, 0, challenge_period=3, chain_id=ledger.chain_id)
    return api.open_transaction(terms, CAR, ledger.nonce(A), POLE)


def test_two_ledgers_in_one_process_keep_their_own_kinds(tmp_path):
    import zkescrow.channel.adjudicator  # noqa: F401  (the process now holds the channel rules)
    plain = Ledger.create(tmp_path / "plain", {A: 5_000, B: 0}, depth=4, extensions=())
    with_channels = Ledger.create(tmp_path / "channels", {A: 5_000, B: 0}, depth=4, extensions=("channel",))

    plain.submit(_channel_open(plain))
    result = plain.commit_block()
    assert result.accepted == []
    assert "unknown transaction kind 'channel_open'" in result.rejected[0][1]
    assert plain.store.get_meta("extensions") == [] == plain.extensions
    assert plain.balance(A) == 5_000
    with pytest.raises(sqlite3.OperationalError):        # nor did it gain the channel table
        plain.store.one("SELECT * FROM channels")

    with_channels.submit(_channel_open(with_channels))
    result = with_channels.commit_block()
    assert result.rejected == [] and len(result.accepted) == 1
    assert with_channels.extensions == ["channel"]
    assert with_channels.total_value()["transparent"] == 5_000 and with_channels.balance(A) == 4_000

    # reopened from disk, each ledger still knows exactly its own kinds
    plain.close()
    with_channels.close()
    assert not Ledger(tmp_path / "plain").rulebook.knows("channel_open")
    reopened = Ledger(tmp_path / "channels")
    assert reopened.rulebook.knows("channel_open") and not reopened.rulebook.knows("escrow_open")


def test_a_ledger_without_the_escrow_extension_rejects_escrow_kinds(tmp_path):
    ledger = Ledger.create(tmp_path, {A: 10}, depth=4, extensions=())
    ledger.submit(Transaction("escrow_payout", {"session_id": "s"}))
    assert "unknown transaction kind 'escrow_payout'" in ledger.commit_block().rejected[0][1]
    assert ledger.escrow("s") is None
    assert "escrow" not in ledger.total_value()


def test_the_default_ledger_has_the_escrow_extension(tmp_path):
    ledger = Ledger.create(tmp_path, {A: 10}, depth=4)
    assert ledger.extensions == ["escrow"]
    assert ledger.rulebook.circuit_of("escrow_release") == "escrow_release"
    assert ledger.total_value() == {"transparent": 10, "escrow": 0, "shielded": 0, "total": 10}


def test_extension_names_come_from_the_registry():
    assert canonical_names(["zkescrow.channel.adjudicator", "channel"]) == ["channel"]   # older ledgers' name
    with pytest.raises(MalformedInput, match="unknown ledger extension 'os'"):
        canonical_names(["os"])
    with pytest.raises(MalformedInput, match="unknown ledger extension"):
        Ledger.create("/nonexistent-never-created", {A: 1}, extensions=("zkescrow.escrow.session",))


def test_a_rulebook_adds_each_kind_once():
    rulebook = Rulebook()
    rulebook.add("k", lambda state, tx: None)
    with pytest.raises(MalformedInput, match="already"):
        rulebook.add("k", lambda state, tx: None)
    with pytest.raises(MalformedInput, match="circuit and its public signals"):
        rulebook.add("p", lambda state, tx: None, circuit="transfer")
    assert Rulebook().kinds == {} and "k" not in build_rulebook([]).kinds


def test_the_ledger_offers_the_backend_operations(tmp_path):
    ledger = Ledger.create(tmp_path, {A: 10}, depth=4)
    assert isinstance(ledger, ChainBackend)
    assert isinstance(ledger.backend, type(ledger.backend))
    assert ledger.recent_roots() == [ledger.root]
    assert ledger.commitments() == [] and not ledger.is_spent(1)
    assert [t["kind"] for t in ledger.transactions()] == ["genesis"]

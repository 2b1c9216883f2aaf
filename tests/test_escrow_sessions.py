"""Charging sessions in both escrow modes, with faults: every path ends with no value lost or created.

Statements are checked natively (``StatementKeys``; with the R1CS constraint checker where
marked) instead of proved, so hundreds of sessions run in seconds; the proofs themselves are
exercised in test_escrow_demo.py.
"""
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from circuits.escrow.escrow_release import RELEASE, EscrowRelease, escrow_release_inputs
from circuits.notes import Note
from escrow_statement_keys import StatementKeys, make_world
from zkescrow.errors import StatementFalse, UnsatisfiedConstraint, WitnessError
from zkescrow.escrow import shielded, transparent
from zkescrow.ledger.ledger import Ledger
from zkescrow.escrow.scenarios import Faults, run_session

MODES = ("transparent", "shielded")
PRICE, PACKET = 5, 10
DEPOSIT = 300 * PRICE          # covers 300 Wh = 30 packets
SUPPLY = 10_000_000


def check_conserved(world) -> None:
    value = world.ledger.total_value()
    assert value["total"] == SUPPLY and value["escrow"] >= 0
    world.ledger.verify_chain()


def settle_balances(car, pole, before_driver):
    car.wallet.scan()
    pole.wallet.scan()
    return car.wallet.balance() - before_driver, pole.wallet.balance()


@pytest.fixture
def world(tmp_path):
    return make_world(tmp_path / "w", StatementKeys(8))


@pytest.mark.parametrize("mode", MODES)
def test_honest_session_with_the_constraint_checker(tmp_path, mode):
    world, car, pole = make_world(tmp_path, StatementKeys(4, check_constraints=True))
    driver_before = car.wallet.balance()
    res = run_session(world, car, pole, mode, deposit=DEPOSIT, target_wh=120)
    assert (res.outcome, res.energy_wh, res.paid, res.refunded) == ("settled", 120, 120 * PRICE, DEPOSIT - 120 * PRICE)
    delta, earned = settle_balances(car, pole, driver_before)
    assert earned == 120 * PRICE and delta == -120 * PRICE
    check_conserved(world)
    kinds = [t["kind"] for t in res.transactions]
    assert kinds == (["escrow_open", "escrow_payout"] if mode == "transparent"
                     else ["shielded_transfer", "escrow_release"])


@pytest.mark.parametrize("mode", MODES)
def test_pole_stops_delivering_refunds_the_deposit_minus_delivered_packets(world, mode):
    world, car, pole = world
    driver_before = car.wallet.balance()
    res = run_session(world, car, pole, mode, deposit=DEPOSIT, target_wh=200, faults=Faults(pole_stops_after=7))
    assert res.energy_wh == res.delivered_wh == 70 and res.paid == 70 * PRICE
    assert res.refunded == DEPOSIT - 70 * PRICE
    delta, earned = settle_balances(car, pole, driver_before)
    assert (delta, earned) == (-70 * PRICE, 70 * PRICE)
    check_conserved(world)


@pytest.mark.parametrize("mode", MODES)
def test_car_stops_paying_and_charging_stops_within_one_packet(world, mode):
    world, car, pole = world
    res = run_session(world, car, pole, mode, deposit=DEPOSIT, target_wh=200, faults=Faults(car_stops_after=4))
    assert res.energy_wh == 40 and res.paid == 40 * PRICE
    assert 0 < res.delivered_wh - res.energy_wh <= PACKET          # the pole risks one packet at most
    assert any("without a receipt" in e for e in res.events)
    check_conserved(world)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fault", ["forged_reading_at", "backwards_reading_at"])
def test_bad_meter_readings_are_refused_by_car_and_enclave(world, mode, fault):
    world, car, pole = world
    res = run_session(world, car, pole, mode, deposit=DEPOSIT, target_wh=100, faults=Faults(**{fault: 3}))
    assert res.energy_wh == 20 and res.paid == 20 * PRICE and res.refunded == DEPOSIT - 20 * PRICE
    refused = [e for e in res.events if "refuses" in e]
    assert len(refused) == 2                                      # the car, then the enclave
    assert ("not signed by meter key" if fault == "forged_reading_at" else "goes backwards") in refused[1]
    check_conserved(world)


@pytest.mark.parametrize("mode", MODES)
def test_deposit_caps_the_energy_paid(world, mode):
    world, car, pole = world
    res = run_session(world, car, pole, mode, deposit=DEPOSIT, target_wh=10_000)
    assert res.energy_wh == 300 and res.paid == DEPOSIT and res.refunded == 0
    assert "deposit exhausted" in res.close_reason
    check_conserved(world)


@pytest.mark.parametrize("mode", MODES)
def test_enclave_never_settles_and_the_driver_refunds_after_the_deadline(world, mode):
    world, car, pole = world
    driver_before = car.wallet.balance()
    res = run_session(world, car, pole, mode, deposit=DEPOSIT, target_wh=100, faults=Faults(enclave_silent_after=5))
    assert res.outcome == "refunded" and res.refunded == DEPOSIT and res.paid == 0
    refund = res.transactions[-1]
    assert refund["height"] >= world.refund_delays[0]
    delta, earned = settle_balances(car, pole, driver_before)
    assert delta == 0 and earned == 0
    check_conserved(world)


@pytest.mark.parametrize("mode", MODES)
def test_enclave_crash_mid_session_restarts_from_sealed_state(world, mode):
    world, car, pole = world
    res = run_session(world, car, pole, mode, deposit=DEPOSIT, target_wh=90, faults=Faults(enclave_crash_at=4))
    assert any("restarted from sealed state" in e for e in res.events)
    assert res.outcome == "settled" and res.energy_wh == 90 and res.paid == 90 * PRICE
    check_conserved(world)


@pytest.mark.parametrize("mode", MODES)
def test_over_release_and_second_release_are_rejected(world, mode):
    world, car, pole = world
    res = run_session(world, car, pole, mode, deposit=DEPOSIT, target_wh=60,
                      faults=Faults(over_release=True, double_release=True))
    assert res.outcome == "settled" and res.paid == 60 * PRICE
    reasons = " | ".join(r["reason"] for r in res.rejected)
    assert "replay" in reasons
    assert ("already settled" in reasons) if mode == "transparent" else ("double spend" in reasons)
    check_conserved(world)


def test_escrow_release_double_spend_across_blocks_and_restart(tmp_path):
    from zkescrow.ledger.transactions import Transaction
    keys = StatementKeys(8)
    world, car, pole = make_world(tmp_path / "w", keys)
    res = run_session(world, car, pole, "shielded", deposit=DEPOSIT, target_wh=50)
    release = next(t for t in res.transactions if t["kind"] == "escrow_release")
    tx = Transaction.from_json(world.ledger.store.one("SELECT body FROM txs WHERE txid = ?", release["txid"])["body"])
    path = world.ledger.store.path.parent
    world.ledger.close()
    ledger = Ledger(path, keys=world.keys)                   # restart: the nullifier set is on disk
    for _ in range(2):                                       # ...and stays spent across blocks
        ledger.submit(tx)
        assert "replay" in ledger.commit_block().rejected[0][1]
    car.wallet.ledger = ledger
    car.wallet.scan()
    note, terms = _escrow_note_of(world, car, res)
    position = shielded.locate(ledger, note.commitment)
    decision = world.host.enclave.call("status", res.session_id)
    again = shielded.release(car.wallet, note, position, terms, pole=pole.keys.payment_address,
                             driver=car.keys.payment_address, energy_wh=decision["paid_wh"],
                             final_nonce=decision["paid_wh"] // PACKET + 1,
                             signature_hex=_release_signature(world, res))
    ledger.submit(again)                                      # a fresh proof with the same nullifier
    assert "already spent (double spend)" in ledger.commit_block().rejected[0][1]
    assert ledger.total_value()["total"] == SUPPLY


def _escrow_note_of(world, car, res):
    from circuits.notes import EscrowTerms
    record = world.host.enclave._program.sessions[res.session_id]      # the enclave's view (test inspection)
    f = record.funding
    terms = EscrowTerms(car.enclave_eddsa_key, record.driver_owner, record.pole_owner, record.price,
                        int(res.session_id, 16), record.refund_height)
    return Note(f["v"], terms.owner, int(f["rho"]), int(f["r"]), f["a"]), terms


def _release_signature(world, res):
    return world.host.enclave._program.sessions[res.session_id].decision.release_signature


def test_escrow_release_against_a_stale_or_unknown_root_is_rejected(tmp_path):
    """A release proved against a root that left the ledger's root window, or that it never had, is refused."""
    from circuits.crypto.eddsa import PrivateKey
    from circuits.notes import EscrowTerms, release_message
    from zkescrow.ledger.wallet import Wallet
    world, car, pole = make_world(tmp_path / "w", StatementKeys(8), root_window=2)
    enclave = PrivateKey.generate()
    terms = EscrowTerms(enclave.public_key, car.keys.owner, pole.keys.owner, PRICE, 99, world.ledger.height + 50)
    from nacl.public import PrivateKey as BoxKey
    tx, note = shielded.fund_escrow(car.wallet, terms, DEPOSIT, bytes(BoxKey.generate().public_key))
    world.mine(tx)
    stale = Wallet(car.keys, world.ledger, world.keys)
    stale.scan()
    position = shielded.locate(world.ledger, note.commitment)
    signature = enclave.sign_poseidon(release_message(99, 40, 4, terms.nullifier(note, position))).pack().hex()
    args = dict(pole=pole.keys.payment_address, driver=car.keys.payment_address, energy_wh=40, final_nonce=4,
                signature_hex=signature)
    old = shielded.release(stale, note, position, terms, **args)
    for _ in range(2):                                          # two new roots push the old one out
        car.wallet.scan()
        world.mine(car.wallet.shield(1))
    assert "is not one of the last 2 roots" in world.mine(old).rejected[0][1]
    forged = Wallet(car.keys, world.ledger, world.keys)         # a tree with a commitment never on the ledger
    forged.scan()
    forged.tree.append(Note.new(10**6, car.keys.owner).commitment)
    unknown = shielded.release(forged, note, position, terms, **args)
    assert "is not one of the last 2 roots" in world.mine(unknown).rejected[0][1]
    car.wallet.scan()
    assert not world.mine(shielded.release(car.wallet, note, position, terms, **args)).rejected
    check_conserved(world)


@pytest.mark.slow
def test_over_release_cannot_be_proved_even_with_an_enclave_signature(tmp_path):
    """The circuit itself refuses pay > deposit: a witness claiming it fails the constraint checker."""
    from circuits.crypto.eddsa import PrivateKey
    from circuits.crypto.merkle import MerkleTree
    from circuits.notes import EscrowTerms, SpendingKey, release_message
    enclave = PrivateKey.generate()
    driver, pole = SpendingKey.generate(), SpendingKey.generate()
    terms = EscrowTerms(enclave.public_key, driver.owner, pole.owner, PRICE, 42, 100)
    note = Note.new(DEPOSIT, terms.owner)
    tree = MerkleTree(4)
    pos = tree.append(note.commitment)
    energy = DEPOSIT // PRICE + PACKET                         # more than the deposit pays for
    nf = terms.nullifier(note, pos)
    sig = enclave.sign_poseidon(release_message(42, energy, 7, nf))
    with pytest.raises(WitnessError, match="exceeds the escrow deposit"):
        escrow_release_inputs(note, terms, tree.path(pos), root=tree.root, height=5, mode=RELEASE, energy_wh=energy,
                              final_nonce=7, signature=sig, depth=4)
    honest = escrow_release_inputs(note, terms, tree.path(pos), root=tree.root, height=5, mode=RELEASE,
                                   energy_wh=DEPOSIT // PRICE, final_nonce=7,
                                   signature=enclave.sign_poseidon(release_message(42, DEPOSIT // PRICE, 7, nf)),
                                   depth=4)
    EscrowRelease(depth=4).witness(honest.inputs)
    forged = dict(honest.inputs, energy_wh=energy, sig_r8x=int(sig.r8.x), sig_r8y=int(sig.r8.y), sig_s=sig.s)
    with pytest.raises((UnsatisfiedConstraint, WitnessError, StatementFalse)):
        EscrowRelease(depth=4).witness(forged)


def test_transparent_refund_needs_no_enclave_and_cannot_take_more_or_twice(world):
    from nacl.signing import SigningKey
    world, car, pole = world
    refund_key = SigningKey.generate()
    refund_height = world.ledger.height + 5
    sid = "ab" * 31
    tx = transparent.open_escrow(car.wallet, session_id=sid, deposit=DEPOSIT, pole_id=pole.pole_id,
                                 enclave_id=car.enclave_record["enclave_id"],
                                 refund_key=bytes(refund_key.verify_key).hex(), refund_height=refund_height)
    assert not world.mine(tx).rejected
    car.wallet.scan()
    early = transparent.refund(car.wallet, session_id=sid, balance=DEPOSIT, refund_key=refund_key)
    assert "refund before the deadline" in world.mine(early).rejected[0][1]
    world.mine_until(refund_height)
    car.wallet.scan()
    greedy = transparent.refund(car.wallet, session_id=sid, balance=DEPOSIT + PACKET * PRICE, refund_key=refund_key)
    assert "does not empty the escrow balance" in world.mine(greedy).rejected[0][1]
    wrong_key = transparent.refund(car.wallet, session_id=sid, balance=DEPOSIT, refund_key=SigningKey.generate())
    assert "signature does not verify" in world.mine(wrong_key).rejected[0][1]
    assert not world.mine(transparent.refund(car.wallet, session_id=sid, balance=DEPOSIT,
                                             refund_key=refund_key)).rejected
    car.wallet.scan()
    second = transparent.refund(car.wallet, session_id=sid, balance=DEPOSIT, refund_key=refund_key)
    assert "already refunded" in world.mine(second).rejected[0][1]
    check_conserved(world)


def test_tampered_enclave_is_rejected_and_the_car_never_deposits(tmp_path):
    from enclave_sim import ProgramImage
    from zkescrow.errors import AttestationError
    from zkescrow.escrow.actors import PROGRAM_MODULE, program_image
    from zkescrow.escrow.world import EscrowWorld
    genuine = program_image()
    source = Path(genuine.origin).read_bytes().replace(b"if delivered * s.price > s.deposit:",
                                                       b"if False:")
    assert source != Path(genuine.origin).read_bytes()
    tampered = ProgramImage.from_source(source, origin="tampered_escrow.py")
    assert tampered.measurement != genuine.measurement
    world = EscrowWorld.create(tmp_path, StatementKeys(4), depth=4, funds={"driver": SUPPLY, "operator": 0},
                               program_image=tampered)
    assert not world.enclave_registered
    assert "not an accepted MRENCLAVE" in world.ledger.rejections()[0]["reason"]
    car = world.car("driver")
    with pytest.raises(AttestationError, match="not an accepted MRENCLAVE"):
        car.verify_enclave(world.host)
    assert car.channel is None                                # no channel, so no session and no deposit
    assert world.ledger.store.one("SELECT COUNT(*) AS n FROM escrows")["n"] == 0
    assert world.ledger.balance(world.people["driver"].address) == SUPPLY
    assert PROGRAM_MODULE in genuine.origin.replace("/", ".")


@pytest.mark.slow
def test_total_value_is_constant_across_100_randomized_sessions_with_faults(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "fsync", lambda fd: None)     # durability is tested elsewhere (SIGKILL, crash tests)
    rng = random.Random(20261125)
    keys = StatementKeys(12)
    world, car, pole = make_world(tmp_path / "w", keys, shield=5_000_000)
    counts = {"settled": 0, "refunded": 0}
    for k in range(100):
        mode = MODES[k % 2]
        n = rng.randint(1, 6)
        faults = rng.choice([
            Faults(), Faults(pole_stops_after=rng.randint(0, n)), Faults(car_stops_after=rng.randint(0, n)),
            Faults(forged_reading_at=rng.randint(1, n)), Faults(backwards_reading_at=rng.randint(1, n)),
            Faults(enclave_crash_at=rng.randint(1, n)), Faults(enclave_silent_after=rng.randint(0, n)),
            Faults(double_release=True)])
        deposit = rng.randint(PACKET, 60) * PRICE
        car.wallet.scan()
        driver_before, pole_before = car.wallet.balance(), pole.wallet.balance()
        res = run_session(world, car, pole, mode, deposit=deposit, target_wh=n * PACKET, faults=faults)
        counts[res.outcome] += 1
        if not world.host.running:                     # the operator brings a vanished enclave back
            world.restart_enclave()
        assert res.paid + res.refunded == deposit and res.paid == res.energy_wh * PRICE <= deposit
        if res.outcome == "settled":                   # the pole risks one packet; a dead enclave costs it more
            assert res.delivered_wh - res.energy_wh <= PACKET
        delta, earned = settle_balances(car, pole, driver_before)
        assert delta == -res.paid and earned - pole_before == res.paid
        assert world.ledger.total_value()["total"] == SUPPLY
    assert counts["settled"] > 50 and counts["refunded"] > 0
    check_conserved(world)


KILL_SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[2])
    from escrow_statement_keys import StatementKeys, make_world
    from zkescrow.escrow.scenarios import run_session
    world, car, pole = make_world(sys.argv[1], StatementKeys(12), shield=5_000_000)
    print("ready", flush=True)
    k = 0
    while True:
        run_session(world, car, pole, ("transparent", "shielded")[k % 2], deposit=500, target_wh=30)
        k += 1
""")


@pytest.mark.slow
def test_sigkill_during_escrow_sessions_leaves_a_consistent_ledger(tmp_path):
    script = tmp_path / "sessions.py"
    script.write_text(KILL_SCRIPT)
    tests_dir = str(Path(__file__).parent)
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path / "w"), tests_dir], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(2.5)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    ledger = Ledger(tmp_path / "w" / "ledger")
    ledger.verify_chain()
    assert ledger.total_value()["total"] == SUPPLY
    assert sum(b["n_txs"] for b in ledger.blocks(0)) == len(ledger.transactions(0))
    open_escrows = ledger.store.one("SELECT COALESCE(SUM(balance), 0) AS v FROM escrows WHERE status = 'open'")["v"]
    assert open_escrows == ledger.total_value()["escrow"]


def test_a_session_runs_phase_by_phase_and_the_enclave_refuses_a_phase_out_of_order(world):
    from zkescrow.errors import MalformedInput, WrongState
    from zkescrow.escrow.modes import ESCROW_MODES, ShieldedEscrow, TransparentEscrow, escrow_mode
    from zkescrow.escrow.session import ChargingSession
    assert ESCROW_MODES == {"transparent": TransparentEscrow, "shielded": ShieldedEscrow}
    with pytest.raises(MalformedInput, match="mode must be one of"):
        escrow_mode("hybrid")
    world, car, pole = world
    driver_before = car.wallet.balance()
    session = ChargingSession(world, car, pole, "shielded", deposit=DEPOSIT, target_wh=40)
    assert isinstance(session.escrow, ShieldedEscrow)
    assert session.discover()["price_per_wh"] == PRICE
    session.attest()
    session.open()
    with pytest.raises(WrongState, match="not awaiting funding|takes no more packets"):
        world.call(car, "packet", session.session_id, pole.begin(session.session_id), "00" * 64,
                   world.ledger.height)
    session.fund()
    with pytest.raises(WrongState, match="not awaiting funding"):     # funding twice
        world.call(car, "fund", session.session_id, {}, world.ledger.height)
    with pytest.raises(WrongState, match="not confirmed"):             # no packet before the pole confirms
        world.call(pole, "packet", session.session_id, pole.begin(session.session_id), "00" * 64)
    session.confirm()
    session.stream()
    decision = session.close()
    assert (decision["energy_wh"], decision["pay"]) == (40, 40 * PRICE)
    session.settle()
    session.finish()
    assert session.result.outcome == "settled"
    delta, earned = settle_balances(car, pole, driver_before)
    assert earned == 40 * PRICE and delta == -40 * PRICE
    with pytest.raises(WrongState, match="no session"):
        world.call(car, "status", "ab" * 31)
    check_conserved(world)

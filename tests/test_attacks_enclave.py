"""Attacks on the escrow enclave's trust model (issue 12, findings 1, 2, 5, 6), played through the public API.

Each test plays what an attacker (the car, the host, a stranger) can do with the actors,
the secure channel and the ledger, and asserts that the honest party keeps its value.
Statements are checked natively (``StatementKeys``), so sessions run in seconds.
"""
import shutil

import pytest
from nacl.signing import SigningKey

from circuits.notes import EscrowTerms, Note
from escrow_statement_keys import StatementKeys, make_world
from zkescrow.errors import InvalidSignature, MalformedInput, Refused, RollbackDetected, WrongState
from zkescrow.escrow import shielded, transparent
from zkescrow.escrow.offer import Offer
from zkescrow.escrow.scenarios import run_session
from zkescrow.escrow.session import ChargingSession
from zkescrow.escrow.world import EscrowWorld
from zkescrow.ledger.headers import Header, SignedHeader, merkle_root, tx_leaf
from zkescrow.ledger.wallet import Wallet

PRICE, PACKET = 5, 10
DEPOSIT = 300 * PRICE
SUPPLY = 10_000_000
MODES = ("transparent", "shielded")


def conserved(world) -> None:
    assert world.ledger.total_value()["total"] == SUPPLY
    world.ledger.verify_chain()


def two_pole_world(directory, **options):
    """pole-1 (PRICE per Wh, operator "operator") and pole-2 (1 per Wh, operator "cheap"); a car that shielded."""
    world = EscrowWorld.create(directory, StatementKeys(8), depth=8,
                               funds={"driver": SUPPLY, "operator": 0, "cheap": 0}, **options)
    pole, cheap = world.add_pole("pole-1", "operator", PRICE), world.add_pole("pole-2", "cheap", 1)
    car = world.car("driver")
    car.verify_enclave(world.host)
    car.wallet.scan()
    assert not world.mine(*car.wallet.shield_split(2_000_000)).rejected
    car.wallet.scan()
    return world, car, pole, cheap


def opened_session(world, car, pole, mode="transparent", **kw) -> ChargingSession:
    session = ChargingSession(world, car, pole, mode, deposit=kw.pop("deposit", DEPOSIT),
                              target_wh=kw.pop("target_wh", 60))
    session.discover()
    session.attest()
    return session


def request(session, car, **fields) -> dict:
    height = session.world.ledger.height
    return dict({"session_id": session.session_id, "mode": session.escrow.name, "deposit": session.deposit,
                 "car_key": car.new_session_key(), "driver_owner": str(car.keys.owner),
                 "refund_height": height + 12, "close_height": height + 8}, **fields)


def balances(car, pole):
    car.wallet.scan()
    pole.wallet.scan()
    return car.wallet.balance(), pole.wallet.balance()


# --- finding 1: the car writes the session terms -------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_attack_1_car_names_itself_payee_at_price_1_and_the_pole_is_paid_its_own_price(tmp_path, mode):
    world, car, pole = make_world(tmp_path / "w", StatementKeys(8), price=PRICE)
    session = opened_session(world, car, pole, mode)
    registration = world.registration_evidence(pole.pole_id)
    signed = pole.offer(world.ledger, packet_wh=PACKET)
    mine = {"price_per_wh": 1, "payee_owner": str(car.keys.owner),
            "payee_viewing_key": bytes(car.keys.viewing.public_key).hex()}
    changed = {"offer": dict(signed["offer"], **mine), "signature": signed["signature"]}
    with pytest.raises(InvalidSignature, match="not signed by its operator"):
        world.call(car, "open_session", changed, request(session, car), registration)
    own = Offer.from_json(dict(changed["offer"], operator=car.keys.address)).sign(car.keys.account)
    with pytest.raises(Refused, match="registered operator"):                  # signed, but not by the operator
        world.call(car, "open_session", own, request(session, car), registration)
    with pytest.raises(MalformedInput, match="terms come from the offer"):    # terms of its own beside the offer
        world.call(car, "open_session", signed, request(session, car, price=1, pole_owner=str(car.keys.owner)),
                   registration)
    with pytest.raises(MalformedInput):                                      # the old interface: terms alone
        world.call(car, "open_session", {"session_id": session.session_id, "price": 1}, {})
    driver_before, pole_before = balances(car, pole)
    result = session.run()                                                   # the honest session after all that
    assert (result.outcome, result.energy_wh, result.paid) == ("settled", 60, 60 * PRICE)
    driver_after, pole_after = balances(car, pole)
    assert pole_after - pole_before == 60 * PRICE and driver_before - driver_after == 60 * PRICE
    conserved(world)


def test_attack_1_a_substituted_offer_never_streams_and_the_driver_refunds(tmp_path):
    """The car opens on pole-2's genuine offer (1 per Wh) while plugged into pole-1: pole-1 never confirms,
    the enclave takes no packet, pole-1 delivers nothing and loses nothing; the driver refunds at the deadline."""
    world, car, pole, cheap = two_pole_world(tmp_path / "w")
    session = opened_session(world, car, pole)
    signed_cheap = cheap.offer(world.ledger, packet_wh=PACKET)
    session.offer = car.check_offer(signed_cheap, next(s for s in world.ledger.services() if s["pole_id"] == "pole-2"))
    session.refund_height = world.draw_refund_height()
    session.terms = request(session, car, refund_height=session.refund_height,
                            close_height=session.refund_height - 4)
    session.opened = world.call(car, "open_session", signed_cheap, session.terms,
                                world.registration_evidence("pole-2"))
    funding = transparent.open_escrow(car.wallet, session_id=session.session_id, deposit=DEPOSIT, pole_id="pole-2",
                                      enclave_id=car.enclave_record["enclave_id"],
                                      refund_key=session.terms["car_key"], refund_height=session.refund_height)
    assert not world.mine(funding).rejected
    world.call(car, "fund", session.session_id, transparent.funding_evidence(world, session.session_id))
    ticket = world.call(pole, "session_ticket", session.session_id)["ticket"]
    with pytest.raises(Refused, match="not one of this pole's offers"):
        pole.confirm(ticket)
    go = world.call(pole, "authorize_next", session.session_id, 0)
    assert not go["go"] and "not confirmed" in go["reason"]
    car.start_metering("pole-1", session.session_id)
    begin = pole.begin(session.session_id)
    with pytest.raises(WrongState, match="not confirmed"):
        world.call(car, "packet", session.session_id, begin, car.receipt(begin, pole.meter.public_hex))
    driver_before, pole_before = balances(car, pole)
    session.decision = None
    session._refund()
    driver_after, pole_after = balances(car, pole)
    assert driver_after - driver_before == DEPOSIT and pole_after == pole_before == 0
    conserved(world)


# --- finding 2: a deposit that does not exist ----------------------------------------------------------

def test_attack_2_a_fake_transparent_escrow_record_is_refused(tmp_path):
    world, car, pole = make_world(tmp_path / "w", StatementKeys(8), price=PRICE)
    session = opened_session(world, car, pole)
    session.open()
    sid = session.session_id
    record = {"session_id": sid, "txid": "00" * 32, "deposit": DEPOSIT, "refund_height": session.refund_height,
              "status": "open"}
    with pytest.raises(MalformedInput, match="transaction proof"):          # the car's own record is no proof
        world.call(car, "fund", sid, record)
    body = {"session_id": sid, "public_amount": -DEPOSIT, "refund_height": session.refund_height,
            "enclave": car.enclave_record["enclave_id"], "refund_key": session.terms["car_key"],
            "pole_id": pole.pole_id}
    fake_tx = {"kind": "escrow_open", "body": body, "signature": None}
    real = world.registration_evidence(pole.pole_id)                         # a real proof, of another tx
    with pytest.raises(Refused, match="not in block"):
        world.call(car, "fund", sid, dict(real, tx=fake_tx))
    stranger = SigningKey.generate()                                         # a block of the car's own making
    header = Header.from_json(dict(real["header"]["header"], tx_root=merkle_root([tx_leaf(fake_tx)])))
    own_block = {"tx": fake_tx, "header": SignedHeader(header, [header.sign(stranger)]).to_json(), "index": 0,
                 "proof": []}
    with pytest.raises(Refused, match="authority signature"):
        world.call(car, "fund", sid, own_block)
    go = world.call(pole, "authorize_next", sid, 0)
    assert not go["go"]                                                      # the pole delivers nothing
    assert world.ledger.escrow(sid) is None
    conserved(world)


def test_attack_2_a_shielded_note_not_in_the_tree_is_refused(tmp_path):
    world, car, pole = make_world(tmp_path / "w", StatementKeys(8), price=PRICE)
    session = opened_session(world, car, pole, "shielded")
    session.open()
    sid = session.session_id
    terms = EscrowTerms(car.enclave_eddsa_key, car.keys.owner, pole.keys.owner, PRICE, session.session_value,
                        session.refund_height)
    assert str(terms.owner) == session.opened["escrow_owner"]
    note = Note.new(DEPOSIT, terms.owner)                                    # opened right, never deposited
    forged_tree = Wallet(car.keys, world.ledger, world.keys)
    forged_tree.scan()
    position = forged_tree.tree.append(note.commitment)
    with pytest.raises(Refused, match="not one of the recent roots"):        # a tree the ledger never had
        world.call(car, "fund", sid, shielded.funding_evidence(forged_tree, note, position))
    car.wallet.scan()
    real_root = dict(shielded.funding_evidence(forged_tree, note, position), root=str(car.wallet.tree.root))
    with pytest.raises(Refused, match="not in the note tree"):               # a real root, a path that lies
        world.call(car, "fund", sid, real_root)
    assert not world.call(pole, "authorize_next", sid, 0)["go"]
    conserved(world)


def test_attack_2_a_callers_height_is_ignored_and_the_pole_is_paid(tmp_path):
    """The car names a huge height to expire the session after 30 receipted Wh: the enclave keeps its own
    clock (the headers), the pole closes and is paid for the 30 Wh."""
    world, car, pole = make_world(tmp_path / "w", StatementKeys(8), price=PRICE)
    session = opened_session(world, car, pole, target_wh=30)
    for phase in (session.open, session.fund, session.confirm, session.stream):
        phase()
    sid = session.session_id
    assert world.call(car, "authorize_next", sid, 30, 10**12)["go"]
    with pytest.raises(InvalidSignature):                                    # a stranger's close fails regardless
        world.call(car, "close", sid, "late", 10**12, SigningKey.generate().sign(b"x").signature.hex())
    assert world.call(car, "status", sid)["state"] == "streaming"            # not expired by a caller's height
    _, pole_before = balances(car, pole)
    session.decision = world.call(pole, "close", sid, "pole ends", 10**12, pole.close_authorization(sid))
    session.settle()
    _, pole_after = balances(car, pole)
    assert session.decision["pay"] == 30 * PRICE and pole_after - pole_before == 30 * PRICE
    conserved(world)


# --- finding 5: host rollback --------------------------------------------------------------------------

class SnapshottingHost(ChargingSession):
    """The host copies the whole platform directory (counters + sealed state) after packet 2."""

    def after_packet(self, k):
        if k == 2:
            self.snapshot = self.world.data_dir / "platform-copy"
            shutil.copytree(self.world.data_dir / "platform", self.snapshot)


@pytest.mark.parametrize("mode", MODES)
def test_attack_5_host_restores_the_platform_directory_the_parties_detect_it_and_the_pole_keeps_its_value(
        tmp_path, mode):
    world, car, pole = make_world(tmp_path / "w", StatementKeys(8), price=PRICE)
    session = SnapshottingHost(world, car, pole, mode, deposit=DEPOSIT, target_wh=60)
    for phase in (session.discover, session.attest, session.open, session.fund, session.confirm, session.stream):
        phase()
    sid = session.session_id
    assert pole.receipted_wh(sid) == 60
    world.host.crash()                                                       # the host rewinds the machine
    shutil.rmtree(world.data_dir / "platform")
    shutil.copytree(session.snapshot, world.data_dir / "platform")
    world.host.platform = type(world.host.platform).open(world.data_dir / "platform")
    world.host.launch()
    with pytest.raises(WrongState, match="resume"):                          # nothing runs before the anchor check
        world.host.enclave.call("status", sid)
    world.host.enclave.call("resume", world.host.enclave.counter)            # the host anchors it itself
    with pytest.raises(WrongState, match="held"):                            # a colluding car cannot close early
        world.host.enclave.call("close", sid, "collusion", 0, car.close_authorization(sid))
    with pytest.raises(RollbackDetected):                                    # the car notices
        world.call(car, "status", sid)
    with pytest.raises(RollbackDetected):                                    # ...and so does the pole
        world.call(pole, "status", sid)
    view = pole.recover(world.call, sid)                                     # replays its receipted packets
    assert view["paid_wh"] == 60
    decision = world.call(pole, "close", sid, "rolled back host", 0, pole.close_authorization(sid))
    assert decision["pay"] == 60 * PRICE
    car.recover(world.call, sid)                                             # the car checks what it is charged
    _, pole_before = balances(car, pole)
    session.decision = decision
    session.settle()
    _, pole_after = balances(car, pole)
    assert pole_after - pole_before == 60 * PRICE                            # all 60 receipted Wh paid
    conserved(world)


# --- finding 6: filling the session table ----------------------------------------------------------------

def test_attack_6_a_thousand_junk_opens_do_not_block_an_honest_open(tmp_path):
    world, car, pole = make_world(tmp_path / "w", StatementKeys(8), price=PRICE)
    session = opened_session(world, car, pole, target_wh=30)
    registration = world.registration_evidence(pole.pole_id)
    genuine = pole.offer(world.ledger, packet_wh=PACKET)
    stranger = SigningKey.generate()
    refused = 0
    for k in range(1100):
        sid = f"{k:062x}"
        if k % 3 == 0:                       # a stranger's offer for pole-1
            offer = Offer.from_json(dict(genuine["offer"], operator=bytes(stranger.verify_key).hex(),
                                         offer_id=f"{k:032x}")).sign(stranger)
        elif k % 3 == 1:                     # the pole's genuine offer, replayed
            offer = genuine
        else:                                # garbage
            offer = {"offer": {"pole_id": "pole-1"}, "signature": "00" * 64}
        try:
            world.call(car, "open_session", offer, request(session, car, session_id=sid), registration)
        except (Refused, MalformedInput, InvalidSignature, WrongState):
            refused += 1
    assert refused == 1099                                                   # the genuine offer opened once
    _, pole_before = balances(car, pole)
    result = session.run()
    assert result.outcome == "settled" and result.paid == 30 * PRICE
    _, pole_after = balances(car, pole)
    assert pole_after - pole_before == 30 * PRICE
    conserved(world)


def test_attack_6_stale_and_settled_sessions_are_evicted(tmp_path):
    world, car, pole = make_world(tmp_path / "w", StatementKeys(8), price=PRICE,
                                  program_config={"max_sessions": 3})
    done = run_session(world, car, pole, "transparent", deposit=DEPOSIT, target_wh=20)
    assert done.outcome == "settled"
    stale = []
    for _ in range(2):                       # opened on genuine offers, never funded
        session = opened_session(world, car, pole)
        session.open()
        stale.append(session.session_id)
    late = opened_session(world, car, pole, target_wh=20)
    with pytest.raises(Refused, match="maximum number of sessions"):
        late.open()
    world.mine_until(world.ledger.height + 8)                                # the confirm timeout passes
    result = late.run()
    assert result.outcome == "settled" and result.paid == 20 * PRICE
    for sid in stale:
        with pytest.raises(WrongState, match="no session"):
            world.call(car, "status", sid)
    world.mine_until(done.refund_height + 64)                                # past refund height + evict_after
    with pytest.raises(WrongState, match="no session"):
        world.call(car, "status", done.session_id)
    conserved(world)


def test_attack_6_a_registered_operator_signing_offers_for_its_own_pole_holds_few_slots(tmp_path):
    """An operator who registered a pole signs as many offers as it likes: its pole still holds at most
    ``sessions_per_pole`` live sessions, so the honest pole's session opens and is paid."""
    world, car, pole, cheap = two_pole_world(tmp_path / "w", program_config={"max_sessions": 6,
                                                                              "sessions_per_pole": 3})
    registration = world.registration_evidence("pole-2")
    opened = 0
    for k in range(10):
        session = opened_session(world, car, cheap)
        try:
            world.call(car, "open_session", cheap.offer(world.ledger, packet_wh=PACKET),
                       request(session, car, session_id=f"{k + 1:062x}"), registration)
            opened += 1
        except Refused as exc:
            assert "pole-2 holds its maximum of 3 live sessions" in str(exc)
    assert opened == 3
    _, pole_before = balances(car, pole)
    result = run_session(world, car, pole, "transparent", deposit=DEPOSIT, target_wh=30)
    assert result.outcome == "settled"
    _, pole_after = balances(car, pole)
    assert pole_after - pole_before == 30 * PRICE
    conserved(world)

"""The escrow enclave program on its own, and the OCMF-like meter records it checks."""
import json
import re

import pytest
from nacl.signing import SigningKey, VerifyKey

from enclave_sim.enclave import PROGRAM_SIGNATURE_DOMAIN
from escrow_statement_keys import StatementKeys, make_world
from zkescrow.errors import (EnclaveHalted, InvalidSignature, MalformedInput, Refused, RollbackDetected,
                             WrongState)
from zkescrow.escrow import settlement, transparent
from zkescrow.escrow.actors import Caller, program_image
from zkescrow.escrow.enclave_program import close_message
from zkescrow.escrow.meter import (BEGIN, CHARGING, MeterKey, MeterReading, ReadingLog, ocmf_time, parse_reading,
                                   sign_ack)

SID = "c0" * 31
PRICE, PACKET, DEPOSIT = 7, 10, 700


# --- meter records ----------------------------------------------------------------------------

def test_ocmf_record_round_trip_and_layout():
    meter = MeterKey()
    reading = MeterReading("SIM-1", "pole-1", SID, 3, 1_234_030, CHARGING, 9_816)
    text = meter.sign(reading)
    head, payload, signature = text.split("|")
    assert head == "OCMF"
    body = json.loads(payload)
    assert body["PG"] == "T3" and body["RD"][0] == {"TM": "2026-01-01T12:00:09,816+0000 S", "TX": "C",
                                                    "RV": 1_234_030, "RU": "Wh", "RI": "01-00:01.08.00*FF",
                                                    "ST": "G"}
    assert json.loads(signature)["SA"] == "ED25519"
    assert parse_reading(text, meter.public_hex) == reading
    assert ocmf_time(0) == "2026-01-01T12:00:00,000+0000 S"


def test_ocmf_record_rejects_another_key_a_changed_payload_and_floats():
    meter = MeterKey()
    text = meter.sign(MeterReading("SIM-1", "pole-1", SID, 1, 100, BEGIN, 0))
    with pytest.raises(InvalidSignature):
        parse_reading(text, MeterKey().public_hex)
    with pytest.raises(InvalidSignature):
        parse_reading(text.replace('"RV":100', '"RV":900'), meter.public_hex)
    with pytest.raises(MalformedInput, match="integer number of Wh"):
        parse_reading(text.replace('"RV":100', '"RV":100.5'), meter.public_hex)
    with pytest.raises(MalformedInput):
        parse_reading("OCMF|{}", meter.public_hex)


def test_reading_log_pagination_and_monotone_register():
    log = ReadingLog("pole-1", SID)
    r = lambda page, rv, kind=CHARGING, t=page_time: MeterReading("SIM-1", "pole-1", SID, page, rv, kind, t(page))  # noqa: E731
    with pytest.raises(Refused, match="begin record"):
        log.check(r(1, 100))
    assert log.accept(r(1, 100, BEGIN)) == 0
    assert log.accept(r(2, 110)) == 10 and log.delivered_wh == 10
    with pytest.raises(Refused, match="pagination jumps"):
        log.check(r(4, 120))
    with pytest.raises(Refused, match="goes backwards"):
        log.check(r(3, 105))
    with pytest.raises(Refused, match="another|not this session"):
        log.check(MeterReading("SIM-1", "pole-2", SID, 3, 120, CHARGING, 9))
    with pytest.raises(Refused, match="meter SIM-9"):
        log.check(MeterReading("SIM-9", "pole-1", SID, 3, 120, CHARGING, 9))
    assert ReadingLog.from_dict(log.to_dict()).to_dict() == log.to_dict()


def page_time(page):
    return page * 1000


# --- the enclave program ------------------------------------------------------------------------

class Rig:
    """The escrow enclave of a small world (ledger, registered pole at PRICE), driven directly by its host,
    with the pole's meter and a car session key; the host syncs the enclave's headers before every call."""

    def __init__(self, directory):
        self.world, self.driver, self.pole = make_world(directory, StatementKeys(4), price=PRICE)
        self.meter, self.car = self.pole.meter, SigningKey.generate()
        self.page, self.register = 0, 5_000

    @property
    def enclave(self):
        return self.world.host.enclave

    @property
    def ledger(self):
        return self.world.ledger

    def call(self, method, *args):
        self.world.sync_enclave()
        answer = self.enclave.call(method, *args)
        self.world._saw(answer)
        return answer

    def relaunch(self):
        self.world.host.launch()

    def request(self, sid=SID, *, deposit=DEPOSIT, mode="transparent", refund_delay=20, **extra):
        refund_height = self.ledger.height + refund_delay
        return dict({"session_id": sid, "mode": mode, "deposit": deposit, "car_key": bytes(self.car.verify_key).hex(),
                     "driver_owner": "22", "refund_height": refund_height, "close_height": refund_height - 5}, **extra)

    def open(self, sid=SID, *, offer=None, **kw):
        offer = offer or self.pole.offer(self.ledger, packet_wh=PACKET)
        return self.call("open_session", offer, self.request(sid, **kw),
                         self.world.registration_evidence(self.pole.pole_id))

    def fund(self, sid=SID, deposit=DEPOSIT):
        record = self.enclave._program.sessions[sid]              # the terms the car asked for (test inspection)
        self.driver.wallet.scan()
        tx = transparent.open_escrow(self.driver.wallet, session_id=sid, deposit=deposit, pole_id="pole-1",
                                     enclave_id=self.driver.enclave_record["enclave_id"], refund_key=record.car_key,
                                     refund_height=record.refund_height)
        assert not self.world.mine(tx).rejected
        return self.call("fund", sid, transparent.funding_evidence(self.world, sid))

    def confirm(self, sid=SID):
        ticket = self.call("session_ticket", sid)["ticket"]
        return self.call("confirm_session", sid, self.pole.confirm(ticket))

    def start(self, sid=SID, **kw):
        self.open(sid, **kw)
        self.fund(sid, kw.get("deposit", DEPOSIT))
        self.confirm(sid)

    def reading(self, kind=CHARGING, delta=PACKET, key=None):
        self.page += 1
        self.register += delta
        return (key or self.meter).sign(MeterReading("SIM-1", "pole-1", SID, self.page, self.register, kind,
                                                     self.page * 100))

    def close_auth(self, key=None):
        return (key or self.car).sign(close_message(SID)).signature.hex()

    def packet(self, reading, energy, height=4):
        receipt = sign_ack(self.car, SID, self.page, energy)
        return self.call("packet", SID, reading, receipt, height)


@pytest.fixture
def rig(tmp_path):
    return Rig(tmp_path / "world")


def test_session_lifecycle_release_signature_and_one_payout(rig):
    rig.open()
    with pytest.raises(WrongState, match="not awaiting funding|takes no more packets"):
        rig.packet(rig.reading(BEGIN, 0), 0)
    rig.page, rig.register = 0, 5_000
    with pytest.raises(Refused, match="not an included escrow_open"):          # the car's own "escrow record" is no proof
        rig.call("fund", SID, rig.world.registration_evidence("pole-1"))
    rig.fund()
    with pytest.raises(WrongState, match="not confirmed"):
        rig.packet(rig.reading(BEGIN, 0), 0)
    rig.page, rig.register = 0, 5_000
    rig.confirm()
    rig.packet(rig.reading(BEGIN, 0), 0)
    for k in range(1, 4):
        view = rig.packet(rig.reading(), k * PACKET)
    assert view["paid_wh"] == 30 and view["state"] == "streaming"
    with pytest.raises(InvalidSignature, match="car's or the pole's key"):
        rig.call("close", SID, "a stranger", 6, rig.close_auth(SigningKey.generate()))
    decision = rig.call("close", SID, "driver stop", 6, rig.close_auth())
    assert (decision["energy_wh"], decision["pay"], decision["refund"]) == (30, 30 * PRICE, DEPOSIT - 30 * PRICE)
    assert (decision["escrow"], decision["chain_id"], decision["driver_owner"]) == \
        (rig.ledger.escrow(SID)["txid"], rig.ledger.chain_id, "22")             # this escrow, on this ledger
    signed = settlement.decision_signing_bytes(decision)
    VerifyKey(rig.enclave.public_keys.ed25519).verify(PROGRAM_SIGNATURE_DOMAIN + signed,
                                                      bytes.fromhex(decision["signature"]))
    pay_note, rest = settlement.decision_notes(decision)
    assert (pay_note.value, rest.value, rest.owner) == (30 * PRICE, DEPOSIT - 30 * PRICE, 22)
    assert [str(pay_note.commitment), str(rest.commitment)] == [decision["pay_commitment"],
                                                                decision["refund_commitment"]]
    again = rig.call("close", SID, "again", 7, rig.close_auth())
    by_pole = rig.call("decision", SID, rig.meter.sign_message(close_message(SID)))
    for copy in (again, by_pole):                                            # idempotent, for either party
        assert {k: copy[k] for k in settlement.DECISION_FIELDS + ("signature",)} == \
            {k: decision[k] for k in settlement.DECISION_FIELDS + ("signature",)}
    with pytest.raises(InvalidSignature):
        rig.call("decision", SID, SigningKey.generate().sign(close_message(SID)).signature.hex())
    with pytest.raises(WrongState, match="takes no more packets"):
        rig.packet(rig.reading(), 40)


def test_receipts_meter_signatures_and_the_deposit_cap(rig):
    rig.start(deposit=2 * PACKET * PRICE)
    rig.packet(rig.reading(BEGIN, 0), 0)
    with pytest.raises(InvalidSignature, match="meter"):
        rig.packet(rig.reading(key=MeterKey()), PACKET)
    rig.page -= 1
    rig.register -= PACKET
    reading = rig.reading()
    with pytest.raises(InvalidSignature, match="receipt"):
        rig.call("packet", SID, reading, sign_ack(SigningKey.generate(), SID, rig.page, PACKET), 4)
    with pytest.raises(InvalidSignature, match="receipt"):            # a receipt for less energy than metered
        rig.call("packet", SID, reading, sign_ack(rig.car, SID, rig.page, PACKET - 1), 4)
    rig.packet(reading, PACKET)
    assert rig.call("authorize_next", SID, PACKET, 4)["go"]
    assert not rig.call("authorize_next", SID, 2 * PACKET, 4)["go"]      # unreceipted energy
    rig.packet(rig.reading(), 2 * PACKET)
    verdict = rig.call("authorize_next", SID, 2 * PACKET, 4)
    assert not verdict["go"] and verdict["reason"] == "deposit exhausted"
    with pytest.raises(Refused, match="exceeds the deposit"):
        rig.packet(rig.reading(), 3 * PACKET)
    rig.page -= 1
    rig.register -= PACKET
    with pytest.raises(Refused, match="exceeds the agreed"):
        rig.packet(rig.reading(delta=3 * PACKET), 5 * PACKET)


def test_nothing_is_signed_after_the_refund_height_whatever_height_the_caller_names(rig):
    rig.start(refund_delay=8)
    rig.packet(rig.reading(BEGIN, 0), 0)
    record = rig.enclave._program.sessions[SID]
    assert rig.call("authorize_next", SID, 0, 10**9)["go"]                 # a caller's height means nothing
    rig.world.mine_until(record.close_height)
    assert not rig.call("authorize_next", SID, 0, 0)["go"]                 # past the close height, by the headers
    rig.world.mine_until(record.refund_height)
    with pytest.raises(Refused, match="signs nothing more"):
        rig.call("close", SID, "late", 1, rig.close_auth())              # "height 1" is ignored
    assert rig.call("status", SID)["state"] == "expired"
    with pytest.raises(WrongState, match="expired"):
        rig.call("close", SID, "late", 1, rig.close_auth())


def test_crash_restarts_from_sealed_state_and_rollback_halts(rig):
    rig.start()
    rig.packet(rig.reading(BEGIN, 0), 0)
    rig.packet(rig.reading(), PACKET)
    storage = rig.world.host.platform.host_storage
    slot = rig.enclave.storage_slot
    old_blob = storage.read(slot, "state")
    rig.packet(rig.reading(), 2 * PACKET)
    rig.relaunch()                                                  # crash and restart
    with pytest.raises(WrongState, match="resume"):                 # no session call before the anchor check
        rig.enclave.call("status", SID)
    with pytest.raises(WrongState, match="resume"):
        rig.enclave.call("sync_headers", [])
    assert rig.enclave.call("resume", rig.world.anchor)["counter"] == rig.world.anchor
    assert rig.call("status", SID)["paid_wh"] == 2 * PACKET
    rig.packet(rig.reading(), 3 * PACKET)                           # and the session goes on
    keys = rig.enclave.call("eddsa_key")
    rig.relaunch()
    assert rig.enclave.call("eddsa_key") == keys                    # same attested keys after a restart
    storage.write(slot, "state", old_blob)                          # the host replays an older state
    with pytest.raises(RollbackDetected):
        rig.relaunch()


def test_anchor_mismatch_halts_the_enclave(rig):
    rig.open()
    rig.relaunch()
    with pytest.raises(EnclaveHalted):
        rig.enclave.call("resume", rig.enclave.counter + 3)
    with pytest.raises(EnclaveHalted):
        rig.enclave.call("status", SID)


def test_bad_terms_are_refused(rig):
    with pytest.raises(Refused, match="does not cover one packet"):
        rig.open(deposit=PACKET * PRICE - 1)
    with pytest.raises(MalformedInput, match="session_id"):
        rig.open("xyz")
    with pytest.raises(MalformedInput, match="refund_height"):             # beyond the enclave's bounds
        rig.open(refund_delay=10**6)
    with pytest.raises(MalformedInput, match="terms come from the offer"):
        rig.open(price=1)
    rig.open()
    with pytest.raises(WrongState, match="already exists"):
        rig.open()


def test_measurement_covers_the_program_and_its_helper_modules():
    image = program_image()
    names = [name for name, _ in image.modules]
    assert "zkescrow.escrow.meter" in names and "circuits.notes" in names and "circuits.crypto.eddsa" in names
    assert "zkescrow.ledger.headers" in names and "zkescrow.escrow.offer" in names
    assert image.measurement == program_image().measurement


def test_every_project_module_the_program_imports_is_measured():
    """A helper split out of the program must join ``measured_modules``, or its code would run unmeasured."""
    import ast
    from pathlib import Path
    image = program_image()
    tree = ast.parse(Path(image.origin).read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    ours = {m for m in imported if m.split(".")[0] in ("zkescrow", "circuits") and m != "zkescrow.errors"}
    assert "zkescrow.escrow.enclave_gate" in ours and "zkescrow.escrow.enclave_decision" in ours
    assert ours <= {name for name, _ in image.modules}, ours - {name for name, _ in image.modules}


def test_answers_are_sealed_to_the_caller_so_the_host_reads_nothing(rig):
    from enclave_sim import verify_quote
    from zkescrow.escrow.actors import enclave_policy
    rig.open()
    policy = enclave_policy(rig.world.vendor, rig.world.signer.mrsigner, image=rig.world.expected_image)
    nonce = b"n" * 32
    caller = Caller()
    caller.channel = verify_quote(rig.enclave.attest(nonce), None, policy, nonce).channel()
    relayed = []

    def host(request):                                   # the untrusted host sees both directions
        relayed.append(request)
        relayed.append(rig.enclave.handle(request))
        return relayed[-1]
    sealed = caller.channel.call(host, "status", SID, reply_key=caller.reply_public_hex)
    assert set(sealed) == {"sealed"}
    assert caller.open_reply(sealed)["deposit"] == DEPOSIT
    # hex blobs (ciphertexts, signatures) may contain any digit string by chance: look only outside them
    outside_hex = re.sub(rb"[0-9a-f]{16,}", b"", relayed[1])
    assert b"deposit" not in relayed[0] and b"deposit" not in relayed[1] and str(DEPOSIT).encode() not in outside_hex
    with pytest.raises(MalformedInput, match="does not open"):
        Caller().open_reply(sealed)


def test_session_records_round_trip_their_sealed_encoding_and_refuse_other_versions(rig):
    from zkescrow.errors import SealingError
    from zkescrow.escrow.enclave_state import SESSION_RECORD_VERSION, Phase, SessionRecord
    rig.start()
    rig.packet(rig.reading(BEGIN, 0), 0)
    rig.packet(rig.reading(), PACKET)
    rig.call("close", SID, "driver stop", 6, rig.close_auth())
    rig.relaunch()                                   # the state comes back through from_sealed
    rig.enclave.call("resume", rig.world.anchor)
    assert rig.call("status", SID)["state"] == "closing"
    record = SessionRecord(SID, "shielded", "pole-1", PRICE, DEPOSIT, PACKET, "ab" * 32, "cd" * 32, 7, 8, 50, 40)
    record.phase, record.paid_wh = Phase.STREAMING, PACKET
    sealed = json.loads(json.dumps(record.to_sealed()))
    assert sealed["version"] == SESSION_RECORD_VERSION
    assert SessionRecord.from_sealed(sealed).to_sealed() == sealed
    for version in (None, SESSION_RECORD_VERSION + 1, str(SESSION_RECORD_VERSION)):
        with pytest.raises(SealingError, match="version"):
            SessionRecord.from_sealed(dict(sealed, version=version))


def test_the_measurement_pins_the_ledger_and_the_enclave_takes_only_its_authoritys_headers(rig, tmp_path):
    from zkescrow.ledger.headers import Header, SignedHeader
    other, _, _ = make_world(tmp_path / "other", StatementKeys(4), price=PRICE)
    assert program_image(ledger=rig.ledger).measurement == rig.world.expected_image.measurement
    assert program_image(ledger=other.ledger).measurement != rig.world.expected_image.measurement
    assert program_image().measurement != rig.world.expected_image.measurement
    tip = rig.call("sync_headers", [])["tip"]
    other.mine_until(tip + 1)
    with pytest.raises(MalformedInput, match="is for chain"):               # another ledger's header
        rig.enclave.call("sync_headers", [other.ledger.header(tip + 1).to_json()])
    rig.world.mine()
    real = rig.ledger.header(tip + 1)
    forged = Header.from_json(dict(real.header.to_json(), note_root="12345"))
    with pytest.raises(InvalidSignature, match="authority signature"):      # right chain, not its authority
        rig.enclave.call("sync_headers", [SignedHeader(forged, [forged.sign(SigningKey.generate())]).to_json()])
    assert rig.enclave.call("sync_headers", [])["tip"] == tip               # neither moved the enclave's clock
    assert rig.enclave.call("sync_headers", [real.to_json()])["tip"] == tip + 1

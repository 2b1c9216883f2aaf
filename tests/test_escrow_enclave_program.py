"""The escrow enclave program on its own, and the OCMF-like meter records it checks."""
import json
import re

import pytest
from nacl.signing import SigningKey

from circuits.crypto.eddsa import PublicKey, Signature
from circuits.notes import release_message
from enclave_sim import EnclaveSigner, Platform, Vendor
from zkescrow.errors import (EnclaveHalted, InvalidSignature, MalformedInput, Refused, RollbackDetected,
                             WrongState)
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
    """One escrow enclave on a simulated platform, with a pole meter and a car key."""

    def __init__(self, directory):
        self.vendor = Vendor.create()
        self.platform = Platform.create(directory, self.vendor)
        self.image = program_image()
        self.sigstruct = EnclaveSigner.generate().sign(self.image, product_id=1, svn=1)
        self.enclave = self.platform.launch(self.image, self.sigstruct)
        self.meter, self.car = MeterKey(), SigningKey.generate()
        self.page, self.register = 0, 5_000

    def relaunch(self):
        self.enclave = Platform.open(self.platform.directory).launch(self.image, self.sigstruct)

    def open(self, sid=SID, *, deposit=DEPOSIT, mode="transparent", refund_height=50):
        return self.enclave.call("open_session", {
            "session_id": sid, "mode": mode, "pole_id": "pole-1", "price": PRICE, "deposit": deposit,
            "packet_wh": PACKET, "meter_key": self.meter.public_hex, "car_key": bytes(self.car.verify_key).hex(),
            "pole_owner": "11", "driver_owner": "22", "refund_height": refund_height,
            "close_height": refund_height - 5})

    def fund(self, sid=SID, deposit=DEPOSIT, refund_height=50):
        return self.enclave.call("fund", sid, {"session_id": sid, "txid": "00", "deposit": deposit,
                                               "refund_height": refund_height, "status": "open"}, 3)

    def reading(self, kind=CHARGING, delta=PACKET, key=None):
        self.page += 1
        self.register += delta
        return (key or self.meter).sign(MeterReading("SIM-1", "pole-1", SID, self.page, self.register, kind,
                                                     self.page * 100))

    def close_auth(self, key=None):
        return (key or self.car).sign(close_message(SID)).signature.hex()

    def packet(self, reading, energy, height=4):
        receipt = sign_ack(self.car, SID, self.page, energy)
        return self.enclave.call("packet", SID, reading, receipt, height)


@pytest.fixture
def rig(tmp_path):
    return Rig(tmp_path / "platform")


def test_session_lifecycle_release_signature_and_one_payout(rig):
    rig.open()
    with pytest.raises(WrongState, match="not awaiting funding|takes no more packets"):
        rig.packet(rig.reading(BEGIN, 0), 0)
    rig.page, rig.register = 0, 5_000
    with pytest.raises(Refused, match="does not match"):
        rig.enclave.call("fund", SID, {"session_id": SID, "deposit": DEPOSIT + 1, "refund_height": 50,
                                       "status": "open"}, 3)
    rig.fund()
    rig.packet(rig.reading(BEGIN, 0), 0)
    for k in range(1, 4):
        view = rig.packet(rig.reading(), k * PACKET)
    assert view["paid_wh"] == 30 and view["state"] == "streaming"
    with pytest.raises(InvalidSignature, match="car's or the pole's key"):
        rig.enclave.call("close", SID, "a stranger", 6, rig.close_auth(SigningKey.generate()))
    decision = rig.enclave.call("close", SID, "driver stop", 6, rig.close_auth())
    assert (decision["energy_wh"], decision["pay"], decision["refund"]) == (30, 30 * PRICE, DEPOSIT - 30 * PRICE)
    key = PublicKey.unpack(bytes.fromhex(rig.enclave.call("eddsa_key")["eddsa_key"]))
    msg = release_message(int(SID, 16), 30, decision["final_nonce"])
    assert key.verify_poseidon(msg, Signature.unpack(bytes.fromhex(decision["signature"])))
    again = rig.enclave.call("close", SID, "again", 7, rig.close_auth())
    assert again["signature"] == decision["signature"]                       # idempotent
    with pytest.raises(WrongState, match="takes no more packets"):
        rig.packet(rig.reading(), 40)


def test_receipts_meter_signatures_and_the_deposit_cap(rig):
    rig.open(deposit=2 * PACKET * PRICE)
    rig.fund(deposit=2 * PACKET * PRICE)
    rig.packet(rig.reading(BEGIN, 0), 0)
    with pytest.raises(InvalidSignature, match="meter"):
        rig.packet(rig.reading(key=MeterKey()), PACKET)
    rig.page -= 1
    rig.register -= PACKET
    reading = rig.reading()
    with pytest.raises(InvalidSignature, match="receipt"):
        rig.enclave.call("packet", SID, reading, sign_ack(SigningKey.generate(), SID, rig.page, PACKET), 4)
    with pytest.raises(InvalidSignature, match="receipt"):            # a receipt for less energy than metered
        rig.enclave.call("packet", SID, reading, sign_ack(rig.car, SID, rig.page, PACKET - 1), 4)
    rig.packet(reading, PACKET)
    assert rig.enclave.call("authorize_next", SID, PACKET, 4)["go"]
    assert not rig.enclave.call("authorize_next", SID, 2 * PACKET, 4)["go"]      # unreceipted energy
    rig.packet(rig.reading(), 2 * PACKET)
    verdict = rig.enclave.call("authorize_next", SID, 2 * PACKET, 4)
    assert not verdict["go"] and verdict["reason"] == "deposit exhausted"
    with pytest.raises(Refused, match="exceeds the deposit"):
        rig.packet(rig.reading(), 3 * PACKET)
    rig.page -= 1
    rig.register -= PACKET
    with pytest.raises(Refused, match="exceeds the agreed"):
        rig.packet(rig.reading(delta=3 * PACKET), 5 * PACKET)


def test_nothing_is_signed_after_the_refund_height(rig):
    rig.open(refund_height=20)
    rig.fund(refund_height=20)
    rig.packet(rig.reading(BEGIN, 0), 0)
    assert not rig.enclave.call("authorize_next", SID, 0, 15)["go"]            # past the close height
    with pytest.raises(Refused, match="signs nothing more"):
        rig.enclave.call("close", SID, "late", 20, rig.close_auth())
    assert rig.enclave.call("status", SID)["state"] == "expired"
    with pytest.raises(WrongState, match="expired"):
        rig.enclave.call("close", SID, "late", 10, rig.close_auth())


def test_crash_restarts_from_sealed_state_and_rollback_halts(rig):
    rig.open()
    rig.fund()
    rig.packet(rig.reading(BEGIN, 0), 0)
    rig.packet(rig.reading(), PACKET)
    slot = rig.enclave.storage_slot
    old_blob = rig.platform.host_storage.read(slot, "state")
    view = rig.packet(rig.reading(), 2 * PACKET)
    rig.relaunch()                                                  # crash and restart
    assert rig.enclave.call("resume", view["counter"])["counter"] == view["counter"]
    assert rig.enclave.call("status", SID)["paid_wh"] == 2 * PACKET
    rig.packet(rig.reading(), 3 * PACKET)                           # and the session goes on
    keys = rig.enclave.call("eddsa_key")
    rig.relaunch()
    assert rig.enclave.call("eddsa_key") == keys                    # same attested keys after a restart
    rig.platform.host_storage.write(slot, "state", old_blob)        # the host replays an older state
    with pytest.raises(RollbackDetected):
        rig.relaunch()


def test_anchor_mismatch_halts_the_enclave(rig):
    rig.open()
    with pytest.raises(EnclaveHalted):
        rig.enclave.call("resume", rig.enclave.counter + 3)
    with pytest.raises(EnclaveHalted):
        rig.enclave.call("status", SID)


def test_bad_terms_are_refused(rig):
    with pytest.raises(Refused, match="does not cover one packet"):
        rig.open(deposit=PACKET * PRICE - 1)
    with pytest.raises(MalformedInput, match="session_id"):
        rig.open("xyz")
    rig.open()
    with pytest.raises(WrongState, match="already exists"):
        rig.open()


def test_measurement_covers_the_program_and_its_helper_modules():
    image = program_image()
    names = [name for name, _ in image.modules]
    assert "zkescrow.escrow.meter" in names and "circuits.notes" in names and "circuits.crypto.eddsa" in names
    assert image.measurement == program_image().measurement


def test_answers_are_sealed_to_the_caller_so_the_host_reads_nothing(rig):
    from enclave_sim import verify_quote
    from zkescrow.escrow.actors import enclave_policy
    rig.open()
    policy = enclave_policy(rig.vendor, rig.sigstruct.mrsigner)
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
    rig.open()
    rig.fund()
    rig.packet(rig.reading(BEGIN, 0), 0)
    rig.packet(rig.reading(), PACKET)
    rig.enclave.call("close", SID, "driver stop", 6, rig.close_auth())
    rig.relaunch()                                   # the state comes back through from_sealed
    assert rig.enclave.call("status", SID)["state"] == "closing"
    record = SessionRecord(SID, "shielded", "pole-1", PRICE, DEPOSIT, PACKET, "ab" * 32, "cd" * 32, 7, 8, 50, 40)
    record.phase, record.paid_wh = Phase.STREAMING, PACKET
    sealed = json.loads(json.dumps(record.to_sealed()))
    assert sealed["version"] == SESSION_RECORD_VERSION
    assert SessionRecord.from_sealed(sealed).to_sealed() == sealed
    for version in (None, SESSION_RECORD_VERSION + 1, str(SESSION_RECORD_VERSION)):
        with pytest.raises(SealingError, match="version"):
            SessionRecord.from_sealed(dict(sealed, version=version))

"""The parties of a charging session: the enclave's host, the charging pole, and the car.

* ``EnclaveHost`` runs the escrow program on a (simulated) TEE platform, registers it on
  the ledger, relays secure-channel messages, and can crash and restart it.
* ``Pole`` is a registered charging service: an operator account that registered it,
  a meter that signs OCMF readings with the registered meter key, and a shielded
  wallet that receives its earnings.
* ``Car`` holds the driver's wallet, picks a pole from the service registry, verifies
  the enclave's quote against its own pinned expectations, deposits, and receipts
  each packet after checking the meter's signature.

They talk to the enclave only through the secure channel (requests encrypted to the
attested X25519 key, answers signed by the attested Ed25519 key).
"""
from __future__ import annotations

import json
import secrets
from pathlib import Path

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey as BoxPrivateKey
from nacl.public import SealedBox
from nacl.signing import SigningKey

from circuits.crypto.eddsa import PublicKey as EddsaPublicKey
from enclave_sim import (EnclaveSigner, Platform, Policy, ProgramImage, Quote, verify_quote)
from zkescrow.errors import AttestationError, MalformedInput, Refused, RollbackDetected, WrongState
from zkescrow.ledger.keys import WalletKeys
from zkescrow.ledger.transactions import Transaction
from zkescrow.ledger.wallet import Wallet

from .meter import BEGIN, CHARGING, END, MeterKey, MeterReading, ReadingLog, parse_reading, sign_ack
from .offer import Offer, confirm_ticket, verify_offer

PROGRAM_MODULE = "zkescrow.escrow.enclave_program"
CLOSE_DOMAIN = b"zkescrow/escrow/close-session/v1\x00"        # = enclave_gate.CLOSE_DOMAIN
PRODUCT_ID, SVN = 1, 1


def program_image(source: str | Path | None = None, *, ledger=None, config: dict | None = None) -> ProgramImage:
    """The escrow program as measured (``source``: another program file, e.g. a tampered build).

    ``ledger`` pins the build to that ledger: its chain id, authority keys, threshold and note tree
    depth go into the measured config (so the measurement commits to which chain the enclave follows);
    ``config`` overrides further config fields (bounds).  A verifier computes the same image itself.
    """
    ref = str(source) if source is not None else PROGRAM_MODULE
    image = ProgramImage.load(ref)
    if ledger is None and not config:
        return image
    chosen = dict(image.config, **(config or {}))
    if ledger is not None:
        chosen.update(chain_id=ledger.chain_id, authorities=list(ledger.authorities), threshold=ledger.threshold,
                      note_tree_depth=ledger.depth)
    return ProgramImage.load(ref, config=chosen)


def enclave_policy(vendor, signer_mrsigner: bytes, *, image: ProgramImage | None = None) -> Policy:
    """What a verifier accepts: exactly the escrow program's measurement, by its signer, on an up-to-date
    platform of ``vendor`` (checked against the vendor's CRL), no debug."""
    image = image or program_image()
    return Policy(measurements={image.measurement}, signer=signer_mrsigner, product_id=PRODUCT_ID, min_svn=SVN,
                  root_ca=vendor.root_certificate, revocation_lists=[vendor.crl()])


class Caller:
    """A party that calls the enclave over a secure channel and has its answers sealed to itself.

    It remembers the highest enclave counter it was shown and refuses any answer with a lower one
    (``RollbackDetected``): the host restored older enclave state (e.g. the whole platform directory).
    """

    channel = None

    def __init__(self):
        self.reply_key = BoxPrivateKey.generate()
        self.highest_counter = 0

    @property
    def reply_public_hex(self) -> str:
        return bytes(self.reply_key.public_key).hex()

    def open_reply(self, result):
        """The enclave's answer: a sealed one is opened with this party's reply key."""
        if isinstance(result, dict) and set(result) == {"sealed"}:
            try:
                result = json.loads(SealedBox(self.reply_key).decrypt(bytes.fromhex(result["sealed"])))
            except (CryptoError, ValueError) as exc:
                raise MalformedInput(f"sealed enclave answer does not open: {exc}") from None
        self.check_counter(result)
        return result

    def check_counter(self, result) -> None:
        """RollbackDetected if the answer carries a counter below the highest this party saw."""
        counter = result.get("counter") if isinstance(result, dict) else None
        if isinstance(counter, int) and not isinstance(counter, bool):
            if counter < self.highest_counter:
                raise RollbackDetected(f"the enclave answers at counter {counter}, but this party saw "
                                       f"{self.highest_counter}: its state was rolled back")
            self.highest_counter = counter


class EnclaveHost:
    """The machine that runs the escrow enclave (untrusted host + trusted program)."""

    def __init__(self, platform_dir: str | Path, vendor, signer: EnclaveSigner, *, image: ProgramImage | None = None,
                 debug: bool = False):
        self.platform = Platform.open_or_create(platform_dir, vendor)
        self.image = image or program_image()
        self.sigstruct = signer.sign(self.image, product_id=PRODUCT_ID, svn=SVN)
        self.debug = debug
        self.enclave = None
        self.launch()

    def launch(self) -> None:
        """EINIT and restore the latest sealed state."""
        self.enclave = self.platform.launch(self.image, self.sigstruct, debug=self.debug)

    def crash(self) -> None:
        """The process dies: everything not sealed is gone."""
        self.enclave = None

    @property
    def running(self) -> bool:
        return self.enclave is not None and not self.enclave.halted

    def transport(self, request: bytes) -> bytes:
        """Deliver one secure-channel request to the enclave (what the host's network stack does)."""
        if self.enclave is None:
            raise WrongState("the enclave is not running")
        return self.enclave.handle(request)

    def registration(self, ledger) -> Transaction:
        """A register_enclave transaction: a quote whose nonce is the ledger's tip hash, plus the EdDSA key."""
        nonce = ledger.tip_hash
        quote = self.enclave.attest(bytes.fromhex(nonce))
        keys = self.enclave.call("eddsa_key")
        return Transaction("register_enclave", {"quote": quote.to_dict(), "nonce": nonce, **keys})


class Pole(Caller):
    """A charging pole: registry entry, signing meter, and a wallet for its earnings."""

    def __init__(self, pole_id: str, operator: WalletKeys, price_per_wh: int, *, location: str = "52.5200N,13.4050E",
                 power_w: int = 11_000, register_wh: int = 1_234_000):
        super().__init__()
        self.pole_id = pole_id
        self.operator = operator
        self.keys = WalletKeys.generate()            # the pole's own shielded wallet
        self.price_per_wh = price_per_wh
        self.location = location
        self.power_w = power_w
        self.meter = MeterKey()
        self.meter_serial = f"SIM-{secrets.token_hex(4).upper()}"
        self.register_wh = register_wh                # the calibrated register, integer Wh
        self.clock_ms = 0
        self.page = 0
        self.session_id = None
        self.channel = None
        self.wallet = None
        self.offers: dict[str, Offer] = {}            # offer hash -> the offers this pole made
        self.sessions: dict[str, dict] = {}           # session id -> offer, ticket, confirmation, packets

    def registration(self, nonce: int, chain_id: str) -> Transaction:
        body = {"pole_id": self.pole_id, "operator": self.operator.address, "price_per_wh": self.price_per_wh,
                "location": self.location, "meter_key": self.meter.public_hex, "nonce": nonce}
        return Transaction("register_service", body).signed(self.operator.account, chain_id)

    def _reading(self, kind: str, register_wh: int | None = None, *, forged: bool = False) -> str:
        self.page += 1
        reading = MeterReading(self.meter_serial, self.pole_id, self.session_id, self.page,
                               self.register_wh if register_wh is None else register_wh, kind, self.clock_ms)
        return (MeterKey() if forged else self.meter).sign(reading)

    # --- offers and sessions ------------------------------------------------------------------

    def offer(self, ledger, *, packet_wh: int, validity: int = 64) -> dict:
        """A fresh signed offer (this pole's registered terms, its payment address) valid for ``validity`` blocks."""
        offer = Offer.new(pole_id=self.pole_id, operator=self.operator.address, price_per_wh=self.price_per_wh,
                          payee_owner=self.keys.owner, payee_viewing_key=bytes(self.keys.viewing.public_key).hex(),
                          meter_key=self.meter.public_hex, packet_wh=packet_wh,
                          valid_until=ledger.height + validity, chain_id=ledger.chain_id)
        self.offers[offer.hash()] = offer
        return offer.sign(self.operator.account)

    def confirm(self, ticket: dict) -> str:
        """Check the enclave's session ticket against this pole's own offers; the operator's confirmation.

        Refused when the ticket names an offer this pole never made (a substituted offer: no energy flows).
        """
        offer = self.offers.get(ticket.get("offer_hash")) if isinstance(ticket, dict) else None
        if offer is None:
            raise Refused("the session's terms are not one of this pole's offers: the pole delivers nothing")
        if ticket["chain_id"] != offer.chain_id or ticket["deposit"] < offer.packet_wh * offer.price_per_wh:
            raise Refused("the session ticket does not fit this pole's offer")
        signature = confirm_ticket(ticket, self.operator.account)
        self.sessions[ticket["session_id"]] = {"offer": offer, "ticket": ticket, "confirmation": signature,
                                               "packets": []}
        return signature

    def keep(self, session_id: str, reading: str, receipt: str) -> None:
        """Keep a receipted packet: the evidence this pole replays if the enclave's state is rolled back."""
        self.sessions[session_id]["packets"].append((reading, receipt))

    def receipted_wh(self, session_id: str) -> int:
        """Energy of this session the car receipted, by this pole's own records."""
        pages = [parse_reading(r, self.meter.public_hex) for r, _ in self.sessions[session_id]["packets"]]
        return pages[-1].register_wh - pages[0].register_wh if pages else 0

    def recover(self, call, session_id: str) -> dict:
        """After a detected rollback: accept the enclave's current state knowingly, re-confirm the session and
        replay this pole's receipted packets it lost; Refused unless the enclave then counts all of them."""
        record = self.sessions[session_id]
        self.highest_counter = 0
        view = call(self, "status", session_id)
        if not view["confirmed"]:
            view = call(self, "confirm_session", session_id, record["confirmation"])
        for reading, receipt in record["packets"]:
            if view["page"] is None or parse_reading(reading, self.meter.public_hex).page > view["page"]:
                view = call(self, "packet", session_id, reading, receipt)
        if view["paid_wh"] != self.receipted_wh(session_id):
            raise Refused(f"after replay the enclave counts {view['paid_wh']} Wh, the pole's receipts "
                          f"{self.receipted_wh(session_id)} Wh")
        if view["held"]:
            ticket = call(self, "session_ticket", session_id)
            if ticket["ticket"] != record["ticket"]:
                raise Refused("the enclave's ticket for this session is not the one the pole confirmed")
            view = call(self, "confirm_session", session_id,
                        confirm_ticket(ticket["ticket"], self.operator.account, ticket["epoch"]))
        return view

    # --- metering --------------------------------------------------------------------------------

    def begin(self, session_id: str) -> str:
        """The begin record (TX=B) of a new charging transaction."""
        self.session_id, self.page = session_id, 0
        return self._reading(BEGIN)

    def deliver(self, packet_wh: int, *, forged: bool = False, backwards: bool = False) -> str:
        """Deliver one packet and return the meter's signed reading of it.

        ``forged``: the record is signed by a key that is not the registered meter key;
        ``backwards``: the record shows the register lower than before (a faulty or lying meter).
        """
        self.clock_ms += packet_wh * 3_600_000 // self.power_w
        if backwards:
            return self._reading(CHARGING, self.register_wh - packet_wh)
        self.register_wh += packet_wh
        return self._reading(CHARGING, forged=forged)

    def end(self) -> str:
        return self._reading(END)

    def close_authorization(self, session_id: str) -> str:
        """The meter key's signature that lets the pole close a session or fetch its decision."""
        return self.meter.sign_message(CLOSE_DOMAIN + session_id.encode())


class Car(Caller):
    """The driver's side: wallet, pinned attestation expectations, per-session keys."""

    def __init__(self, keys: WalletKeys, ledger, circuit_keys, *, vendor, signer_mrsigner: bytes,
                 program_config: dict | None = None):
        super().__init__()
        self.program_config = program_config
        self.keys = keys
        self.wallet = Wallet(keys, ledger, circuit_keys)
        self.ledger = ledger
        self.vendor = vendor
        self.signer_mrsigner = signer_mrsigner
        self.verified = None
        self.enclave_record = None
        self.channel = None
        self.session_key = None
        self.meter_log = None

    # --- discovery and attestation -------------------------------------------------------------

    def discover(self, max_price: int | None = None) -> list[dict]:
        """Registered poles, cheapest first, then by reputation (settled sessions)."""
        poles = [s for s in self.ledger.services() if max_price is None or s["price_per_wh"] <= max_price]
        return sorted(poles, key=lambda s: (s["price_per_wh"], -s["sessions"], s["pole_id"]))

    def verify_enclave(self, host: EnclaveHost) -> dict:
        """Check the enclave twice: its ledger registration, and a fresh quote for the car's own nonce.

        The car pins the vendor root and computes the expected MRENCLAVE itself from the
        escrow program's source and the ledger it follows (chain id and authority keys: a
        reproducible build).  AttestationError if anything differs:
        then the car never deposits.
        """
        policy = enclave_policy(self.vendor, self.signer_mrsigner,
                                image=program_image(ledger=self.ledger, config=self.program_config))
        nonce = secrets.token_bytes(32)
        verified = verify_quote(host.enclave.attest(nonce), None, policy, nonce)
        record = self.ledger.enclave(verified.keys.ed25519.hex())
        if record is None:
            raise AttestationError("the attested enclave is not registered on the ledger")
        stored = Quote.from_json(record["quote"])        # its freshness was checked by the ledger
        registered = verify_quote(stored, None, policy, stored.nonce)
        if registered.keys != verified.keys:
            raise AttestationError("the ledger registration and the fresh quote present different keys")
        keys = host.enclave.call("eddsa_key")
        if keys["eddsa_key"] != record["eddsa_key"]:
            raise AttestationError("the enclave's EdDSA key differs from its registration")
        self.verified, self.enclave_record = verified, record
        self.channel = verified.channel()
        return {"measurement": verified.identity.mrenclave.hex(), "signer": verified.identity.mrsigner.hex(),
                "tcb_level": verified.tcb_level, "enclave_id": record["enclave_id"], "debug": verified.identity.debug}

    @property
    def enclave_eddsa_key(self) -> EddsaPublicKey:
        return EddsaPublicKey.unpack(bytes.fromhex(self.enclave_record["eddsa_key"]))

    # --- charging ------------------------------------------------------------------------------

    def check_offer(self, signed: dict, service: dict) -> Offer:
        """The pole's offer if its operator signed it and it is the pole's registry entry (the car's own check)."""
        offer = verify_offer(signed)
        if (offer.pole_id, offer.operator, offer.price_per_wh, offer.meter_key) != \
                (service["pole_id"], service["operator"], service["price_per_wh"], service["meter_key"]):
            raise Refused("the pole's offer does not match its registry entry")
        if offer.chain_id != self.ledger.chain_id or offer.valid_until <= self.ledger.height:
            raise Refused("the pole's offer is for another ledger or expired")
        return offer

    def new_session_key(self) -> str:
        self.session_key = SigningKey.generate()
        return bytes(self.session_key.verify_key).hex()

    def start_metering(self, pole_id: str, session_id: str) -> None:
        self.meter_log = ReadingLog(pole_id, session_id)

    def receipt(self, reading: str, meter_key_hex: str) -> str:
        """Check the meter's reading (signature, pagination, monotone register) and sign the receipt.

        MalformedInput / InvalidSignature / Refused when the reading is not acceptable: the car then pays nothing more.
        """
        parsed = parse_reading(reading, meter_key_hex)
        self.meter_log.check(parsed)
        self.meter_log.accept(parsed)
        return sign_ack(self.session_key, self.meter_log.session_id, parsed.page, self.meter_log.delivered_wh)

    def recover(self, call, session_id: str) -> dict:
        """After a detected rollback (once the pole replayed its receipts): accept the enclave's current state
        knowingly if it charges no more energy than this car receipted."""
        self.highest_counter = 0
        view = call(self, "status", session_id)
        if view["paid_wh"] > self.meter_log.delivered_wh:
            raise Refused(f"the enclave charges {view['paid_wh']} Wh, the car receipted "
                          f"{self.meter_log.delivered_wh} Wh")
        return view

    def close_authorization(self, session_id: str) -> str:
        """The session key's signature that lets the enclave close this session."""
        return self.session_key.sign(CLOSE_DOMAIN + session_id.encode()).signature.hex()

    def refund_key(self) -> SigningKey:
        """The per-session key that may refund a transparent escrow after its deadline."""
        return self.session_key

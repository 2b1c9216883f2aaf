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
from zkescrow.errors import AttestationError, MalformedInput, WrongState
from zkescrow.ledger.keys import WalletKeys
from zkescrow.ledger.transactions import Transaction
from zkescrow.ledger.wallet import Wallet

from .meter import BEGIN, CHARGING, END, MeterKey, MeterReading, ReadingLog, parse_reading, sign_ack

PROGRAM_MODULE = "zkescrow.escrow.enclave_program"
CLOSE_DOMAIN = b"zkescrow/escrow/close-session/v1\x00"        # = enclave_program.CLOSE_DOMAIN
PRODUCT_ID, SVN = 1, 1


def program_image(source: str | Path | None = None) -> ProgramImage:
    """The escrow program as measured (``source``: another program file, e.g. a tampered build)."""
    return ProgramImage.load(str(source) if source is not None else PROGRAM_MODULE)


def enclave_policy(vendor, signer_mrsigner: bytes, *, image: ProgramImage | None = None) -> Policy:
    """What a verifier accepts: exactly the escrow program's measurement, by its signer, on an up-to-date
    platform of ``vendor`` (checked against the vendor's CRL), no debug."""
    image = image or program_image()
    return Policy(measurements={image.measurement}, signer=signer_mrsigner, product_id=PRODUCT_ID, min_svn=SVN,
                  root_ca=vendor.root_certificate, revocation_lists=[vendor.crl()])


class Caller:
    """A party that calls the enclave over a secure channel and has its answers sealed to itself."""

    channel = None

    def __init__(self):
        self.reply_key = BoxPrivateKey.generate()

    @property
    def reply_public_hex(self) -> str:
        return bytes(self.reply_key.public_key).hex()

    def open_reply(self, result):
        """The enclave's answer: a sealed one is opened with this party's reply key."""
        if isinstance(result, dict) and set(result) == {"sealed"}:
            try:
                return json.loads(SealedBox(self.reply_key).decrypt(bytes.fromhex(result["sealed"])))
            except (CryptoError, ValueError) as exc:
                raise MalformedInput(f"sealed enclave answer does not open: {exc}") from None
        return result


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

    def registration(self, nonce: int) -> Transaction:
        body = {"pole_id": self.pole_id, "operator": self.operator.address, "price_per_wh": self.price_per_wh,
                "location": self.location, "meter_key": self.meter.public_hex, "nonce": nonce}
        return Transaction("register_service", body).signed(self.operator.account)

    def _reading(self, kind: str, register_wh: int | None = None, *, forged: bool = False) -> str:
        self.page += 1
        reading = MeterReading(self.meter_serial, self.pole_id, self.session_id, self.page,
                               self.register_wh if register_wh is None else register_wh, kind, self.clock_ms)
        return (MeterKey() if forged else self.meter).sign(reading)

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


class Car(Caller):
    """The driver's side: wallet, pinned attestation expectations, per-session keys."""

    def __init__(self, keys: WalletKeys, ledger, circuit_keys, *, vendor, signer_mrsigner: bytes):
        super().__init__()
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
        escrow program's source (a reproducible build).  AttestationError if anything differs:
        then the car never deposits.
        """
        policy = enclave_policy(self.vendor, self.signer_mrsigner)
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

    def close_authorization(self, session_id: str) -> str:
        """The session key's signature that lets the enclave close this session."""
        return self.session_key.sign(CLOSE_DOMAIN + session_id.encode()).signature.hex()

    def refund_key(self) -> SigningKey:
        """The per-session key that may refund a transparent escrow after its deadline."""
        return self.session_key

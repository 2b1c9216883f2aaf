"""The escrow enclave program: the minimally trusted manager of charging sessions (Hawk's φ_priv, protocols.md §3, §9).

It runs inside an attested enclave (``enclave_sim``); its source and the helper
modules in ``measured_modules`` are its MRENCLAVE, so a car that verified the
quote knows exactly these rules decide its deposit.  Per session it keeps the
terms (price, deposit, deadline, who gets paid), the pole meter's signed readings
and the car's signed receipts, and finally signs one settlement.  Each session is a
typed ``SessionRecord`` (``enclave_state``: its phases, fields and versioned sealed
encoding).

Rules it enforces, whatever its host says (a broken rule raises ``Refused``; a call in the
wrong phase ``WrongState``; unparsable arguments ``MalformedInput``):
  * a packet counts only with a meter reading signed by the pole's registered meter key
    (pagination +1, register never backwards) *and* the car's receipt for it;
  * paid = energy · price ≤ deposit, always (so a release never exceeds the deposit);
  * one settlement per session: the EdDSA release signature and the Ed25519 payout
    signature are made once, for the closing decision only;
  * after the refund height it signs nothing, so the driver's refund path (which
    needs no enclave) never races a late release;
  * only the session's parties close it (the car's session key or the pole's meter key).

Requests reach it encrypted to its attested key; answers to session calls can be sealed to
the caller's ``reply_key``, so the host that relays them learns neither energy nor amounts.

The enclave sees the private inputs (energy, amounts, both parties' addresses) but
cannot change the outcome: the ledger (transparent mode) and the escrow_release
circuit (shielded mode) check the same split, and if the enclave never acts the
driver refunds alone after the deadline.  Every transition is sealed with the
monotonic counter (``ctx.save_state``); ``resume`` checks that counter against a copy
held outside the platform (``ctx.check_anchor``).

Two signatures per settlement:
  * EdDSA-Poseidon over Baby Jubjub on m = H(RELEASE_MESSAGE, session, E_Wh, final_nonce),
    which the escrow_release circuit verifies (shielded mode);
  * Ed25519 (``ctx.sign``) over the escrow_payout transaction's signing bytes, which the
    ledger verifies for authority 'enclave' (transparent mode), after the enclave has
    checked the openings of both output notes (amounts and owners).
"""
import functools
import hashlib
import json

from nacl.exceptions import BadSignatureError
from nacl.public import PublicKey as BoxPublicKey
from nacl.public import SealedBox
from nacl.signing import VerifyKey

from circuits.crypto.eddsa import PrivateKey as EddsaPrivateKey
from circuits.notes import EscrowTerms, Note, note_commitment, release_message
from enclave_sim import EnclaveProgram, ecall
from zkescrow.errors import InvalidSignature, MalformedInput, Refused, WrongState
from zkescrow.escrow.enclave_state import Decision, Phase, SessionRecord, need_hex, need_int, need_owner
from zkescrow.escrow.meter import ReadingLog, parse_reading, verify_ack
from zkescrow.ledger.attestation import endorsement_message
from zkescrow.ledger.transactions import Transaction

EDDSA_DOMAIN = b"zkescrow/escrow/enclave-eddsa-key/v1\x00"
CLOSE_DOMAIN = b"zkescrow/escrow/close-session/v1\x00"
MODES = ("transparent", "shielded")


def private_ecall(function):
    """An ecall whose answer can be sealed to its caller.

    Secure-channel requests are encrypted to the enclave, but answers are only signed, so the
    host would read them; with ``reply_key`` (hex X25519 public key of the caller) the answer is
    {"sealed": hex}: a sealed box only the caller opens (energy, amounts, the escrow note).
    """
    @functools.wraps(function)
    def wrapper(self, *args, reply_key=None, **kwargs):
        result = function(self, *args, **kwargs)
        if reply_key is None:
            return result
        box = SealedBox(BoxPublicKey(bytes.fromhex(need_hex(reply_key, "reply_key"))))
        return {"sealed": box.encrypt(json.dumps(result, sort_keys=True).encode()).hex()}
    return ecall(wrapper)


def close_message(session_id: str) -> bytes:
    """What the car's session key (or the pole's meter key) signs to close a session."""
    return CLOSE_DOMAIN + session_id.encode()


def read_terms(terms, config) -> SessionRecord:
    """A new session's record from the terms a caller sent; MalformedInput / Refused for bad terms."""
    if not isinstance(terms, dict):
        raise MalformedInput("session terms are an object")
    sid = need_hex(terms.get("session_id"), "session_id", 62)
    mode = terms.get("mode")
    if mode not in MODES:
        raise MalformedInput(f"mode must be one of {MODES}")
    price = need_int(terms.get("price"), "price", 1, (1 << config["price_bits"]) - 1)
    deposit = need_int(terms.get("deposit"), "deposit", 1)
    packet = need_int(terms.get("packet_wh"), "packet_wh", 1, config["max_packet_wh"])
    if deposit < packet * price:
        raise Refused(f"deposit {deposit} does not cover one packet of {packet} Wh at {price} per Wh")
    record = SessionRecord(
        session_id=sid, mode=mode, pole_id=str(terms.get("pole_id")), price=price, deposit=deposit,
        packet_wh=packet, meter_key=need_hex(terms.get("meter_key"), "meter_key"),
        car_key=need_hex(terms.get("car_key"), "car_key"),
        pole_owner=need_owner(terms.get("pole_owner", -1), "pole_owner"),
        driver_owner=need_owner(terms.get("driver_owner", -1), "driver_owner"),
        refund_height=need_int(terms.get("refund_height"), "refund_height", 1, (1 << 62)),
        close_height=need_int(terms.get("close_height"), "close_height", 1, (1 << 62)))
    if record.close_height >= record.refund_height:
        raise Refused("sessions must close before the refund height")
    return record


class EscrowProgram(EnclaveProgram):
    """Charging-session escrow (see the module docstring)."""

    config = {"program": "zkescrow-escrow", "version": 1, "max_sessions": 1024, "max_packet_wh": 1000,
              "price_bits": 32, "energy_bits": 32}
    measured_modules = ("zkescrow.escrow.meter", "zkescrow.escrow.enclave_state", "zkescrow.ledger.transactions",
                        "zkescrow.ledger.codec", "zkescrow.ledger.attestation",
                        "circuits.notes", "circuits.crypto.eddsa")

    def on_start(self, state):
        sealed = state["sessions"] if state else {}
        self.sessions = {sid: SessionRecord.from_sealed(data) for sid, data in sealed.items()}
        seed = hashlib.sha256(EDDSA_DOMAIN + bytes(self.ctx.signing_key)).digest()
        self._eddsa = EddsaPrivateKey(seed)

    def _commit(self) -> int:
        return self.ctx.save_state({"sessions": {sid: s.to_sealed() for sid, s in self.sessions.items()}})

    def _session(self, session_id) -> SessionRecord:
        s = self.sessions.get(session_id)
        if s is None:
            raise WrongState(f"no session {str(session_id)[:16]}… in this enclave")
        return s

    def _terms(self, s: SessionRecord) -> EscrowTerms:
        return EscrowTerms(self._eddsa.public_key, s.driver_owner, s.pole_owner, s.price, int(s.session_id, 16),
                           s.refund_height)

    def _view(self, s: SessionRecord) -> dict:
        return dict(s.view(), counter=self.ctx.counter)

    # --- keys and registration -------------------------------------------------------------

    @ecall
    def eddsa_key(self) -> dict:
        """The Baby Jubjub key releases are signed with, and its endorsement by the attested Ed25519 key."""
        packed = self._eddsa.public_key.pack()
        return {"eddsa_key": packed.hex(), "eddsa_endorsement": self.ctx.sign(endorsement_message(packed)).hex()}

    @ecall
    def resume(self, anchored_counter: int) -> dict:
        """After a restart: halt unless the counter equals the copy anchored outside the platform."""
        self.ctx.check_anchor(need_int(anchored_counter, "anchored counter"))
        return {"counter": self.ctx.counter, "sessions": len(self.sessions)}

    # --- session lifecycle -----------------------------------------------------------------

    @private_ecall
    def open_session(self, terms: dict) -> dict:
        """Record a session's terms; returns the escrow owner field a shielded deposit must be locked to."""
        s = read_terms(terms, self.config)
        if s.session_id in self.sessions:
            raise WrongState(f"session {s.session_id[:16]}… already exists")
        if len(self.sessions) >= self.config["max_sessions"]:
            raise Refused("the enclave holds its maximum number of sessions")
        self.sessions[s.session_id] = s
        self._commit()
        view = self._view(s)
        view["escrow_owner"] = str(self._terms(s).owner)
        return view

    @private_ecall
    def fund(self, session_id: str, evidence: dict, height: int) -> dict:
        """Take the session to FUNDED.

        transparent: evidence = the ledger's escrow record (deposit, refund height, status 'open');
        shielded: evidence = the escrow note's opening {v, rho, r, a} and its commitment — the enclave
        checks that the note is locked to its own key with these terms and holds the deposit.
        """
        s = self._session(session_id)
        if s.phase is not Phase.CREATED:
            raise WrongState(f"session is {s.phase.value}, not awaiting funding")
        self._check_deadline(s, height)
        if not isinstance(evidence, dict):
            raise MalformedInput("funding evidence is an object")
        s.funding = self._transparent_funding(s, evidence) if s.mode == "transparent" \
            else self._note_funding(s, evidence)
        s.phase = Phase.FUNDED
        self._commit()
        return self._view(s)

    @staticmethod
    def _transparent_funding(s: SessionRecord, evidence: dict) -> dict:
        if evidence.get("status") != "open" or evidence.get("deposit") != s.deposit \
                or evidence.get("refund_height") != s.refund_height or evidence.get("session_id") != s.session_id:
            raise Refused("the ledger's escrow does not match the session terms")
        return {"txid": evidence.get("txid")}

    def _note_funding(self, s: SessionRecord, evidence: dict) -> dict:
        note = Note(int(evidence["v"]), self._terms(s).owner, int(evidence["rho"]), int(evidence["r"]),
                    int(evidence.get("a", 0)))
        if note.value != s.deposit:
            raise Refused(f"escrow note holds {note.value}, the terms say {s.deposit}")
        if str(note.commitment) != str(evidence.get("commitment")):
            raise Refused("escrow note opening does not match its commitment (wrong owner or terms)")
        return {"v": note.value, "rho": str(note.rho), "r": str(note.blind), "a": note.asset,
                "commitment": str(note.commitment), "position": evidence.get("position")}

    @private_ecall
    def packet(self, session_id: str, reading: str, receipt: str, height: int) -> dict:
        """One energy packet: the meter's signed reading and the car's signed receipt for it."""
        s = self._session(session_id)
        if not s.phase.takes_packets:
            raise WrongState(f"session is {s.phase.value}: it takes no more packets")
        self._check_deadline(s, height)
        parsed = parse_reading(reading, s.meter_key)
        log = ReadingLog.from_dict(s.meter.to_dict())
        log.check(parsed)
        delivered = parsed.register_wh - (log.start_wh if log.start_wh is not None else parsed.register_wh)
        if delivered - s.delivered_wh > s.packet_wh:
            raise Refused(f"a packet of {delivered - s.delivered_wh} Wh exceeds the agreed {s.packet_wh} Wh")
        if delivered * s.price > s.deposit:
            raise Refused(f"{delivered} Wh at {s.price} per Wh exceeds the deposit {s.deposit}")
        verify_ack(s.car_key, session_id, parsed.page, delivered, receipt)
        log.accept(parsed)
        s.meter = log
        s.delivered_wh = s.paid_wh = delivered
        s.page = parsed.page
        s.nonce += 1
        s.phase = Phase.STREAMING
        self._commit()
        return self._view(s)

    @private_ecall
    def authorize_next(self, session_id: str, delivered_wh: int, height: int) -> dict:
        """May the pole deliver the next packet?  Only if every packet so far is receipted and the next one
        stays within the deposit and the session's time."""
        s = self._session(session_id)
        go, reason = True, "next packet covered by the deposit"
        if not s.phase.takes_packets:
            go, reason = False, f"session is {s.phase.value}"
        elif height >= s.close_height:
            go, reason = False, "session time is over"
        elif delivered_wh > s.paid_wh:
            go, reason = False, f"{delivered_wh - s.paid_wh} Wh delivered without a receipt from the car"
        elif (s.paid_wh + s.packet_wh) * s.price > s.deposit:
            go, reason = False, "deposit exhausted"
        return {"go": go, "reason": reason, "paid_wh": s.paid_wh, "counter": self.ctx.counter}

    @private_ecall
    def close(self, session_id: str, reason: str, height: int, authorization: str) -> dict:
        """Close the session on the last receipted packet and sign the release (once).

        ``authorization``: hex Ed25519 signature over ``close_message`` by the car's session key or
        the pole's meter key — only the session's parties may end it.
        """
        s = self._session(session_id)
        for key in (s.car_key, s.meter_key):
            try:
                VerifyKey(bytes.fromhex(key)).verify(close_message(session_id), bytes.fromhex(str(authorization)))
                break
            except (BadSignatureError, ValueError, TypeError):
                continue
        else:
            raise InvalidSignature("closing a session needs a signature by the car's or the pole's key")
        if s.phase is Phase.CLOSING:
            return self._decision(s)
        if not s.phase.takes_packets:
            raise WrongState(f"session is {s.phase.value}: nothing to close")
        self._check_deadline(s, height)
        energy = s.paid_wh
        pay = energy * s.price
        if pay > s.deposit:                     # unreachable by the packet rule; kept as the invariant
            raise Refused("release would exceed the deposit")
        sig = self._eddsa.sign_poseidon(release_message(int(session_id, 16), energy, s.nonce))
        s.decision = Decision(energy, pay, s.deposit - pay, s.nonce, sig.pack().hex())
        s.phase, s.close_reason = Phase.CLOSING, str(reason)[:80]
        self._commit()
        return self._decision(s)

    def _decision(self, s: SessionRecord) -> dict:
        out = dict(self._view(s), **s.decision.to_dict())
        if s.mode == "shielded":
            out["escrow_note"] = s.funding
        return out

    @private_ecall
    def sign_payout(self, session_id: str, tx: dict, openings: list, height: int) -> dict:
        """Ed25519 authority for the transparent payout transaction that carries out the closing decision.

        ``openings`` are the two output notes {v, o, rho, r, a}: the pole's payment and the driver's change;
        the enclave recomputes their commitments, so it signs only the split it decided.
        """
        s = self._session(session_id)
        if s.mode != "transparent" or s.phase not in (Phase.CLOSING, Phase.SETTLED):
            raise WrongState("only a closed transparent session has a payout to sign")
        self._check_deadline(s, height)
        t = Transaction.from_json(tx)
        b = t.body
        if s.payout_txid not in (None, t.txid):
            raise WrongState("this session's payout is already signed (one settlement per session)")
        if t.kind != "escrow_payout" or b.get("session_id") != s.session_id or b.get("authority") != "enclave":
            raise Refused("not an enclave payout for this session")
        if b.get("public_amount") != s.deposit:
            raise Refused("the payout must release exactly the deposit")
        if not isinstance(openings, list) or len(openings) != 2:
            raise MalformedInput("give the openings of both output notes")
        d = s.decision
        expected = [(d.pay, s.pole_owner), (d.refund, s.driver_owner)]
        for k, (o, (value, owner)) in enumerate(zip(openings, expected)):
            cm = note_commitment(int(o["v"]), int(o["a"]), int(o["o"]), int(o["rho"]), int(o["r"]))
            if int(o["v"]) != value or int(o["o"]) != owner or str(cm) != str(b.get("commitments", [None] * 2)[k]):
                raise Refused(f"payout output {k} does not pay {value} to the agreed party")
        s.payout_txid, s.phase = t.txid, Phase.SETTLED
        self._commit()
        return {"signature": self.ctx.sign(t.signing_bytes()).hex(), "counter": self.ctx.counter}

    @private_ecall
    def settled(self, session_id: str) -> dict:
        """Mark a shielded session settled (its release is on the ledger); idempotent."""
        s = self._session(session_id)
        if s.phase is Phase.CLOSING:
            s.phase = Phase.SETTLED
            self._commit()
        return self._view(s)

    @private_ecall
    def status(self, session_id: str) -> dict:
        return self._view(self._session(session_id))

    def _check_deadline(self, s: SessionRecord, height) -> None:
        need_int(height, "height")
        if height >= s.refund_height:
            if s.phase.before_settlement:
                s.phase = Phase.EXPIRED
                self._commit()
            raise Refused(f"refund height {s.refund_height} reached: the enclave signs nothing more "
                          f"for this session (the driver refunds without it)")


PROGRAM = EscrowProgram

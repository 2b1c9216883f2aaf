"""The escrow enclave program: the minimally trusted manager of charging sessions (Hawk's φ_priv, protocols.md §3, §9).

It runs inside an attested enclave (``enclave_sim``); its source, the helper modules in
``measured_modules`` and its config are its MRENCLAVE.  The config pins the ledger: its
chain id, authority keys and threshold, so the enclave believes ledger facts only with a
proof to a header those authorities signed (``enclave_checks``), and its only clock is the
tip of that header chain (``sync_headers``): a caller's height is never used.  Sessions
are typed ``SessionRecord``s (``enclave_state``) in a bounded ``SessionTable``.

Rules it enforces, whatever its host says (a broken rule raises ``Refused``; a call in the
wrong phase ``WrongState``; unparsable arguments ``MalformedInput``):
  * the terms come from the pole's signed offer (``offer``), which must match the pole's
    registry entry proven on the chain; the car chooses only its key, the driver's owner field,
    the deposit and the refund height (within bounds);
  * funding is the escrow_open transaction (transparent) or the escrow note in the note tree
    (shielded), proven against the headers;
  * no packet counts before the pole confirmed the session ticket (so a substituted offer
    never streams);
  * a packet counts only with a meter reading signed by the pole's registered meter key
    (pagination +1, register never backwards) *and* the car's receipt for it;
  * paid = energy · price ≤ deposit, always (so a release never exceeds the deposit);
  * one decision per session: at close it signs the DECISION (``settlement``: the split, both
    output notes, the escrow it settles) and never another; ``decision`` hands the same signed
    decision to either party again, any number of times, so each can settle alone;
  * after the refund height it signs nothing, so the driver's refund path (which needs no
    enclave) never races a late release;
  * only the session's parties close it or read its decision (the car's session key or the
    pole's meter key);
  * after a restart with sealed state, no session ecall runs before ``resume`` checked the counter
    against the clients' anchor; the table evicts sessions the header tip made final or stale.

Requests reach it encrypted to its attested key; answers to session calls can be sealed to
the caller's ``reply_key``, so the host that relays them learns neither energy nor amounts
(``enclave_gate``, which also checks the parties' close authorizations).

The enclave sees the private inputs (energy, amounts, both parties' addresses) but
cannot change the outcome: the ledger (transparent mode) and the escrow_release
circuit (shielded mode) check the same split, and if the enclave never acts the
driver refunds alone after the deadline.  Every transition is sealed with the
monotonic counter (``ctx.save_state``); clients remember the highest counter they saw.

Two signatures per decision, both made once, at close (``enclave_decision``):
  * Ed25519 (``ctx.sign``) over the decision's signing bytes (``settlement.signing_bytes``: chain id,
    session, escrow, the two output commitments and the decision's digest), which the ledger checks
    for a transparent payout with authority 'enclave' — the payout must create exactly those notes;
  * EdDSA-Poseidon over Baby Jubjub on m = H(RELEASE_MESSAGE, session, E_Wh, final_nonce, nf_E),
    which the escrow_release circuit verifies (shielded mode); nf_E names the one escrow note it releases.
"""
import hashlib
import secrets

from circuits.crypto.eddsa import PrivateKey as EddsaPrivateKey
from circuits.notes import EscrowTerms
from enclave_sim import EnclaveProgram, ecall
from zkescrow.errors import MalformedInput, Refused, WrongState
from zkescrow.escrow.enclave_checks import (check_offer, note_funding, read_request, registry_entry,
                                            transparent_funding)
from zkescrow.escrow.enclave_decision import sign_decision
from zkescrow.escrow.enclave_gate import (CLOSE_DOMAIN, RUN_WHILE_HELD, check_party, close_message,  # noqa: F401
                                         private_ecall)
from zkescrow.escrow.enclave_state import Phase, SessionRecord, need_int
from zkescrow.escrow.meter import ReadingLog, parse_reading, verify_ack
from zkescrow.escrow.offer import verify_confirmation, verify_offer
from zkescrow.escrow.session_table import SessionTable
from zkescrow.ledger.attestation import endorsement_message
from zkescrow.ledger.headers import HeaderChain

EDDSA_DOMAIN = b"zkescrow/escrow/enclave-eddsa-key/v1\x00"


class EscrowProgram(EnclaveProgram):
    """Charging-session escrow (see the module docstring)."""

    config = {"program": "zkescrow-escrow", "version": 2, "max_sessions": 1024, "max_packet_wh": 1000,
              "price_bits": 32, "energy_bits": 32, "sessions_per_offer": 1, "sessions_per_pole": 256,
              "confirm_timeout": 8, "evict_after": 64, "min_refund_delay": 4, "max_refund_delay": 4096,
              "min_settle_window": 2, "max_offer_validity": 1024, "header_window": 128,
              "chain_id": None, "authorities": [], "threshold": 1, "note_tree_depth": 20}
    measured_modules = ("zkescrow.escrow.meter", "zkescrow.escrow.enclave_state", "zkescrow.escrow.offer",
                        "zkescrow.escrow.enclave_checks", "zkescrow.escrow.enclave_gate",
                        "zkescrow.escrow.enclave_decision", "zkescrow.escrow.session_table",
                        "zkescrow.escrow.settlement", "zkescrow.ledger.headers", "zkescrow.ledger.transactions",
                        "zkescrow.ledger.codec", "zkescrow.ledger.attestation",
                        "circuits.notes", "circuits.crypto.eddsa", "circuits.crypto.merkle")

    def on_start(self, state):
        self.table = SessionTable.from_sealed(self.config, state)
        self.chain = self._chain(state)
        self.anchored = state is None           # a restart with state waits for ``resume`` (the anchor check)
        # A restart may run on rolled-back state (the host restored the whole platform): every session that
        # was taking packets is held until its pole re-confirms it under this start's fresh epoch.
        self.epoch = secrets.token_hex(16)
        self.held = {sid for sid, s in self.table.sessions.items() if s.phase.takes_packets and s.confirmed}
        seed = hashlib.sha256(EDDSA_DOMAIN + bytes(self.ctx.signing_key)).digest()
        self._eddsa = EddsaPrivateKey(seed)

    def _chain(self, state) -> HeaderChain | None:
        """The header chain pinned to the measured config's authorities (None: this build pins no ledger)."""
        c = self.config
        if not c.get("chain_id"):
            return None
        if state and state.get("chain"):
            chain = HeaderChain.from_dict(state["chain"])
            if (list(chain.authorities), chain.threshold, chain.chain_id) != \
                    (list(c["authorities"]), c["threshold"], c["chain_id"]):
                self.ctx.halt("sealed header chain is pinned to another ledger than the measured config")
            return chain
        return HeaderChain(c["authorities"], c["threshold"], c["chain_id"], window=c["header_window"])

    @property
    def sessions(self) -> dict:
        return self.table.sessions

    @property
    def tip(self) -> int:
        """The height of the last header the enclave accepted: its only clock."""
        if self.chain is None:
            raise WrongState("this enclave build pins no ledger (no chain id in its measured config)")
        return self.chain.tip_height

    @property
    def enclave_id(self) -> str:
        return bytes(self.ctx.signing_key.verify_key).hex()

    def _commit(self) -> int:
        state = self.table.to_sealed()
        state["chain"] = None if self.chain is None else self.chain.to_dict()
        return self.ctx.save_state(state)

    def _session(self, session_id) -> SessionRecord:
        s = self.table.get(session_id)
        if s is None:
            raise WrongState(f"no session {str(session_id)[:16]}… in this enclave")
        return s

    def _terms(self, s: SessionRecord) -> EscrowTerms:
        return EscrowTerms(self._eddsa.public_key, s.driver_owner, s.pole_owner, s.price, int(s.session_id, 16),
                           s.refund_height)

    def _view(self, s: SessionRecord) -> dict:
        return dict(s.view(), counter=self.ctx.counter, tip=None if self.chain is None else self.chain.tip_height,
                    held=s.session_id in self.held)

    # --- keys, restarts and the chain ------------------------------------------------------

    @ecall
    def eddsa_key(self) -> dict:
        """The Baby Jubjub key releases are signed with, and its endorsement by the attested Ed25519 key."""
        packed = self._eddsa.public_key.pack()
        return {"eddsa_key": packed.hex(), "eddsa_endorsement": self.ctx.sign(endorsement_message(packed)).hex()}

    @ecall
    def resume(self, anchored_counter: int) -> dict:
        """After a restart: halt unless the counter equals the copy anchored outside the platform; until this
        check passed, every session ecall is refused."""
        self.ctx.check_anchor(need_int(anchored_counter, "anchored counter"))
        self.anchored = True
        return {"counter": self.ctx.counter, "sessions": len(self.table)}

    @ecall
    def sync_headers(self, signed_headers: list) -> dict:
        """Follow the ledger: append authority-signed headers after the tip; evict what the new tip makes stale."""
        self._require_anchored()
        tip = self.tip
        if not isinstance(signed_headers, list) or len(signed_headers) > 4 * self.config["header_window"]:
            raise MalformedInput(f"give at most {4 * self.config['header_window']} signed headers per call")
        new_tip = self.chain.extend(signed_headers)
        evicted = self.table.evict(new_tip)
        if new_tip != tip or evicted:
            self._commit()
        return {"tip": new_tip, "tip_hash": self.chain.tip_hash, "evicted": evicted, "counter": self.ctx.counter}

    def _require_anchored(self) -> None:
        if not self.anchored:
            raise WrongState("the enclave restarted from sealed state: it serves no session until the anchor "
                             "check (resume) passed")

    # --- session lifecycle -----------------------------------------------------------------

    @private_ecall
    def open_session(self, signed_offer: dict, request: dict, registration: dict | None = None) -> dict:
        """Open a session on the pole's signed offer and the car's request; returns the escrow owner field a
        shielded deposit must be locked to, and the ticket the pole confirms.

        ``registration``: the pole's register_service transaction with its inclusion proof, needed the first
        time the enclave meets the pole (it remembers the entry).
        """
        offer = verify_offer(signed_offer)
        tip = self.tip
        entry = self.table.services.get(offer.pole_id)
        if entry is None and registration is not None:
            entry = registry_entry(self.chain, registration)
            if entry["pole_id"] != offer.pole_id:
                raise Refused("the registration shown is another pole's")
        check_offer(offer, entry, self.chain, self.config)
        s = read_request(request, offer, self.config, tip)
        self.table.admit(s, offer.valid_until, tip)
        self.table.services[offer.pole_id] = entry
        self._commit()
        view = self._view(s)
        view["escrow_owner"] = str(self._terms(s).owner)
        view["ticket"] = s.ticket(self.chain.chain_id)
        return view

    @private_ecall
    def session_ticket(self, session_id: str) -> dict:
        """The terms the enclave recorded for a session, for the pole to check against its own offer."""
        s = self._session(session_id)
        view = dict(self._view(s), ticket=s.ticket(self.chain.chain_id))
        if s.session_id in self.held:
            view["epoch"] = self.epoch
        return view

    @private_ecall
    def confirm_session(self, session_id: str, signature: str) -> dict:
        """The pole's operator confirms the ticket (``offer.verify_confirmation``); only then packets flow.
        A session held after a restart needs a confirmation of the ticket under this start's epoch."""
        s = self._session(session_id)
        if s.session_id in self.held:
            verify_confirmation(s.ticket(self.chain.chain_id), s.operator, signature, epoch=self.epoch)
            self.held.discard(s.session_id)
            return self._view(s)
        verify_confirmation(s.ticket(self.chain.chain_id), s.operator, signature)
        self._check_deadline(s)
        if not s.confirmed:
            s.confirmed = True
            self._commit()
        return self._view(s)

    @private_ecall
    def fund(self, session_id: str, evidence: dict, height=None) -> dict:
        """Take the session to FUNDED on evidence from the ledger, proven against the enclave's headers.

        transparent: evidence = the escrow_open transaction with its inclusion proof {tx, height, index,
        proof}; shielded: the escrow note's opening {v, rho, r, a}, its commitment, its Merkle ``path`` and
        the note ``root`` (one the enclave's headers carry).  ``height`` is ignored: the enclave's clock
        is its header tip.
        """
        s = self._session(session_id)
        if s.phase is not Phase.CREATED:
            raise WrongState(f"session is {s.phase.value}, not awaiting funding")
        self._check_deadline(s)
        if not isinstance(evidence, dict):
            raise MalformedInput("funding evidence is an object")
        if s.mode == "transparent":
            s.funding = transparent_funding(self.chain, s, evidence, self.enclave_id)
        else:
            s.funding = note_funding(self.chain, s, evidence, self._terms(s).owner, self.config["note_tree_depth"])
        s.phase = Phase.FUNDED
        self._commit()
        return self._view(s)

    @private_ecall
    def packet(self, session_id: str, reading: str, receipt: str, height=None) -> dict:
        """One energy packet: the meter's signed reading and the car's signed receipt for it (``height`` ignored)."""
        s = self._session(session_id)
        if not s.phase.takes_packets:
            raise WrongState(f"session is {s.phase.value}: it takes no more packets")
        if not s.confirmed:
            raise WrongState("the pole has not confirmed this session's terms: no packet counts yet")
        self._check_deadline(s)
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
    def authorize_next(self, session_id: str, delivered_wh: int, height=None) -> dict:
        """May the pole deliver the next packet?  Only if the pole confirmed the terms, every packet so far is
        receipted and the next one stays within the deposit and the session's time (by the header tip;
        ``height`` is ignored)."""
        s = self._session(session_id)
        go, reason = True, "next packet covered by the deposit"
        if not s.phase.takes_packets:
            go, reason = False, f"session is {s.phase.value}"
        elif not s.confirmed or s.session_id in self.held:
            go, reason = False, "the pole has not confirmed the session's terms (since the last restart)"
        elif self.tip >= s.close_height:
            go, reason = False, "session time is over"
        elif delivered_wh > s.paid_wh:
            go, reason = False, f"{delivered_wh - s.paid_wh} Wh delivered without a receipt from the car"
        elif (s.paid_wh + s.packet_wh) * s.price > s.deposit:
            go, reason = False, "deposit exhausted"
        return {"go": go, "reason": reason, "paid_wh": s.paid_wh, "counter": self.ctx.counter}

    @private_ecall
    def close(self, session_id: str, reason: str, height: int, authorization: str) -> dict:
        """Close the session on the last receipted packet and sign the decision (once; later calls re-send it).

        ``authorization``: hex Ed25519 signature over ``close_message`` by the car's session key or
        the pole's meter key — only the session's parties may end it.
        """
        s = self._session(session_id)
        check_party(s, session_id, authorization)
        if s.decision is not None:
            return self._decision(s)
        if not s.phase.takes_packets:
            raise WrongState(f"session is {s.phase.value}: nothing to close")
        self._check_deadline(s, height)
        pay = s.paid_wh * s.price
        if pay > s.deposit:                     # unreachable by the packet rule; kept as the invariant
            raise Refused("release would exceed the deposit")
        s.decision = sign_decision(s, s.paid_wh, pay, terms=self._terms(s), eddsa=self._eddsa,
                                   chain_id=self.chain.chain_id, sign=self.ctx.sign)
        s.phase, s.close_reason = Phase.CLOSING, str(reason)[:80]
        self._commit()
        return self._decision(s)

    def _decision(self, s: SessionRecord) -> dict:
        out = dict(self._view(s), **s.decision.to_dict())
        if s.mode == "shielded":                # what a party needs to prove the release alone
            out["escrow_note"] = s.funding
            out["eddsa_key"] = self._eddsa.public_key.pack().hex()
        return out

    @private_ecall
    def decision(self, session_id: str, authorization: str) -> dict:
        """The session's signed decision again, for the car or the pole (the same bytes every time)."""
        s = self._session(session_id)
        check_party(s, session_id, authorization)
        if s.decision is None:
            raise WrongState(f"session is {s.phase.value}: no decision yet")
        return self._decision(s)

    @private_ecall
    def settled(self, session_id: str) -> dict:
        """Note that the session's settlement is on the ledger; idempotent.  The decision stays available
        (a party's word that it settled changes nothing either party can still do)."""
        s = self._session(session_id)
        if s.phase is Phase.CLOSING:
            s.phase = Phase.SETTLED
            self._commit()
        return self._view(s)

    @private_ecall
    def status(self, session_id: str) -> dict:
        return self._view(self._session(session_id))

    def _check_deadline(self, s: SessionRecord, height=None) -> None:
        """Refused (and the session expires) once the header tip reached the refund height; a caller's
        ``height`` is ignored: the enclave's only clock is the headers it verified."""
        if self.tip >= s.refund_height:
            if s.phase.before_settlement:
                s.phase = Phase.EXPIRED
                self._commit()
            raise Refused(f"refund height {s.refund_height} reached: the enclave signs nothing more "
                          f"for this session (the driver refunds without it)")


PROGRAM = EscrowProgram

"""What the escrow enclave checks against its own view of the chain before it trusts a session.

Measured with the escrow enclave program.  The enclave follows the ledger's signed
headers (``zkescrow.ledger.headers.HeaderChain``, pinned to the authority keys in its
measured config), so it believes a ledger fact only when it comes with a proof to a
header it accepted:

* ``included_tx``: a transaction, its block's authority-signed header and the Merkle proof to its
  ``tx_root`` — the ledger accepted it (a tx_root covers accepted transactions only);
* ``registry_entry``: a pole's register_service transaction, so included: pole_id → operator,
  price per Wh, meter key (the ledger registers a pole id once, so the first entry is the only one);
* ``read_request``: the car's own fields of a new session (the rest comes from the offer);
* ``check_offer``: a signed offer against that entry, the chain id and the tip height;
* ``transparent_funding``: the session's escrow_open transaction, included, whose body matches
  the session (session id, deposit, refund height, this enclave, the car's refund key, the pole);
* ``note_funding``: the escrow note's opening, its commitment and its Poseidon Merkle path to a
  note root one of the window's headers carries.

Each raises ``Refused`` (a proof or a value that does not hold) or ``MalformedInput`` (shape).
"""
from __future__ import annotations

from circuits.crypto.merkle import MerklePath, verify_path
from circuits.notes import Note
from zkescrow.errors import InvalidProof, InvalidSignature, MalformedInput, Refused
from zkescrow.escrow.enclave_state import SessionRecord, need_hex, need_int, need_owner
from zkescrow.escrow.offer import Offer
from zkescrow.ledger.codec import digest
from zkescrow.ledger.headers import HeaderChain

MODES = ("transparent", "shielded")
REQUEST_FIELDS = {"session_id", "mode", "car_key", "driver_owner", "deposit", "refund_height", "close_height"}


def read_request(request, offer: Offer, config: dict, tip: int) -> SessionRecord:
    """A new session's record from the pole's (checked) offer and the car's own fields.

    The car chooses only what is its own: the session id, the mode, its session key, the driver's
    owner field, the deposit and the refund height (within the enclave's bounds from its header tip).
    """
    if not isinstance(request, dict):
        raise MalformedInput("a session request is an object")
    extra = set(request) - REQUEST_FIELDS
    if extra:
        raise MalformedInput(f"a session request has no field {sorted(extra)[0]!r}: the terms come from the offer")
    sid = need_hex(request.get("session_id"), "session_id", 62)
    mode = request.get("mode")
    if mode not in MODES:
        raise MalformedInput(f"mode must be one of {MODES}")
    deposit = need_int(request.get("deposit"), "deposit", 1)
    if deposit < offer.packet_wh * offer.price_per_wh:
        raise Refused(f"deposit {deposit} does not cover one packet of {offer.packet_wh} Wh at "
                      f"{offer.price_per_wh} per Wh")
    refund_height = need_int(request.get("refund_height"), "refund_height", tip + config["min_refund_delay"],
                             tip + config["max_refund_delay"])
    close_height = need_int(request.get("close_height"), "close_height", tip + 1,
                            refund_height - config["min_settle_window"])
    return SessionRecord(
        session_id=sid, mode=mode, pole_id=offer.pole_id, price=offer.price_per_wh, deposit=deposit,
        packet_wh=offer.packet_wh, meter_key=offer.meter_key, car_key=need_hex(request.get("car_key"), "car_key"),
        pole_owner=need_owner(offer.payee_owner, "payee_owner"),
        driver_owner=need_owner(request.get("driver_owner", -1), "driver_owner"),
        refund_height=refund_height, close_height=close_height, offer_id=offer.offer_id,
        offer_hash=offer.hash(), operator=offer.operator, opened_height=tip)


def included_tx(chain: HeaderChain, bundle, kind: str) -> tuple[dict, int]:
    """(transaction JSON, height) of a ``kind`` transaction proven to be in a block the chain accepts.

    ``bundle`` is ``Ledger.transaction_proof(txid)``: the transaction, its block's authority-signed header
    (at or below the tip; the very header the chain followed while it is in the window) and the Merkle proof
    to that header's tx_root (``HeaderChain.proven_transaction``).
    """
    try:
        header, tx = chain.proven_transaction(bundle)
    except (InvalidProof, InvalidSignature) as exc:
        raise Refused(str(exc)) from None
    if not isinstance(tx, dict) or tx.get("kind") != kind or not isinstance(tx.get("body"), dict):
        raise Refused(f"the evidence is not an included {kind} transaction")
    return tx, header.height


def registry_entry(chain: HeaderChain, evidence) -> dict:
    """A pole's registry entry from its included register_service transaction."""
    tx, height = included_tx(chain, evidence, "register_service")
    body = tx["body"]
    entry = {"pole_id": body.get("pole_id"), "operator": body.get("operator"),
             "price_per_wh": body.get("price_per_wh"), "meter_key": body.get("meter_key"), "height": height}
    if not isinstance(entry["pole_id"], str) or not isinstance(entry["operator"], str) or \
            not isinstance(entry["meter_key"], str) or not isinstance(entry["price_per_wh"], int):
        raise Refused("the registration does not name a pole, operator, price and meter key")
    return entry


def check_offer(offer: Offer, entry: dict | None, chain: HeaderChain, config: dict) -> None:
    """Refused unless the offer is this chain's, current, within bounds and matches the pole's registry entry."""
    if offer.chain_id != chain.chain_id:
        raise Refused("the offer is for another ledger (chain id)")
    if entry is None:
        raise Refused(f"pole {offer.pole_id!r} is not in the registry this enclave knows: show its registration")
    for name, value in (("operator", offer.operator), ("price_per_wh", offer.price_per_wh),
                        ("meter_key", offer.meter_key)):
        if entry[name] != value:
            raise Refused(f"the offer's {name} is not pole {offer.pole_id}'s registered {name}")
    tip = chain.tip_height
    if offer.valid_until <= tip:
        raise Refused(f"the offer expired at height {offer.valid_until} (tip {tip})")
    if offer.valid_until > tip + config["max_offer_validity"]:
        raise Refused(f"the offer is valid for more than {config['max_offer_validity']} blocks")
    if offer.packet_wh > config["max_packet_wh"]:
        raise Refused(f"packets of {offer.packet_wh} Wh exceed the enclave's bound {config['max_packet_wh']}")


def transparent_funding(chain: HeaderChain, s, evidence, enclave_id: str) -> dict:
    """The escrow_open of session ``s`` (a SessionRecord), proven included and matching its terms."""
    tx, height = included_tx(chain, evidence, "escrow_open")
    b = tx["body"]
    expected = {"session_id": s.session_id, "public_amount": -s.deposit, "refund_height": s.refund_height,
                "enclave": enclave_id, "refund_key": s.car_key, "pole_id": s.pole_id}
    for name, value in expected.items():
        if b.get(name) != value:
            raise Refused(f"the ledger's escrow does not match the session terms ({name})")
    return {"txid": _txid(tx), "height": height}


def note_funding(chain: HeaderChain, s, evidence, escrow_owner: int, config_depth: int) -> dict:
    """The escrow note of session ``s``: its opening, locked to ``escrow_owner``, in a tree the chain knows."""
    if not isinstance(evidence, dict):
        raise MalformedInput("funding evidence is an object")
    try:
        note = Note(int(evidence["v"]), escrow_owner, int(evidence["rho"]), int(evidence["r"]),
                    int(evidence.get("a", 0)))
        path = MerklePath.from_dict(evidence["path"])
        root = int(evidence["root"])
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedInput(f"note funding is {{v, rho, r, a, commitment, path, root}} ({exc})") from None
    if path.depth != config_depth:
        raise Refused(f"the note's Merkle path has depth {path.depth}, the ledger's tree {config_depth}")
    if note.value != s.deposit:
        raise Refused(f"escrow note holds {note.value}, the terms say {s.deposit}")
    if str(note.commitment) != str(evidence.get("commitment")):
        raise Refused("escrow note opening does not match its commitment (wrong owner or terms)")
    if not chain.knows_note_root(root):
        raise Refused("the note tree root is not one of the recent roots the enclave's headers carry")
    if not verify_path(root, note.commitment, path):
        raise Refused("the escrow note is not in the note tree (its Merkle path does not lead to the root)")
    return {"v": note.value, "rho": str(note.rho), "r": str(note.blind), "a": note.asset,
            "commitment": str(note.commitment), "position": path.index}


def _txid(tx: dict) -> str:
    return digest({"kind": tx["kind"], "body": tx["body"]}).hex()

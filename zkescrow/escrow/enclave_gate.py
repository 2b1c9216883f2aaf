"""Who may reach the escrow enclave's session ecalls, and what the relaying host reads of their answers.

Measured with the escrow enclave program (it is in the program's ``measured_modules``):

* ``private_ecall``: a session ecall runs only once the enclave passed its anchor check after a restart,
  not on a session held since that restart (except the calls in ``RUN_WHILE_HELD``), and its answer can
  be sealed to the caller's ``reply_key`` so the host that relays it learns neither energy nor amounts;
* ``check_party``: only the session's parties (the car's session key or the pole's meter key), signing
  ``close_message``, close a session or read its decision.
"""
from __future__ import annotations

import functools
import json

from nacl.exceptions import BadSignatureError
from nacl.public import PublicKey as BoxPublicKey
from nacl.public import SealedBox
from nacl.signing import VerifyKey

from enclave_sim import ecall
from zkescrow.errors import InvalidSignature, WrongState
from zkescrow.escrow.enclave_state import SessionRecord, need_hex

CLOSE_DOMAIN = b"zkescrow/escrow/close-session/v1\x00"

#: Session ecalls that run on a session held after a restart (reading it, replaying receipted packets and the
#: pole's fresh re-confirmation); every other one waits until the pole re-confirmed.
RUN_WHILE_HELD = frozenset({"status", "session_ticket", "confirm_session", "packet"})


def private_ecall(function):
    """An ecall whose answer can be sealed to its caller.

    Secure-channel requests are encrypted to the enclave, but answers are only signed, so the
    host would read them; with ``reply_key`` (hex X25519 public key of the caller) the answer is
    {"sealed": hex}: a sealed box only the caller opens (energy, amounts, the escrow note).
    """
    @functools.wraps(function)
    def wrapper(self, *args, reply_key=None, **kwargs):
        self._require_anchored()
        if function.__name__ not in RUN_WHILE_HELD and args and isinstance(args[0], str) and args[0] in self.held:
            raise WrongState("this session is held since the enclave restarted: the pole re-confirms it (after "
                             "replaying any receipted packet the restored state lacks) before it goes on")
        result = function(self, *args, **kwargs)
        if reply_key is None:
            return result
        box = SealedBox(BoxPublicKey(bytes.fromhex(need_hex(reply_key, "reply_key"))))
        return {"sealed": box.encrypt(json.dumps(result, sort_keys=True).encode()).hex()}
    return ecall(wrapper)


def close_message(session_id: str) -> bytes:
    """What the car's session key (or the pole's meter key) signs to close a session."""
    return CLOSE_DOMAIN + session_id.encode()


def check_party(s: SessionRecord, session_id: str, authorization) -> None:
    """InvalidSignature unless ``authorization`` is the car's or the pole's signature over close_message."""
    for key in (s.car_key, s.meter_key):
        try:
            VerifyKey(bytes.fromhex(key)).verify(close_message(session_id), bytes.fromhex(str(authorization)))
            return
        except (BadSignatureError, ValueError, TypeError):
            continue
    raise InvalidSignature("this needs a signature by the car's or the pole's key for this session")

"""A running enclave: the host's handle (``Enclave``) and the program's view of its platform (``EnclaveContext``).

The host reaches the program only through ``Enclave.call`` (declared ecalls), ``Enclave.handle`` (the secure
channel) and ``Enclave.quote``/``attest``.  The program instance and its keys are held in private attributes.

What Python cannot enforce: any code in the same interpreter can walk object graphs (``gc``, ``__dict__``,
frames) and read or patch the program, its keys and the platform's fused secret.  The simulator models the
enclave boundary as an API discipline; the attacks it demonstrates are those a real host can mount through
that boundary (swap, replay or forge blobs, quotes and messages), not memory inspection.
"""
from __future__ import annotations

import hashlib
import json
import threading
from typing import Any, NoReturn

from nacl.public import PrivateKey
from nacl.signing import SigningKey

from zkescrow.errors import EnclaveHalted, MalformedInput, RollbackDetected, SealingError, ZkEscrowError

from .channel import open_request, sign_response
from .identity import EnclaveIdentity, EnclaveKeys, KeyPolicy
from .measurement import ProgramImage
from .quote import Quote, report_data_for

PROGRAM_SIGNATURE_DOMAIN = b"zkescrow/enclave_sim/program-signature/v1\x00"


def _state_json(state: Any) -> bytes:
    try:
        return json.dumps(state, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()
    except (TypeError, ValueError) as exc:
        raise MalformedInput(f"sealed state must be a JSON value: {exc}") from None


class EnclaveContext:
    """The platform as seen from inside an enclave program (``self.ctx``)."""

    def __init__(self, enclave: "Enclave", services, identity: EnclaveIdentity, config: dict,
                 policy: KeyPolicy, signing_key: SigningKey, agreement_key: PrivateKey):
        self._enclave = enclave
        self._services = services
        self._slot = _slot(identity, policy)
        self._policy = policy
        self.identity = identity
        self.config = config
        self.signing_key = signing_key          #: nacl SigningKey (Ed25519) attested in quotes
        self.agreement_key = agreement_key      #: nacl PrivateKey (X25519) attested in quotes
        self.counter = services.counters.read(self._slot)   #: the committed value of this enclave's counter

    @property
    def public_keys(self) -> EnclaveKeys:
        return EnclaveKeys(bytes(self.signing_key.verify_key), bytes(self.agreement_key.public_key))

    @property
    def platform_id(self) -> bytes:
        return self._services.platform_id

    def sign(self, message: bytes) -> bytes:
        """Ed25519 signature over PROGRAM_SIGNATURE_DOMAIN ‖ message (checked by VerifiedEnclave.verify)."""
        return self.signing_key.sign(PROGRAM_SIGNATURE_DOMAIN + message).signature

    # --- counter-protected state -------------------------------------------------------

    def save_state(self, state: Any) -> int:
        """Commit ``state`` (a JSON value): counter += 1, seal with the new value, hand the blob to the host.

        The counter moves first, so no two blobs ever carry the same value; returns the new counter.
        If another instance of this enclave moved the counter meanwhile, this one halts (RollbackDetected).
        A crash between the increment and the host's write leaves no blob for that value, and the next
        start halts (fail closed) rather than fork.
        """
        data = _state_json(state)
        try:
            value = self._services.counters.increment(self._slot, expected=self.counter)
        except RollbackDetected as exc:
            self._enclave._halt(str(exc))
            raise
        self.counter = value
        blob = self._services.seal(self.identity, data, self._policy, counter=value)
        self._services.storage.write(self._slot, "state", blob)
        return value

    def open_state(self, blob: bytes) -> Any:
        """Open a state blob; it must carry exactly the current counter, else the enclave halts."""
        plaintext, header = self._services.unseal(self.identity, blob)
        if header.counter is None:
            raise SealingError("sealed blob carries no counter: it is not a state blob")
        current = self._services.counters.read(self._slot)
        if header.counter != current:
            reason = (f"sealed state has counter {header.counter} but the monotonic counter is at {current}: "
                      f"{'rolled back' if header.counter < current else 'counter store rewound'}")
            self._enclave._halt(reason)
            raise RollbackDetected(reason)
        self.counter = current
        return json.loads(plaintext)

    def check_anchor(self, anchored_counter: int) -> None:
        """Compare the counter with a copy anchored outside the platform (e.g. on the ledger, protocols.md §9);
        on mismatch halt: the platform's counter store or the state was rewound."""
        if anchored_counter != self.counter:
            self.halt(f"counter {self.counter} differs from the anchored counter {anchored_counter}")

    # --- plain sealing (no counter) ----------------------------------------------------

    def seal(self, data: bytes, *, policy: KeyPolicy | None = None) -> bytes:
        """Seal bytes for this enclave (default: the program's seal_policy); no freshness."""
        return self._services.seal(self.identity, bytes(data), KeyPolicy(policy or self._policy))

    def unseal(self, blob: bytes) -> bytes:
        """Open a blob made by ``seal``; state blobs are refused (they open only through the counter check)."""
        plaintext, header = self._services.unseal(self.identity, blob)
        if header.counter is not None:
            raise SealingError("this is a counter-protected state blob: open it with open_state")
        return plaintext

    def halt(self, reason: str) -> NoReturn:
        """Fail closed: stop the enclave for good (every later call raises EnclaveHalted)."""
        self._enclave._halt(reason)
        raise EnclaveHalted(f"enclave halted: {reason}")


def _slot(identity: EnclaveIdentity, policy: KeyPolicy) -> str:
    """Name of an enclave's counter and storage: its sealing identity (so upgrades share it under MRSIGNER)."""
    who = (identity.mrenclave if policy is KeyPolicy.MRENCLAVE else identity.mrsigner) \
        + identity.product_id.to_bytes(2, "big")
    return hashlib.sha256(int(policy).to_bytes(2, "big") + who + bytes([identity.debug])).hexdigest()[:32]


class Enclave:
    """The host's handle on a launched enclave (made by ``Platform.launch``)."""

    def __init__(self, services, image: ProgramImage, identity: EnclaveIdentity):
        self._services = services
        self._image = image
        self.identity = identity
        self._halted: str | None = None
        self._lock = threading.RLock()
        self._entry_points = image.program.entry_points()
        policy = KeyPolicy(image.program.seal_policy)
        signing_key, agreement_key = self._load_keys(policy)
        self._ctx = EnclaveContext(self, services, identity, image.fresh_config(), policy, signing_key,
                                   agreement_key)
        self._program = image.program(self._ctx)

    def _load_keys(self, policy: KeyPolicy) -> tuple[SigningKey, PrivateKey]:
        """The enclave's key pair, kept sealed in host storage so restarts keep the attested keys."""
        slot = _slot(self.identity, policy)
        blob = self._services.storage.read(slot, "keys")
        if blob is not None:
            plaintext, _ = self._services.unseal(self.identity, blob)
            if len(plaintext) != 64:
                raise SealingError("sealed enclave keys have the wrong length")
            return SigningKey(plaintext[:32]), PrivateKey(plaintext[32:])
        signing_key, agreement_key = SigningKey.generate(), PrivateKey.generate()
        sealed = self._services.seal(self.identity, bytes(signing_key) + bytes(agreement_key), policy)
        self._services.storage.write(slot, "keys", sealed)
        return signing_key, agreement_key

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        """Restore the latest sealed state from host storage and run the program's on_start."""
        ctx = self._ctx
        blob = self._services.storage.read(ctx._slot, "state")
        if blob is None:
            if ctx.counter != 0:
                reason = (f"no sealed state, but the monotonic counter is at {ctx.counter}: "
                          f"the host withheld or deleted it")
                self._halt(reason)
                raise RollbackDetected(reason)
            state = None
        else:
            state = ctx.open_state(blob)
        with self._lock:
            self._program.on_start(state)

    def restore(self, blob: bytes) -> None:
        """The host hands the enclave a state blob to resume from (it must be the latest)."""
        self._check_running()
        with self._lock:
            self._program.on_start(self._ctx.open_state(blob))

    def _halt(self, reason: str) -> None:
        self._halted = reason

    @property
    def halted(self) -> bool:
        return self._halted is not None

    def _check_running(self) -> None:
        if self._halted is not None:
            raise EnclaveHalted(f"enclave halted: {self._halted}")

    # --- the boundary ------------------------------------------------------------------

    @property
    def public_keys(self) -> EnclaveKeys:
        return self._ctx.public_keys

    @property
    def ecalls(self) -> tuple[str, ...]:
        return tuple(sorted(self._entry_points))

    @property
    def counter(self) -> int:
        return self._ctx.counter

    @property
    def storage_slot(self) -> str:
        """Name of this enclave's directory in host storage (its blobs "state" and "keys") and of its counter."""
        return self._ctx._slot

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Invoke declared entry point ``name``."""
        self._check_running()
        function = self._entry_points.get(name)
        if function is None:
            raise MalformedInput(f"enclave has no ecall {name!r} (declared: {', '.join(self.ecalls) or 'none'})")
        with self._lock:
            self._check_running()
            return function(self._program, *args, **kwargs)

    def quote(self, report_data: bytes) -> Quote:
        """A quote over this enclave's identity and 64 bytes of report data, signed by the platform."""
        self._check_running()
        return self._services.quote(self.identity, report_data)

    def attest(self, nonce: bytes) -> Quote:
        """A quote binding this enclave's public keys to a verifier's ``nonce`` (what a verifier asks for)."""
        self._check_running()
        if not isinstance(nonce, bytes) or not 16 <= len(nonce) <= 64:
            raise MalformedInput("attestation nonce must be 16 to 64 bytes")
        keys = self.public_keys
        return self._services.quote(self.identity, report_data_for(keys, nonce), enclave_keys=keys, nonce=nonce)

    def handle(self, request: bytes) -> bytes:
        """Serve one secure-channel request (see enclave_sim.channel): decrypt, run the ecall, sign the answer."""
        self._check_running()
        method, args, kwargs = open_request(self._ctx.agreement_key, request)
        try:
            result = self.call(method, *args, **kwargs)
        except EnclaveHalted:
            raise
        except (ZkEscrowError, ValueError, TypeError) as exc:
            if self.halted:
                raise           # a halted enclave signs nothing, not even its error
            return sign_response(self._ctx.signing_key, request, error=exc)
        return sign_response(self._ctx.signing_key, request, result=result)

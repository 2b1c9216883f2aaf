"""A sealed key-value store: the smallest useful enclave program.

Every write commits the whole store with ``ctx.save_state`` (counter + 1, sealed, handed to the host), so a
restart resumes from the last committed write and an older blob is refused.  ``config`` is measured with the
code: a store built with another ``max_keys`` is another enclave.
"""
from enclave_sim import EnclaveProgram, ecall


class KeyValueStore(EnclaveProgram):
    """Strings to strings, at most ``max_keys`` of them, with signed reads."""
    config = {"max_keys": 64}

    def on_start(self, state):
        self.items = dict(state["items"]) if state else {}

    @ecall
    def put(self, key: str, value: str) -> int:
        """Store ``value`` under ``key``; return the counter value that commits it."""
        if not isinstance(key, str) or not isinstance(value, str):
            raise ValueError("keys and values are strings")
        if key not in self.items and len(self.items) >= self.config["max_keys"]:
            raise ValueError(f"store is full ({self.config['max_keys']} keys)")
        self.items[key] = value
        return self.ctx.save_state({"items": self.items})

    @ecall
    def get(self, key: str) -> str | None:
        return self.items.get(key)

    @ecall
    def signed_get(self, key: str) -> dict:
        """The value with the enclave's signature over key and value (check with VerifiedEnclave.verify)."""
        value = self.items.get(key)
        message = f"{key}={value}".encode()
        return {"value": value, "signature": self.ctx.sign(message).hex()}

    @ecall
    def size(self) -> int:
        return len(self.items)

    def forget_everything(self) -> None:
        """Not an ecall: unreachable from outside the enclave."""
        self.items.clear()

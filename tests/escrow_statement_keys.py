"""A stand-in for Groth16 circuit keys in escrow tests: statements checked natively (or by the constraint checker).

``prove`` builds no proof: it checks the statement — the native checks that
``transfer_inputs``/``escrow_release_inputs`` already made, plus the full R1CS
when ``check_constraints`` — and returns a MAC over the public signals under a key
only this object holds.  ``verify_many`` accepts exactly the public signals it
vouched for, so a transaction whose body was changed after "proving" is rejected
just as a real proof would be.  Used where hundreds of sessions must run in
seconds; a few tests use the real keys (fixture ``circuit_keys``).
"""
import hashlib
import hmac
import json
import secrets
import time

from zkescrow.ledger.proofs import CircuitKeys


class StatementKeys:
    def __init__(self, depth: int, *, check_constraints: bool = False):
        self.depth = depth
        self.check_constraints = check_constraints
        self._shapes = CircuitKeys("/nonexistent", depth)      # only for circuit(): no keys are read or made
        self._key = secrets.token_bytes(32)

    def circuit(self, name: str):
        return self._shapes.circuit(name)

    def _tag(self, name: str, public) -> str:
        message = json.dumps([name, [str(int(x)) for x in public]]).encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def prove(self, name: str, inputs: dict):
        start = time.perf_counter()
        circuit = self.circuit(name)
        if self.check_constraints:
            circuit.witness(inputs)
        public = []
        for signal, _, length in circuit.signals("public"):
            value = inputs[signal]
            public += [int(v) for v in value] if length is not None else [int(value)]
        return {"statement": self._tag(name, public)}, public, time.perf_counter() - start

    def verify_many(self, name: str, items: list) -> list:
        return [isinstance(proof, dict) and hmac.compare_digest(str(proof.get("statement")), self._tag(name, public))
                for public, proof in items]


def make_world(directory, keys, *, driver_funds: int = 10_000_000, shield: int = 2_000_000, price: int = 5,
               log=None, **options):
    """A world with one pole (``price`` per Wh), a car that verified the enclave and shielded ``shield``."""
    from zkescrow.escrow.world import EscrowWorld
    world = EscrowWorld.create(directory, keys, depth=keys.depth, funds={"driver": driver_funds, "operator": 0},
                               log=log, **options)
    pole = world.add_pole("pole-1", "operator", price)
    car = world.car("driver")
    car.verify_enclave(world.host)
    car.wallet.scan()
    result = world.mine(*car.wallet.shield_split(shield))      # in the ledger's denominations
    assert not result.rejected
    car.wallet.scan()
    return world, car, pole

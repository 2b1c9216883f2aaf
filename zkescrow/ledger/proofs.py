"""Groth16 keys of the built-in circuits for one ledger, kept in ``DATA_DIR/keys``.

The first use of a circuit runs a development setup (``setup_dev``: one party,
fresh OS randomness — fine for a local demo ledger, not for value; see
``zkescrow setup`` and ``zkescrow zkey contribute`` for a real ceremony) and
writes ``NAME-dD.zkey`` with a sidecar naming the SHA-256 of the circuit's
.r1cs, so a key is never used with a circuit it was not made for.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from zkescrow.errors import MalformedInput

#: Circuits whose size depends on the Merkle depth.
DEPTH_CIRCUITS = ("transfer", "escrow_release")


class CircuitKeys:
    """Proving/verification keys and circuits of one ledger (tree ``depth``), cached on disk and in memory."""

    def __init__(self, keys_dir: str | Path, depth: int, *, log=None, workers: int | None = None):
        self.dir = Path(keys_dir)
        self.depth = depth
        self.log = log or (lambda message: None)
        self.workers = workers          # prover processes per proof (None: the prover's default for the key)
        self._circuits, self._pks, self._vks = {}, {}, {}

    def circuit(self, name: str):
        if name not in self._circuits:
            from circuits.registry import get
            self._circuits[name] = get(name, depth=self.depth) if name in DEPTH_CIRCUITS else get(name)
        return self._circuits[name]

    def _stem(self, name: str) -> str:
        return f"{name}-d{self.depth}" if name in DEPTH_CIRCUITS else name

    def _r1cs_digest(self, name: str) -> str:
        from zkescrow.formats.r1cs_file import r1cs_to_bytes
        return hashlib.sha256(r1cs_to_bytes(self.circuit(name).compile())).hexdigest()

    def proving_key(self, name: str):
        if name in self._pks:
            return self._pks[name]
        from zkescrow.groth16 import read_zkey, setup_dev, write_zkey
        zkey = self.dir / f"{self._stem(name)}.zkey"
        meta = zkey.with_suffix(".json")
        digest = self._r1cs_digest(name)
        if zkey.exists() and meta.exists() and json.loads(meta.read_text()).get("r1cs_sha256") == digest:
            pk = read_zkey(zkey)
        else:
            start = time.perf_counter()
            self.log(f"development setup for {name} (first use; cached in {self.dir})")
            pk = setup_dev(self.circuit(name).compile())
            self.dir.mkdir(parents=True, exist_ok=True)
            tmp = zkey.with_suffix(".zkey.tmp")
            write_zkey(pk, tmp)
            os.replace(tmp, zkey)
            meta.write_text(json.dumps({"circuit": name, "depth": self.depth, "r1cs_sha256": digest,
                                        "setup": "development (single party)",
                                        "seconds": round(time.perf_counter() - start, 2)}, indent=1))
        self._pks[name] = pk
        return pk

    def verification_key(self, name: str):
        if name not in self._vks:
            self._vks[name] = self.proving_key(name).verification_key()
        return self._vks[name]

    def prove(self, name: str, inputs: dict):
        """(proof JSON, public signals, seconds) for the circuit ``name`` on ``inputs``."""
        from zkescrow.groth16 import prove
        pk = self.proving_key(name)
        start = time.perf_counter()
        witness = self.circuit(name).witness(inputs)
        proof, public = prove(pk, witness, workers=self.workers)
        return proof.to_json(), public, time.perf_counter() - start

    def verify_many(self, name: str, items: list) -> list[bool]:
        """For [(public, proof JSON)], which verify — in one batch when all do."""
        from zkescrow.groth16 import Proof, find_invalid, verify_batch
        vk = self.verification_key(name)
        parsed = []
        ok = [True] * len(items)
        for k, (public, proof) in enumerate(items):
            try:
                parsed.append((k, [int(x) for x in public], Proof.from_json(proof)))
            except (MalformedInput, TypeError, ValueError):
                ok[k] = False
        batch = [(pub, proof) for _, pub, proof in parsed]
        try:
            all_valid = not batch or verify_batch(vk, batch)
            bad = [] if all_valid else find_invalid(vk, batch)
        except MalformedInput:              # a wrong-shaped item spoils the batch: judge one by one
            bad = [k for k, item in enumerate(batch) if not _verifies(vk, item)]
        for k in bad:
            ok[parsed[k][0]] = False
        return ok


def _verifies(vk, item) -> bool:
    from zkescrow.groth16 import verify
    try:
        return verify(vk, *item)
    except MalformedInput:
        return False

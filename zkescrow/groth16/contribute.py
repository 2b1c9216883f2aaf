"""Phase-2 contributions to a Groth16 key, exactly like ``snarkjs zkey contribute`` (and ``zkey beacon``).

A contributor picks a secret k and replaces δ by k·δ, dividing the C and H points by k
(snarkjs ``src/zkey_contribute.js``, ``src/mpc_applykey.js``).  A, B1, B2 and IC stay.  The
record proves knowledge of k without revealing it (snarkjs ``src/keypair.js``)::

    transcript = blake2b-512(csHash ‖ pubkey(c_1) ‖ … ‖ pubkey(c_j) ‖ U(g1_s) ‖ U(g1_sx))
    g1_sx  = k·g1_s                        g1_s a random G1 point
    g2_spx = k·hash_to_g2(transcript)
    deltaAfter = k·δ_before (G1)

where pubkey(c) = U(deltaAfter) ‖ U(g1_s) ‖ U(g1_sx) ‖ U(g2_spx) ‖ transcript, U the
uncompressed form.  A verifier checks e(g1_s, g2_spx) = e(g1_sx, hash_to_g2(transcript)) and
e(δ_before, g2_spx) = e(deltaAfter, hash_to_g2(transcript)).

``hash_to_g2`` must be bit-exact with ffjavascript: the transcript seeds ChaCha20 (eight
big-endian words), and ``G2.fromRng`` draws x ∈ Fq2 (each coordinate a 256-bit value masked to
254 bits, rejected if ≥ q, and read as a *Montgomery* representation, i.e. x = v·2^-256), a sign
bit, retries until x³ + b' is a square, then clears the cofactor.
"""
from __future__ import annotations

import hashlib
import os
import struct

from gmpy2 import invert, mpz

from ..bn254.constants import B, B2, G1_GENERATOR, G2_COFACTOR, Q, R
from ..bn254.curve import (JAC_G1_INFINITY, g1_batch_from_jacobian, g1_mul, g2_from_jacobian, g2_mul,
                           jac_g1_mul, jac_g2_mul)
from ..bn254.fields import fq2_add, fq2_mul, fq2_neg, fq2_sqr, fq2_sqrt, fq_sqrt
from ..errors import MalformedInput
from ..formats.lem import g1_to_u, g2_to_u
from .keys import Contribution, ProvingKey

_RQ_INV = invert(mpz(2) ** 256 % Q, Q)
_RR_INV = invert(mpz(2) ** 256 % R, R)
_MASK254 = (1 << 254) - 1
_M32 = 0xFFFFFFFF


# --- ffjavascript's ChaCha20 generator and the draws built on it -----------------------------

class ChaCha:
    """ffjavascript ``ChaCha``: ChaCha20 block function with a zero nonce, 32-bit words out."""

    def __init__(self, seed):
        self.state = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574, *seed, 0, 0, 0, 0]
        self.buff = []
        self.idx = 16

    @staticmethod
    def _quarter(st, a, b, c, d):
        st[a] = (st[a] + st[b]) & _M32
        x = st[d] ^ st[a]
        st[d] = ((x << 16) | (x >> 16)) & _M32
        st[c] = (st[c] + st[d]) & _M32
        x = st[b] ^ st[c]
        st[b] = ((x << 12) | (x >> 20)) & _M32
        st[a] = (st[a] + st[b]) & _M32
        x = st[d] ^ st[a]
        st[d] = ((x << 8) | (x >> 24)) & _M32
        st[c] = (st[c] + st[d]) & _M32
        x = st[b] ^ st[c]
        st[b] = ((x << 7) | (x >> 25)) & _M32

    def _update(self):
        st = list(self.state)
        q = self._quarter
        for _ in range(10):
            q(st, 0, 4, 8, 12)
            q(st, 1, 5, 9, 13)
            q(st, 2, 6, 10, 14)
            q(st, 3, 7, 11, 15)
            q(st, 0, 5, 10, 15)
            q(st, 1, 6, 11, 12)
            q(st, 2, 7, 8, 13)
            q(st, 3, 4, 9, 14)
        self.buff = [(a + b) & _M32 for a, b in zip(st, self.state)]
        self.idx = 0
        for i in range(12, 16):           # 128-bit block counter, carried word by word
            self.state[i] = (self.state[i] + 1) & _M32
            if self.state[i]:
                break

    def next_u32(self) -> int:
        if self.idx == 16:
            self._update()
        value = self.buff[self.idx]
        self.idx += 1
        return value

    def next_u64(self) -> int:
        return (self.next_u32() << 32) + self.next_u32()

    def next_bool(self) -> bool:
        return bool(self.next_u32() & 1)


def chacha_from_hash(digest: bytes) -> ChaCha:
    """ChaCha seeded with the first 32 bytes of ``digest`` as eight big-endian words."""
    return ChaCha(list(struct.unpack(">8I", digest[:32])))


def _field_from_rng(rng: ChaCha, modulus, r_inv):
    """ffjavascript ``F.fromRng``: a 254-bit draw below the modulus, read as Montgomery form."""
    while True:
        v = 0
        for i in range(4):
            v += rng.next_u64() << (64 * i)
        v &= _MASK254
        if v < modulus:
            return mpz(v) * r_inv % modulus


def fr_from_rng(rng: ChaCha) -> mpz:
    return _field_from_rng(rng, R, _RR_INV)


def _fq_negative(a) -> bool:
    return a > (Q - 1) // 2


def _fq2_negative(a) -> bool:
    return _fq_negative(a[1]) if a[1] else _fq_negative(a[0])


def g1_from_rng(rng: ChaCha):
    """ffjavascript ``G1.fromRng`` (BN254 G1 has cofactor 1)."""
    while True:
        x = _field_from_rng(rng, Q, _RQ_INV)
        greatest = rng.next_bool()
        y = fq_sqrt((x * x * x + B) % Q)
        if y is not None:
            break
    if greatest != _fq_negative(y):
        y = -y % Q
    return (x, y)


def hash_to_g2(digest: bytes):
    """snarkjs ``keypair.hashToG2``: ``G2.fromRng(ChaCha(digest))`` times the G2 cofactor."""
    rng = chacha_from_hash(digest)
    while True:
        x = (_field_from_rng(rng, Q, _RQ_INV), _field_from_rng(rng, Q, _RQ_INV))
        greatest = rng.next_bool()
        y = fq2_sqrt(fq2_add(fq2_mul(fq2_sqr(x), x), B2))
        if y is not None:
            break
    if greatest != _fq2_negative(y):
        y = fq2_neg(y)
    return g2_from_jacobian(jac_g2_mul((x, y), int(G2_COFACTOR)))


def rng_from_beacon(beacon_hash: bytes, num_iterations_exp: int) -> ChaCha:
    """snarkjs ``misc.rngFromBeaconParams``: SHA-256 iterated 2^exp times, then ChaCha."""
    digest = bytes(beacon_hash)
    for _ in range(1 << num_iterations_exp):
        digest = hashlib.sha256(digest).digest()
    return chacha_from_hash(digest)


# --- transcripts ------------------------------------------------------------------------------

def hash_pubkey(hasher, c: Contribution) -> None:
    """snarkjs ``zkey_utils.hashPubKey``."""
    hasher.update(g1_to_u(c.delta_after))
    hasher.update(g1_to_u(c.g1_s))
    hasher.update(g1_to_u(c.g1_sx))
    hasher.update(g2_to_u(c.g2_spx))
    hasher.update(bytes(c.transcript))


def transcript_hasher(cs_hash: bytes, contributions):
    """blake2b-512 over csHash and the public keys of ``contributions`` (the running transcript)."""
    hasher = hashlib.blake2b(digest_size=64)
    hasher.update(bytes(cs_hash))
    for c in contributions:
        hash_pubkey(hasher, c)
    return hasher


def contribution_hash(c: Contribution) -> bytes:
    """The hash snarkjs prints for a contribution: blake2b-512 of its public key."""
    hasher = hashlib.blake2b(digest_size=64)
    hash_pubkey(hasher, c)
    return hasher.digest()


def format_hash(digest: bytes, title: str | None = None) -> str:
    """snarkjs ``misc.formatHash``: four lines of four 8-hex-digit words."""
    words = struct.unpack(">16I", digest)
    lines = ["\t\t" + " ".join(f"{w:08x}" for w in words[4 * i:4 * i + 4]) for i in range(4)]
    return "\n".join(([title] if title else []) + lines)


# --- contributing -----------------------------------------------------------------------------

def _scale_g1(points, k: int) -> list:
    return g1_batch_from_jacobian([jac_g1_mul(P, k) if P is not None else JAC_G1_INFINITY
                                   for P in points])


def contribute(key, name: str | None = None, entropy: str | bytes | None = None, *,
               progress=None) -> ProvingKey:
    """A new key with one more phase-2 contribution; ``key`` is a ProvingKey or a .zkey path.

    The secret k is derived from 64 bytes of ``os.urandom`` hashed with ``entropy`` (optional
    text from the contributor; it adds to, never replaces, the OS randomness) and is dropped on
    return.  The input key is not modified.
    """
    key = _check_key(key)
    report = progress or (lambda step: None)

    if isinstance(entropy, str):
        entropy = entropy.encode("utf-8")
    seed = hashlib.blake2b(os.urandom(64) + (entropy or b""), digest_size=64).digest()
    k = mpz(0)
    counter = 0
    while not k:
        k = mpz(int.from_bytes(hashlib.blake2b(seed + b"k" + bytes([counter]), digest_size=64).digest(), "big")) % R
        counter += 1
    s = mpz(int.from_bytes(hashlib.blake2b(seed + b"s", digest_size=64).digest(), "big")) % R or mpz(1)
    seed = None

    g1_s = g1_mul(G1_GENERATOR, s)
    s = None
    return _apply_delta(key, k, g1_s, {"type": 0, "name": name or None}, report)


def _check_key(key) -> ProvingKey:
    if not isinstance(key, ProvingKey):
        from .zkey import read_zkey
        key = read_zkey(key)
    if not key.has_proving_sections:
        raise MalformedInput("the key was read without its proving sections; read it with proving=True")
    if key.cs_hash is None:
        raise MalformedInput("the zkey has no ceremony record (section 10), so it cannot take contributions")
    return key


def _apply_delta(key: ProvingKey, k, g1_s, record: dict, report) -> ProvingKey:
    """δ ← k·δ, C and H ← C/k, H/k, and the contribution record with its proof of knowledge of k."""
    hasher = transcript_hasher(key.cs_hash, key.contributions)
    g1_sx = g1_mul(g1_s, k)
    hasher.update(g1_to_u(g1_s))
    hasher.update(g1_to_u(g1_sx))
    transcript = hasher.digest()
    g2_spx = g2_mul(hash_to_g2(transcript), k)
    delta1 = g1_mul(key.delta1, k)
    delta2 = g2_mul(key.delta2, k)
    contribution = Contribution(delta_after=delta1, g1_s=g1_s, g1_sx=g1_sx, g2_spx=g2_spx, transcript=transcript,
                                **record)

    report("applying the key to C and H")
    k_inv = invert(k, R)
    c = _scale_g1(key.c, k_inv)
    h = _scale_g1(key.h, k_inv)
    k_inv = None

    return ProvingKey(n_vars=key.n_vars, n_public=key.n_public, domain_size=key.domain_size,
                      alpha1=key.alpha1, beta1=key.beta1, beta2=key.beta2, gamma2=key.gamma2,
                      delta1=delta1, delta2=delta2, ic=list(key.ic), coefs=list(key.coefs), a=list(key.a),
                      b1=list(key.b1), b2=list(key.b2), c=c, h=h, cs_hash=key.cs_hash,
                      contributions=[*key.contributions, contribution])


def beacon(key, beacon_hash: bytes, num_iterations_exp: int, name: str | None = None, *,
           progress=None, minimum_exp: int = 10) -> ProvingKey:
    """The final phase-2 contribution from a public random beacon (snarkjs ``zkey beacon``).

    k and g1_s are drawn from ChaCha seeded with SHA-256 iterated 2^``num_iterations_exp`` times over
    ``beacon_hash`` (``misc.rngFromBeaconParams``), so anyone can recompute them: same inputs, same
    key as snarkjs.  snarkjs asks for 10 ≤ exp ≤ 63; tests may lower the minimum.
    """
    if not 1 <= len(beacon_hash) < 256:
        raise MalformedInput("a beacon hash has 1 to 255 bytes")
    if not minimum_exp <= num_iterations_exp <= 63:
        raise MalformedInput(f"numIterationsExp {num_iterations_exp} is outside {minimum_exp}..63")
    key = _check_key(key)
    rng = rng_from_beacon(bytes(beacon_hash), num_iterations_exp)
    k = fr_from_rng(rng)
    g1_s = g1_from_rng(rng)
    record = {"type": 1, "name": name or None, "num_iterations_exp": num_iterations_exp,
              "beacon_hash": bytes(beacon_hash)}
    return _apply_delta(key, k, g1_s, record, progress or (lambda step: None))

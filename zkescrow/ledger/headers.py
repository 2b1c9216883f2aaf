"""Block headers of a Proof-of-Authority ledger, their Merkle commitments, and a light client that follows them.

Pure (hashlib, json, PyNaCl; no SQLite), so an enclave can measure this module and
follow the chain itself.

    Header        chain_id, height, prev, tx_root, note_root, escrow_root (+ the authorities and the
                  threshold, in the genesis header only)
    hash          SHA-256(HEADER_HASH_DOMAIN ‖ canonical JSON of the header), hex
    chain_id      the hash of the genesis header (whose own chain_id is "")
    SignedHeader  a header and Ed25519 signatures over HEADER_DOMAIN ‖ hash bytes, by the authority keys
    tx_root       Merkle root over tx_leaf(tx) of the block's accepted transactions, in order:
                  tx_leaf = SHA-256(TX_LEAF_DOMAIN ‖ canonical {kind, body, signature}), so the block
                  hash commits to every transaction body and signature
    Merkle tree   leaves padded with EMPTY to a power of two; node = SHA-256(0x01 ‖ left ‖ right),
                  leaf node = SHA-256(0x00 ‖ leaf); the padding value is no leaf node's preimage
                  (domain-separated), so a proof's length and the index fix the position

``HeaderChain`` is the light client: it pins the authority keys, the threshold and the
chain id, accepts a header only if it is signed by enough authorities, extends the tip
by one height and links to the tip's hash, and remembers the last ``window`` headers
(their note roots, for spends proven against a recent root).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from zkescrow.errors import InvalidProof, InvalidSignature, MalformedInput

HEADER_HASH_DOMAIN = b"zkescrow-ledger-v1/header-hash\x00"
HEADER_DOMAIN = b"zkescrow-ledger-v1/header\x00"
TX_LEAF_DOMAIN = b"zkescrow-ledger-v1/tx-leaf\x00"
GENESIS_PREV = "00" * 32
#: The padding leaf node: not SHA-256(0x00 ‖ anything) and not SHA-256(0x01 ‖ anything) but for a collision.
EMPTY = hashlib.sha256(b"\x02zkescrow-ledger-v1/empty").digest()
#: Headers a light client keeps (note roots a spend may prove against, blocks it can check inclusion in).
DEFAULT_WINDOW = 128
MAX_PROOF_LENGTH = 48

_HEX32 = re.compile(r"^[0-9a-f]{64}$")
_DECIMAL = re.compile(r"^(0|[1-9][0-9]{0,77})$")


def canonical(obj) -> bytes:
    """Canonical JSON (keys sorted, no whitespace, ASCII): the same bytes as ``codec.canonical``."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _hex32(value, name: str, *, empty_ok: bool = False) -> str:
    if empty_ok and value == "":
        return value
    if not isinstance(value, str) or not _HEX32.match(value):
        raise MalformedInput(f"header {name} must be 64 lowercase hex digits, got {str(value)[:80]!r}")
    return value


@dataclass(frozen=True)
class Header:
    """One block's header; see the module docstring.  ``note_root`` is a decimal string."""

    chain_id: str
    height: int
    prev: str
    tx_root: str
    note_root: str
    escrow_root: str = ""
    authorities: tuple[str, ...] = ()
    threshold: int = 0

    def __post_init__(self):
        if isinstance(self.height, bool) or not isinstance(self.height, int) or not 0 <= self.height < 2**62:
            raise MalformedInput(f"header height must be an integer in [0, 2^62), got {self.height!r}")
        _hex32(self.chain_id, "chain_id", empty_ok=self.height == 0)
        _hex32(self.prev, "prev")
        _hex32(self.tx_root, "tx_root")
        _hex32(self.escrow_root, "escrow_root", empty_ok=True)
        if not isinstance(self.note_root, str) or not _DECIMAL.match(self.note_root):
            raise MalformedInput(f"header note_root must be a decimal string, got {str(self.note_root)[:80]!r}")
        if not isinstance(self.authorities, tuple):
            object.__setattr__(self, "authorities", tuple(self.authorities))
        for key in self.authorities:
            _hex32(key, "authority key")
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, int):
            raise MalformedInput("header threshold must be an integer")
        if self.height == 0:
            if self.chain_id != "" or self.prev != GENESIS_PREV:
                raise MalformedInput("the genesis header has no chain id and links to the zero hash")
            if not self.authorities or len(set(self.authorities)) != len(self.authorities) or \
                    not 1 <= self.threshold <= len(self.authorities):
                raise MalformedInput("the genesis header names distinct authority keys and a threshold in [1, n]")
        elif self.authorities or self.threshold:
            raise MalformedInput("only the genesis header names authorities")

    def to_json(self) -> dict:
        return {"chain_id": self.chain_id, "height": self.height, "prev": self.prev, "tx_root": self.tx_root,
                "note_root": self.note_root, "escrow_root": self.escrow_root,
                "authorities": list(self.authorities), "threshold": self.threshold}

    @classmethod
    def from_json(cls, obj) -> "Header":
        obj = _load(obj, "header")
        names = ("chain_id", "height", "prev", "tx_root", "note_root", "escrow_root", "authorities", "threshold")
        if set(obj) != set(names):
            raise MalformedInput(f"a header has exactly the fields {', '.join(names)}")
        if not isinstance(obj["authorities"], list):
            raise MalformedInput("header authorities must be a list")
        return cls(obj["chain_id"], obj["height"], obj["prev"], obj["tx_root"], obj["note_root"],
                   obj["escrow_root"], tuple(obj["authorities"]), obj["threshold"])

    def hash(self) -> str:
        """Hex SHA-256 of the domain and the canonical encoding: the block hash (and, at height 0, the chain id)."""
        return hashlib.sha256(HEADER_HASH_DOMAIN + canonical(self.to_json())).hexdigest()

    def signing_bytes(self) -> bytes:
        return HEADER_DOMAIN + bytes.fromhex(self.hash())

    def sign(self, key: SigningKey) -> str:
        """An authority's signature (hex) over this header."""
        return key.sign(self.signing_bytes()).signature.hex()


@dataclass(frozen=True)
class SignedHeader:
    """A header with the authorities' signatures (hex Ed25519, any order)."""

    header: Header
    signatures: list = field(default_factory=list, hash=False)

    def signers(self, authorities) -> set[str]:
        """The authority keys (hex) among ``authorities`` that signed this header."""
        message, found = self.header.signing_bytes(), set()
        for signature in self.signatures:
            for key in authorities:
                if key in found:
                    continue
                try:
                    VerifyKey(bytes.fromhex(key)).verify(message, bytes.fromhex(signature))
                except (BadSignatureError, ValueError, TypeError):
                    continue
                found.add(key)
                break
        return found

    def require_signed(self, authorities, threshold: int) -> None:
        """InvalidSignature unless at least ``threshold`` distinct ``authorities`` signed."""
        count = len(self.signers(authorities))
        if count < threshold:
            raise InvalidSignature(f"header {self.header.height} carries {count} valid authority signature(s), "
                                   f"{threshold} needed")

    def to_json(self) -> dict:
        return {"header": self.header.to_json(), "signatures": list(self.signatures)}

    @classmethod
    def from_json(cls, obj) -> "SignedHeader":
        obj = _load(obj, "signed header")
        signatures = obj.get("signatures")
        if set(obj) != {"header", "signatures"} or not isinstance(signatures, list) or len(signatures) > 64 or \
                not all(isinstance(s, str) and re.fullmatch(r"[0-9a-f]{128}", s) for s in signatures):
            raise MalformedInput("a signed header is {header, signatures: [hex Ed25519 signatures]}")
        return cls(Header.from_json(obj["header"]), list(signatures))


def _load(obj, what: str) -> dict:
    if isinstance(obj, (str, bytes)):
        try:
            obj = json.loads(obj)
        except ValueError as exc:
            raise MalformedInput(f"{what} is not JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise MalformedInput(f"{what} must be a JSON object")
    return obj


# --- transaction commitments ----------------------------------------------------------------

def tx_leaf(tx_json: dict) -> bytes:
    """SHA-256 over the canonical kind, body and signature of a transaction (its ``to_json()``)."""
    if not isinstance(tx_json, dict) or "kind" not in tx_json or "body" not in tx_json:
        raise MalformedInput("a transaction is an object with 'kind' and 'body'")
    return hashlib.sha256(TX_LEAF_DOMAIN + canonical({"kind": tx_json["kind"], "body": tx_json["body"],
                                                      "signature": tx_json.get("signature")})).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _leaf_node(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def _levels(leaves: list[bytes]) -> list[list[bytes]]:
    for leaf in leaves:
        if not isinstance(leaf, bytes) or len(leaf) != 32:
            raise MalformedInput("Merkle leaves are 32-byte digests")
    level = [_leaf_node(leaf) for leaf in leaves] or [EMPTY]
    size = 1
    while size < len(level):
        size *= 2
    level += [EMPTY] * (size - len(level))
    levels = [level]
    while len(level) > 1:
        level = [_node(level[i], level[i + 1]) for i in range(0, len(level), 2)]
        levels.append(level)
    return levels


def merkle_root(leaves: list[bytes]) -> str:
    """Hex root over ``leaves`` (32-byte digests), padded to a power of two."""
    return _levels(leaves)[-1][0].hex()


def inclusion_proof(leaves: list[bytes], index: int) -> list[str]:
    """The sibling hashes (hex, leaf level first) that lead leaf ``index`` to ``merkle_root(leaves)``."""
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(leaves):
        raise MalformedInput(f"leaf index {index!r} is not in [0, {len(leaves)})")
    proof = []
    for level in _levels(leaves)[:-1]:
        proof.append(level[index ^ 1].hex())
        index //= 2
    return proof


def verify_inclusion(root: str, leaf: bytes, index: int, proof: list[str]) -> bool:
    """True iff ``proof`` leads ``leaf`` at position ``index`` to ``root``; False for anything malformed."""
    if not isinstance(proof, list) or len(proof) > MAX_PROOF_LENGTH or not isinstance(leaf, bytes) or \
            len(leaf) != 32 or isinstance(index, bool) or not isinstance(index, int) or \
            not 0 <= index < 2 ** len(proof) or not isinstance(root, str):
        return False
    node = _leaf_node(leaf)
    for sibling in proof:
        if not isinstance(sibling, str) or not _HEX32.match(sibling):
            return False
        node = _node(bytes.fromhex(sibling), node) if index & 1 else _node(node, bytes.fromhex(sibling))
        index //= 2
    return node.hex() == root


# --- the light client ----------------------------------------------------------------------

class HeaderChain:
    """Follows one ledger's signed headers from genesis; see the module docstring.

    ``authorities`` (hex Ed25519 keys) and ``threshold`` are pinned; ``chain_id`` pins the
    genesis header (its hash).  ``append`` raises InvalidSignature for too few authority
    signatures and MalformedInput for a header of another chain, a skipped or repeated
    height, or a wrong ``prev``.
    """

    def __init__(self, authorities, threshold: int, chain_id: str, *, window: int = DEFAULT_WINDOW):
        authorities = tuple(authorities)
        for key in authorities:
            _hex32(key, "authority key")
        if isinstance(threshold, bool) or not isinstance(threshold, int) or \
                not 1 <= threshold <= len(authorities) or len(set(authorities)) != len(authorities):
            raise MalformedInput("a header chain pins distinct authority keys and a threshold in [1, n]")
        if isinstance(window, bool) or not isinstance(window, int) or not 1 <= window <= 1 << 20:
            raise MalformedInput("the header window is an integer in [1, 2^20]")
        self.authorities = authorities
        self.threshold = threshold
        self.chain_id = _hex32(chain_id, "chain_id")
        self.window = window
        self._recent: list[Header] = []          # the last ``window`` headers, oldest first

    @property
    def tip(self) -> Header | None:
        return self._recent[-1] if self._recent else None

    @property
    def tip_height(self) -> int:
        """Height of the last accepted header; -1 before genesis."""
        return self._recent[-1].height if self._recent else -1

    @property
    def tip_hash(self) -> str:
        return self._recent[-1].hash() if self._recent else GENESIS_PREV

    def check(self, signed: SignedHeader) -> Header:
        """The header if it is this chain's and signed by the pinned authorities (any height; not appended)."""
        if not isinstance(signed, SignedHeader):
            signed = SignedHeader.from_json(signed)
        header = signed.header
        if header.height == 0:
            if header.hash() != self.chain_id:
                raise MalformedInput("this genesis header is not the pinned chain's (its hash is not the chain id)")
            if set(header.authorities) != set(self.authorities) or header.threshold != self.threshold:
                raise MalformedInput("the genesis header names other authorities than the pinned ones")
        elif header.chain_id != self.chain_id:
            raise MalformedInput(f"header {header.height} is for chain {header.chain_id[:16]}…, "
                                 f"not {self.chain_id[:16]}…")
        signed.require_signed(self.authorities, self.threshold)
        return header

    def append(self, signed: SignedHeader) -> Header:
        """Accept the next header (height = tip + 1, prev = tip hash, enough authority signatures)."""
        header = self.check(signed)
        if header.height != self.tip_height + 1:
            raise MalformedInput(f"header height {header.height} does not follow the tip {self.tip_height}")
        if header.prev != self.tip_hash:
            raise MalformedInput(f"header {header.height} does not link to the tip's hash")
        self._recent.append(header)
        del self._recent[:-self.window]
        return header

    def extend(self, signed_headers) -> int:
        """Append headers in order, skipping those at or below the tip; returns the new tip height."""
        for signed in signed_headers:
            if not isinstance(signed, SignedHeader):
                signed = SignedHeader.from_json(signed)
            if signed.header.height > self.tip_height:
                self.append(signed)
        return self.tip_height

    def proven_transaction(self, bundle) -> tuple[Header, dict]:
        """(header, transaction JSON) of a transaction proven to be in a block this chain accepts.

        ``bundle`` is ``Ledger.transaction_proof(txid)``: {"tx", "header" (signed), "index", "proof"}.
        The header must be signed by the pinned authorities, at or below the tip, and the very
        header this chain followed when it is still in the window; the proof must lead the
        transaction's leaf (kind, body, signature) to its tx_root.  InvalidProof otherwise.
        """
        if not isinstance(bundle, dict) or set(bundle) != {"tx", "header", "index", "proof"}:
            raise MalformedInput("a transaction proof is {tx, header, index, proof}")
        header = self.check(SignedHeader.from_json(bundle["header"]))
        if header.height > self.tip_height:
            raise InvalidProof(f"block {header.height} is beyond this chain's tip {self.tip_height}: "
                               f"sync the headers first")
        known = self.header(header.height)
        if known is not None and known.hash() != header.hash():
            raise InvalidProof(f"block {header.height} is not the one this chain followed at that height")
        if not verify_inclusion(header.tx_root, tx_leaf(bundle["tx"]), bundle["index"], bundle["proof"]):
            raise InvalidProof(f"the transaction is not in block {header.height}")
        return header, bundle["tx"]

    def header(self, height: int) -> Header | None:
        """The accepted header at ``height`` if it is still in the window."""
        if not self._recent or not self._recent[0].height <= height <= self.tip_height:
            return None
        return self._recent[height - self._recent[0].height]

    def has_block(self, height: int, block_hash: str) -> bool:
        header = self.header(height)
        return header is not None and header.hash() == block_hash

    def knows_note_root(self, root) -> bool:
        """Whether ``root`` (int or decimal string) is the note root after one of the window's blocks."""
        return str(root) in {h.note_root for h in self._recent}

    def to_dict(self) -> dict:
        """JSON-safe state, for sealing."""
        return {"authorities": list(self.authorities), "threshold": self.threshold, "chain_id": self.chain_id,
                "window": self.window, "recent": [h.to_json() for h in self._recent]}

    @classmethod
    def from_dict(cls, obj: dict) -> "HeaderChain":
        if not isinstance(obj, dict) or not isinstance(obj.get("recent"), list):
            raise MalformedInput("a header chain is {authorities, threshold, chain_id, window, recent}")
        chain = cls(obj.get("authorities", ()), obj.get("threshold"), obj.get("chain_id"),
                    window=obj.get("window", DEFAULT_WINDOW))
        recent = [Header.from_json(h) for h in obj["recent"]]
        for older, newer in zip(recent, recent[1:]):
            if newer.height != older.height + 1 or newer.prev != older.hash():
                raise MalformedInput("a sealed header chain whose headers do not link")
        chain._recent = recent[-chain.window:]
        return chain

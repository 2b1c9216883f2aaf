"""The note tree: an incremental binary Merkle tree over Poseidon(2) (protocols.md §9; tornado-core style).

A node is ``poseidon([left, right])``.  An empty leaf is ``ZERO_LEAF`` = keccak256("zkescrow") mod r, a
nothing-up-my-sleeve value (tornado uses keccak256("tornado") mod r the same way; a contract recomputes it as
``uint256(keccak256("zkescrow")) % r``), and ``zero_hashes(depth)[i]`` is the root of an empty subtree of height i.
Leaves are appended left to right; leaf ``index`` sits at the position whose binary digits, least significant first,
say at each level whether the running node is a right child (1) or a left child (0): ``MerklePath.index_bits``.

* ``MerkleTree``     all nodes in memory: append/extend, root, path(index) for any leaf (wallets, indexers).
* ``MerkleFrontier`` only the right-most left node per level (O(depth) state): append and root, like the
                     tornado contract's ``filledSubtrees``; what a ledger persists.
* ``RootHistory``    the last N roots (default 100) a proof may refer to.
All three serialize to JSON-ready dicts (field elements as decimal strings) and check what they read back.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from zkescrow.bn254.constants import R
from zkescrow.errors import InvalidFieldElement, MalformedInput, MerkleTreeFull

from .poseidon import poseidon

#: keccak256(b"zkescrow") mod r: the value of an empty leaf.
ZERO_LEAF = 1922277858805884983351736251459272970244811426502908707842898007519882576744
MAX_DEPTH = 64
DEFAULT_ROOT_HISTORY = 100


def hash_pair(left: int, right: int) -> int:
    """The parent of two nodes: Poseidon(left, right)."""
    return poseidon([left, right])


@lru_cache(maxsize=None)
def zero_hashes(depth: int) -> tuple[int, ...]:
    """Roots of empty subtrees of height 0..depth: z[0] = ZERO_LEAF, z[i+1] = H(z[i], z[i])."""
    _check_depth(depth)
    zeros = [ZERO_LEAF]
    for _ in range(depth):
        zeros.append(hash_pair(zeros[-1], zeros[-1]))
    return tuple(zeros)


def _check_depth(depth) -> None:
    if isinstance(depth, bool) or not isinstance(depth, int) or not 1 <= depth <= MAX_DEPTH:
        raise MalformedInput(f"Merkle tree depth must be an integer in 1..{MAX_DEPTH}, got {depth!r}")


def _element(value, what: str) -> int:
    if isinstance(value, str):
        text = value.strip()
        try:
            value = int(text, 16) if text.lower().startswith("0x") else int(text, 10)
        except ValueError:
            raise InvalidFieldElement(f"{what} {text!r} is not an integer") from None
    if isinstance(value, bool) or not isinstance(value, int) and not isinstance(value, type(R)):
        raise InvalidFieldElement(f"{what} must be an integer, got {type(value).__name__}")
    if not 0 <= value < R:
        raise InvalidFieldElement(f"{what} {value} is not a field element (0 <= x < r)")
    return int(value)


def _field(doc: dict, key: str):
    if not isinstance(doc, dict) or key not in doc:
        raise MalformedInput(f"Merkle state: missing field {key!r}")
    return doc[key]


@dataclass(frozen=True)
class MerklePath:
    """The authentication path of one leaf: siblings from the leaf level up, and the leaf's index bits."""

    elements: tuple[int, ...]
    index_bits: tuple[int, ...]

    def __post_init__(self):
        if len(self.elements) != len(self.index_bits):
            raise MalformedInput(f"Merkle path has {len(self.elements)} elements but "
                                 f"{len(self.index_bits)} index bits")
        if any(b not in (0, 1) for b in self.index_bits):
            raise MalformedInput("Merkle path index bits must be 0 or 1")
        object.__setattr__(self, "elements", tuple(_element(e, "path element") for e in self.elements))
        object.__setattr__(self, "index_bits", tuple(int(b) for b in self.index_bits))

    @classmethod
    def for_index(cls, elements: Sequence[int], index: int) -> "MerklePath":
        """A path from its siblings and the leaf index."""
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < 1 << len(elements):
            raise MalformedInput(f"leaf index {index!r} does not fit a path of depth {len(elements)}")
        return cls(tuple(elements), tuple((index >> i) & 1 for i in range(len(elements))))

    @property
    def depth(self) -> int:
        return len(self.elements)

    @property
    def index(self) -> int:
        """The leaf position the bits encode."""
        return sum(b << i for i, b in enumerate(self.index_bits))

    def root(self, leaf: int) -> int:
        """The root this path gives for `leaf`."""
        node = _element(leaf, "leaf")
        for sibling, bit in zip(self.elements, self.index_bits):
            node = hash_pair(sibling, node) if bit else hash_pair(node, sibling)
        return node

    def to_dict(self) -> dict:
        """Circuit-input shape: {"pathElements": [...], "pathIndices": [...]} (decimal strings / ints)."""
        return {"pathElements": [str(e) for e in self.elements], "pathIndices": list(self.index_bits)}

    @classmethod
    def from_dict(cls, doc: dict) -> "MerklePath":
        elements, bits = _field(doc, "pathElements"), _field(doc, "pathIndices")
        if not isinstance(elements, list) or not isinstance(bits, list):
            raise MalformedInput("Merkle path: pathElements and pathIndices must be lists")
        return cls(tuple(elements), tuple(bits))


def compute_root(leaf: int, path: MerklePath) -> int:
    """The root of the tree in which `leaf` has authentication path `path`."""
    return path.root(leaf)


def verify_path(root: int, leaf: int, path: MerklePath) -> bool:
    """True if `path` proves `leaf` is in the tree with `root`."""
    return path.root(leaf) == _element(root, "root")


class MerkleTree:
    """An append-only Poseidon Merkle tree keeping every node, so any leaf's path can be read."""

    def __init__(self, depth: int = 20):
        _check_depth(depth)
        self.depth = depth
        self._zeros = zero_hashes(depth)
        self._levels: list[list[int]] = [[] for _ in range(depth + 1)]   # level 0 = leaves, level depth = root

    def __len__(self) -> int:
        return len(self._levels[0])

    @property
    def size(self) -> int:
        """Number of leaves appended so far (the index the next leaf gets)."""
        return len(self._levels[0])

    @property
    def capacity(self) -> int:
        return 1 << self.depth

    @property
    def root(self) -> int:
        top = self._levels[self.depth]
        return top[0] if top else self._zeros[self.depth]

    def leaf(self, index: int) -> int:
        self._check_index(index)
        return self._levels[0][index]

    @property
    def leaves(self) -> list[int]:
        return list(self._levels[0])

    def append(self, leaf: int) -> int:
        """Add a leaf at the next position; returns its index."""
        index = self.size
        self.extend([leaf])
        return index

    def extend(self, leaves: Iterable[int]) -> list[int]:
        """Append many leaves, hashing each changed node once; returns their indices."""
        new = [_element(v, "leaf") for v in leaves]
        start = self.size
        if start + len(new) > self.capacity:
            raise MerkleTreeFull(f"a depth-{self.depth} tree holds {self.capacity} leaves; "
                                 f"{start} are used and {len(new)} more do not fit")
        if not new:
            return []
        self._levels[0].extend(new)
        lo = start                                   # first changed position on the current level
        for level in range(self.depth):
            nodes, parents, zero = self._levels[level], self._levels[level + 1], self._zeros[level]
            first_parent = lo >> 1
            last_parent = (len(nodes) - 1) >> 1
            del parents[first_parent:]
            for pos in range(first_parent, last_parent + 1):
                left = nodes[2 * pos]
                right = nodes[2 * pos + 1] if 2 * pos + 1 < len(nodes) else zero
                parents.append(hash_pair(left, right))
            lo = first_parent
        return list(range(start, start + len(new)))

    def path(self, index: int) -> MerklePath:
        """The authentication path of the leaf at `index`."""
        self._check_index(index)
        elements = []
        for level in range(self.depth):
            nodes = self._levels[level]
            sibling = (index >> level) ^ 1
            elements.append(nodes[sibling] if sibling < len(nodes) else self._zeros[level])
        return MerklePath.for_index(elements, index)

    def frontier(self) -> "MerkleFrontier":
        """The O(depth) state that continues this tree (same root, same next index)."""
        filled = []
        for level in range(self.depth):
            nodes = self._levels[level]
            last_left = ((len(nodes) - 1) & ~1) if nodes else -1
            filled.append(nodes[last_left] if last_left >= 0 else self._zeros[level])
        return MerkleFrontier._restore(self.depth, self.size, filled, self.root)

    def _check_index(self, index) -> None:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < self.size:
            raise MalformedInput(f"leaf index {index!r} is not in the tree (it has {self.size} leaves)")

    def to_dict(self) -> dict:
        return {"depth": self.depth, "leaves": [str(v) for v in self._levels[0]]}

    @classmethod
    def from_dict(cls, doc: dict) -> "MerkleTree":
        """Rebuild from ``to_dict`` output (the nodes are recomputed from the leaves)."""
        leaves = _field(doc, "leaves")
        if not isinstance(leaves, list):
            raise MalformedInput("Merkle state: leaves must be a list")
        tree = cls(_field(doc, "depth"))
        tree.extend(leaves)
        if "root" in doc and _element(doc["root"], "root") != tree.root:
            raise MalformedInput("Merkle state: the stored root does not match the leaves")
        return tree


class MerkleFrontier:
    """The append-only tree as a ledger keeps it: next index, the last left node of each level, the root."""

    def __init__(self, depth: int = 20):
        _check_depth(depth)
        self.depth = depth
        self._zeros = zero_hashes(depth)
        self.size = 0
        self._filled = list(self._zeros[:depth])
        self.root = self._zeros[depth]

    @classmethod
    def _restore(cls, depth: int, size: int, filled: list[int], root: int) -> "MerkleFrontier":
        f = cls(depth)
        f.size, f._filled, f.root = size, list(filled), root
        return f

    @property
    def capacity(self) -> int:
        return 1 << self.depth

    def append(self, leaf: int) -> int:
        """Add a leaf; returns its index.  Costs `depth` hashes."""
        node = _element(leaf, "leaf")
        index = self.size
        if index >= self.capacity:
            raise MerkleTreeFull(f"a depth-{self.depth} tree holds {self.capacity} leaves and is full")
        for level in range(self.depth):
            if (index >> level) & 1:
                node = hash_pair(self._filled[level], node)
            else:
                self._filled[level] = node
                node = hash_pair(node, self._zeros[level])
        self.size, self.root = index + 1, node
        return index

    def to_dict(self) -> dict:
        return {"depth": self.depth, "size": self.size, "filled": [str(v) for v in self._filled],
                "root": str(self.root)}

    @classmethod
    def from_dict(cls, doc: dict) -> "MerkleFrontier":
        depth, size, filled = _field(doc, "depth"), _field(doc, "size"), _field(doc, "filled")
        _check_depth(depth)
        if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= 1 << depth:
            raise MalformedInput(f"Merkle state: size {size!r} does not fit depth {depth}")
        if not isinstance(filled, list) or len(filled) != depth:
            raise MalformedInput(f"Merkle state: 'filled' must list {depth} nodes")
        return cls._restore(depth, size, [_element(v, "frontier node") for v in filled],
                            _element(_field(doc, "root"), "root"))


class RootHistory:
    """The most recent roots (oldest dropped first), so a proof made against a slightly old root still counts."""

    def __init__(self, capacity: int = DEFAULT_ROOT_HISTORY, roots: Iterable[int] = ()):
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise MalformedInput(f"root history capacity must be a positive integer, got {capacity!r}")
        self.capacity = capacity
        self._roots: deque[int] = deque(maxlen=capacity)
        for root in roots:
            self.push(root)

    def push(self, root: int) -> None:
        """Record a new current root."""
        self._roots.append(_element(root, "root"))

    def __contains__(self, root) -> bool:
        return root in self._roots

    def is_known(self, root: int) -> bool:
        """True if `root` is one of the last `capacity` roots (tornado's ``isKnownRoot``)."""
        return root in self._roots

    @property
    def latest(self) -> int | None:
        return self._roots[-1] if self._roots else None

    def __len__(self) -> int:
        return len(self._roots)

    def __iter__(self):
        return iter(self._roots)

    def to_dict(self) -> dict:
        return {"capacity": self.capacity, "roots": [str(r) for r in self._roots]}

    @classmethod
    def from_dict(cls, doc: dict) -> "RootHistory":
        roots = _field(doc, "roots")
        if not isinstance(roots, list):
            raise MalformedInput("root history: roots must be a list")
        return cls(_field(doc, "capacity"), roots)

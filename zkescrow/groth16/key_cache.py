"""A cache of decoded proving keys, so repeated ``prove`` runs skip the .zkey decoding.

Reading a .zkey converts every coordinate out of Montgomery form, checks every point against its
curve equation and decodes every coefficient (v·R² → v).  The cache stores the result once, as
canonical 32-byte big-endian words in a flat file named by the SHA-256 of the .zkey's bytes; the
next run hashes the .zkey (a few ms per 10 MB), finds the file and only splits it into integers.

* **Never stale.**  The name and the header carry the .zkey's SHA-256, so an edited, contributed or
  replaced key has a different name and is decoded afresh.  A cache file whose header, digest or
  length does not match is ignored and rewritten.
* **Nothing but numbers.**  The file is parsed with ``struct`` and ``int.from_bytes``; no pickle or
  marshal, so a tampered cache file cannot run code.  It holds public key material only.
* Default directory: ``$ZKESCROW_KEY_CACHE``, else ``$XDG_CACHE_HOME/zkescrow/keys``, else
  ``~/.cache/zkescrow/keys``; ``ZKESCROW_KEY_CACHE=off`` turns the cache off.  Writes are atomic
  (temporary file + rename).  A cache file is about as large as its .zkey.
* **Bounded.**  After each new entry the least recently used files are removed until the cache
  holds at most ``$ZKESCROW_KEY_CACHE_MAX`` (bytes, or with a K/M/G suffix; default 2G); a file
  larger than the cap alone is kept until the next entry.  ``zkescrow cache info|clear`` shows
  and empties it.

Layout (all integers little endian)::

    magic b"zkescrow-pk\\0", u32 version, sha256 of the .zkey (32 bytes),
    u32 n_vars, u32 n_public, u32 domain_size, u32 n_coefs, u32 header_len, header (the .zkey's
    sections 1, 2, 3 and 10, kept verbatim and decoded with ``read_zkey(proving=False)``),
    coefs: n_coefs × (u8 matrix, u32 constraint, u32 signal, 32-byte value),
    points A, B1 (G1), B2 (G2), C, H (G1): 32-byte big-endian coordinates; infinity is all zeros.
"""
from __future__ import annotations

import hashlib
import os
import struct
import tempfile
from pathlib import Path

from gmpy2 import mpz

from ..errors import MalformedFile
from ..formats.binfile import build_binfile, load_bytes, parse_binfile
from ..formats.zkey import MAGIC as ZKEY_MAGIC
from .zkey import read_zkey

MAGIC = b"zkescrow-pk\0"
VERSION = 1
_HEAD = struct.Struct("<12sI32sIIIII")
_COEF = struct.Struct("<BII32s")
_from_bytes = mpz.from_bytes
_ZERO32 = bytes(32)


def cache_enabled() -> bool:
    """False when ``ZKESCROW_KEY_CACHE=off``."""
    return os.environ.get("ZKESCROW_KEY_CACHE", "").lower() != "off"


#: Default size cap of the cache directory.
DEFAULT_MAX_BYTES = 2 << 30
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def max_bytes() -> int:
    """The cache's size cap: ``$ZKESCROW_KEY_CACHE_MAX`` ("500M", "2G", "123456") or 2 GiB."""
    from ..errors import MalformedInput
    text = os.environ.get("ZKESCROW_KEY_CACHE_MAX", "").strip().upper().removesuffix("B").removesuffix("I")
    if not text:
        return DEFAULT_MAX_BYTES
    unit = text[-1] if text[-1] in _UNITS else ""
    number = text[:-1] if unit else text
    if not number.isdigit():
        raise MalformedInput(f"ZKESCROW_KEY_CACHE_MAX must be a size like 500M or 2G, got "
                             f"{os.environ['ZKESCROW_KEY_CACHE_MAX']!r}")
    return int(number) * _UNITS[unit]


def entries(directory=None) -> list[tuple[Path, int, float]]:
    """[(path, bytes, last use)] of the cache files in ``directory`` (default: the cache directory), oldest first."""
    directory = Path(directory) if directory is not None else default_cache_dir()
    out = []
    try:
        names = list(directory.glob("*.pk"))
    except OSError:
        return []
    for path in names:
        try:
            st = path.stat()
        except OSError:
            continue
        out.append((path, st.st_size, st.st_mtime))
    return sorted(out, key=lambda e: e[2])


def prune(directory, limit: int, keep: Path | None = None) -> list[Path]:
    """Remove least recently used cache files until at most ``limit`` bytes remain; returns the removed paths."""
    files = entries(directory)
    total = sum(size for _, size, _ in files)
    removed = []
    for path, size, _ in files:
        if total <= limit:
            break
        if keep is not None and path == keep:
            continue
        try:
            path.unlink()
        except OSError:
            continue
        total -= size
        removed.append(path)
    return removed


def clear(directory=None) -> tuple[int, int]:
    """Remove every cache file (and leftover temporaries); returns (files, bytes) removed."""
    directory = Path(directory) if directory is not None else default_cache_dir()
    count = size = 0
    for path in [e[0] for e in entries(directory)] + list(directory.glob(".pk-*.tmp")):
        try:
            n = path.stat().st_size
            path.unlink()
        except OSError:
            continue
        count, size = count + 1, size + n
    return count, size


def default_cache_dir() -> Path:
    env = os.environ.get("ZKESCROW_KEY_CACHE")
    if env and env.lower() != "off":
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "zkescrow" / "keys"


def _words(points, g2: bool) -> bytes:
    out = []
    append = out.append
    zero = bytes(128 if g2 else 64)
    for P in points:
        if P is None:
            append(zero)
        elif g2:
            (x0, x1), (y0, y1) = P
            append(b"".join(int(v).to_bytes(32, "big") for v in (x0, x1, y0, y1)))
        else:
            append(int(P[0]).to_bytes(32, "big") + int(P[1]).to_bytes(32, "big"))
    return b"".join(out)


def _g1_points(data: memoryview, count: int) -> list:
    out = [None] * count
    o = 0
    for i in range(count):
        x = data[o:o + 32]
        y = data[o + 32:o + 64]
        o += 64
        if x != _ZERO32 or y != _ZERO32:
            out[i] = (_from_bytes(x, "big"), _from_bytes(y, "big"))
    return out


def _g2_points(data: memoryview, count: int) -> list:
    out = [None] * count
    o = 0
    zero = bytes(128)
    for i in range(count):
        chunk = data[o:o + 128]
        o += 128
        if chunk != zero:
            out[i] = ((_from_bytes(chunk[0:32], "big"), _from_bytes(chunk[32:64], "big")),
                      (_from_bytes(chunk[64:96], "big"), _from_bytes(chunk[96:128], "big")))
    return out


def _header_sections(zkey_bytes: bytes, name: str) -> bytes:
    """The .zkey without its proving sections (enough for ``read_zkey(proving=False)``)."""
    binfile = parse_binfile(zkey_bytes, ZKEY_MAGIC, (1, 2), name)
    keep = [(i, binfile.sections[i]) for i in (1, 2, 3, 10) if i in binfile.sections]
    return build_binfile(ZKEY_MAGIC, 1, keep)


def encode(pk, digest: bytes, header: bytes) -> bytes:
    """The cache file bytes of the decoded key ``pk`` (``header``: the .zkey minus proving sections)."""
    coefs = b"".join(_COEF.pack(m, c, s, int(v).to_bytes(32, "big")) for m, c, s, v in pk.coefs)
    return b"".join([
        _HEAD.pack(MAGIC, VERSION, digest, pk.n_vars, pk.n_public, pk.domain_size, len(pk.coefs), len(header)),
        header, coefs, _words(pk.a, False), _words(pk.b1, False), _words(pk.b2, True), _words(pk.c, False),
        _words(pk.h, False)])


def decode(data: bytes, digest: bytes):
    """The ``ProvingKey`` in cache bytes ``data`` made from the .zkey with SHA-256 ``digest``, or None if
    the bytes are not such a cache file (wrong magic, version, digest or length)."""
    if len(data) < _HEAD.size:
        return None
    magic, version, stored, n_vars, n_public, n, n_coefs, header_len = _HEAD.unpack_from(data, 0)
    n_c = n_vars - n_public - 1
    expected = (_HEAD.size + header_len + n_coefs * _COEF.size + 64 * (2 * n_vars + n_c + n) + 128 * n_vars)
    if magic != MAGIC or version != VERSION or stored != digest or n_c < 0 or len(data) != expected:
        return None
    view = memoryview(data)
    pos = _HEAD.size
    try:
        pk = read_zkey(bytes(view[pos:pos + header_len]), proving=False)
    except MalformedFile:
        return None
    if (pk.n_vars, pk.n_public, pk.domain_size) != (n_vars, n_public, n):
        return None
    pos += header_len
    coefs = [(m, c, s, _from_bytes(v, "big"))
             for m, c, s, v in _COEF.iter_unpack(view[pos:pos + n_coefs * _COEF.size])]
    pos += n_coefs * _COEF.size
    parts = {}
    for name, count, g2 in (("a", n_vars, False), ("b1", n_vars, False), ("b2", n_vars, True),
                            ("c", n_c, False), ("h", n, False)):
        size = count * (128 if g2 else 64)
        parts[name] = (_g2_points if g2 else _g1_points)(view[pos:pos + size], count)
        pos += size
    pk.coefs = coefs
    for name, points in parts.items():
        setattr(pk, name, points)
    return pk


def _read_zkey_named(data: bytes, name: str):
    """``read_zkey`` of bytes read from file ``name``, with ``name`` in any error message."""
    try:
        return read_zkey(data)
    except MalformedFile as exc:
        message = str(exc)
        if message.startswith("<bytes>"):
            message = name + message[len("<bytes>"):]
        elif not message.startswith(name):
            message = f"{name}: {message}"
        raise MalformedFile(message) from None


def load_proving_key(zkey, *, cache_dir=None, use_cache: bool | None = None):
    """The proving key of the .zkey at path ``zkey`` (or its bytes), through the decoded-key cache.

    Returns ``(pk, status)`` with status ``"hit"``, ``"miss"`` (decoded and stored), ``"off"``
    (``use_cache`` False, or by default ``ZKESCROW_KEY_CACHE=off``) or ``"unwritable"`` (decoded; the
    cache directory could not be written).  Malformed .zkey files raise ``MalformedFile`` as in
    ``read_zkey``.
    """
    data, name = load_bytes(zkey)
    data = bytes(data)
    if use_cache is None:
        use_cache = cache_enabled()
    if not use_cache:
        return _read_zkey_named(data, name), "off"
    digest = hashlib.sha256(data).digest()
    directory = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = directory / f"{digest.hex()}.pk"
    try:
        cached = path.read_bytes()
    except OSError:
        cached = None
    if cached is not None:
        pk = decode(cached, digest)
        if pk is not None:
            try:
                os.utime(path)              # last use, for the size cap's least-recently-used order
            except OSError:
                pass
            return pk, "hit"
    pk = _read_zkey_named(data, name)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        blob = encode(pk, digest, _header_sections(data, name))
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".pk-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(blob)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        prune(directory, max_bytes(), keep=path)
    except OSError:
        return pk, "unwritable"
    return pk, "miss"

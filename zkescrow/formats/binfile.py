"""The iden3 binary container shared by .r1cs, .wtns, .zkey and .ptau (iden3/binfileutils).

Layout, all little endian::

    magic[4]  u32 version  u32 nSections
    nSections × ( u32 sectionId  u64 sectionSize  payload[sectionSize] )

Sections are indexed by id because their order varies between writers (circom
writes an .r1cs as 2, 1, 3).  Every inconsistency raises ``MalformedFile``.
"""
from __future__ import annotations

import errno
import os
import secrets
import struct
from dataclasses import dataclass
from os import PathLike

from ..errors import MalformedFile


@dataclass
class BinFile:
    """A parsed container: its magic, version and {section id: payload bytes}."""

    magic: bytes
    version: int
    sections: dict

    def section(self, section_id: int, what: str) -> "Reader":
        """A reader over section ``section_id``; ``MalformedFile`` if it is absent."""
        if section_id not in self.sections:
            raise MalformedFile(f"{self.magic.decode(errors='replace')} file has no section "
                                f"{section_id} ({what})")
        return Reader(self.sections[section_id], f"section {section_id} ({what})")


def load_bytes(source) -> tuple[bytes, str]:
    """The bytes of ``source`` (a path or bytes) and a name for error messages."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), "<bytes>"
    if isinstance(source, (str, PathLike)):
        with open(source, "rb") as fh:
            return fh.read(), str(source)
    raise TypeError(f"expected a path or bytes, got {type(source).__name__}")


def parse_binfile(data: bytes, magic: bytes, versions, name: str = "<bytes>") -> BinFile:
    """Split ``data`` into sections after checking magic, version and framing."""
    if len(data) < 12:
        raise MalformedFile(f"{name}: truncated header ({len(data)} bytes, need 12)")
    if data[:4] != magic:
        raise MalformedFile(f"{name}: not a {magic.decode()} file (magic {data[:4]!r})")
    version, n_sections = struct.unpack_from("<II", data, 4)
    if version not in versions:
        raise MalformedFile(f"{name}: unsupported {magic.decode()} version {version} "
                            f"(supported: {', '.join(map(str, versions))})")
    if 12 + 12 * n_sections > len(data):       # every section costs at least its 12-byte header
        raise MalformedFile(f"{name}: truncated: declares {n_sections} sections, but {len(data)} bytes "
                            f"cannot hold their headers")
    sections = {}
    pos = 12
    for k in range(n_sections):
        if pos + 12 > len(data):
            raise MalformedFile(f"{name}: truncated: section header {k + 1} of {n_sections} "
                                f"is missing")
        section_id, size = struct.unpack_from("<IQ", data, pos)
        pos += 12
        if pos + size > len(data):
            raise MalformedFile(f"{name}: truncated: section {section_id} declares {size} bytes, "
                                f"{len(data) - pos} remain")
        if section_id in sections:
            raise MalformedFile(f"{name}: section {section_id} appears twice")
        sections[section_id] = data[pos:pos + size]
        pos += size
    if pos != len(data):
        raise MalformedFile(f"{name}: {len(data) - pos} trailing bytes after the last section")
    return BinFile(magic, version, sections)


def build_binfile(magic: bytes, version: int, sections) -> bytes:
    """The container bytes for ``sections``: an iterable of (id, payload) in file order."""
    sections = list(sections)
    out = [magic, struct.pack("<II", version, len(sections))]
    for section_id, payload in sections:
        out.append(struct.pack("<IQ", section_id, len(payload)))
        out.append(bytes(payload))
    return b"".join(out)


def write_file(path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: a temporary file beside it, then a rename.

    A reader (or a crash) sees the old file or the new one, never a half-written one, and
    writing a file over the input it was computed from (``zkey contribute k.zkey k.zkey``) is safe.
    """
    path = os.fspath(path)
    if path.startswith(("/dev/", "/proc/")) or (os.path.exists(path) and not os.path.isfile(path)
                                                 and not os.path.isdir(path)):
        with open(path, "wb") as fh:        # a device or pipe (/dev/stdout): nothing to replace
            fh.write(data)
        return
    path = os.path.realpath(path)           # through a symlink: replace the file it points to, keep the link
    directory = os.path.dirname(path) or "."
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def check_writable(path) -> None:
    """Raise ``OSError`` (naming ``path``) unless a file can be written at ``path``: cheap, before long work."""
    path = os.fspath(path)
    directory = os.path.dirname(path) or "."
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, "is a directory, not a file to write", path)
    if not os.path.isdir(directory):
        raise FileNotFoundError(errno.ENOENT, "the directory to write into does not exist", path)
    if not os.access(directory, os.W_OK | os.X_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise PermissionError(errno.EACCES, "cannot write here (permission denied)", path)


class Reader:
    """Sequential little-endian reads over one section with bounds checks."""

    __slots__ = ("data", "pos", "what")

    def __init__(self, data: bytes, what: str):
        self.data = data
        self.pos = 0
        self.what = what

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise MalformedFile(f"{self.what} is truncated: need {n} bytes at offset {self.pos}, "
                                f"section has {len(self.data)}")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def u32(self) -> int:
        return struct.unpack("<I", self.take(4))[0]

    def u64(self) -> int:
        return struct.unpack("<Q", self.take(8))[0]

    def bigint(self, n8: int) -> int:
        return int.from_bytes(self.take(n8), "little")

    def expect_end(self) -> None:
        if self.pos != len(self.data):
            raise MalformedFile(f"{self.what} has {len(self.data) - self.pos} unexpected trailing bytes")


def field_header(reader: Reader, prime: int, n8_expected: int = 32) -> int:
    """Read ``u32 n8`` and the prime; check both against the expected field."""
    n8 = reader.u32()
    if n8 != n8_expected:
        raise MalformedFile(f"{reader.what}: field element size n8 = {n8}, expected {n8_expected}")
    file_prime = reader.bigint(n8)
    if file_prime != prime:
        raise MalformedFile(f"{reader.what}: prime {file_prime} is not the BN254 scalar field r")
    return n8

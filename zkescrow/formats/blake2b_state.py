"""BLAKE2b-512 whose running state can be saved and resumed: the ptau "partial hash".

A powers-of-tau contribution stores the state of the hasher of its response just before the
contributor's public key is hashed (216 bytes), so anyone can finish the hash with the key and get
the response hash (snarkjs ``src/powersoftau_contribute.js``; the layout is snarkjs ``misc.js``
``toPartialHash``/``fromPartialHash`` over @noble/hashes' BLAKE2b)::

    buffer[128]            the pending block (BLAKE2b never compresses a block before it knows
                           whether more data follows, so 1 … 128 bytes are pending)
    u32 h[16]              the chaining value h0 … h7, each as (low, high) 32-bit words
    u32 compressed, u32 0  bytes compressed so far
    u32 pos, u32 0         bytes pending in the buffer
    8 zero bytes

``hashlib`` does not expose its state, so this is a plain Python BLAKE2b (RFC 7693); it is used only
for the response of a contribution and for resuming a stored state.
"""
from __future__ import annotations

import struct

_M64 = 0xFFFFFFFFFFFFFFFF
_IV = (0x6A09E667F3BCC908, 0xBB67AE8584CAA73B, 0x3C6EF372FE94F82B, 0xA54FF53A5F1D36F1,
       0x510E527FADE682D1, 0x9B05688C2B3E6C1F, 0x1F83D9ABFB41BD6B, 0x5BE0CD19137E2179)
_SIGMA = ((0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
          (14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3),
          (11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4),
          (7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8),
          (9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13),
          (2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9),
          (12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11),
          (13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10),
          (6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5),
          (10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0))
_ROUNDS = tuple(_SIGMA[i % 10] for i in range(12))
_G_INDEX = ((0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15),
            (0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14))
PARTIAL_HASH_SIZE = 216


def _compress(h: list, block: bytes, counter: int, last: bool) -> None:
    m = struct.unpack("<16Q", block)
    v = h[:] + list(_IV)
    v[12] ^= counter & _M64
    v[13] ^= counter >> 64
    if last:
        v[14] ^= _M64
    for s in _ROUNDS:
        for g, (a, b, c, d) in enumerate(_G_INDEX):
            x, y = m[s[2 * g]], m[s[2 * g + 1]]
            va = (v[a] + v[b] + x) & _M64
            vd = v[d] ^ va
            vd = ((vd >> 32) | (vd << 32)) & _M64
            vc = (v[c] + vd) & _M64
            vb = v[b] ^ vc
            vb = ((vb >> 24) | (vb << 40)) & _M64
            va = (va + vb + y) & _M64
            vd = vd ^ va
            vd = ((vd >> 16) | (vd << 48)) & _M64
            vc = (vc + vd) & _M64
            vb = vb ^ vc
            v[a], v[b], v[c], v[d] = va, ((vb >> 63) | (vb << 1)) & _M64, vc, vd
    for i in range(8):
        h[i] ^= v[i] ^ v[i + 8]


class Blake2bState:
    """BLAKE2b with a 64-byte digest and no key; ``partial()``/``from_partial()`` save and resume it."""

    def __init__(self):
        self.h = list(_IV)
        self.h[0] ^= 0x01010040          # digest length 64, key length 0, fanout 1, depth 1
        self.buffer = bytearray(128)
        self.pos = 0                     # bytes pending in the buffer
        self.length = 0                  # bytes consumed in total (pending ones included)

    def update(self, data) -> "Blake2bState":
        """Absorb ``data`` the way @noble/hashes does, so that even the stale bytes of the pending
        block (which the partial hash stores) are the same: a whole block that is not the last of
        this call is compressed straight from ``data`` without passing through the buffer."""
        data = bytes(data)
        i, n = 0, len(data)
        while i < n:
            if self.pos == 128:
                _compress(self.h, bytes(self.buffer), self.length, False)
                self.pos = 0
            take = min(128 - self.pos, n - i)
            if take == 128 and i + take < n:
                while i + 128 < n:
                    self.length += 128
                    _compress(self.h, data[i:i + 128], self.length, False)
                    i += 128
                continue
            self.buffer[self.pos:self.pos + take] = data[i:i + take]
            self.pos += take
            self.length += take
            i += take
        return self

    def digest(self) -> bytes:
        h = self.h[:]
        block = bytes(self.buffer[:self.pos]) + bytes(128 - self.pos)
        _compress(h, block, self.length, True)
        return struct.pack("<8Q", *h)

    def partial(self) -> bytes:
        """The 216-byte saved state (snarkjs ``toPartialHash``)."""
        words = []
        for x in self.h:
            words += [x & 0xFFFFFFFF, x >> 32]
        compressed = self.length - self.pos
        words += [compressed & 0xFFFFFFFF, compressed >> 32, self.pos, 0, 0, 0]
        return bytes(self.buffer) + struct.pack("<22I", *words)

    @classmethod
    def from_partial(cls, data: bytes) -> "Blake2bState":
        """Resume a state saved by ``partial()`` or by snarkjs (``fromPartialHash``)."""
        if len(data) != PARTIAL_HASH_SIZE:
            raise ValueError(f"a partial hash is {PARTIAL_HASH_SIZE} bytes, not {len(data)}")
        state = cls()
        state.buffer = bytearray(data[:128])
        words = struct.unpack("<22I", data[128:])
        state.h = [words[2 * i] | (words[2 * i + 1] << 32) for i in range(8)]
        compressed = words[16] | (words[17] << 32)
        state.pos = words[18] | (words[19] << 32)
        if state.pos > 128:
            raise ValueError(f"a partial hash with {state.pos} pending bytes (at most 128)")
        state.length = compressed + state.pos
        return state

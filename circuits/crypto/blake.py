"""BLAKE-256 and BLAKE-512: the original BLAKE (SHA-3 finalist, "BLAKE-1"), not BLAKE2.

circomlib uses BLAKE-1 where BLAKE2 would be expected today: EdDSA hashes the private key
with BLAKE-512 (circomlibjs ``createBlakeHash("blake512")``) and the Pedersen-hash
generators are found with BLAKE-256.  Python's hashlib only has BLAKE2, and no maintained
PyPI package offers BLAKE-512, hence this module.

The code follows the final-round specification (Aumasson, Henzen, Meier, Phan,
"SHA-3 proposal BLAKE", v1.3): 14 rounds of G on 32-bit words for BLAKE-256, 16 rounds on
64-bit words for BLAKE-512, no salt.  Speed is not a goal (a key is hashed once per
signature); the compression function is written to be compared with the paper.
"""

# The ten message permutations σ_0..σ_9; round i uses σ_(i mod 10).
SIGMA = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
    (14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3),
    (11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4),
    (7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8),
    (9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13),
    (2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9),
    (12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11),
    (13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10),
    (6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5),
    (10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0),
)

# Constants: the leading fractional digits of π (256: 32-bit words, 512: 64-bit words).
C256 = (
    0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344, 0xA4093822, 0x299F31D0, 0x082EFA98, 0xEC4E6C89,
    0x452821E6, 0x38D01377, 0xBE5466CF, 0x34E90C6C, 0xC0AC29B7, 0xC97C50DD, 0x3F84D5B5, 0xB5470917,
)
C512 = (
    0x243F6A8885A308D3, 0x13198A2E03707344, 0xA4093822299F31D0, 0x082EFA98EC4E6C89,
    0x452821E638D01377, 0xBE5466CF34E90C6C, 0xC0AC29B7C97C50DD, 0x3F84D5B5B5470917,
    0x9216D5D98979FB1B, 0xD1310BA698DFB5AC, 0x2FFD72DBD01ADFB7, 0xB8E1AFED6A267E96,
    0xBA7C9045F12C7F99, 0x24A19947B3916CF7, 0x0801F2E2858EFC16, 0x636920D871574E69,
)
# Initial values: those of SHA-256 and SHA-512.
IV256 = (0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19)
IV512 = (
    0x6A09E667F3BCC908, 0xBB67AE8584CAA73B, 0x3C6EF372FE94F82B, 0xA54FF53A5F1D36F1,
    0x510E527FADE682D1, 0x9B05688C2B3E6C1F, 0x1F83D9ABFB41BD6B, 0x5BE0CD19137E2179,
)


class _Blake:
    """One BLAKE variant: word size w (bits), rotations, rounds, constants and IV."""

    def __init__(self, word_bits, rotations, rounds, constants, iv):
        self.w = word_bits
        self.mask = (1 << word_bits) - 1
        self.rot = rotations
        self.rounds = rounds
        self.c = constants
        self.iv = iv
        self.block_bytes = 16 * word_bits // 8
        self.word_bytes = word_bits // 8

    def _rotr(self, x, n):
        return ((x >> n) | (x << (self.w - n))) & self.mask

    def _compress(self, h, block, t):
        """The compression function: chain value h, 16-word block, bit counter t; salt = 0."""
        c, mask, (r0, r1, r2, r3) = self.c, self.mask, self.rot
        m = [int.from_bytes(block[i:i + self.word_bytes], "big")
             for i in range(0, self.block_bytes, self.word_bytes)]
        t0, t1 = t & mask, t >> self.w
        v = list(h) + [c[0], c[1], c[2], c[3], t0 ^ c[4], t0 ^ c[5], t1 ^ c[6], t1 ^ c[7]]

        def g(a, b, cc, d, i, s):
            x, y = s[2 * i], s[2 * i + 1]
            v[a] = (v[a] + v[b] + (m[x] ^ c[y])) & mask
            v[d] = self._rotr(v[d] ^ v[a], r0)
            v[cc] = (v[cc] + v[d]) & mask
            v[b] = self._rotr(v[b] ^ v[cc], r1)
            v[a] = (v[a] + v[b] + (m[y] ^ c[x])) & mask
            v[d] = self._rotr(v[d] ^ v[a], r2)
            v[cc] = (v[cc] + v[d]) & mask
            v[b] = self._rotr(v[b] ^ v[cc], r3)

        for r in range(self.rounds):
            s = SIGMA[r % 10]
            g(0, 4, 8, 12, 0, s)       # columns
            g(1, 5, 9, 13, 1, s)
            g(2, 6, 10, 14, 2, s)
            g(3, 7, 11, 15, 3, s)
            g(0, 5, 10, 15, 4, s)      # diagonals
            g(1, 6, 11, 12, 5, s)
            g(2, 7, 8, 13, 6, s)
            g(3, 4, 9, 14, 7, s)
        return [h[i] ^ v[i] ^ v[i + 8] for i in range(8)]

    def digest(self, data: bytes) -> bytes:
        data = bytes(data)
        n_bits = 8 * len(data)
        bb, length_bytes = self.block_bytes, 2 * self.word_bytes
        # Padding: a 1 bit, zeros, a 1 bit ending the padding, then the bit length (big-endian).
        padded = bytearray(data) + b"\x80"
        while len(padded) % bb != bb - length_bytes:
            padded.append(0)
        padded[-1] |= 0x01
        padded += n_bits.to_bytes(length_bytes, "big")
        h = list(self.iv)
        for start in range(0, len(padded), bb):
            # The counter holds the message bits hashed so far; 0 for a block of padding only.
            t = min(n_bits, 8 * (start + bb)) if 8 * start < n_bits else 0
            h = self._compress(h, padded[start:start + bb], t)
        return b"".join(x.to_bytes(self.word_bytes, "big") for x in h)


_BLAKE256 = _Blake(32, (16, 12, 8, 7), 14, C256, IV256)
_BLAKE512 = _Blake(64, (32, 25, 16, 11), 16, C512, IV512)


def blake256(data: bytes) -> bytes:
    """BLAKE-256 digest (32 bytes) of data."""
    return _BLAKE256.digest(data)


def blake512(data: bytes) -> bytes:
    """BLAKE-512 digest (64 bytes) of data."""
    return _BLAKE512.digest(data)

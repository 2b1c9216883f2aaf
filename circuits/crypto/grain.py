"""Poseidon parameters from the Grain LFSR, as the Poseidon paper (eprint 2019/458, appendix F) specifies.

This is the procedure of the reference script ``generate_parameters_grain.sage`` (hadeshash), which circomlib ran as
``generate_parameters_grain.sage 1 0 254 t 8 R_P 0x30644e…f0000001`` for t = 2..17:

1. An 80-bit LFSR is seeded with the instance description: 2 bits field (1 = GF(p)), 4 bits S-box (0 = x^α),
   12 bits n = 254, 12 bits t, 10 bits R_F, 10 bits R_P, then thirty 1s.  Its feedback is
   ``b[i+80] = b[i+62] ^ b[i+51] ^ b[i+38] ^ b[i+23] ^ b[i+13] ^ b[i]`` and the first 160 bits are dropped.
2. Self-shrinking: bits are taken in pairs; a pair (1, y) outputs y, a pair (0, y) outputs nothing.
3. A field element is n output bits read most significant first; a value ≥ p is dropped and the next one drawn.
4. (R_F + R_P)·t round constants are drawn in order.
5. The MDS matrix continues the same stream: 2t values x_0..x_{t-1}, y_0..y_{t-1} (n bits each, reduced mod p, all
   distinct, redrawn as a block otherwise) give the Cauchy matrix M[i][j] = 1/(x_i + y_j) (a zero x_i + y_j also
   means a redraw).  A matrix that fails the subspace-trail checks of the script (``circuits.crypto.mds_checks``) is
   dropped and the next one drawn.

Run ``python -m circuits.crypto.grain`` to regenerate ``poseidon_constants.json`` (the file the library loads).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from gmpy2 import invert, mpz

from zkescrow.bn254.constants import R

from .mds_checks import is_secure_mds

#: circomlib's instance: x^5 over BN254's scalar field, n = 254 bits, 8 full rounds.
FIELD_SIZE = 254
FULL_ROUNDS = 8
#: Partial rounds for t = 2..17 (circomlib ``N_ROUNDS_P``; index t - 2).
PARTIAL_ROUNDS = (56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68)

_MASK80 = (1 << 80) - 1


class GrainLFSR:
    """The self-shrinking Grain LFSR of the Poseidon paper, seeded with an instance description.

    The 80-bit register is kept in one integer with b_0 (the oldest bit) as bit 79, so the taps
    b_62, b_51, b_38, b_23, b_13, b_0 are the integer's bits 17, 28, 41, 56, 66, 79.
    """

    def __init__(self, field: int, sbox: int, n: int, t: int, r_f: int, r_p: int):
        seed = (f"{field:02b}{sbox:04b}{n:012b}{t:012b}{r_f:010b}{r_p:010b}" + "1" * 30)
        if len(seed) != 80:
            raise ValueError("instance description does not fit the 80-bit Grain seed")
        self._state = int(seed, 2)
        for _ in range(160):
            self._clock()

    def _clock(self) -> int:
        s = self._state
        bit = ((s >> 17) ^ (s >> 28) ^ (s >> 41) ^ (s >> 56) ^ (s >> 66) ^ (s >> 79)) & 1
        self._state = ((s << 1) & _MASK80) | bit
        return bit

    def next_bit(self) -> int:
        """One output bit of the self-shrinking generator."""
        clock = self._clock
        while True:
            if clock():
                return clock()
            clock()

    def bits(self, count: int) -> int:
        """`count` output bits as an integer, the first bit most significant."""
        value = 0
        next_bit = self.next_bit
        for _ in range(count):
            value = (value << 1) | next_bit()
        return value

    def field_element(self, n: int, p: int) -> int:
        """An element of [0, p) by rejection sampling n-bit integers (round constants)."""
        while True:
            value = self.bits(n)
            if value < p:
                return value


def round_constants(lfsr: GrainLFSR, t: int, r_f: int, r_p: int, n: int = FIELD_SIZE, p: int = R) -> list[int]:
    """The (r_f + r_p)·t round constants, in the order rounds use them (round-major)."""
    return [lfsr.field_element(n, p) for _ in range((r_f + r_p) * t)]


def cauchy_candidate(lfsr: GrainLFSR, t: int, n: int = FIELD_SIZE, p: int = R) -> list[list[int]]:
    """The next Cauchy matrix M[i][j] = 1/(x_i + y_j) the stream yields (``create_mds_p`` of the script)."""
    while True:
        values = [lfsr.bits(n) % p for _ in range(2 * t)]
        while len(set(values)) != len(values):
            values = [lfsr.bits(n) % p for _ in range(2 * t)]
        xs, ys = values[:t], values[t:]
        if any((x + y) % p == 0 for x in xs for y in ys):
            continue
        return [[int(invert(mpz(x + y), p)) for y in ys] for x in xs]


def mds_matrix(lfsr: GrainLFSR, t: int, n: int = FIELD_SIZE, p: int = R, *, check: bool = True) -> list[list[int]]:
    """The first Cauchy matrix from the stream that passes the script's three security checks."""
    while True:
        matrix = cauchy_candidate(lfsr, t, n, p)
        if not check or is_secure_mds(matrix, p):
            return matrix


def generate(t: int, *, check: bool = True) -> tuple[list[int], list[list[int]]]:
    """(C, M) for circomlib's width t: round constants (flat, round-major) and the t×t MDS matrix."""
    if not 2 <= t <= 17:
        raise ValueError(f"circomlib Poseidon has widths t = 2..17, not {t}")
    r_p = PARTIAL_ROUNDS[t - 2]
    lfsr = GrainLFSR(1, 0, FIELD_SIZE, t, FULL_ROUNDS, r_p)
    constants = round_constants(lfsr, t, FULL_ROUNDS, r_p)
    return constants, mds_matrix(lfsr, t, check=check)


def parameter_set(widths=range(2, 18), *, check: bool = True) -> dict:
    """The JSON document ``poseidon_constants.json`` holds: C and M (hex strings) for every width t."""
    doc = {
        "description": "circomlib Poseidon over BN254 Fr: x^5, 8 full rounds; Grain LFSR parameters "
                       "(python -m circuits.crypto.grain)",
        "prime": hex(R),
        "full_rounds": FULL_ROUNDS,
        "partial_rounds": list(PARTIAL_ROUNDS),
        "C": {},
        "M": {},
    }
    for t in widths:
        constants, matrix = generate(t, check=check)
        doc["C"][str(t)] = [hex(c) for c in constants]
        doc["M"][str(t)] = [[hex(m) for m in row] for row in matrix]
    return doc


def main(argv=None) -> int:
    """Regenerate the shipped constants file (or print one width's constants)."""
    parser = argparse.ArgumentParser(
        prog="python -m circuits.crypto.grain",
        description="Generate circomlib's Poseidon constants with the Grain LFSR of the Poseidon paper.")
    parser.add_argument("-o", "--output", type=Path,
                        default=Path(__file__).with_name("poseidon_constants.json"),
                        help="file to write (default: the packaged poseidon_constants.json)")
    parser.add_argument("-t", "--width", type=int, action="append",
                        help="only this width (repeatable); the default is t = 2..17")
    parser.add_argument("--no-check", action="store_true",
                        help="skip the MDS subspace-trail checks (take the first Cauchy matrix)")
    args = parser.parse_args(argv)
    doc = parameter_set(args.width or range(2, 18), check=not args.no_check)
    text = json.dumps(doc, separators=(",", ":"))
    if str(args.output) == "-":
        sys.stdout.write(text + "\n")
    else:
        args.output.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

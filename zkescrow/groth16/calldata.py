"""Solidity calldata for a Groth16 proof, exactly as ``snarkjs zkey export soliditycalldata`` prints it.

EIP-196/197 words are 256-bit big-endian integers; an Fq2 element c0 + c1·u is passed imaginary part
first, so π_B's coordinates are swapped to [c1, c0] here (the verifier contracts do not swap them).
The point at infinity is (0, 0) as in EIP-196.
"""
from .proof import Proof, parse_public_signals


def _g1_words(p) -> list[int]:
    return [0, 0] if p is None else [int(p[0]), int(p[1])]


def _g2_words(p) -> list[list[int]]:
    if p is None:
        return [[0, 0], [0, 0]]
    (x0, x1), (y0, y1) = p
    return [[int(x1), int(x0)], [int(y1), int(y0)]]


def calldata_words(public, proof) -> tuple:
    """(a, b, c, inputs) as the integers ``verifyProof(uint[2], uint[2][2], uint[2], uint[N])`` takes."""
    if not isinstance(proof, Proof):
        proof = Proof.from_json(proof)
    return (_g1_words(proof.pi_a), _g2_words(proof.pi_b), _g1_words(proof.pi_c),
            parse_public_signals(public))


def abi_encode(public, proof) -> bytes:
    """The ABI encoding of the four static arguments (without the function selector)."""
    a, b, c, inputs = calldata_words(public, proof)
    words = [*a, *b[0], *b[1], *c, *inputs]
    return b"".join(w.to_bytes(32, "big") for w in words)


def _hex(value: int) -> str:
    return f'"0x{value:064x}"'


def calldata(public, proof) -> str:
    """The text ``snarkjs zkey export soliditycalldata public.json proof.json`` prints (without the newline)."""
    a, b, c, inputs = calldata_words(public, proof)
    return (f"[{_hex(a[0])}, {_hex(a[1])}],"
            f"[[{_hex(b[0][0])}, {_hex(b[0][1])}],[{_hex(b[1][0])}, {_hex(b[1][1])}]],"
            f"[{_hex(c[0])}, {_hex(c[1])}],"
            f"[{','.join(_hex(x) for x in inputs)}]")

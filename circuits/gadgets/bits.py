"""Bit decomposition gadgets (circomlib bitify.circom, aliascheck.circom, compconstant.circom).

``num2bits(cs, x, n)`` costs n constraints: n − 1 hinted bits are constrained
boolean and the top bit is the linear combination (x − Σ 2^i·b_i) / 2^(n−1),
also constrained boolean — the same system as circomlib's Num2Bits once circom
folds its linear constraint away.  For n ≤ 253 the decomposition is unique
because 2^n < r.  For n = 254 two decompositions (x and x + r) can exist, so the
bits are also checked to be ≤ r − 1 as an integer (circomlib's Num2Bits_strict).
"""
from zkescrow.bn254.constants import R

FIELD_BITS = 254


def num2bits(cs, x, n: int) -> list:
    """The n bits of x, least significant first; constrains x = Σ 2^i·bits[i] (n ≤ 254)."""
    if not 1 <= n <= FIELD_BITS:
        raise ValueError(f"num2bits: n = {n} must be in 1..{FIELD_BITS}")
    x = cs._signal(x)
    with cs.scope("Num2Bits"):
        low = _hinted_bits(cs, x, n - 1)
        for b in low:
            cs.assert_bool(b)
        rest = x - cs.sum(b.scale(1 << i) for i, b in enumerate(low))
        top = rest.scale(pow(2, -(n - 1), R))
        cs.assert_bool(top)
        bits = low + [top]
        if n == FIELD_BITS:
            alias_check(cs, bits)
    return bits


def _hinted_bits(cs, x, k: int) -> list:
    """k unconstrained wires holding the k low bits of x."""
    if k == 0:
        return []
    if k == 1:
        return [cs.hint(lambda v: v & 1, x, name="bit")]
    return cs.hint(lambda v: [(v >> i) & 1 for i in range(k)], x, n_out=k, name="bit")


def bits2num(cs, bits) -> "Signal":
    """Σ 2^i·bits[i] (free; the bits are assumed already constrained boolean)."""
    return cs.sum(cs._signal(b).scale(1 << i) for i, b in enumerate(bits))


def range_check(cs, x, bits: int) -> None:
    """Constrain 0 ≤ x < 2^bits (bits ≤ 253: exactly `bits` constraints; bits ≥ 254 always holds)."""
    if bits < 0:
        raise ValueError("range_check: bits must be non-negative")
    if bits == 0:
        cs.assert_equal(x, 0)
    elif bits < FIELD_BITS:
        with cs.scope("RangeCheck"):
            num2bits(cs, x, bits)


def comp_constant(cs, bits, ct: int) -> "Signal":
    """1 if the 254-bit number `bits` (boolean, LSB first) is > ct, else 0 (circomlib CompConstant)."""
    if len(bits) != FIELD_BITS:
        raise ValueError("comp_constant takes exactly 254 bits")
    with cs.scope("CompConstant"):
        parts, a, b, e = [], 1, (1 << 128) - 1, 1
        for i in range(127):
            slsb, smsb = cs._signal(bits[2 * i]), cs._signal(bits[2 * i + 1])
            clsb, cmsb = (ct >> (2 * i)) & 1, (ct >> (2 * i + 1)) & 1
            both = smsb * slsb
            if not cmsb and not clsb:
                parts.append(both.scale(-b) + smsb.scale(b) + slsb.scale(b))
            elif not cmsb and clsb:
                parts.append(both.scale(a) - slsb.scale(a) + smsb.scale(b) - smsb.scale(a) + a)
            elif cmsb and not clsb:
                parts.append(both.scale(b) - smsb.scale(a) + a)
            else:
                parts.append(both.scale(-a) + a)
            b, a, e = b - e, a + e, e * 2
        return num2bits(cs, cs.sum(parts), 135)[127]


def alias_check(cs, bits) -> None:
    """Constrain the 254 bits to encode an integer ≤ r − 1 (circomlib AliasCheck)."""
    with cs.scope("AliasCheck"):
        cs.assert_equal(comp_constant(cs, bits, R - 1), 0)

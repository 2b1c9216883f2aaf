"""Bit decomposition gadgets (circomlib bitify.circom, aliascheck.circom, compconstant.circom).

``num2bits(cs, x, n)`` costs n constraints: n − 1 hinted bits are constrained
boolean and the top bit is the linear combination (x − Σ 2^i·b_i) / 2^(n−1),
also constrained boolean — the system circom's --O2 makes of circomlib's
Num2Bits once it folds the linear constraint away.  For n ≤ 253 the
decomposition is unique because 2^n < r.  For n = 254 both x and x + r may fit,
so the bits are also checked to encode an integer ≤ r − 1 (circomlib's
Num2Bits_strict = Num2Bits(254) + AliasCheck).
"""
from circuits.dsl.system import short_value
from zkescrow.bn254.constants import R
from zkescrow.errors import UnsatisfiedConstraint

FIELD_BITS = 254


def num2bits(cs, x, n: int) -> list:
    """The n bits of x, least significant first; constrains x = Σ 2^i·bits[i] (n ≤ 254)."""
    if not 1 <= n <= FIELD_BITS:
        raise ValueError(f"num2bits: n = {n} must be in 1..{FIELD_BITS}")
    x = cs._signal(x)
    with cs.scope("Num2Bits"):
        try:
            bits = _decompose(cs, x, list(range(n)))
        except UnsatisfiedConstraint as exc:            # say which value is too large, not which bit failed
            name = cs._input_name(x)
            if x.value is None or x.value >> n == 0:
                raise
            what = f"input {name}" if name else "the value decomposed"
            raise UnsatisfiedConstraint(f"{str(exc).split(' is not satisfied')[0]} is not satisfied: {what} = "
                                        f"{short_value(x.value)} does not fit in {n} bits") from None
        if n == FIELD_BITS:
            alias_check(cs, bits)
    return bits


def _decompose(cs, x, positions: list) -> list:
    """Boolean b_p for p in `positions` (ascending) with x = Σ 2^p·b_p: len(positions) constraints.

    All but the last bit are hinted wires; the last is (x − Σ 2^p·b_p) / 2^last.
    """
    *low, last = positions
    hinted = []
    if len(low) == 1:
        hinted = [cs.hint(lambda v: (v >> low[0]) & 1, x, name="bit")]
    elif low:
        hinted = cs.hint(lambda v: [(v >> p) & 1 for p in low], x, n_out=len(low), name="bit")
    for b in hinted:
        cs.assert_bool(b)
    top = (x - cs.sum(b.scale(1 << p) for p, b in zip(low, hinted))).scale(pow(2, -last, R))
    cs.assert_bool(top)
    return hinted + [top]


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
    with cs.scope("CompConstant"):
        return num2bits(cs, _comp_constant_sum(cs, bits, ct), 135)[127]


def _comp_constant_sum(cs, bits, ct: int) -> "Signal":
    """circomlib's CompConstant sum (< 2^135): its bit 127 is 1 iff bits > ct.  127 constraints."""
    if len(bits) != FIELD_BITS:
        raise ValueError("comp_constant takes exactly 254 bits")
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
    return cs.sum(parts)


def alias_check(cs, bits) -> None:
    """Constrain the 254 bits to encode an integer ≤ r − 1 (circomlib AliasCheck).

    CompConstant(r − 1) must output 0, i.e. bit 127 of its sum is 0, so the sum is
    decomposed over the other 134 bit positions only (127 + 134 constraints).
    """
    with cs.scope("AliasCheck"):
        _decompose(cs, _comp_constant_sum(cs, bits, R - 1), [p for p in range(135) if p != 127])

"""Signals: linear combinations of wires that carry their value.

A ``Signal`` is ``Σ coef·wire`` (wire 0 is the constant ONE) bound to one
``ConstraintSystem``, plus its value in [0, r) while a witness is being built
(``None`` while compiling).  Adding, subtracting, negating and scaling by a
constant build a new linear combination and cost nothing; ``a * b`` of two
non-constant signals asks the system for one multiplication constraint.
"""
from __future__ import annotations

from gmpy2 import mpz

from zkescrow.bn254.constants import R

ONE_WIRE = 0


def lc_add(a: dict, b: dict, scale=1) -> dict:
    """a + scale·b as a new dict, zero terms removed (coefficients mod r)."""
    out = dict(a)
    for w, c in b.items():
        v = (out.get(w, 0) + scale * c) % R
        if v:
            out[w] = v
        else:
            out.pop(w, None)
    return out


def lc_scale(a: dict, k) -> dict:
    k = mpz(k) % R
    if not k:
        return {}
    return {w: c * k % R for w, c in a.items()}


class Signal:
    """A linear combination over wires with its value (see the module docstring)."""

    __slots__ = ("cs", "lc", "value")

    def __init__(self, cs, lc: dict, value):
        self.cs = cs
        self.lc = lc
        self.value = value

    # --- helpers ----------------------------------------------------------------------

    def _other(self, other) -> "Signal":
        if isinstance(other, Signal):
            if other.cs is not self.cs:
                raise ValueError("signals from two different constraint systems cannot be combined")
            return other
        if isinstance(other, int) and not isinstance(other, bool) or isinstance(other, type(R)):
            return self.cs.constant(other)
        return NotImplemented

    @property
    def is_constant(self) -> bool:
        """True when the combination involves no wire but ONE."""
        return all(w == ONE_WIRE for w in self.lc)

    @property
    def constant_value(self) -> int:
        """The value of a constant signal (``is_constant`` must hold)."""
        if not self.is_constant:
            raise ValueError("signal is not a constant")
        return int(self.lc.get(ONE_WIRE, 0))

    def _combine(self, other, scale):
        value = None if self.value is None or other.value is None else (self.value + scale * other.value) % R
        return Signal(self.cs, lc_add(self.lc, other.lc, scale), value)

    # --- arithmetic -------------------------------------------------------------------

    def __add__(self, other):
        other = self._other(other)
        return other if other is NotImplemented else self._combine(other, 1)

    __radd__ = __add__

    def __sub__(self, other):
        other = self._other(other)
        return other if other is NotImplemented else self._combine(other, -1)

    def __rsub__(self, other):
        other = self._other(other)
        return other if other is NotImplemented else other._combine(self, -1)

    def __neg__(self):
        return self.scale(-1)

    def scale(self, k) -> "Signal":
        """k·self for an integer constant k (free)."""
        value = None if self.value is None else self.value * k % R
        return Signal(self.cs, lc_scale(self.lc, k), value)

    def __mul__(self, other):
        other = self._other(other)
        if other is NotImplemented:
            return other
        return self.cs.mul(self, other)

    __rmul__ = __mul__

    def __bool__(self):
        raise TypeError("a Signal has no truth value: constrain it with cs.assert_* or read .value")

    def __repr__(self):
        terms = " + ".join(f"{int(c)}·w{w}" if w else str(int(c)) for w, c in sorted(self.lc.items())) or "0"
        return f"Signal({terms}, value={None if self.value is None else int(self.value)})"

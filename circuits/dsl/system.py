"""ConstraintSystem: what ``Circuit.define`` talks to.

The same ``define`` runs twice: once to build the constraints (values unknown,
``is_witnessing`` False) and once to compute the witness (values known, every
constraint checked the moment it is added, so a false statement stops at the
gadget that first notices it).  Wires are allocated in the same order both times.
"""
from __future__ import annotations

from contextlib import contextmanager

from gmpy2 import invert, mpz

from zkescrow.bn254.constants import R
from zkescrow.errors import UnsatisfiedConstraint, WitnessError

from .signal import ONE_WIRE, Signal, lc_add, lc_scale

_ONE_LC = {ONE_WIRE: mpz(1)}


class ConstraintSystem:
    """Allocates wires, records A·B = C constraints and, when witnessing, their values."""

    def __init__(self, witnessing: bool = False):
        self.is_witnessing = witnessing
        self.values = [mpz(1)]               # wire -> value (None while compiling)
        self.names = ["one"]                 # wire -> signal name
        self.constraints = []                # (A, B, C) dicts, kept only while compiling
        self.origins = []                    # constraint -> gadget path
        self.n_constraints = 0
        self.first_internal = 1              # wires below this are ONE and the circuit's signals
        self.substitutions = {}              # internal wire -> LC replacing it (output aliasing)
        self._path = "main"
        self._counters = {}

    # --- wires and names --------------------------------------------------------------

    def _next_index(self, key) -> int:
        k = self._counters.get(key, 0)
        self._counters[key] = k + 1
        return k

    def _new_wire(self, name: str, value) -> Signal:
        wire = len(self.values)
        self.values.append(value)
        self.names.append(name)
        return Signal(self, {wire: mpz(1)}, value)

    def _internal(self, label: str, value) -> Signal:
        k = self._next_index((self._path, label))
        return self._new_wire(f"{self._path}.{label}[{k}]", value)

    @contextmanager
    def scope(self, name: str):
        """Name the gadget whose constraints follow: ``with cs.scope("Num2Bits"): ...``."""
        parent = self._path
        self._path = f"{parent}.{name}[{self._next_index((parent, '/' + name))}]"
        try:
            yield self
        finally:
            self._path = parent

    @property
    def path(self) -> str:
        """The current gadget path, e.g. ``main.LessThan[0].Num2Bits[0]``."""
        return self._path

    # --- constants and sums ---------------------------------------------------------------

    def constant(self, v) -> Signal:
        """The constant ``v`` (reduced mod r) as a signal; free."""
        v = mpz(v) % R
        return Signal(self, {ONE_WIRE: v} if v else {}, v)

    def sum(self, terms) -> Signal:
        """Σ terms (signals or ints) without building intermediate combinations; free."""
        lc, value = {}, mpz(0)
        for t in terms:
            t = t if isinstance(t, Signal) else self.constant(t)
            for w, c in t.lc.items():
                lc[w] = lc.get(w, 0) + c
            value = None if value is None or t.value is None else value + t.value
        lc = {w: c % R for w, c in lc.items() if c % R}
        return Signal(self, lc, None if value is None else value % R)

    def as_signal(self, x) -> Signal:
        """``x`` itself if it is a signal of this system, else the constant ``x``."""
        return self._signal(x)

    def _signal(self, x) -> Signal:
        if isinstance(x, Signal):
            if x.cs is not self:
                raise ValueError("signal belongs to another constraint system")
            return x
        return self.constant(x)

    # --- constraints ---------------------------------------------------------------------

    def _constrain(self, a: dict, b: dict, c: dict, va, vb, vc, what: str) -> None:
        index = self.n_constraints
        self.n_constraints += 1
        if self.is_witnessing:
            if va is not None and vb is not None and vc is not None and va * vb % R != vc:
                raise UnsatisfiedConstraint(
                    f"constraint {index} ({self._path}: {what}) is not satisfied: "
                    f"A = {int(va)}, B = {int(vb)}, A·B = {int(va * vb % R)}, C = {int(vc)}")
        else:
            self.constraints.append((a, b, c))
            self.origins.append(self._path)

    def mul(self, a, b) -> Signal:
        """a·b; one constraint unless a or b is constant (then it is a free scaling)."""
        a, b = self._signal(a), self._signal(b)
        if a.is_constant:
            return b.scale(a.constant_value)
        if b.is_constant:
            return a.scale(b.constant_value)
        value = None if a.value is None or b.value is None else a.value * b.value % R
        out = self._internal("mul", value)
        self._constrain(a.lc, b.lc, out.lc, a.value, b.value, value, "a·b")
        return out

    def assert_product(self, a, b, c) -> None:
        """Constrain a·b = c (one constraint)."""
        a, b, c = self._signal(a), self._signal(b), self._signal(c)
        self._constrain(a.lc, b.lc, c.lc, a.value, b.value, c.value, "a·b = c")

    def assert_equal(self, a, b) -> None:
        """Constrain a = b: one constraint (a − b)·1 = 0, none if they are the same combination."""
        diff = self._signal(a) - self._signal(b)
        if not diff.lc:
            return
        if diff.is_constant:
            raise WitnessError(f"{self._path}: assert_equal of two different constants can never hold")
        try:
            self._constrain(diff.lc, _ONE_LC, {}, diff.value, mpz(1), mpz(0), "a = b")
        except UnsatisfiedConstraint:           # say it in the circuit's terms, not as A·B = C
            raise UnsatisfiedConstraint(f"constraint {self.n_constraints - 1} ({self._path}: a = b) is not "
                                        f"satisfied: {self._inequality(self._signal(a), self._signal(b))}") from None

    def _input_name(self, signal: Signal) -> str | None:
        """The circuit input ``signal`` is exactly (one input wire, coefficient 1), else None."""
        if len(signal.lc) == 1:
            (wire, coefficient), = signal.lc.items()
            if coefficient == 1 and 0 < wire < self.first_internal:
                return self.names[wire].removeprefix("main.")
        return None

    def _inequality(self, a: Signal, b: Signal) -> str:
        """Why a = b fails, in the circuit's terms: which input disagrees with what the circuit computes."""
        name_a, name_b = self._input_name(a), self._input_name(b)
        if name_a and name_b:
            return f"inputs {name_a} = {short_value(a.value)} and {name_b} = {short_value(b.value)} must be equal"
        if name_b or name_a:
            name, given, computed = (name_b, b.value, a.value) if name_b else (name_a, a.value, b.value)
            return (f"input {name} = {short_value(given)}, but the other inputs give {short_value(computed)} "
                    f"(inconsistent input: {name}, or the inputs it is computed from)")
        involved = sorted({self.names[w].removeprefix("main.") for s in (a, b) for w in s.lc
                           if 0 < w < self.first_internal})
        where = f"; inputs involved: {', '.join(involved)}" if involved else ""
        return f"the two sides differ by {short_value(a.value - b.value, signed=True)}{where}"

    def assert_bool(self, a) -> None:
        """Constrain a ∈ {0, 1}: a·(a − 1) = 0 (one constraint)."""
        a = self._signal(a)
        a_minus_1 = a - 1
        try:
            self._constrain(a.lc, a_minus_1.lc, {}, a.value, a_minus_1.value, mpz(0), "a ∈ {0,1}")
        except UnsatisfiedConstraint as exc:
            name = self._input_name(a)
            if name is None:
                raise
            raise UnsatisfiedConstraint(f"constraint {self.n_constraints - 1} ({self._path}: a ∈ {{0,1}}) is not "
                                        f"satisfied: input {name} = {short_value(a.value)} must be 0 or 1") from exc

    def range_check(self, x, bits: int) -> None:
        """Constrain 0 ≤ x < 2^bits (see circuits.gadgets.bits.range_check)."""
        from circuits.gadgets.bits import range_check
        range_check(self, x, bits)

    # --- hints -----------------------------------------------------------------------------

    def hint(self, fn, *signals, n_out: int = 1, name: str | None = None):
        """New private wires holding fn(*values) (an int, or n_out ints).

        The wires are NOT constrained: the caller must constrain them.  ``fn`` only
        runs while witnessing; arguments may be signals or ints.
        """
        if n_out < 1:
            raise ValueError("a hint needs at least one output")
        label = name or (fn.__name__ if fn.__name__.isidentifier() else "hint")
        values = [None] * n_out
        if self.is_witnessing:
            args = [int(s.value) if isinstance(s, Signal) else int(s) for s in map(self._signal, signals)]
            result = fn(*args)
            result = [result] if n_out == 1 else list(result)
            if len(result) != n_out:
                raise ValueError(f"hint {label} returned {len(result)} values, declared n_out={n_out}")
            values = [mpz(int(v)) % R for v in result]
        outs = [self._internal(label, v) for v in values]
        return outs[0] if n_out == 1 else outs

    # --- outputs ------------------------------------------------------------------------------

    def bind_output(self, wire: int, expr) -> mpz:
        """Make output ``wire`` equal ``expr``; returns its value.

        When ``expr`` involves an internal wire, that wire is replaced by the output
        everywhere (no constraint, like circom's linear simplification); otherwise one
        linear constraint (expr − out)·1 = 0 is added.
        """
        expr = self._signal(expr)
        self.values[wire] = expr.value
        lc = self._resolve(expr.lc)
        pivots = [w for w in lc if w >= self.first_internal]
        if not pivots:
            out = Signal(self, {wire: mpz(1)}, expr.value)
            self.assert_equal(Signal(self, lc, expr.value), out)
            return expr.value
        pivot = max(pivots)
        c = lc.pop(pivot)
        # pivot = (out − rest) / c
        replacement = lc_scale(lc_add({wire: mpz(1)}, lc, -1), invert(c, R))
        for w, sub in self.substitutions.items():
            if pivot in sub:
                k = sub.pop(pivot)
                self.substitutions[w] = lc_add(sub, replacement, k)
        self.substitutions[pivot] = replacement
        return expr.value

    def _resolve(self, lc: dict) -> dict:
        subs = self.substitutions
        if not subs or subs.keys().isdisjoint(lc):
            return dict(lc)
        out = {}
        for w, c in lc.items():
            out = lc_add(out, subs[w], c) if w in subs else lc_add(out, {w: c})
        return out


def short_value(value, signed: bool = False) -> str:
    """A field element for a message: small and negative values as such, others as 1234…5678."""
    v = int(value) % R
    if signed and v > R // 2:
        v -= R
    text = str(v)
    return text if len(text) <= 24 else f"{text[:6]}…{text[-6:]} ({len(text.lstrip('-'))} digits)"

"""Circuit: declare signals as class attributes, describe the statement once in ``define``.

    class Multiplier(Circuit):
        c = Output()
        a = Private()
        b = Private()
        def define(self, cs):
            self.c = self.a * self.b

Wire order is circom's: ONE, outputs, public inputs, private inputs (each group
in declaration order, arrays element by element), then internal wires.
``compile()`` builds the R1CS once per (class, parameters); ``witness(inputs)``
reruns ``define`` with values and returns the full witness, checked against it.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from gmpy2 import mpz

from zkescrow.bn254.constants import R
from zkescrow.errors import MalformedInput
from zkescrow.r1cs import R1CS

from .signal import Signal
from .system import ConstraintSystem

_KINDS = ("output", "public", "private")


class _Declaration:
    """A declared circuit signal; ``n`` makes it an array (an int, a parameter name, or fn(circuit))."""

    kind = ""

    def __init__(self, n=None):
        self.n = n
        self.name = None

    def __set_name__(self, owner, name):
        self.name = name

    def length(self, circuit) -> int | None:
        n = self.n
        if n is None:
            return None
        if isinstance(n, str):
            n = getattr(circuit, n)
        elif callable(n):
            n = n(circuit)
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"signal {self.name}: array length must be a non-negative int, got {n!r}")
        return n

    def __get__(self, circuit, owner=None):
        if circuit is None:
            return self
        bound = circuit.__dict__.get("_bound")
        if bound is None:
            raise AttributeError(f"signal {self.name} exists only while define() runs")
        value = bound[self.name]
        if value is None:
            raise ValueError(f"output {self.name} is read before it is assigned")
        return value

    def __set__(self, circuit, value):
        raise AttributeError(f"{self.kind} input {self.name} cannot be assigned")


class Public(_Declaration):
    """A public input (``Public(n=4)``: an array of 4)."""
    kind = "public"


class Private(_Declaration):
    """A private input (``Private(n="depth")``: an array as long as the parameter ``depth``)."""
    kind = "private"


class Output(_Declaration):
    """A public output, assigned once in define: ``self.out = expr`` (arrays: ``self.out[i] = expr``)."""
    kind = "output"

    def __set__(self, circuit, value):
        bound = circuit.__dict__.get("_bound")
        if bound is None:
            raise AttributeError(f"output {self.name} can be assigned only inside define()")
        slot = circuit._slots[self.name]
        if isinstance(slot, OutputArray):
            values = list(value)
            if len(values) != len(slot):
                raise ValueError(f"output {self.name} has {len(slot)} elements, got {len(values)}")
            for i, v in enumerate(values):
                slot[i] = v
        else:
            bound[self.name] = slot.assign(value)


class _OutputSlot:
    __slots__ = ("cs", "wire", "name", "signal")

    def __init__(self, cs, wire, name):
        self.cs, self.wire, self.name, self.signal = cs, wire, name, None

    def assign(self, expr) -> Signal:
        if self.signal is not None:
            raise ValueError(f"output {self.name} is assigned twice")
        value = self.cs.bind_output(self.wire, expr)
        self.signal = Signal(self.cs, {self.wire: mpz(1)}, value)
        return self.signal


class OutputArray(list):
    """An output array inside define: ``self.out[i] = expr`` assigns element i once."""

    def __init__(self, slots):
        super().__init__(slots)

    def __getitem__(self, i):
        slot = list.__getitem__(self, i)
        if isinstance(i, slice):
            return [s.signal for s in slot]
        if slot.signal is None:
            raise ValueError(f"output {slot.name} is read before it is assigned")
        return slot.signal

    def __setitem__(self, i, expr):
        list.__getitem__(self, i).assign(expr)

    def __iter__(self):
        return (self[i] for i in range(len(self)))


@dataclass
class _Compiled:
    r1cs: R1CS
    kept: list          # new wire id -> wire id as allocated by define
    n_allocated: int


_CACHE: dict = {}


class Circuit(ABC):
    """Base class of circuits; see the module docstring.  Parameters are constructor kwargs."""

    _declarations: tuple = ()

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        seen, decls = set(), []
        for klass in reversed(cls.__mro__):
            for name, attr in vars(klass).items():
                if isinstance(attr, _Declaration):
                    if name in seen:
                        decls = [d for d in decls if d.name != name]
                    seen.add(name)
                    decls.append(attr)
        cls._declarations = tuple(decls)

    def __init__(self, **params):
        names = {d.name for d in self._declarations}
        for key, value in params.items():
            if key in names or key.startswith("_") or callable(getattr(type(self), key, None)):
                raise MalformedInput(f"{type(self).__name__}: {key!r} is not a circuit parameter")
            setattr(self, key, value)
        self.params = dict(params)

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.params.items())})"

    @abstractmethod
    def define(self, cs: ConstraintSystem) -> None:
        """State the circuit's constraints on the declared signals (runs for compile and witness)."""

    # --- layout -------------------------------------------------------------------------

    def signals(self, kind: str | None = None) -> list:
        """[(name, kind, length or None)] in wire order (outputs, public, private)."""
        out = []
        for k in _KINDS:
            out += [(d.name, k, d.length(self)) for d in self._declarations if d.kind == k]
        return [s for s in out if kind is None or s[1] == kind]

    def _cache_key(self):
        try:
            key = (type(self), tuple(sorted(self.params.items())))
            hash(key)
        except TypeError:
            return None
        return key

    # --- running define -----------------------------------------------------------------

    def _run(self, witnessing: bool, inputs: dict | None) -> ConstraintSystem:
        cs = ConstraintSystem(witnessing)
        bound, slots = {}, {}
        for name, kind, length in self.signals():
            def make(label, value):
                if kind == "output":
                    signal = cs._new_wire(f"main.{label}", None)
                    return _OutputSlot(cs, next(iter(signal.lc)), label)
                return cs._new_wire(f"main.{label}", value)
            given = inputs.get(name) if inputs is not None else None
            if length is None:
                item = make(name, given)
                slots[name] = item
                bound[name] = None if kind == "output" else item
            else:
                items = [make(f"{name}[{i}]", given[i] if given is not None else None) for i in range(length)]
                slots[name] = OutputArray(items) if kind == "output" else items
                bound[name] = slots[name]
        cs.first_internal = len(cs.values)
        self.__dict__["_bound"], self.__dict__["_slots"] = bound, slots
        try:
            self.define(cs)
        finally:
            del self.__dict__["_bound"], self.__dict__["_slots"]
        for name, slot in slots.items():
            for s in (slot if isinstance(slot, list) else [slot]):
                if isinstance(s, _OutputSlot) and s.signal is None:
                    raise ValueError(f"{type(self).__name__}.define() never assigns output {s.name}")
        return cs

    def compile(self) -> R1CS:
        """The circuit's R1CS, with wire names and constraint origins.

        Cached per (class, parameters): the same object is returned each time, so treat it as read-only.
        """
        return self._compiled().r1cs

    def _compiled(self) -> _Compiled:
        key = self._cache_key()
        if key is not None and key in _CACHE:
            return _CACHE[key]
        cs = self._run(False, None)
        compiled = _finalize(cs, self)
        if key is not None:
            _CACHE[key] = compiled
        return compiled

    def witness(self, inputs: dict) -> list[int]:
        """The full witness for ``inputs`` ({name: int | decimal str | list}), checked against the R1CS.

        Raises ``MalformedInput`` for missing/extra/out-of-range inputs and
        ``UnsatisfiedConstraint``/``WitnessError`` (naming the gadget) if the statement is false.
        """
        compiled = self._compiled()
        cs = self._run(True, self._parse_inputs(inputs))
        if len(cs.values) != compiled.n_allocated:
            raise RuntimeError(f"{type(self).__name__}.define() allocated {len(cs.values)} wires while "
                               f"witnessing but {compiled.n_allocated} while compiling: its structure "
                               f"must not depend on input values")
        values = cs.values
        witness = [int(values[w]) for w in compiled.kept]
        compiled.r1cs.check(witness)
        return witness

    def _parse_inputs(self, inputs: dict) -> dict:
        if not isinstance(inputs, dict):
            raise MalformedInput(f"circuit inputs must be a JSON object / dict, got {type(inputs).__name__}")
        expected = {name: length for name, kind, length in self.signals() if kind != "output"}
        missing = [n for n in expected if n not in inputs]
        if missing:
            raise MalformedInput(f"{type(self).__name__}: missing input(s): {', '.join(missing)}")
        extra = sorted(set(inputs) - set(expected))
        if extra:
            raise MalformedInput(f"{type(self).__name__}: unknown input(s): {', '.join(map(str, extra))}")
        parsed = {}
        for name, length in expected.items():
            given = inputs[name]
            if length is None:
                if isinstance(given, (list, tuple)):
                    raise MalformedInput(f"input {name} is a scalar, got a list of {len(given)}")
                parsed[name] = _field_value(name, given)
            else:
                if not isinstance(given, (list, tuple)):
                    raise MalformedInput(f"input {name} is an array of {length}, got a scalar")
                given = _flatten(given)          # circom's nested arrays for multi-dimensional signals
                if len(given) != length:
                    raise MalformedInput(f"input {name} must have {length} elements, got {len(given)}")
                parsed[name] = [_field_value(f"{name}[{i}]", v) for i, v in enumerate(given)]
        return parsed


def _flatten(values) -> list:
    """[[a, b], [c, d]] -> [a, b, c, d] (row-major, as circom and snarkjs flatten input arrays)."""
    out = []
    for v in values:
        out.extend(_flatten(v) if isinstance(v, (list, tuple)) else [v])
    return out


def _field_value(name: str, v) -> mpz:
    if isinstance(v, bool):
        raise MalformedInput(f"input {name} must be a field element, got a boolean")
    if isinstance(v, str):
        text = v.strip()
        try:
            v = int(text, 16) if text.lower().startswith("0x") else int(text, 10)
        except ValueError:
            raise MalformedInput(f"input {name} = {text!r} is not an integer") from None
    elif not isinstance(v, int) and not isinstance(v, type(R)):
        raise MalformedInput(f"input {name} must be an integer, got {type(v).__name__}")
    if not 0 <= v < R:
        raise MalformedInput(f"input {name} = {v} is not in [0, r)")
    return mpz(v)


def _finalize(cs: ConstraintSystem, circuit: Circuit) -> _Compiled:
    """Apply output substitutions, drop the replaced wires and renumber the rest."""
    subs = cs.substitutions
    kept = [w for w in range(len(cs.values)) if w not in subs]
    renumber = None if not subs else {old: new for new, old in enumerate(kept)}
    constraints = []
    for row in cs.constraints:
        if subs:
            row = tuple(cs._resolve(lc) for lc in row)
            row = tuple({renumber[w]: int(c) for w, c in lc.items()} for lc in row)
        else:
            row = tuple({w: int(c) for w, c in lc.items()} for lc in row)
        constraints.append(row)
    counts = {k: sum(length or 1 for _, kind, length in circuit.signals() if kind == k) for k in _KINDS}
    r1cs = R1CS(n_wires=len(kept), n_pub_out=counts["output"], n_pub_in=counts["public"],
                n_prv_in=counts["private"], constraints=constraints,
                wire_names=[cs.names[w] for w in kept], constraint_origins=list(cs.origins))
    return _Compiled(r1cs, kept, len(cs.values))

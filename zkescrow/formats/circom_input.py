"""circom's input.json as snarkjs and circom's witness_calculator.js read it.

* values: integers, decimal strings, ``0x`` hex strings; negative values are taken modulo r
  (circom's convention); a value ≥ r is refused (snarkjs would reduce it silently);
* arrays are flattened row by row and must be rectangular;
* nested objects are circom 2.2 buses: ``{"s": {"a": {"x": 1}}}`` sets ``s.a.x`` and an array of
  objects ``ps[i].x`` (circom ``qualify_input``).

Every refusal is a ``MalformedInput`` naming the signal.
"""
from __future__ import annotations

import re

from ..errors import MalformedInput

_DECIMAL = re.compile(r"-?[0-9]+")
_HEX = re.compile(r"0[xX][0-9a-fA-F]+")


def qualify_inputs(inputs: dict, prefix: str = "", out: dict | None = None) -> dict:
    """circom's ``qualify_input``: nested objects become ``a.b`` names, arrays of objects ``a[i].b``."""
    out = {} if out is None else out
    for key, value in inputs.items():
        name = f"{prefix}.{key}" if prefix else key
        _qualify(name, value, out)
    return out


def _qualify(name: str, value, out: dict) -> None:
    if isinstance(value, dict):
        qualify_inputs(value, name, out)
    elif isinstance(value, list) and _contains_object(value):
        for i, item in enumerate(value):
            _qualify(f"{name}[{i}]", item, out)
    else:
        if name in out:
            raise MalformedInput(f"input signal {name!r} is given twice")
        out[name] = value


def _contains_object(value) -> bool:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            return True
        if isinstance(v, list):
            stack.extend(v)
    return False


def flatten_signal(name: str, value, prime: int) -> list[int]:
    """The values of one signal in circom's order (row by row); arrays must be rectangular."""
    out: list[int] = []

    def walk(v, where: str, depth: int):
        if isinstance(v, list):
            if not v:
                raise MalformedInput(f"input signal {where} is an empty array")
            shapes = {_shape(item) for item in v}
            if len(shapes) > 1:
                raise MalformedInput(f"input signal {where} is not a rectangular array (its rows differ in shape)")
            for i, item in enumerate(v):
                walk(item, f"{where}[{i}]", depth + 1)
        else:
            out.append(field_value(v, where, prime))

    walk(value, name, 0)
    return out


def _shape(v) -> tuple:
    shape = []
    while isinstance(v, list):
        shape.append(len(v))
        v = v[0] if v else None
    return tuple(shape)


def field_value(v, where: str, prime: int) -> int:
    """One input value as snarkjs reads it: an integer, a decimal or 0x-hex string; negatives mod r."""
    if isinstance(v, bool) or not isinstance(v, (int, str)):
        raise MalformedInput(f"input signal {where} = {_short(v)} is not an integer or a decimal/0x string")
    if isinstance(v, str):
        s = v.strip()
        if _DECIMAL.fullmatch(s):
            v = int(s)
        elif _HEX.fullmatch(s):
            v = int(s, 16)
        else:
            raise MalformedInput(f"input signal {where} = {_short(v)} is not a decimal or 0x-hex integer")
    if v >= prime or v <= -prime:
        raise MalformedInput(f"input signal {where} = {_short(v)} is not below the field modulus r")
    return v % prime


def _short(v) -> str:
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


def kind_of(v) -> str:
    return {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}.get(
        type(v), "null" if v is None else type(v).__name__)

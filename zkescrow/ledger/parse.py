"""Strict parsing of transaction body fields, before any rule looks them up or writes them with SQL.

A body comes from whoever submits it.  Every value a rule uses passes one of these
checks first, and each raises ``TransactionRejected`` (naming the field, quoting at
most a short prefix of the value) for anything else:

    integer    a Python int (not bool) or a canonical decimal string ^(0|-?[1-9][0-9]{0,77})$,
               within [low, high]: no "²", "--5", "+5", " 5", "05", "-0" or 4,300-digit strings
    text       a str of 1..max_len characters (optionally matching a pattern)
    hex        lowercase hex of an exact length
    list       a list of exactly n items
    bool       True or False

so no rule feeds SQLite a value it cannot bind (a list, a 2^64 integer) and no
``int()`` of a hostile string raises outside a rule.
"""
from __future__ import annotations

import re

from zkescrow.errors import TransactionRejected

_DECIMAL = re.compile(r"(0|-?[1-9][0-9]{0,77})")
_HEX = re.compile(r"[0-9a-f]*")
#: Largest integer a body may carry for a column SQLite stores as INTEGER (signed 64 bit).
SQL_INT_MAX = (1 << 63) - 1


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "…"


def _reject(reason: str):
    raise TransactionRejected(reason)


def integer(value, name: str, *, low: int, high: int) -> int:
    """``value`` as an int in [low, high]: a Python int or a canonical decimal string."""
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        _reject(f"{name} must be an integer in [{low}, {high}], got {_show(value)}")
    return value


def text(value, name: str, *, max_len: int, pattern: re.Pattern | None = None) -> str:
    """``value`` as a non-empty str of at most ``max_len`` characters (matching ``pattern`` when given)."""
    if not isinstance(value, str) or not 0 < len(value) <= max_len or \
            (pattern is not None and not pattern.fullmatch(value)):
        _reject(f"{name} must be text of 1 to {max_len} characters"
                f"{'' if pattern is None else ' matching ' + pattern.pattern}, got {_show(value)}")
    return value


def hex_string(value, name: str, *, length: int) -> str:
    """``value`` as ``length`` lowercase hex digits."""
    if not isinstance(value, str) or len(value) != length or not _HEX.fullmatch(value):
        _reject(f"{name} must be {length} lowercase hex digits, got {_show(value)}")
    return value


def items(value, name: str, *, n: int) -> list:
    """``value`` as a list of exactly ``n`` items."""
    if not isinstance(value, list) or len(value) != n:
        _reject(f"{name} must be a list of {n} items, got {_show(value)}")
    return value


def boolean(value, name: str) -> bool:
    if not isinstance(value, bool):
        _reject(f"{name} must be true or false, got {_show(value)}")
    return value


def obj(value, name: str) -> dict:
    if not isinstance(value, dict):
        _reject(f"{name} must be an object, got {_show(value)}")
    return value

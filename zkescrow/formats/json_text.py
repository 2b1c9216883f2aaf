"""JSON from outside, parsed so that every hostile text is ``MalformedInput`` (never a traceback).

``json.loads`` turns a hostile text into other exceptions: a number longer than Python's int/str
conversion limit (``sys.get_int_max_str_digits()``, 4,300 digits by default) raises a bare
``ValueError``; deep nesting a ``RecursionError``, or overflows the C stack and kills the process when
the recursion limit has been raised.  ``loads`` refuses nesting deeper than ``MAX_DEPTH`` before
parsing, and maps the rest, and bad syntax, to ``MalformedInput`` with one line that names the input::

    obj = loads(text, "public signals")      # MalformedInput("public signals: a number has 5000 digits …")
"""
from __future__ import annotations

import json
import re
import sys

from ..errors import MalformedInput

INT_LIMIT_MESSAGE = "for integer string conversion"     # CPython's wording of the digit-limit ValueError
MAX_DEPTH = 256                                         # nothing zkescrow reads nests deeper than a few levels
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(r"[\[\]{}]")


def check_depth(text: str, what: str) -> None:
    """``MalformedInput`` when arrays/objects in ``text`` nest deeper than ``MAX_DEPTH`` (no recursion)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub('""', text)):
        depth += 1 if match.group() in "[{" else -1
        if depth > MAX_DEPTH:
            raise MalformedInput(f"{what} is JSON nested too deeply (more than {MAX_DEPTH} levels)")


def digit_limit() -> int:
    """The most digits a decimal number may have here (Python's conversion limit; 0 means none)."""
    return sys.get_int_max_str_digits()


def check_digits(text: str, what: str) -> None:
    """``MalformedInput`` when the decimal ``text`` has more digits than ``digit_limit`` allows."""
    limit = digit_limit()
    digits = len(text.lstrip("+-"))
    if limit and digits > limit:
        raise MalformedInput(f"{what}: a number has {digits} digits (more than {limit})")


def loads(text, what: str):
    """The JSON value of ``text`` (str or bytes); ``MalformedInput`` for anything that is not sane JSON."""
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedInput(f"{what} is not UTF-8 text") from None

    def parse_int(token: str) -> int:
        check_digits(token, what)
        return int(token)

    check_depth(text, what)
    try:
        return json.loads(text, parse_int=parse_int)
    except json.JSONDecodeError as exc:
        raise MalformedInput(f"{what} is not JSON: not valid JSON ({exc.msg} at line {exc.lineno} "
                             f"column {exc.colno})") from None
    except RecursionError:
        raise MalformedInput(f"{what} is JSON nested too deeply") from None
    except ValueError as exc:               # a float or exponent beyond the limit
        raise MalformedInput(f"{what}: a number is too large ({exc})".split(";")[0]) from None

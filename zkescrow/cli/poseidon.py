"""``zkescrow poseidon X [Y ...]``: the circomlib Poseidon hash of 1..16 field elements."""
from __future__ import annotations

import json

import click

from ..errors import InvalidFieldElement, MalformedInput


def _parse(text: str) -> int:
    s = text.strip()
    if len(s) > 80:         # r has 77 decimal digits (64 hex): refuse before converting, and quote briefly
        raise InvalidFieldElement(f"{s[:20]!r}… ({len(s)} characters) is not a field element below r")
    try:
        return int(s[2:], 16) if s.lower().startswith("0x") and len(s) > 2 else int(s, 10)
    except ValueError:
        raise InvalidFieldElement(f"{text!r} is not a decimal or 0x-hex integer") from None


@click.command("poseidon", context_settings={"ignore_unknown_options": True})
@click.argument("inputs", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print {\"inputs\": [...], \"hash\": \"...\"}.")
def poseidon_cmd(inputs, as_json):
    """Poseidon hash (circomlib/circomlibjs parameters) of 1..16 field elements, printed in decimal.

    Inputs are decimal or 0x-hex integers in [0, r).

    \b
    Example:
      zkescrow poseidon 1 2
      7853200120776062878684798364095072458815029376092732009249414926327459813530
    """
    from circuits.crypto.poseidon import MAX_INPUTS, poseidon

    if not inputs:
        raise MalformedInput(f"poseidon needs 1..{MAX_INPUTS} inputs, e.g. `zkescrow poseidon 1 2`")
    values = [_parse(x) for x in inputs]
    digest = poseidon(values)
    if as_json:
        click.echo(json.dumps({"inputs": [str(v) for v in values], "hash": str(digest)}))
    else:
        click.echo(str(digest))

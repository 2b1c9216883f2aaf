"""Fixed denominations: the only amounts a ledger's ``shield`` accepts, and how amounts are cut into them.

Value enters the shielded pool only through ``shield``, which names the account and the
amount.  If every shield carries one of a few standard amounts, a shield says less about
what its note will pay for, and a note funding an escrow deposit of a standard amount is
one of every note of that size ever shielded, not the one whose amount matches.

The default set is the powers of ten from 1 to 10^12.  Against a 1-2-5 series or the powers
of two it has the fewest values per decade (one, against three and about 3.3), so each value's
crowd of shields is the largest; the price is a coarser deposit (up to 10x the need, the rest
refunded at settlement) and more shields to bring in an arbitrary amount (at most 9 per
decimal digit), which matters little because wallets pre-fund notes of whole denominations
(``Wallet.prefund``) rather than shield an exact sum right before they spend it.

``check`` validates a set, ``split`` cuts an amount into denominations (fewest pieces),
``covering`` is the smallest denomination at least a need.
"""
from __future__ import annotations

from zkescrow.errors import MalformedInput

#: The denominations of a new ledger (``Ledger.create``): powers of ten, 1 … 10^12.
DEFAULT = tuple(10 ** k for k in range(13))


def check(denominations, high: int) -> list[int] | None:
    """``denominations`` as distinct integers in [1, ``high``], ascending (None stays None); MalformedInput."""
    if denominations is None:
        return None
    values = list(denominations)
    if not values or any(type(d) is not int or not 1 <= d <= high for d in values) or len(set(values)) != len(values):
        raise MalformedInput(f"denominations must be distinct integers in [1, {high}], got {values!r}")
    return sorted(values)


def split(amount: int, denominations) -> list[int]:
    """``amount`` as a sum of denominations with the fewest pieces, largest first; MalformedInput if none adds up.

    Greedy is exact and minimal for sets where each value divides the next (powers of ten or two);
    other sets by dynamic programming over a bounded remainder (see ``_fewest``).
    """
    values = sorted(set(denominations), reverse=True)
    if type(amount) is not int or amount < 1:
        raise MalformedInput(f"amount must be a positive integer, got {amount!r}")
    if all(big % small == 0 for big, small in zip(values, values[1:])):
        pieces, rest = [], amount
        for d in values:
            count, rest = divmod(rest, d)
            pieces += [d] * count
        if rest:
            raise MalformedInput(f"{amount} is not a sum of the denominations {sorted(values)}")
        return pieces
    return _fewest(amount, values)


def _fewest(amount: int, values: list[int]) -> list[int]:
    """Coin change with the fewest coins.  A fewest-coins sum holds fewer than L coins below the largest value L
    (any L of them have a nonempty subset summing to a multiple of L, which fewer L-coins replace), so every
    amount of at least L·(L−1) takes an L: those are taken first, the rest by dynamic programming."""
    from math import gcd
    step, largest = 0, max(values)
    for d in values:
        step = gcd(step, d)
    taken = max(0, (amount - largest * (largest - 1)) // largest)
    rest = amount - taken * largest
    if amount % step or rest // step > 10 ** 6:
        raise MalformedInput(f"{amount} cannot be cut into the denominations {sorted(values)}")
    n, units = rest // step, [d // step for d in values]
    best, last = [0] + [None] * n, [0] * (n + 1)
    for k in range(1, n + 1):
        for u in units:
            if u <= k and best[k - u] is not None and (best[k] is None or best[k - u] + 1 < best[k]):
                best[k], last[k] = best[k - u] + 1, u
    if best[n] is None:
        raise MalformedInput(f"{amount} is not a sum of the denominations {sorted(values)}")
    pieces = [largest] * taken
    while n:
        pieces.append(last[n] * step)
        n -= last[n]
    return sorted(pieces, reverse=True)


def covering(need: int, denominations) -> int:
    """The smallest denomination ≥ ``need``; MalformedInput if even the largest is smaller."""
    for d in sorted(denominations):
        if d >= need:
            return d
    raise MalformedInput(f"no denomination covers {need:,} (largest {max(denominations):,})")
